"""store_svc over real mTLS gRPC (in-process server on port 0): the error table, the queue,
the journal and the REST-exposed reads as a caller sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from store_svc.config import StoreSettings
from store_svc.db import open_database
from store_svc.migrate import upgrade
from store_svc.server import build_service
from svckit import errors, testing


@pytest.fixture
async def channel(tmp_path: Path) -> AsyncIterator[grpc.aio.Channel]:
    pki = testing.make_pki(tmp_path / "pki")
    settings = StoreSettings(
        data_dir=tmp_path,
        pki_dir=pki.root,
        grpc_port=0,
        health_port=0,
        metrics_port=0,
        task_retry_base_ms=1,
        task_retry_cap_ms=5,
    )
    upgrade(settings.database_url)
    service = build_service(settings, open_database(settings.database_url))
    async with testing.serving(service) as ports:
        chan = testing.client_channel(pki, ports.grpc, identity="svc:orchestrator")
        async with chan:
            yield chan


def _task(**kw: object) -> trpc.CreateTaskRequest:
    base = {"workspace_id": "ws", "context_id": "ctx", "title": "t", "prompt": "p"}
    return trpc.CreateTaskRequest(**{**base, **kw})  # type: ignore[arg-type]


async def test_task_lifecycle_and_error_table(channel: grpc.aio.Channel) -> None:
    tasks = TaskServiceStub(channel)
    created = (await tasks.CreateTask(_task(run_key="objective:o:1"))).task
    with pytest.raises(grpc.aio.AioRpcError) as dup:
        await tasks.CreateTask(_task(run_key="objective:o:1"))
    err = errors.from_rpc_error(dup.value)
    assert err.code == "ALREADY_EXISTS" and err.details["existing_id"] == created.id

    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await tasks.CreateTask(_task(prompt=" "))
    assert errors.from_rpc_error(bad.value).details["field"] == "prompt"

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await tasks.GetTask(trpc.GetTaskRequest(id="nope"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND

    (leased,) = (await tasks.ClaimTasks(trpc.ClaimTasksRequest(worker_id="w1", max_tasks=5))).tasks
    assert leased.id == created.id and leased.status == "running"
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await tasks.CompleteTask(trpc.CompleteTaskRequest(id=leased.id, lease_token=999))
    assert stale.value.code() == grpc.StatusCode.ABORTED
    done = await tasks.CompleteTask(
        trpc.CompleteTaskRequest(id=leased.id, lease_token=leased.lease_token, result_summary="ok")
    )
    assert done.task.status == "succeeded"
    fetched = await tasks.GetTask(trpc.GetTaskRequest(id=created.id))
    assert fetched.task.result_summary == "ok" and fetched.task.attempts == 1


async def test_duplicate_inbound_returns_first_outcome(channel: grpc.aio.Channel) -> None:
    journal = JournalServiceStub(channel)
    msg = jrpc.RecordInboundRequest(
        connector="Telegram", chat_id="42", platform_message_id="m1", text="hi"
    )
    first = await journal.RecordInbound(msg)
    assert not first.duplicate
    await journal.CompleteInbound(
        jrpc.CompleteInboundRequest(id=first.entry.id, status="handled", outcome="hello!")
    )
    again = await journal.RecordInbound(msg)
    assert again.duplicate and again.entry.outcome == "hello!"
    late = await journal.CompleteInbound(
        jrpc.CompleteInboundRequest(id=first.entry.id, status="handled", outcome="second")
    )
    assert late.entry.outcome == "hello!"


async def test_context_per_chat_with_slug_rules(channel: grpc.aio.Channel) -> None:
    ws = WorkspaceServiceStub(channel)
    a = await ws.EnsureContext(
        wrpc.EnsureContextRequest(connector="Telegram", external_id="-100123")
    )
    b = await ws.EnsureContext(
        wrpc.EnsureContextRequest(connector="telegram", external_id="100123")
    )
    assert a.created and b.created and a.context.id != b.context.id
    assert a.context.workspace_id == b.context.workspace_id  # same slug, as the original
    got = await ws.GetWorkspace(wrpc.GetWorkspaceRequest(id=a.context.workspace_id))
    assert got.workspace.slug == "community-telegram-100123"
    assert got.workspace.name == "Telegram: telegram -100123"
    listed = await ws.ListContexts(wrpc.ListContextsRequest(workspace_id=got.workspace.id))
    assert listed.count == 2
    again = await ws.EnsureContext(
        wrpc.EnsureContextRequest(connector="telegram", external_id="-100123")
    )
    assert not again.created and again.context.id == a.context.id
