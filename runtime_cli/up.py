"""`agent-runtime up`: the composition root of the one-machine stack."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runtime_cli import endpoints, service_pki
from runtime_cli.child_env import child_environment
from runtime_cli.ports import SERVICES, PortError, StackPorts, free_ports, ports_from_env
from runtime_cli.process import ChildSpec
from runtime_cli.supervisor import StartupError, Supervisor
from svckit import loop
from svckit.pki import PkiPaths, init_pki

_PREFIX = "AGENT_RUNTIME_"
_STOP_GRACE = 4.0  # SIGTERM, then SIGKILL: the whole stop fits in 5 seconds


@dataclass(frozen=True)
class UpOptions:
    free_ports: bool = False
    startup_timeout: float = 60.0


def child_specs(
    env: Mapping[str, str],
    ports: StackPorts,
    data_dir: Path,
    pki_dirs: Mapping[str, Path],
    host: str,
) -> list[ChildSpec]:
    """One spec per service: its own ports, every peer's address, the shared data folder, its
    own PKI folder (`pki_dirs`, see runtime_cli.service_pki) and, of `env`, only what its
    settings class reads (runtime_cli.child_env)."""
    shared = {
        **env,
        # qmd indexes the workspaces the orchestrator writes task artifacts into: one folder
        # for both, named once here (each service's own default is <data dir>/workspaces).
        _PREFIX + "WORKSPACE_ROOT": env.get(_PREFIX + "WORKSPACE_ROOT")
        or str(data_dir / "workspaces"),
        _PREFIX + "DATA_DIR": str(data_dir),
        _PREFIX + "REST_PORT": str(ports.rest),
        # A person watches this terminal: the services' own polling (scheduler ticks, lease
        # renewals, heartbeats) would fill it with successful RPC lines; failures still show.
        _PREFIX + "RPC_LOG": env.get(_PREFIX + "RPC_LOG") or "errors",
        "PYTHONUNBUFFERED": "1",
    }
    shared |= {f"{_PREFIX}{n.upper()}_ADDR": f"{host}:{p.grpc}" for n, p in ports.services.items()}
    specs = []
    for name in SERVICES:
        p = ports.services[name]
        # Per-service port overrides (AGENT_RUNTIME_<SVC>_GRPC_PORT …) are the supervisor's
        # business: no settings class reads them, so a child only sees its own ports.
        own = {
            _PREFIX + "PKI_DIR": str(pki_dirs[name]),
            _PREFIX + "GRPC_PORT": str(p.grpc),
            _PREFIX + "HEALTH_PORT": str(p.health),
            _PREFIX + "METRICS_PORT": str(p.metrics),
        }
        specs.append(
            ChildSpec(
                name=name,
                argv=[sys.executable, "-m", f"{name}_svc"],
                env=child_environment(shared | own, name),
                health_addr=f"{host}:{p.health}",
            )
        )
    return specs


def busy_ports(ports: StackPorts, bind_host: str) -> list[str]:
    """Listeners whose port is already taken (most often: another stack is running)."""
    taken = []
    wanted = [
        (f"{n} {k}", getattr(p, k))
        for n, p in ports.services.items()
        for k in ("grpc", "health", "metrics")
    ]
    wanted.append(("rest", ports.rest))
    for label, port in wanted:
        with socket.socket() as sock:
            try:
                sock.bind((bind_host, port))
            except OSError:
                taken.append(f"{label} port {port}")
    return taken


@dataclass(frozen=True)
class Plan:
    """Everything decided before the first process starts."""

    data_dir: Path
    pki: PkiPaths
    ports: StackPorts
    host: str
    specs: list[ChildSpec]


class PlanError(Exception):
    """A setting or environment problem found before anything started."""


def plan(options: UpOptions, env: Mapping[str, str]) -> Plan:
    """Resolve folders and ports, check the ports are free, create the PKI if missing."""
    data_dir = Path(env.get(_PREFIX + "DATA_DIR") or "data").resolve()
    pki_dir = Path(env.get(_PREFIX + "PKI_DIR") or data_dir / "pki").resolve()
    bind_host = env.get(_PREFIX + "BIND_HOST") or "127.0.0.1"
    host = endpoints.connect_host(bind_host)
    try:
        ports = free_ports(host) if options.free_ports else ports_from_env(env)
    except PortError as exc:
        raise PlanError(str(exc)) from None
    if taken := busy_ports(ports, bind_host):
        raise PlanError(
            "already in use: " + ", ".join(taken) + ".\nIs another stack running? Stop it, or "
            "move ports with AGENT_RUNTIME_<SVC>_GRPC_PORT, _HEALTH_PORT, _METRICS_PORT and "
            "AGENT_RUNTIME_REST_PORT."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    if not PkiPaths(pki_dir).exists():
        print(f"Generating the dev PKI in {pki_dir}", flush=True)
    pki = init_pki(pki_dir)
    own_pki = data_dir / service_pki.FOLDER
    pki_dirs = {name: service_pki.prepare(pki, own_pki, name).root for name in SERVICES}
    specs = child_specs(env, ports, data_dir, pki_dirs, host)
    return Plan(data_dir=data_dir, pki=pki, ports=ports, host=host, specs=specs)


def run(options: UpOptions, env: Mapping[str, str] | None = None) -> int:
    """Blocking entry point; returns the process exit code."""
    try:
        p = plan(options, os.environ if env is None else env)
    except PlanError as exc:
        print(f"agent-runtime up: {exc}", file=sys.stderr)
        return 2
    sup = Supervisor(
        p.specs, out=sys.stdout, sink=sys.stderr, startup_timeout=options.startup_timeout
    )
    return loop.run(_up(p, sup))


async def _up(p: Plan, sup: Supervisor) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sup.say(f"Starting agent-runtime (data in {p.data_dir})")
    try:
        return await _run_until(stop, sup, p)
    finally:
        sup.say("Stopping…")
        await sup.stop(_STOP_GRACE)
        endpoints.remove(p.data_dir)
        sup.say("Stopped.")


async def _run_until(stop: asyncio.Event, sup: Supervisor, p: Plan) -> int:
    """Start, announce, supervise; return when `stop` is set (0) or start-up failed (1)."""
    stopped = asyncio.create_task(stop.wait())
    starting = asyncio.create_task(sup.start())
    try:
        await asyncio.wait([stopped, starting], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            return 0
        try:
            starting.result()
        except StartupError as exc:
            sup.say(f"agent-runtime up: {exc}")
            return 1
        doc = endpoints.build(p.ports, p.pki, p.host)
        path = endpoints.write(p.data_dir, doc)
        sup.say(endpoints.banner(doc, path, endpoints.grpcurl_command()))
        supervising = asyncio.create_task(sup.wait())
        await asyncio.wait([stopped, supervising], return_when=asyncio.FIRST_COMPLETED)
        supervising.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervising
        return 0
    finally:
        for task in (stopped, starting):
            task.cancel()
        await asyncio.gather(stopped, starting, return_exceptions=True)
