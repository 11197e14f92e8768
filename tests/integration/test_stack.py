"""The whole stack through `agent-runtime up`: reflection, health, mTLS refusals, allow lists,
bad settings, crash restart and a clean stop. Tests that break the stack come last."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2

from runtime_cli.ports import SERVICES
from svckit.testing import make_pki, poll
from tests.integration.conftest import Grpcurl, Stack, issue_client_cert

pytestmark = pytest.mark.slow

HEALTH = "grpc.health.v1.Health"
REFLECTION = "grpc.reflection.v1alpha.ServerReflection"


def own_services(listing: str, name: str) -> list[str]:
    """The service's own gRPC services in a `grpcurl list` output."""
    return [s for s in listing.split() if s.startswith(f"agent_runtime.{name}.v1.")]


def test_endpoints_json_has_the_documented_shape(stack: Stack) -> None:
    doc = stack.endpoints
    assert set(doc) == {"services", "rest", "pki"}
    assert set(doc["services"]) == set(SERVICES)
    for ep in doc["services"].values():
        assert set(ep) == {"grpc", "health", "metrics"}
        assert re.fullmatch(r"127\.0\.0\.1:\d+", ep["grpc"])
        assert re.fullmatch(r"127\.0\.0\.1:\d+", ep["health"])
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/metrics", ep["metrics"])
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", doc["rest"])
    assert set(doc["pki"]) == {"ca", "admin_cert", "admin_key"}
    for path in doc["pki"].values():
        assert Path(path).is_absolute() and Path(path).is_file()


def test_banner_shows_grpcurl_and_curl(stack: Stack) -> None:
    out = stack.output()
    assert f"{stack.grpc('store')} list" in out
    assert f"-cacert {stack.endpoints['pki']['ca']}" in out
    assert "curl " in out


@pytest.mark.parametrize("name", SERVICES)
def test_list_and_describe_over_mtls(stack: Stack, grpcurl: Grpcurl, name: str) -> None:
    listed = grpcurl(stack.grpc(name), "list", ca=stack.pki.ca_cert, cert=stack.admin)
    assert listed.returncode == 0, listed.stderr
    assert HEALTH in listed.stdout.split()
    assert REFLECTION in listed.stdout.split()
    mine = own_services(listed.stdout, name)
    assert mine, f"{name} serves no agent_runtime.{name}.v1 service: {listed.stdout}"

    described = grpcurl(stack.grpc(name), "describe", ca=stack.pki.ca_cert, cert=stack.admin)
    assert described.returncode == 0, described.stderr
    for service in mine:
        assert f"{service} is a service:" in described.stdout
        assert "rpc " in described.stdout


@pytest.fixture(scope="module")
def health_protoset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fds = descriptor_pb2.FileDescriptorSet()
    health_pb2.DESCRIPTOR.CopyToProto(fds.file.add())
    path = tmp_path_factory.mktemp("protoset") / "health.protoset"
    path.write_bytes(fds.SerializeToString())
    return path


@pytest.mark.parametrize("name", SERVICES)
def test_health_is_serving(
    stack: Stack, grpcurl: Grpcurl, health_protoset: Path, name: str
) -> None:
    check = f"{HEALTH}/Check"
    secure = grpcurl(stack.grpc(name), check, ca=stack.pki.ca_cert, cert=stack.admin)
    assert secure.returncode == 0, secure.stderr
    assert json.loads(secure.stdout)["status"] == "SERVING"
    # The plaintext probe port serves Health only (no reflection): give grpcurl the schema.
    probe = grpcurl(stack.health(name), check, protoset=health_protoset)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout)["status"] == "SERVING"


def test_call_without_client_certificate_fails(stack: Stack, grpcurl: Grpcurl) -> None:
    result = grpcurl(stack.grpc("store"), f"{HEALTH}/Check", ca=stack.pki.ca_cert)
    assert result.returncode != 0
    assert "SERVING" not in result.stdout


def test_plaintext_call_to_the_mtls_port_fails(stack: Stack, grpcurl: Grpcurl) -> None:
    result = grpcurl(stack.grpc("store"), f"{HEALTH}/Check")
    assert result.returncode != 0
    assert "SERVING" not in result.stdout


