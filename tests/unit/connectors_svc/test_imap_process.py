"""connectors_svc as its own process against a real Dovecot: killed (SIGKILL) after the store
holds an e-mail's ingestion while its `\\Seen` STORE is still on the way to the server (a
proxy in front of Dovecot holds that command), then started again: the e-mail stays one
task and one markdown file, and ends seen."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent_runtime.store.v1 import task_pb2
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.dovecot import Dovecot
from tests.imap_proxy import HoldingProxy
from tests.unit.connectors_svc.mail import append, email, flags


def _tasks(pki: PkiPaths, port: int) -> list[task_pb2.Task]:
    async def run() -> list[task_pb2.Task]:
        async with testing.client_channel(pki, port, "admin:admin") as channel:
            reply = await TaskServiceStub(channel).ListTasks(
                trpc.ListTasksRequest(limit=100), timeout=10
            )
            return list(reply.items)

    return asyncio.run(run())


def _files(root: Path) -> list[Path]:
    return sorted(root.glob("*/inbox/imap/INBOX/*.md"))


@contextmanager
def _connectors(
    pki: PkiPaths, data: Path, store: int, box: Dovecot, imap_port: int, root: Path
) -> Iterator[testing.ServiceProcess]:
    env = {
        "AGENT_RUNTIME_STORE_ADDR": f"127.0.0.1:{store}",
        "AGENT_RUNTIME_GATEWAY_ADDR": f"127.0.0.1:{testing.free_port()}",
        "AGENT_RUNTIME_IMAP_HOST": "127.0.0.1",
        "AGENT_RUNTIME_IMAP_PORT": str(imap_port),
        "AGENT_RUNTIME_IMAP_USERNAME": box.username,
        "AGENT_RUNTIME_IMAP_PASSWORD": box.password,
        "AGENT_RUNTIME_IMAP_TLS_SKIP_VERIFY": "true",
        "AGENT_RUNTIME_IMAP_POLL_SECONDS": "5",
        "AGENT_RUNTIME_WORKSPACE_ROOT": str(root),
        # the killed process's lease runs out soon, so the next one takes over quickly
        "AGENT_RUNTIME_CONNECTOR_LEASE_TTL_SECONDS": "2",
    }
    with testing.service_process("connectors_svc", pki, data, env) as proc:
        yield proc


def test_killed_while_seen_is_pending_makes_one_task_and_one_file(
    pki: PkiPaths, tmp_path: Path, server: Dovecot
) -> None:
    root = tmp_path / "workspaces"
    asyncio.run(append(server, email("Crash", "Once only.", "<killed@example.test>")))
    proxy = HoldingProxy(
        (server.host, server.port), server.folder / "cert.pem", server.folder / "key.pem"
    )
    with (
        testing.service_process("store_svc", pki, tmp_path / "store") as store,
        proxy.running(),
    ):
        with _connectors(pki, tmp_path / "a", store.grpc, server, proxy.port, root) as first:
            testing.poll(proxy.store_pending.is_set, "the \\Seen STORE held", deadline=60)
            # the store holds it (the task, the ingestion) and its file is written
            assert len(_tasks(pki, store.grpc)) == 1
            assert len(_files(root)) == 1
            first.proc.kill()
            first.proc.wait(10)
        assert asyncio.run(flags(server)) == {1: ()}  # the STORE never reached Dovecot
        with _connectors(pki, tmp_path / "b", store.grpc, server, server.port, root):
            testing.poll(
                lambda: asyncio.run(flags(server)) == {1: (b"\\Seen",)},
                "the message marked seen after the restart",
                deadline=60,
            )
            tasks = _tasks(pki, store.grpc)
    assert len(tasks) == 1 and tasks[0].title == "Review email: Crash"
    assert [p.name for p in _files(root)] == ["1-Crash.md"]
