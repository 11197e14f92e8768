"""mTLS credentials and the caller's identity from the peer certificate."""

from __future__ import annotations

import functools

import grpc
from cryptography import x509

from svckit.authz import ANONYMOUS, Identity
from svckit.pki import CertPair, PkiPaths


def server_credentials(pki: PkiPaths, pair: CertPair) -> grpc.ServerCredentials:
    """Require a client certificate signed by our CA."""
    cert, key = pair.read()
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=pki.ca_cert.read_bytes(), require_client_auth=True
    )


def channel_credentials(pki: PkiPaths, pair: CertPair | None) -> grpc.ChannelCredentials:
    ca = pki.ca_cert.read_bytes()
    if pair is None:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    cert, key = pair.read()
    return grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=key, certificate_chain=cert
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


def peer_identity(context: grpc.aio.ServicerContext) -> Identity:
    auth = context.auth_context()
    pems = auth.get("x509_pem_cert")
    return identity_from_pem(pems[0]) if pems else ANONYMOUS
