"""More of what the views do against the whole stack: the objective form and a confirmed
delete, roles and revocation, and tasks appearing live through WatchTasks."""

from __future__ import annotations

import calendar
import time
import uuid

import pytest
from textual.widgets import Select

from admin_tui.views.objective_form import ObjectiveForm
from admin_tui.views.tasks import TasksView
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


async def test_create_edit_and_delete_an_objective(stack: Stack) -> None:
    ws, ctx = await seed.chat_workspace(stack, f"tui-{uuid.uuid4().hex[:8]}")
    async with admin_channel(stack, "scheduler") as ch, tui(stack) as (app, pilot):
        sched = SchedulerServiceStub(ch)
        await open_objectives(app, pilot, ws)
        await pilot.press("n")
        await eventually(lambda: isinstance(app.screen, ObjectiveForm), "the form")
        await pilot.press(*"Standup", "tab", *"collect", "tab", "tab")  # title, prompt, trigger
        app.screen.query_one("#cron").value = "@every 2h"  # type: ignore[attr-defined]
        app.screen.query_one("#context", Select).value = ctx  # the chat context, from a list
        await pilot.click("#save")

        async def created() -> list[str]:
            listed = await sched.ListObjectives(spb.ListObjectivesRequest(workspace_id=ws))
            return [o.id for o in listed.items if (o.title, o.cron_expr, o.context_id)
                    == ("Standup", "@every 2h", ctx)]  # fmt: skip

        (oid,) = await eventually(created, "the objective created", deadline=20)
        await select_row(app, "objectives", oid, reload=True)
        await pilot.press("e")  # edit: the form opens on what is stored
        await eventually(lambda: isinstance(app.screen, ObjectiveForm), "the edit form")
        await pilot.press(*"Standup v2")  # the focused title is selected: typing replaces it
        await pilot.click("#save")

        async def renamed() -> bool:
            got = await sched.GetObjective(spb.GetObjectiveRequest(id=oid))
            return (got.objective.title, got.objective.cron_expr) == ("Standup v2", "@every 2h")

        await eventually(renamed, "the objective renamed", deadline=20)
        await select_row(app, "objectives", oid)
        await pilot.press("x", "y")  # delete, yes

        async def gone() -> bool:
            listed = await sched.ListObjectives(spb.ListObjectivesRequest(workspace_id=ws))
            return all(o.id != oid for o in listed.items)

        await eventually(gone, "the objective deleted", deadline=20)


async def test_change_a_role_then_revoke_the_identity(stack: Stack) -> None:
    user = f"tg-{uuid.uuid4().hex[:8]}"
    _, token = await seed.start_pairing(stack, user)
    async with admin_channel(stack, "gateway") as ch:
        gw = GatewayServiceStub(ch)
        approved = await gw.ApprovePairing(gpb.ApprovePairingRequest(token=token), timeout=20)
        identity_id = approved.identity_id

        async def mine() -> tuple[str, str]:
            listed = await gw.ListIdentities(gpb.ListIdentitiesRequest(include_revoked=True))
            return next((i.role, i.status) for i in listed.items if i.id == identity_id)

        async with tui(stack) as (app, pilot):
            await open_view(app, pilot, "6", "identities")
            await select_row(app, "identities", identity_id, reload=True)
            await pilot.press("o")  # the role chooser opens on the current role, member
            await eventually(lambda: app.screen.query("#choice"), "the role chooser")
            await pilot.press("enter", "down", "down", "enter")  # member → viewer → operator
            await pilot.click("#ok")

            async def role() -> bool:
                return (await mine())[0] == "operator"

            await eventually(role, "the role changed", deadline=20)
            await pilot.press("v", *"left the team", "enter")  # the reason replaces the default

            async def revoked() -> bool:
                return (await mine())[1] == "revoked"

            await eventually(revoked, "the identity revoked", deadline=20)


async def test_a_new_task_appears_without_a_reload(stack: Stack) -> None:
    ws = f"ws-tui-{uuid.uuid4().hex[:8]}"
    async with admin_channel(stack, "orchestrator") as ch, tui(stack) as (app, pilot):
        await open_view(app, pilot, "2", "tasks")
        view = app.screen
        assert isinstance(view, TasksView)
        await eventually(lambda: view.listed, "the first list shown")
        enqueued = await OrchestratorServiceStub(ch).EnqueueTask(
            opb.EnqueueTaskRequest(
                workspace_id=ws, context_id="ctx-tui", title="Later", prompt="wait",
                not_before_unix=int(time.time()) + 3600,  # stays queued
            ),
            timeout=20,
        )  # fmt: skip
        await eventually(lambda: enqueued.task.id in view.items, "the task shown live")
        assert view.listed == 1  # no list call brought it


async def test_deny_an_approval_with_a_reason(stack: Stack) -> None:
    aid = await seed.raise_approval(stack, f"ws-tui-{uuid.uuid4().hex[:8]}")
    async with admin_channel(stack, "gateway") as ch, tui(stack) as (app, pilot):
        await open_view(app, pilot, "3", "approvals")
        await select_row(app, "approvals", aid, reload=True)
        await pilot.press("d", *"not today", "enter")

        async def denied() -> str:
            got = await GatewayServiceStub(ch).GetApproval(gpb.GetApprovalRequest(id=aid))
            return got.approval.denied_reason if got.approval.status == "denied" else ""

        assert await eventually(denied, "the approval denied", deadline=20) == "not today"


async def test_cancel_a_queued_task(stack: Stack) -> None:
    ws = f"ws-tui-{uuid.uuid4().hex[:8]}"
    async with admin_channel(stack, "orchestrator") as ch, tui(stack) as (app, pilot):
        orch = OrchestratorServiceStub(ch)
        enqueued = await orch.EnqueueTask(
            opb.EnqueueTaskRequest(
                workspace_id=ws, context_id="ctx-tui", title="Later", prompt="wait",
                not_before_unix=int(time.time()) + 3600,
            ),
            timeout=20,
        )  # fmt: skip
        task_id = enqueued.task.id
        await open_view(app, pilot, "2", "tasks")
        await select_row(app, "tasks", task_id, reload=True)
        await pilot.press("c", *"not needed", "enter")

        async def canceled() -> str:
            got = await orch.GetTask(opb.GetTaskRequest(id=task_id))
            return got.task.cancel_reason if got.task.status == "canceled" else ""

        assert await eventually(canceled, "the task canceled", deadline=20) == "not needed"


async def test_create_a_one_shot_objective(stack: Stack) -> None:
    ws, ctx = await seed.chat_workspace(stack, f"tui-{uuid.uuid4().hex[:8]}")
    fire = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 86_400))
    async with admin_channel(stack, "scheduler") as ch, tui(stack) as (app, pilot):
        await open_objectives(app, pilot, ws)
        await pilot.press("n")
        await eventually(lambda: isinstance(app.screen, ObjectiveForm), "the form")
        await pilot.press(*"Renew", "tab", *"renew the certificate")
        app.screen.query_one("#trigger", Select).value = "at"
        app.screen.query_one("#at").value = fire  # type: ignore[attr-defined]
        app.screen.query_one("#context", Select).value = ctx
        await pilot.click("#save")

        async def created() -> list[tuple[str, int]]:
            listed = await SchedulerServiceStub(ch).ListObjectives(
                spb.ListObjectivesRequest(workspace_id=ws)
            )
            return [(o.trigger_type, o.run_at_unix) for o in listed.items]

        expected = calendar.timegm(time.strptime(fire, "%Y-%m-%d %H:%M"))
        assert await eventually(created, "the objective created", deadline=20) == [("at", expected)]
