"""Who is calling the REST API: an admin client certificate or the admin bearer token."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from gateway_svc.rest.errors import RestError

# Set per connection by the TLS protocol (server.py) in the ASGI scope's "state".
PEER_IDENTITY = "tls_peer_identity"
TOKEN_IDENTITY = "admin:token"


class Authenticator:
    """Admin certificate identities pass; so does `Authorization: Bearer <token>` when a token
    is configured (compared in constant time). Everything else is 401."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token else None

    def identify(self, scope: Mapping[str, Any], authorization: bytes | None) -> str:
        """The caller's identity ("admin:<name>" or "admin:token"), or RestError 401."""
        state = scope.get("state") or {}
        peer = state.get(PEER_IDENTITY)
        if isinstance(peer, str) and peer.startswith("admin:"):
            return peer
        if authorization is not None and self._token is not None:
            scheme, _, presented = authorization.partition(b" ")
            if scheme.lower() == b"bearer" and hmac.compare_digest(presented.strip(), self._token):
                return TOKEN_IDENTITY
        raise RestError(
            "UNAUTHENTICATED",
            "an admin client certificate or the admin bearer token is required",
            headers=[(b"www-authenticate", b'Bearer realm="agent-runtime"')],
        )
