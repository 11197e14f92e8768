"""store_svc over real mTLS gRPC (in-process server on port 0): the error table, the queue,
the journal and the REST-exposed reads as a caller sees them."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.descriptor import ServiceDescriptor

from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import audit_service_pb2 as aurpc
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import objective_service_pb2 as orpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from store_svc.authz import RULES
from svckit import errors, testing
from svckit.pki import PkiPaths
from tests.stores import serving_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[PkiPaths, int]]:
    pki = testing.make_pki(tmp_path / "pki")
    async with serving_store(pki, tmp_path, task_retry_base_ms=1, task_retry_cap_ms=5) as ports:
        yield pki, ports.grpc


@pytest.fixture
async def channel(store: tuple[PkiPaths, int]) -> AsyncIterator[grpc.aio.Channel]:
    async with testing.client_channel(*store, identity="svc:orchestrator") as chan:
        yield chan


@pytest.fixture
async def gateway(store: tuple[PkiPaths, int]) -> AsyncIterator[grpc.aio.Channel]:
    async with testing.client_channel(*store, identity="svc:gateway") as chan:
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


async def test_duplicate_inbound_returns_first_outcome(gateway: grpc.aio.Channel) -> None:
    journal = JournalServiceStub(gateway)
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


async def test_context_per_chat_with_slug_rules(gateway: grpc.aio.Channel) -> None:
    ws = WorkspaceServiceStub(gateway)
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


def _code(exc: pytest.ExceptionInfo[grpc.aio.AioRpcError]) -> grpc.StatusCode:
    return exc.value.code()


async def test_objectives_and_runs_through_the_scheduler_identity(
    store: tuple[PkiPaths, int],
) -> None:
    async with testing.client_channel(*store, identity="svc:scheduler") as chan:
        objectives = ObjectiveServiceStub(chan)
        made = (
            await objectives.CreateObjective(
                orpc.CreateObjectiveRequest(
                    workspace_id="ws",
                    context_id="ctx",
                    title="digest",
                    prompt="summarise",
                    trigger_type="schedule",
                    cron_expr="@every 10m",
                    timezone="Europe/Paris",
                )
            )
        ).objective
        assert made.active and made.HasField("next_run_unix") and len(made.next_runs_unix) == 5
        assert made.health_state == "healthy"
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await objectives.CreateObjective(
                orpc.CreateObjectiveRequest(
                    workspace_id="ws", context_id="c", title="t", prompt="p",
                    trigger_type="schedule", cron_expr="* * *",
                )
            )  # fmt: skip
        assert _code(bad) == grpc.StatusCode.INVALID_ARGUMENT
        assert errors.from_rpc_error(bad.value).details["field"] == "cron_expr"
        queued = await objectives.RecordObjectiveRun(
            orpc.RecordObjectiveRunRequest(objective_id=made.id, outcome="queued", task_id="t1")
        )
        finished = await objectives.FinishObjectiveRun(
            orpc.FinishObjectiveRunRequest(
                run_id=queued.run.id, outcome="failed", error="boom", auto_pause_after_failures=1
            )
        )
        obj = finished.objective
        assert not obj.active and obj.health_state == "auto_paused"
        assert obj.auto_paused_reason == "auto-paused after 1 consecutive failures"
        assert [e.error for e in obj.recent_errors] == ["boom"] and not obj.HasField(
            "next_run_unix"
        )
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await objectives.FinishObjectiveRun(
                orpc.FinishObjectiveRunRequest(run_id=queued.run.id, outcome="succeeded")
            )
        assert _code(twice) == grpc.StatusCode.FAILED_PRECONDITION
        runs = await objectives.ListObjectiveRuns(
            orpc.ListObjectiveRunsRequest(objective_id=made.id)
        )
        assert [r.outcome for r in runs.items] == ["failed"]
    async with testing.client_channel(*store, identity="admin:ops") as chan:
        resumed = await ObjectiveServiceStub(chan).UpdateObjective(
            orpc.UpdateObjectiveRequest(id=made.id, active=True)
        )
        assert resumed.objective.active and resumed.objective.auto_paused_reason == ""
        log = await AuditServiceStub(chan).ListAuditEvents(
            aurpc.ListAuditEventsRequest(subject_id=made.id)
        )
        assert {(e.actor, e.action) for e in log.items} == {
            ("svc:scheduler", "objective.created"),
            ("svc:scheduler", "objective.auto_paused"),
            ("admin:ops", "objective.resumed"),
        }


async def test_approval_decided_once_by_the_gateway(store: tuple[PkiPaths, int]) -> None:
    async with (
        testing.client_channel(*store, identity="svc:orchestrator") as orch,
        testing.client_channel(*store, identity="svc:gateway") as gw,
    ):
        made = (
            await ApprovalServiceStub(orch).CreateApproval(
                arpc.CreateApprovalRequest(
                    workspace_id="ws", context_id="ctx", connector="telegram", external_id="42",
                    requester_user_id="u1", action_type="webhook",
                )
            )
        ).approval  # fmt: skip
        assert made.status == "pending" and made.expires_at_unix > made.created_at_unix
        approvals = ApprovalServiceStub(gw)
        pending = await approvals.ListApprovals(
            arpc.ListApprovalsRequest(status="pending", connector="telegram", external_id="42")
        )
        assert [a.id for a in pending.items] == [made.id]
        decided = await approvals.DecideApproval(
            arpc.DecideApprovalRequest(id=made.id, approve=True, approver_user_id="admin-1")
        )
        assert decided.approval.status == "approved"
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await approvals.DecideApproval(
                arpc.DecideApprovalRequest(id=made.id, approve=False, approver_user_id="admin-2")
            )
        assert _code(again) == grpc.StatusCode.FAILED_PRECONDITION
        done = await ApprovalServiceStub(orch).RecordExecution(
            arpc.RecordExecutionRequest(id=made.id, execution_status="succeeded")
        )
        assert done.approval.execution_status == "succeeded"


@pytest.mark.parametrize(
    ("identity", "call"),
    [
        ("svc:qmd", "list_tasks"),
        ("svc:gateway", "claim"),
        ("svc:scheduler", "decide"),
        ("svc:orchestrator", "decide"),
        ("admin:ops", "claim"),
    ],
)
async def test_callers_outside_the_allow_list_are_denied(
    store: tuple[PkiPaths, int], identity: str, call: str
) -> None:
    async with testing.client_channel(*store, identity=identity) as chan:
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            if call == "list_tasks":
                await TaskServiceStub(chan).ListTasks(trpc.ListTasksRequest())
            elif call == "claim":
                await TaskServiceStub(chan).ClaimTasks(trpc.ClaimTasksRequest(worker_id="w"))
            else:
                await ApprovalServiceStub(chan).DecideApproval(
                    arpc.DecideApprovalRequest(id="act_x", approve=True, approver_user_id="a")
                )
        assert _code(denied) == grpc.StatusCode.PERMISSION_DENIED


def test_every_store_method_has_an_allow_rule() -> None:
    methods = [m.name for s in _store_descriptors() for m in s.methods]
    assert len(methods) > 50
    assert sorted(set(methods) - set(RULES)) == []
    assert sorted(set(RULES) - set(methods)) == []


def _store_descriptors() -> list[ServiceDescriptor]:
    import importlib
    import pkgutil

    import agent_runtime.store.v1 as pkg

    out: list[ServiceDescriptor] = []
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.endswith("_service_pb2"):
            module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
            out.extend(module.DESCRIPTOR.services_by_name.values())
    return out


async def test_task_provenance_and_cancel_reason(channel: grpc.aio.Channel) -> None:
    tasks = TaskServiceStub(channel)
    made = await tasks.CreateTask(
        _task(objective_id="obj_1", objective_run_id="run_1", retry_of_task="t0", kind="objective")
    )
    await tasks.CancelTask(trpc.CancelTaskRequest(id=made.task.id, actor="admin", reason=" dup "))
    got = (await tasks.GetTask(trpc.GetTaskRequest(id=made.task.id))).task
    assert (got.objective_id, got.objective_run_id, got.retry_of_task) == ("obj_1", "run_1", "t0")
    assert got.status == "canceled" and got.cancel_reason == "dup"


async def test_batched_create_claim_and_ack(channel: grpc.aio.Channel) -> None:
    tasks = TaskServiceStub(channel)
    made = await tasks.CreateTasks(
        trpc.CreateTasksRequest(
            tasks=[_task(run_key="r1"), _task(title=""), _task(run_key="r1"), _task()]
        )
    )
    first, bad, dup, last = made.results
    assert not first.code and bad.code == "INVALID_ARGUMENT" and bad.field == "title"
    assert dup.code == "ALREADY_EXISTS" and dup.existing_id == first.task.id
    claimed = await tasks.ClaimTasks(
        trpc.ClaimTasksRequest(worker_id="w", max_tasks=8, wait_ms=5000)
    )
    assert sorted(t.id for t in claimed.tasks) == sorted([first.task.id, last.task.id])
    acks = await tasks.CompleteTasks(
        trpc.CompleteTasksRequest(
            completions=[
                trpc.TaskCompletion(id=t.id, lease_token=t.lease_token + (t.id == last.task.id))
                for t in claimed.tasks
            ]
        )
    )
    by_id = {r.id: r for r in acks.results}
    assert by_id[first.task.id].completed and by_id[last.task.id].code == "ABORTED"
    got = await tasks.GetTask(trpc.GetTaskRequest(id=first.task.id))
    assert got.task.status == "succeeded"


async def test_a_long_poll_answers_before_the_callers_deadline(channel: grpc.aio.Channel) -> None:
    tasks = TaskServiceStub(channel)
    empty = await tasks.ClaimTasks(
        trpc.ClaimTasksRequest(worker_id="w", max_tasks=8, wait_ms=30_000), timeout=1.5
    )
    assert list(empty.tasks) == []
    made = (await tasks.CreateTask(_task())).task
    got = await tasks.ClaimTasks(
        trpc.ClaimTasksRequest(worker_id="w", max_tasks=8, wait_ms=30_000), timeout=5
    )
    assert [t.id for t in got.tasks] == [made.id]


def _key_token(raw: str) -> str:
    return "k" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BAD_PAGE_TOKENS = [
    _key_token(f"{2**63}:t"),  # a keyset position past int64
    _key_token(f"{10**30}:t"),
    _key_token("-1:t"),
    _key_token("12:"),
    "k%%%",
    str(2**63),  # an offset past int64
    "99999999999999999999999999",
    "-3",
    "later",
]


@pytest.mark.parametrize("token", BAD_PAGE_TOKENS)
async def test_a_malformed_or_out_of_range_page_token_is_invalid_argument(
    channel: grpc.aio.Channel, gateway: grpc.aio.Channel, token: str
) -> None:
    tasks, workspaces = TaskServiceStub(channel), WorkspaceServiceStub(gateway)
    await tasks.CreateTask(_task(workspace_id="ws-tok"))
    await workspaces.EnsureContext(
        wrpc.EnsureContextRequest(connector="telegram", external_id="tok", display_name="T")
    )
    before = await tasks.ListTasks(trpc.ListTasksRequest(workspace_id="ws-tok"))
    calls = {
        "ListTasks": tasks.ListTasks(trpc.ListTasksRequest(page_token=token)),
        "ListDeadLetters": tasks.ListDeadLetters(trpc.ListDeadLettersRequest(page_token=token)),
        "ListWorkspaces": workspaces.ListWorkspaces(wrpc.ListWorkspacesRequest(page_token=token)),
    }
    for name, call in calls.items():
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await call
        assert _code(bad) == grpc.StatusCode.INVALID_ARGUMENT, (name, bad.value.details())
        assert errors.from_rpc_error(bad.value).details.get("field") == "page_token", name
    after = await tasks.ListTasks(trpc.ListTasksRequest(workspace_id="ws-tok"))
    assert after == before  # nothing changed
