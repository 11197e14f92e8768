from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from svckit.authz import AllowList, Identity
from svckit.pki import SERVICE_NAMES, init_pki, issue_admin


def test_bad_setting_stops_with_the_variable_named(tmp_path: Path) -> None:
    code = (
        "from svckit.config import ServiceSettings, load_settings; load_settings(ServiceSettings)"
    )
    env = {**os.environ, "AGENT_RUNTIME_GRPC_PORT": "notaport"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "AGENT_RUNTIME_GRPC_PORT" in proc.stderr and "notaport" in proc.stderr


def test_pki_is_complete_idempotent_and_keys_private(tmp_path: Path) -> None:
    pki = init_pki(tmp_path)
    for name in SERVICE_NAMES:
        cert = x509.load_pem_x509_certificate(pki.service(name).cert.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert f"spiffe://agent-runtime/svc/{name}" in san.get_values_for_type(
            x509.UniformResourceIdentifier
        )
        assert "localhost" in san.get_values_for_type(x509.DNSName)
        assert pki.service(name).key.stat().st_mode & 0o777 == 0o600
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    init_pki(tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    # a damaged certificate is replaced, the others are kept
    pki.service("qmd").cert.write_text("garbage")
    init_pki(tmp_path)
    assert pki.service("qmd").cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    assert pki.service("store").cert.read_bytes() == before[pki.service("store").cert]


def test_issue_admin_rejects_bad_names(tmp_path: Path) -> None:
    pair = issue_admin(tmp_path, "alice")
    assert pair.cert.is_file()
    with pytest.raises(ValueError):
        issue_admin(tmp_path, "../evil")


def test_allow_list_patterns() -> None:
    allow = AllowList({"Get": ["svc:*", "admin:bob"], "*": ["admin:*"]})
    assert allow.allows("Get", Identity("svc", "gateway"))
    assert allow.allows("Get", Identity("admin", "bob"))
    assert not allow.allows("Get", Identity("admin", "eve"))
    assert allow.allows("Delete", Identity("admin", "eve"))
    assert not allow.allows("Delete", Identity("svc", "gateway"))
    with pytest.raises(ValueError):
        AllowList({"Get": ["everyone"]})


def test_require_admin_accepts_admins_and_relayed_admins_only() -> None:
    from svckit import callctx, errors

    cases = [
        (callctx.CallContext("r", Identity("admin", "ann")), "admin:ann"),
        (
            callctx.CallContext("r", Identity("svc", "gateway"), acting_admin="admin:bob"),
            "admin:bob",
        ),
        (callctx.CallContext("r", Identity("svc", "gateway")), None),
        (callctx.CallContext("r", Identity("svc", "scheduler")), None),
    ]
    for ctx, expected in cases:
        token = callctx.bind(ctx)
        try:
            if expected is None:
                with pytest.raises(errors.PermissionDenied):
                    callctx.require_admin()
            else:
                assert callctx.require_admin() == expected
        finally:
            callctx.unbind(token)
