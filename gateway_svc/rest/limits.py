"""What one REST listener allows its clients (the body limit is the app's: RestApp, 413)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """`max_connections`: open connections (TLS handshakes included) beyond which new ones are
    closed at once. `handshake_timeout`: seconds a connection has to complete its TLS handshake.
    `idle_timeout`: seconds a connection may stay without a complete request head (new, or
    between requests), and a request body may take to arrive. `max_head`: bytes of a request
    head (request line and headers); more is 431."""

    max_connections: int = 1000
    handshake_timeout: float = 10.0
    idle_timeout: float = 15.0
    max_head: int = 64 << 10