def test_certificate_from_another_ca_fails(stack: Stack, grpcurl: Grpcurl, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other")
    # Trust the stack's CA, so only the client certificate is wrong.
    result = grpcurl(
        stack.grpc("gateway"), f"{HEALTH}/Check", ca=stack.pki.ca_cert, cert=other.admin("admin")
    )
    assert result.returncode != 0
    assert "SERVING" not in result.stdout


@pytest.mark.parametrize("name", SERVICES)
def test_identity_not_on_the_allow_list_is_denied(
    stack: Stack, grpcurl: Grpcurl, tmp_path: Path, name: str
) -> None:
    stranger = issue_client_cert(stack.pki, "spiffe://agent-runtime/svc/stranger", tmp_path)
    ca = stack.pki.ca_cert
    # Health and reflection answer any certificate from the CA, so discovery works...
    listed = grpcurl(stack.grpc(name), "list", ca=ca, cert=stranger)
    assert listed.returncode == 0, listed.stderr
    service = own_services(listed.stdout, name)[0]
    methods = grpcurl(stack.grpc(name), "list", service, ca=ca, cert=stranger)
    assert methods.returncode == 0, methods.stderr
    method = methods.stdout.split()[0]
    # ...but the service's own methods refuse an identity no allow list names.
    called = grpcurl(stack.grpc(name), method, ca=ca, cert=stranger, data="{}")
    assert called.returncode != 0
    assert "PermissionDenied" in called.stderr, called.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_bad_setting_stops_a_service_naming_the_variable(tmp_path: Path, name: str) -> None:
    env = os.environ | {
        "AGENT_RUNTIME_DATA_DIR": str(tmp_path),
        "AGENT_RUNTIME_GRPC_PORT": "notaport",
    }
    result = subprocess.run(
        [sys.executable, "-m", f"{name}_svc"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "AGENT_RUNTIME_GRPC_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_port_override_stops_up_naming_the_variable(tmp_path: Path) -> None:
    env = os.environ | {
        "AGENT_RUNTIME_DATA_DIR": str(tmp_path),
        "AGENT_RUNTIME_QMD_HEALTH_PORT": "notaport",
    }
    result = subprocess.run(
        [sys.executable, "-m", "runtime_cli", "up"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "AGENT_RUNTIME_QMD_HEALTH_PORT" in result.stderr
    assert not (tmp_path / "endpoints.json").exists()


def test_bad_setting_stops_up_cleanly_with_the_services_message(tmp_path: Path) -> None:
    env = os.environ | {
        "AGENT_RUNTIME_DATA_DIR": str(tmp_path),
        "AGENT_RUNTIME_LOG_LEVEL": "loud",
    }
    result = subprocess.run(
        [sys.executable, "-m", "runtime_cli", "up", "--free-ports"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "AGENT_RUNTIME_LOG_LEVEL" in result.stderr  # the service's own words, prefixed
    assert "store exited with code 2 before it was healthy" in result.stdout
    assert "Stopped." in result.stdout
    assert not (tmp_path / "endpoints.json").exists()


# --- /proc helpers: which processes descend from the supervisor -----------------------------


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0], fields[19]


def descendants(root: int) -> dict[int, str]:
    """pid -> start time of every live process below `root`."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))):
            parents.setdefault(st[0], []).append(int(entry.name))
            starts[int(entry.name)] = st[2]
    found: dict[int, str] = {}
    todo = list(parents.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = starts[pid]
        todo += parents.get(pid, [])
    return found


def still_running(procs: dict[int, str]) -> list[int]:
    alive = []
    for pid, start in procs.items():
        st = _stat(pid)
        if st is not None and st[2] == start and st[1] != "Z":
            alive.append(pid)
    return alive


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def service_pid(stack: Stack, name: str) -> int | None:
    for pid in descendants(stack.proc.pid):
        if f"-m {name}_svc" in cmdline(pid):
            return pid
    return None


# --- these two change the shared stack (the fixture restarts it for later tests) ------------


def test_a_crashed_service_is_restarted(stack: Stack, grpcurl: Grpcurl) -> None:
    victim = "connectors"
    pid = poll(lambda: service_pid(stack, victim), f"the {victim} process", deadline=30)
    os.kill(pid, signal.SIGKILL)
    poll(
        lambda: f"{victim} exited with signal SIGKILL" in stack.output(),
        "crash report",
        deadline=30,
    )
    poll(lambda: f"{victim} is SERVING again" in stack.output(), "the restart", deadline=120)
    new_pid = service_pid(stack, victim)
    assert new_pid is not None and new_pid != pid
    check = grpcurl(stack.grpc(victim), f"{HEALTH}/Check", ca=stack.pki.ca_cert, cert=stack.admin)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["status"] == "SERVING"


def test_sigterm_stops_the_whole_stack_without_orphans(stack: Stack) -> None:
    children = descendants(stack.proc.pid)
    assert len(children) >= len(SERVICES)
    stack.proc.send_signal(signal.SIGTERM)
    assert stack.proc.wait(timeout=30) == 0
    assert still_running(children) == []
    assert not (stack.data_dir / "endpoints.json").exists()
    assert "Stopped." in stack.output()
