"""Certificate files that change while we run: cert-manager renews them and kubelet swaps the
Secret volume's files atomically (a symlink flip). `CertWatch.check()` notices a change with
one stat per file and hands out the new set only once it validates; a half-written or
mismatched set is ignored (the current one stays in use) and read again at the next check."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from svckit.pki import CertPair

log = logging.getLogger("svckit.certfiles")
# (st_mtime_ns, st_size, st_ino) of each file; () when one is missing.
Stamp = tuple[tuple[int, int, int], ...]
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class CertSet:
    """PEM bytes of the trusted CA(s) and, for a party that presents one, its certificate
    chain and private key."""

    ca: bytes
    cert: bytes | None = None
    key: bytes | None = None


def problem(certs: CertSet) -> str | None:
    """Why `certs` must not be used, or None: every PEM parses, the key belongs to the first
    certificate, and the chain's last certificate is signed by one of the CAs."""
    try:
        cas = x509.load_pem_x509_certificates(certs.ca)
    except ValueError:
        return "the CA file does not parse"
    if certs.cert is None or certs.key is None:
        return None
    try:
        chain = x509.load_pem_x509_certificates(certs.cert)
    except ValueError:
        return "the certificate does not parse"
    try:
        key = serialization.load_pem_private_key(certs.key, None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "the private key does not parse"
    if key.public_key().public_bytes(*_SPKI) != chain[0].public_key().public_bytes(*_SPKI):
        return "the private key does not match the certificate"
    top = chain[-1]
    for ca in cas:
        if ca.subject == top.issuer:
            try:
                top.verify_directly_issued_by(ca)
                return None
            except (ValueError, TypeError, InvalidSignature):
                continue
    return f"the certificate is not signed by the CA (issuer {top.issuer.rfc4514_string()})"


class CertWatch:
    """One set of files: the CA and, optionally, a certificate and its key. `current` is the
    set in use; `check()` returns a new, valid set when the files changed, else None."""

    def __init__(self, ca: Path, pair: CertPair | None = None) -> None:
        self._paths = (ca,) if pair is None else (ca, pair.cert, pair.key)
        self._stamp: Stamp | None = _stamp(self._paths)
        # Start with what is there, as before: there is nothing older to fall back to, and a
        # set that does not validate fails loudly at the first handshake.
        self.current = _read(self._paths)
        if why := problem(self.current):
            log.warning("certificate files do not validate", extra=self._extra(why))
        self._warned: Stamp | None = None

    @property
    def name(self) -> str:
        """The certificate file (the CA file for a watch without one), for log lines."""
        return str(self._paths[1 if len(self._paths) > 1 else 0])

    def check(self) -> CertSet | None:
        """One stat per file; read and validate only when something changed. Never raises."""
        stamp = _stamp(self._paths)
        if stamp == self._stamp:
            return None
        new, why = _load(self._paths, stamp)
        if new is None:
            if why and stamp != self._warned:  # once per change, not once per check
                self._warned = stamp
                log.warning("new certificate files ignored", extra=self._extra(why))
            return None
        self._stamp, self.current = stamp, new
        log.info("certificate files reloaded", extra=self._extra(None))
        return new

    def retry(self) -> None:
        """Forget what was loaded last, so the next `check()` reads the files again (for a
        caller that could not apply the set `check()` returned)."""
        self._stamp = None

    def _extra(self, why: str | None) -> dict[str, str]:
        return {"cert_file": self.name, **({"problem": why} if why else {})}


def _stamp(paths: tuple[Path, ...]) -> Stamp:
    try:
        stats = [os.stat(p) for p in paths]
    except OSError:
        return ()
    return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in stats)


def _read(paths: tuple[Path, ...]) -> CertSet:
    return CertSet(*(p.read_bytes() for p in paths))


def _load(paths: tuple[Path, ...], stamp: Stamp) -> tuple[CertSet | None, str]:
    """The set, if it is complete, stable and valid; else None and why ("" while the files
    are still changing: that is no reason to warn)."""
    if not stamp:
        return None, "a file is missing"
    try:
        certs = _read(paths)
    except OSError as exc:
        return None, f"a file cannot be read: {exc.strerror}"
    if _stamp(paths) != stamp:
        return None, ""
    why = problem(certs)
    return (None, why) if why else (certs, "")
