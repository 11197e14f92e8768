"""Prometheus metrics: RPC counts and latency by method and code, on a per-server registry
(several servers may share one process in tests)."""

from __future__ import annotations

from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

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


def serve_metrics(host: str, port: int, registry: CollectorRegistry) -> WSGIServer:
    """Start `/metrics` on a daemon thread; the returned server knows its real port."""
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
