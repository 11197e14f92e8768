"""A trivial Echo servicer served by svckit (the same stack as store_svc): the bench ceiling.

Run by bench.store_tasks as ``python -m bench._store_echo_server``; ports from the usual
AGENT_RUNTIME_* variables. Does nothing when imported."""

from __future__ import annotations

from agent_runtime.echo.v1 import echo_pb2_grpc
from bench._common import Echo
from svckit.authz import AllowList
from svckit.config import ServiceSettings, load_settings
from svckit.serve import Service, ServiceDef, run


def main() -> None:
    settings = load_settings(ServiceSettings)
    defs = [
        ServiceDef(
            echo_pb2_grpc.add_EchoServiceServicer_to_server,
            Echo(),
            "agent_runtime.echo.v1.EchoService",
        )
    ]
    run("store", settings, Service("store", settings, defs, AllowList({"*": ["svc:*"]})))


if __name__ == "__main__":
    main()
