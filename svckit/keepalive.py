"""gRPC keepalive: HTTP/2 pings that notice a peer gone silent (host dead, network partition,
a NAT or conntrack entry dropped: no FIN, no RST). Without them a call in flight waits for its
deadline and a stream without one (task watches, long polls) waits forever.

Clients ping after `time` seconds without traffic, whether calls are open or not (and on a
quiet stream for as long as it lasts: grpc core otherwise stops after two pings without data),
and drop the connection when no ack comes within `timeout`; the calls on it fail with
UNAVAILABLE. Servers ping their clients too, so the streams of a client that vanished end. A
server accepts a client's pings `min_ping_interval` seconds apart, or half its own `time` if
that is shorter, with or without calls open: clients with the same settings never get GOAWAY
ENHANCE_YOUR_CALM "too_many_pings" (grpc's default: one ping per 5 minutes while no data is
sent, one per 2 hours without calls; two strikes and the connection is closed). See grpc's
doc/keepalive.md and chttp2's ping_abuse_policy.cc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Options = list[tuple[str, Any]]


@dataclass(frozen=True)
class Keepalive:
    """Ping after `time` seconds idle, give up after `timeout` seconds without an ack; a
    server accepts a client's pings `min_ping_interval` seconds apart."""

    time: float = 30.0
    timeout: float = 10.0
    min_ping_interval: float = 5.0

    def _common(self) -> Options:
        return [
            ("grpc.keepalive_time_ms", _ms(self.time)),
            ("grpc.keepalive_timeout_ms", _ms(self.timeout)),
            # grpc 1.85 times a keepalive ping out after the ping timeout (default 1 minute),
            # not after keepalive_timeout_ms: set both.
            ("grpc.http2.ping_timeout_ms", _ms(self.timeout)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ]

    def client_options(self) -> Options:
        """Channel options for a client channel."""
        return self._common()

    def server_options(self) -> Options:
        """Options for a grpc server: its own pings, and the client pings it accepts."""
        accept = min(self.min_ping_interval, self.time / 2)
        return [
            *self._common(),
            # GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS (the name lacks "recv")
            ("grpc.http2.min_ping_interval_without_data_ms", _ms(accept)),
        ]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
