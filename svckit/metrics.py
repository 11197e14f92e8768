"""Prometheus metrics: RPC counts and latency by method and code, on a per-server registry
(several servers may share one process in tests)."""

from __future__ import annotations

import socket
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

# How often the metrics thread looks for a stop: `shutdown()` waits up to this long (the
# library's 0.5 s default made every service stop, and so every test's teardown, that slow).
_STOP_POLL_S = 0.05
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RpcMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.handled = Counter(
            "grpc_server_handled",
            "RPCs completed on the server, by method and status code.",
            ["grpc_method", "grpc_code"],
            registry=registry,
        )
        self.latency = Histogram(
            "grpc_server_handling_seconds",
            "Time to handle an RPC, by method.",
            ["grpc_method"],
            buckets=_BUCKETS,
            registry=registry,
        )

        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}

    def observe(self, method: str, code: str, seconds: float) -> None:
        key = (method, code)
        child = self._children.get(key)
        if child is None:
            child = (self.handled.labels(method, code), self.latency.labels(method))
            self._children[key] = child
        child[0].inc()
        child[1].observe(seconds)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged."""


def serve_metrics(host: str, port: int, registry: CollectorRegistry) -> ThreadingWSGIServer:
    """Start `/metrics` (prometheus_client's WSGI app) on a daemon thread; the returned server
    knows its real port, and its `shutdown()` returns within `_STOP_POLL_S`."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]

    class Server(ThreadingWSGIServer):
        address_family = family

    server = make_server(host, port, make_wsgi_app(registry), Server, handler_class=_Quiet)
    threading.Thread(
        target=server.serve_forever, args=(_STOP_POLL_S,), name="metrics", daemon=True
    ).start()
    return server
