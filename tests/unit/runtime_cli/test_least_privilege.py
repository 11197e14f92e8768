"""`agent-runtime up` gives each service only what it needs: the settings its settings class
reads (the admin token to the gateway alone, the database URL to the store alone) and a PKI
folder with its own certificate and key and the CA certificate, never the CA's key."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from runtime_cli.child_env import SETTINGS, child_environment, setting_variables
from runtime_cli.ports import SERVICES
from runtime_cli.process import ChildSpec
from runtime_cli.up import Plan, UpOptions, plan
from svckit.pki import PkiPaths

TOKEN = "admin-token-0123456789"
DB_URL = "postgresql://app:pw-0123@db:5432/runtime"


def _plan(tmp_path: Path, **extra: str) -> Plan:
    env = {
        "PATH": "/usr/bin:/bin",
        "AGENT_RUNTIME_DATA_DIR": str(tmp_path / "data"),
        "AGENT_RUNTIME_ADMIN_TOKEN": TOKEN,
        "AGENT_RUNTIME_DB_URL": DB_URL,
        "AGENT_RUNTIME_QMD_WATCH": "false",
        "AGENT_RUNTIME_LOG_LEVEL": "WARNING",
        "OPENAI_API_KEY": "sk-not-for-services",
        **extra,
    }
    return plan(UpOptions(free_ports=True), env)


def _specs(p: Plan) -> dict[str, ChildSpec]:
    return {spec.name: spec for spec in p.specs}


def test_only_the_gateway_sees_the_admin_token_and_only_the_store_the_database(
    tmp_path: Path,
) -> None:
    specs = _specs(_plan(tmp_path))
    assert set(specs) == set(SERVICES)
    with_token = {n for n, s in specs.items() if "AGENT_RUNTIME_ADMIN_TOKEN" in s.env}
    assert with_token == {"gateway"} and specs["gateway"].env["AGENT_RUNTIME_ADMIN_TOKEN"] == TOKEN
    assert {n for n, s in specs.items() if "AGENT_RUNTIME_DB_URL" in s.env} == {"store"}
    assert {n for n, s in specs.items() if "AGENT_RUNTIME_QMD_WATCH" in s.env} == {"qmd"}
    assert {n for n, s in specs.items() if "AGENT_RUNTIME_REST_PORT" in s.env} == {"gateway"}
    for name, spec in specs.items():
        assert spec.env["AGENT_RUNTIME_LOG_LEVEL"] == "WARNING", name  # shared settings stay
        assert spec.env["PATH"] == "/usr/bin:/bin", name
        assert "OPENAI_API_KEY" not in spec.env, name  # a secret read from no settings
        store_port = specs["store"].env["AGENT_RUNTIME_GRPC_PORT"]
        assert spec.env["AGENT_RUNTIME_STORE_ADDR"].endswith(f":{store_port}"), name


def test_a_port_override_of_one_service_reaches_no_child_as_such(tmp_path: Path) -> None:
    specs = _specs(_plan(tmp_path, AGENT_RUNTIME_QMD_METRICS_PORT="0"))
    assert all("AGENT_RUNTIME_QMD_METRICS_PORT" not in s.env for s in specs.values())


def test_each_service_gets_its_own_pki_folder_without_the_ca_key(tmp_path: Path) -> None:
    p = _plan(tmp_path)
    ca_key = p.pki.ca_key.resolve()
    folders = set()
    for name, spec in _specs(p).items():
        own = PkiPaths(Path(spec.env["AGENT_RUNTIME_PKI_DIR"]))
        folders.add(own.root)
        assert own.root != p.pki.root and not own.ca_key.exists(), name
        reachable = {f.relative_to(own.root).as_posix() for f in own.root.rglob("*")}
        expected = {"ca.crt", "services", f"services/{name}.crt", f"services/{name}.key"}
        if name == "gateway":
            expected |= {"rest.crt", "rest.key"}
        assert reachable == expected, name
        assert all(f.resolve() != ca_key for f in own.root.rglob("*")), name
        assert own.ca_cert.read_bytes() == p.pki.ca_cert.read_bytes()
        assert own.service(name).key.read_bytes() == p.pki.service(name).key.read_bytes()
        # what it has is enough to serve mTLS with the stack's CA
        ctx = ssl.create_default_context(cafile=str(own.ca_cert))
        ctx.load_cert_chain(str(own.service(name).cert), str(own.service(name).key))
    assert len(folders) == len(SERVICES)


def test_a_restart_puts_a_service_pki_folder_back_in_shape(tmp_path: Path) -> None:
    first = _specs(_plan(tmp_path))
    own = Path(first["qmd"].env["AGENT_RUNTIME_PKI_DIR"])
    stray = own / "ca.key"
    stray.write_text("a copy someone put here")
    (own / "services" / "store.key").write_text("not qmd's")
    again = _specs(_plan(tmp_path))
    assert Path(again["qmd"].env["AGENT_RUNTIME_PKI_DIR"]) == own
    assert not stray.exists() and not (own / "services" / "store.key").exists()
    assert (own / "services" / "qmd.key").is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_gets_every_setting_it_declares_and_no_other_services(name: str) -> None:
    everyone = set().union(*(setting_variables(cls) for cls in SETTINGS.values()))
    env = dict.fromkeys(everyone, "x")
    assert set(child_environment(env, name)) == setting_variables(SETTINGS[name])


def test_up_logs_only_failed_rpcs_unless_told_otherwise(tmp_path: Path) -> None:
    quiet = _specs(_plan(tmp_path))
    assert {s.env["AGENT_RUNTIME_RPC_LOG"] for s in quiet.values()} == {"errors"}
    loud = _specs(_plan(tmp_path, AGENT_RUNTIME_RPC_LOG="all"))
    assert {s.env["AGENT_RUNTIME_RPC_LOG"] for s in loud.values()} == {"all"}
