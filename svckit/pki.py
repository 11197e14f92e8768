"""The development PKI: one CA, one certificate per service, a REST server certificate and
admin client certificates. `init_pki` is idempotent: a file that is present and valid is never
rewritten; `reissue_service` renews one certificate on purpose.

Layout under the PKI root::

    ca.crt ca.key
    services/<name>.crt|.key     URI SAN spiffe://agent-runtime/svc/<name>
    rest.crt rest.key            the REST listener's server certificate
    admins/<name>.crt|.key       URI SAN spiffe://agent-runtime/admin/<name>
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_NAMES = ("store", "orchestrator", "gateway", "scheduler", "qmd", "connectors")
SPIFFE_SVC = "spiffe://agent-runtime/svc/"
SPIFFE_ADMIN = "spiffe://agent-runtime/admin/"
K8S_NAMESPACE = "agent-runtime"
_VALID_DAYS = 825
_CA_DAYS = 3650


@dataclass(frozen=True)
class CertPair:
    """Paths of one certificate and its private key."""

    cert: Path
    key: Path

    def read(self) -> tuple[bytes, bytes]:
        return self.cert.read_bytes(), self.key.read_bytes()


@dataclass(frozen=True)
class PkiPaths:
    """Where each file of the PKI lives."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca.key"

    def service(self, name: str) -> CertPair:
        return CertPair(
            self.root / "services" / f"{name}.crt", self.root / "services" / f"{name}.key"
        )

    def admin(self, name: str) -> CertPair:
        return CertPair(self.root / "admins" / f"{name}.crt", self.root / "admins" / f"{name}.key")

    @property
    def rest(self) -> CertPair:
        return CertPair(self.root / "rest.crt", self.root / "rest.key")

    def exists(self) -> bool:
        return self.ca_cert.is_file() and self.ca_key.is_file()


def _write(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, mode)
    tmp.replace(path)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _load_ca(paths: PkiPaths) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.not_valid_after_utc <= _now():
        return None
    return cert, key


def _ensure_ca(paths: PkiPaths) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    loaded = _load_ca(paths)
    if loaded:
        return loaded
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agent-runtime dev CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(paths.ca_key, _key_pem(key), 0o600)
    _write(paths.ca_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key


def _valid_leaf(pair: CertPair, ca: x509.Certificate) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
        serialization.load_pem_private_key(pair.key.read_bytes(), None)
        cert.verify_directly_issued_by(ca)
    except (OSError, ValueError, TypeError, InvalidSignature):
        return False
    return cert.not_valid_after_utc > _now() + dt.timedelta(days=1)


def _issue(
    pair: CertPair,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    common_name: str,
    sans: list[x509.GeneralName],
    usages: list[x509.ObjectIdentifier],
    *,
    renew: bool = False,
) -> bool:
    """Write a leaf certificate unless a valid one is already there (or `renew`). True if
    written."""
    ca_cert, ca_key = ca
    if not renew and _valid_leaf(pair, ca_cert):
        return False
    key = _new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(pair.key, _key_pem(key), 0o600)
    _write(pair.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return True


def _server_names(name: str) -> list[x509.GeneralName]:
    dns = ["localhost", name, f"agent-runtime-{name}"]
    dns += [
        f"agent-runtime-{name}.{K8S_NAMESPACE}.svc",
        f"agent-runtime-{name}.{K8S_NAMESPACE}.svc.cluster.local",
    ]
    out: list[x509.GeneralName] = [x509.DNSName(d) for d in dict.fromkeys(dns)]
    out += [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    return out


_BOTH = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


def _issue_service(
    paths: PkiPaths,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    name: str,
    *,
    renew: bool = False,
) -> CertPair:
    """Service `name`'s certificate, or the REST listener's for `name` "rest"."""
    if name == "rest":
        sans = [x509.UniformResourceIdentifier(SPIFFE_SVC + "rest"), *_server_names("gateway")]
        usages = [ExtendedKeyUsageOID.SERVER_AUTH]
        pair = paths.rest
    else:
        sans = [x509.UniformResourceIdentifier(SPIFFE_SVC + name), *_server_names(name)]
        usages, pair = _BOTH, paths.service(name)
    _issue(pair, ca, f"agent-runtime {name}", sans, usages, renew=renew)
    return pair


def init_pki(root: Path, *, admin: str = "admin") -> PkiPaths:
    """Create whatever is missing or invalid: the CA, every service, REST and one admin."""
    paths = PkiPaths(root)
    ca = _ensure_ca(paths)
    for name in (*SERVICE_NAMES, "rest"):
        _issue_service(paths, ca, name)
    issue_admin(root, admin)
    return paths


def reissue_service(root: Path, name: str) -> CertPair:
    """Renew service `name`'s certificate (or the REST listener's, `name` "rest") now: a new
    key and certificate from the CA, whether or not the current one is still valid. Running
    services pick it up without a restart, as they do cert-manager's renewals."""
    if name not in (*SERVICE_NAMES, "rest"):
        raise ValueError(f"unknown service {name!r}: one of {', '.join(SERVICE_NAMES)} or rest")
    paths = PkiPaths(root)
    ca = _load_ca(paths)
    if ca is None:
        raise ValueError(f"no usable CA (ca.crt and ca.key) under {root}")
    return _issue_service(paths, ca, name, renew=True)


def issue_admin(root: Path, name: str) -> CertPair:
    """Issue (once) an admin client certificate ``spiffe://agent-runtime/admin/<name>``."""
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        raise ValueError(f"invalid admin name {name!r}: use letters, digits, '-', '_' or '.'")
    paths = PkiPaths(root)
    ca = _ensure_ca(paths)
    pair = paths.admin(name)
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(SPIFFE_ADMIN + name)]
    _issue(pair, ca, f"agent-runtime admin {name}", sans, [ExtendedKeyUsageOID.CLIENT_AUTH])
    return pair
