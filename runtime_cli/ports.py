"""Which ports each service of the stack listens on (DESIGN.md §6), with overrides."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping
from dataclasses import dataclass

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
    """Distinct ports the kernel reports free on `host` right now (for tests).

    All sockets stay open until every port is chosen, so the ports differ from each other;
    another process may still take one before the service binds it, which is rare enough.
    """
    with contextlib.ExitStack() as stack:
        picked: list[int] = []
        for _ in range(3 * len(SERVICES) + 1):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            picked.append(sock.getsockname()[1])
    it = iter(picked)
    services = {name: ServicePorts(next(it), next(it), next(it)) for name in SERVICES}
    return StackPorts(services=services, rest=next(it))


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
