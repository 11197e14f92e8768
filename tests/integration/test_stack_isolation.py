"""Least privilege in the running stack (`agent-runtime up`): each service process has only
the settings it reads and a PKI folder without the CA's key, and the stack still serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime_cli.ports import SERVICES
from svckit.pki import PkiPaths
from svckit.testing import poll
from tests.integration.conftest import STACK_ADMIN_TOKEN, Stack
from tests.integration.test_stack import service_pid


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


@pytest.fixture
def environs(stack: Stack) -> dict[str, dict[str, str]]:
    """The environment of each running service process."""
    return {
        name: _environ(poll(lambda n=name: service_pid(stack, n), f"the {name} process", 30))
        for name in SERVICES
    }


def test_only_the_gateway_process_has_the_admin_token(environs: dict[str, dict[str, str]]) -> None:
    holders = {n for n, env in environs.items() if "AGENT_RUNTIME_ADMIN_TOKEN" in env}
    assert holders == {"gateway"}
    assert environs["gateway"]["AGENT_RUNTIME_ADMIN_TOKEN"] == STACK_ADMIN_TOKEN


def test_no_service_process_is_pointed_at_the_ca_key(
    stack: Stack, environs: dict[str, dict[str, str]]
) -> None:
    ca_key = stack.pki.ca_key.resolve()
    assert ca_key.is_file()  # the stack's CA is there, for `agent-runtime pki` …
    for name, env in environs.items():
        own = PkiPaths(Path(env["AGENT_RUNTIME_PKI_DIR"]))
        assert own.root != stack.pki.root, name
        assert not own.ca_key.exists(), name  # … but not in any service's PKI folder
        assert all(f.resolve() != ca_key for f in own.root.rglob("*")), name
        assert own.service(name).key.is_file(), name
        others = {f"{o}.key" for o in SERVICES if o != name}
        assert not others & {f.name for f in (own.root / "services").iterdir()}, name
