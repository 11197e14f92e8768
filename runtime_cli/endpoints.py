"""endpoints.json (DESIGN.md §6) and the banner `agent-runtime up` prints once healthy."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runtime_cli.ports import StackPorts
from svckit.pki import CertPair, PkiPaths

ENDPOINTS_FILE = "endpoints.json"
ADMIN_NAME = "admin"


@dataclass(frozen=True)
class StackEndpoints:
    """What a client of a running stack needs from endpoints.json: where each service's gRPC
    and health ports are, and the CA and admin certificate to present (absolute paths)."""

    grpc: dict[str, str]
    health: dict[str, str]
    ca: Path
    admin: CertPair

    @property
    def pki(self) -> PkiPaths:
        return PkiPaths(self.ca.parent)


def path(given: Path | None = None) -> Path:
    """`given`, else endpoints.json in $AGENT_RUNTIME_DATA_DIR (default ./data)."""
    if given is not None:
        return given
    return Path(os.environ.get("AGENT_RUNTIME_DATA_DIR") or "data") / ENDPOINTS_FILE


def read(file: Path) -> StackEndpoints:
    """The endpoints a running stack wrote (OSError if there is none, ValueError or KeyError
    if the file is not one)."""
    doc = json.loads(file.read_text(encoding="utf-8"))
    services, pki = doc["services"], doc["pki"]
    return StackEndpoints(
        grpc={name: str(ep["grpc"]) for name, ep in services.items()},
        health={name: str(ep["health"]) for name, ep in services.items()},
        ca=Path(pki["ca"]),
        admin=CertPair(Path(pki["admin_cert"]), Path(pki["admin_key"])),
    )


def connect_host(bind_host: str) -> str:
    """The address clients dial: a wildcard bind is reached through loopback."""
    return "127.0.0.1" if bind_host in ("", "0.0.0.0", "::") else bind_host


def build(ports: StackPorts, pki: PkiPaths, host: str) -> dict[str, Any]:
    """The document of DESIGN.md §6, with absolute PKI paths."""
    admin = pki.admin(ADMIN_NAME)
    return {
        "services": {
            name: {
                "grpc": f"{host}:{p.grpc}",
                "health": f"{host}:{p.health}",
                "metrics": f"http://{host}:{p.metrics}/metrics",
            }
            for name, p in ports.services.items()
        },
        "rest": f"https://{host}:{ports.rest}",
        "pki": {
            "ca": str(Path(pki.ca_cert).resolve()),
            "admin_cert": str(Path(admin.cert).resolve()),
            "admin_key": str(Path(admin.key).resolve()),
        },
    }


def write(data_dir: Path, doc: dict[str, Any]) -> Path:
    """Write atomically, so a reader polling for the file never sees half of it."""
    path = data_dir / ENDPOINTS_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def remove(data_dir: Path) -> None:
    """A stopped stack leaves no endpoints behind for scripts to find."""
    (data_dir / ENDPOINTS_FILE).unlink(missing_ok=True)


def grpcurl_command() -> str:
    """`grpcurl` if it is on PATH, else the copy `make install` put beside this Python."""
    if shutil.which("grpcurl"):
        return "grpcurl"
    local = Path(sys.executable).parent / "grpcurl"
    return str(local) if local.exists() else "grpcurl"


def banner(doc: dict[str, Any], path: Path, grpcurl: str = "grpcurl") -> str:
    """Endpoints plus copy-paste grpcurl and curl commands."""
    pki = doc["pki"]
    q = shlex.quote
    g = q(grpcurl)
    tls = f"-cacert {q(pki['ca'])} -cert {q(pki['admin_cert'])} -key {q(pki['admin_key'])}"
    curl_tls = f"--cacert {q(pki['ca'])} --cert {q(pki['admin_cert'])} --key {q(pki['admin_key'])}"
    services = doc["services"]
    lines = [
        "agent-runtime is up.",
        "",
        f"  {'service':<13} {'gRPC (mTLS)':<17} {'health':<17} metrics",
    ]
    for name, ep in services.items():
        lines.append(f"  {name:<13} {ep['grpc']:<17} {ep['health']:<17} {ep['metrics']}")
    lines.append(f"  {'REST':<13} {doc['rest']}/api/v1")
    store = services["store"]
    lines += [
        "",
        f"Endpoints written to {path}",
        "",
        "Try it (admin client certificate from the dev PKI):",
        f"  {g} {tls} {store['grpc']} list",
        f"  {g} {tls} {store['grpc']} describe",
        f"  {g} {tls} {services['gateway']['grpc']} grpc.health.v1.Health/Check",
        f"  curl -s {curl_tls} {doc['rest']}/healthz",
        f"  curl -s {store['metrics']}",
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)
