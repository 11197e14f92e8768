"""Each view's main action, driven by keys through Pilot, against the whole stack; every test
checks what the action changed through the services' own APIs."""

from __future__ import annotations

import uuid

import pytest
from textual.widgets import Input, Select

from agent_runtime.gateway.v1 import resources_pb2 as gres
from agent_runtime.gateway.v1 import service_pb2 as gpb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from agent_runtime.orchestrator.v1 import service_pb2 as opb
from agent_runtime.orchestrator.v1.service_pb2_grpc import OrchestratorServiceStub
from agent_runtime.scheduler.v1 import service_pb2 as spb
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from svckit.testing import eventually
from tests.integration.conftest import Stack
from tests.tui import seed
from tests.tui.conftest import admin_channel, open_objectives, open_view, select_row, tui

pytestmark = pytest.mark.slow


def _ws() -> str:
    return f"ws-tui-{uuid.uuid4().hex[:8]}"


async def test_retry_a_failed_task(stack: Stack) -> None:
    ws = _ws()
    failed = await seed.ended_task(stack, ws, dead=False)
    async with tui(stack) as (app, pilot):
        await open_view(app, pilot, "2", "tasks")
        await select_row(app, "tasks", failed, reload=True)
        await pilot.press("y")
        async with admin_channel(stack, "orchestrator") as ch:
            orch = OrchestratorServiceStub(ch)

            async def copies() -> list[str]:
                listed = await orch.ListTasks(opb.ListTasksRequest(workspace_id=ws), timeout=10)
                return [t.id for t in listed.items if t.retry_of_task == failed]

            (copy,) = await eventually(copies, "a retry of the failed task", deadline=30)
        await eventually(lambda: copy in app.screen.query_one("#tasks").rows, "the copy shown")
        assert any(f"retried task {failed} as {copy}" in e.text for e in app.activity)


async def test_run_an_objective_now_then_pause_it(stack: Stack) -> None:
    ws, ctx = await seed.chat_workspace(stack, f"tui-{uuid.uuid4().hex[:8]}")
    async with admin_channel(stack, "scheduler") as ch:
        sched = SchedulerServiceStub(ch)
        created = await sched.CreateObjective(
            spb.CreateObjectiveRequest(
                workspace_id=ws, context_id=ctx, title="Daily digest", prompt="digest",
                trigger_type="schedule", cron_expr="0 9 * * *",
            ),
            timeout=20,
        )  # fmt: skip
        oid = created.objective.id
        async with tui(stack) as (app, pilot):
            await open_objectives(app, pilot, ws)
            await select_row(app, "objectives", oid)
            await pilot.press("g")  # run it now, once

            async def runs() -> list[str]:
                listed = await sched.ListObjectiveRuns(spb.ListObjectiveRunsRequest(id=oid))
                return [r.trigger for r in listed.items]

            assert await eventually(runs, "a run", deadline=20) == ["manual"]
            await pilot.press("p")

            async def paused() -> bool:
                got = await sched.GetObjective(spb.GetObjectiveRequest(id=oid), timeout=10)
                return not got.objective.active

            await eventually(paused, "the objective paused", deadline=20)
            await eventually(lambda: "paused" in str(app.screen.query_one("#objectives")
                                                   .get_row(oid)[1]), "shown paused")  # fmt: skip


async def test_approve_an_approval(stack: Stack) -> None:
    aid = await seed.raise_approval(stack, _ws())
    async with tui(stack) as (app, pilot):
        await open_view(app, pilot, "3", "approvals")
        await select_row(app, "approvals", aid, reload=True)
        await pilot.press("a")
        async with admin_channel(stack, "gateway") as ch:
            gw = GatewayServiceStub(ch)

            async def decided() -> gpb.GetApprovalResponse | None:
                got = await gw.GetApproval(gpb.GetApprovalRequest(id=aid), timeout=10)
                return got if got.approval.status == "approved" else None

            got = await eventually(decided, "the approval approved", deadline=20)
        assert got.approval.task_id  # it runs as a task


async def test_approve_a_pairing_with_a_chosen_role(stack: Stack) -> None:
    user = f"tg-{uuid.uuid4().hex[:8]}"
    pairing_id, token = await seed.start_pairing(stack, user)
    async with tui(stack) as (app, pilot):
        await open_view(app, pilot, "5", "pairings")
        await select_row(app, "pairings", pairing_id, reload=True)  # listed as pending
        await pilot.press("t")  # to the token field
        await pilot.press(*token.lower(), "enter")  # typed as pasted; normalised
        await eventually(lambda: app.screen.found is not None, "the pairing looked up")  # type: ignore[attr-defined]
        role = app.screen.query_one("#role", Select)
        assert app.focused is role  # the role chooser is next
        await pilot.press("enter")  # open the list: member, viewer, operator, admin …
        await pilot.press("down", "down", "down", "enter")
        assert role.value == "admin"
        await pilot.press("a")
        async with admin_channel(stack, "gateway") as ch:
            gw = GatewayServiceStub(ch)

            async def linked() -> list[gres.Identity]:
                listed = await gw.ListIdentities(gpb.ListIdentitiesRequest(), timeout=10)
                return [i for i in listed.items if i.connector_user_id == user]

            (identity,) = await eventually(linked, "the identity linked", deadline=20)
        assert identity.role == "admin"


async def test_replay_a_dead_letter(stack: Stack) -> None:
    ws = _ws()
    dead = await seed.ended_task(stack, ws, dead=True)
    async with admin_channel(stack, "orchestrator") as ch:
        orch = OrchestratorServiceStub(ch)
        letters = await orch.ListDeadLetters(
            opb.ListDeadLettersRequest(workspace_id=ws), timeout=10
        )
        (letter,) = letters.items
        assert letter.subject_id == dead
        async with tui(stack) as (app, pilot):
            await open_view(app, pilot, "7", "dead_letters")
            await select_row(app, "dead-letters", letter.id, reload=True)
            await pilot.press("y")

            async def replayed() -> str:
                listed = await orch.ListDeadLetters(
                    opb.ListDeadLettersRequest(workspace_id=ws, include_replayed=True), timeout=10
                )
                return listed.items[0].replayed_as if listed.items[0].status == "replayed" else ""

            new_task = await eventually(replayed, "the dead letter replayed", deadline=20)
            got = await orch.GetTask(opb.GetTaskRequest(id=new_task), timeout=10)
            assert (got.task.kind, got.task.title) == (seed.UNCLAIMED_KIND, "Nightly export")


async def test_global_keys_never_steal_what_is_typed(stack: Stack) -> None:
    async with tui(stack) as (app, pilot):
        await open_view(app, pilot, "5", "pairings")
        await pilot.press("t", "1", "q", "question_mark", "r", "2")
        assert app.screen.query_one("#token", Input).value == "1q?r2"
        assert app.current_mode == "pairings"
