"""mTLS credentials and the caller's identity from the peer certificate."""

from __future__ import annotations

import functools
import time
from typing import Any

import grpc
from cryptography import x509

from svckit.authz import ANONYMOUS, Identity
from svckit.certfiles import CertSet, CertWatch
from svckit.pki import CertPair, PkiPaths


def server_credentials(
    pki: PkiPaths, pair: CertPair, *, recheck: float = 1.0
) -> grpc.ServerCredentials:
    """Require a client certificate signed by our CA. Renewed files are picked up without a
    restart: gRPC asks before every handshake, and at most every `recheck` seconds that costs
    one stat per file."""
    watch = CertWatch(pki.ca_cert, pair)
    return grpc.dynamic_ssl_server_credentials(
        _server_config(watch.current),
        # typeshed wants a configuration back every time; grpc reads None as "no change"
        _ServerFetcher(watch, recheck),  # type: ignore[arg-type]
        require_client_authentication=True,
    )


class _ServerFetcher:
    """gRPC core calls this (from one of its threads) before each TLS handshake: a new
    configuration when the files changed and validate, else None (keep the current one)."""

    def __init__(self, watch: CertWatch, recheck: float) -> None:
        self._watch = watch
        self._recheck = recheck
        self._due = time.monotonic() + recheck

    def __call__(self) -> grpc.ServerCertificateConfiguration | None:
        now = time.monotonic()
        if now < self._due:
            return None
        self._due = now + self._recheck
        new = self._watch.check()
        return None if new is None else _server_config(new)


def _server_config(certs: CertSet) -> grpc.ServerCertificateConfiguration:
    assert certs.cert is not None and certs.key is not None
    return grpc.ssl_server_certificate_configuration(
        [(certs.key, certs.cert)], root_certificates=certs.ca
    )


def channel_credentials(pki: PkiPaths, pair: CertPair | None) -> grpc.ChannelCredentials:
    """Trust our CA and present `pair`, as the files are now (svckit.rotating follows
    renewals)."""
    cert, key = pair.read() if pair is not None else (None, None)
    return credentials_for(CertSet(pki.ca_cert.read_bytes(), cert, key))


def credentials_for(certs: CertSet) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=certs.ca, private_key=certs.key, certificate_chain=certs.cert
    )


@functools.lru_cache(maxsize=256)
def identity_from_pem(pem: bytes) -> Identity:
    """The spiffe identity in a certificate's URI SANs (cached: peers reuse certificates)."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return ANONYMOUS
    for uri in sans.get_values_for_type(x509.UniformResourceIdentifier):
        found = Identity.from_uri(uri)
        if found:
            return found
    return ANONYMOUS


def peer_identity(context: grpc.aio.ServicerContext[Any, Any]) -> Identity:
    pem = next(iter(context.auth_context().get("x509_pem_cert", ())), None)
    return identity_from_pem(pem) if pem else ANONYMOUS
