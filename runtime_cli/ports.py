"""Which ports each service of the stack listens on (DESIGN.md §6), with overrides."""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The services in start order: the store first, the others once it is healthy.
SERVICES: tuple[str, ...] = ("store", "orchestrator", "gateway", "scheduler", "qmd", "connectors")

DEFAULT_REST_PORT = 8443
_PREFIX = "AGENT_RUNTIME_"


class PortError(ValueError):
    """A port setting that is not a usable TCP port; the message names the variable."""


@dataclass(frozen=True)
class ServicePorts:
    """The three listeners of one service."""

    grpc: int
    health: int
    metrics: int


@dataclass(frozen=True)
class StackPorts:
    """Every listener of the stack."""

    services: Mapping[str, ServicePorts]
    rest: int


def default_ports(name: str) -> ServicePorts:
    """DESIGN.md §6: 71xx gRPC, 72xx health, 73xx metrics, xx = position in SERVICES."""
    n = SERVICES.index(name) + 1
    return ServicePorts(grpc=7100 + n, health=7200 + n, metrics=7300 + n)


def _port_from_env(env: Mapping[str, str], var: str, default: int) -> int:
    raw = env.get(var)
    if raw is None or raw.strip() == "":
        return default
    try:
        port = int(raw)
    except ValueError:
        raise PortError(f"invalid setting {var}: {raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise PortError(f"invalid setting {var}: {port} is outside 1-65535")
    return port


def ports_from_env(env: Mapping[str, str]) -> StackPorts:
    """Defaults of DESIGN.md §6, each overridden by AGENT_RUNTIME_<SVC>_{GRPC,HEALTH,METRICS}_PORT
    and AGENT_RUNTIME_REST_PORT."""
    services: dict[str, ServicePorts] = {}
    for name in SERVICES:
        d = default_ports(name)
        var = f"{_PREFIX}{name.upper()}_"
        services[name] = ServicePorts(
            grpc=_port_from_env(env, var + "GRPC_PORT", d.grpc),
            health=_port_from_env(env, var + "HEALTH_PORT", d.health),
            metrics=_port_from_env(env, var + "METRICS_PORT", d.metrics),
        )
    rest = _port_from_env(env, _PREFIX + "REST_PORT", DEFAULT_REST_PORT)
    ports = StackPorts(services=services, rest=rest)
    _check_distinct(ports)
    return ports


def free_ports(host: str = "127.0.0.1") -> StackPorts:
    """Distinct ports that are free on `host` right now (for tests and parallel stacks).

    They are drawn below the kernel's ephemeral range, so an outgoing connection cannot take
    one between now and the moment the service binds it; every socket stays open until all
    ports are chosen, so they differ from each other.
    """
    low, high = _unassigned_range()
    rng = random.SystemRandom()
    picked: list[int] = []
    with contextlib.ExitStack() as stack:
        while len(picked) < 3 * len(SERVICES) + 1:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            try:
                sock.bind((host, rng.randint(low, high) if high > low else 0))
            except OSError:
                continue
            picked.append(sock.getsockname()[1])
    it = iter(picked)
    services = {name: ServicePorts(next(it), next(it), next(it)) for name in SERVICES}
    return StackPorts(services=services, rest=next(it))


def _unassigned_range() -> tuple[int, int]:
    """Ports from 20000 up to just below the ephemeral range (Linux: 32768 by default)."""
    try:
        first = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first = 32768
    return 20000, first - 1


def _check_distinct(ports: StackPorts) -> None:
    seen: dict[int, str] = {}
    listeners = [
        (f"{name} {kind}", getattr(p, kind))
        for name, p in ports.services.items()
        for kind in ("grpc", "health", "metrics")
    ]
    listeners.append(("rest", ports.rest))
    for label, port in listeners:
        if port in seen:
            raise PortError(f"port {port} is configured for both {seen[port]} and {label}")
        seen[port] = label
