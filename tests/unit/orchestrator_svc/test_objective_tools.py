"""create_objective and update_objective against a real scheduler and store: arguments
checked by their schemas, a chat turn allowed only while its context holds a
sensitive-tool grant (an agent task always), a repeated call of one turn creating one
objective, edits kept to the caller's workspace, and the scheduler's refusals (a bad cron)
shown to the model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agent_runtime.scheduler.v1 import service_pb2 as sched_rpc
from agent_runtime.scheduler.v1.service_pb2_grpc import SchedulerServiceStub
from agent_runtime.store.v1 import grant_service_pb2 as grant_rpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1.grant_service_pb2_grpc import GrantServiceStub
from orchestrator_svc.agent import AgentRequest
from orchestrator_svc.tool_clients import SchedulerObjectives, StoreGrants
from orchestrator_svc.tools.base import Toolbox, ToolContext, ToolError
from orchestrator_svc.tools.objectives import NEEDS_GRANT, objective_tools
from svckit import testing
from svckit.pki import PkiPaths
from tests.stores import serving_store
from tests.unit.scheduler_svc.conftest import serving_orchestrator, serving_scheduler

WS = "ws-obj"


def ctx(tmp_path: Path, kind: str, task_id: str = "t-1", ws: str = WS) -> ToolContext:
    task = store.Task(id=task_id, workspace_id=ws, context_id="ctx-1", kind=kind)
    return ToolContext(AgentRequest(ws, "ctx-1", "please", task, "telegram", "42", "u1"), tmp_path)


class World:
    def __init__(self, box: Toolbox, admin_store: Any, admin_sched: SchedulerServiceStub) -> None:
        self.box, self.grants, self.sched = box, GrantServiceStub(admin_store), admin_sched

    async def run(self, c: ToolContext, name: str, args: dict[str, Any]) -> str:
        tool = self.box.get(name)
        assert tool is not None
        return (await tool.run(c, Toolbox.check(tool, args, str(args)))).output

    async def grant(self, ws: str = WS) -> None:
        req = grant_rpc.GrantSensitiveToolsRequest(workspace_id=ws, context_id="ctx-1")
        await self.grants.GrantSensitiveTools(req, timeout=5)

    async def objective(self, oid: str) -> Any:
        reply = await self.sched.GetObjective(sched_rpc.GetObjectiveRequest(id=oid), timeout=5)
        return reply.objective


@pytest.fixture
async def world(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[World]:
    async with (
        serving_store(pki, tmp_path) as st,
        serving_orchestrator(pki, st.grpc) as orch_port,
        serving_scheduler(pki, st.grpc, orch_port, scheduler_firing=False) as (sched_port, _),
        testing.client_channel(pki, sched_port, "svc:orchestrator") as as_orch_sched,
        testing.client_channel(pki, st.grpc, "svc:orchestrator") as as_orch_store,
        testing.client_channel(pki, st.grpc, "admin:admin") as admin_store,
        testing.client_channel(pki, sched_port, "admin:admin") as admin_sched,
    ):
        tools = objective_tools(SchedulerObjectives(as_orch_sched), StoreGrants(as_orch_store))
        yield World(Toolbox(tools), admin_store, SchedulerServiceStub(admin_sched))


@pytest.mark.parametrize(
    ("name", "args", "problem"),
    [
        ("create_objective", {"title": "t"}, "'prompt' is a required property"),
        ("create_objective", {"title": "t", "prompt": "p", "every": "1h"}, "Additional"),
        ("create_objective", {"title": "t", "prompt": "p", "trigger_type": "event"}, "event_key"),
        ("update_objective", {"objective_id": "o1"}, "does not have enough properties"),
        ("update_objective", {"objective_id": "o1", "active": False}, "Additional"),
    ],
)
def test_objective_tool_schemas_refuse_bad_arguments(name: str, args: Any, problem: str) -> None:
    box = Toolbox(objective_tools(None, None))  # type: ignore[arg-type]
    tool = box.get(name)
    assert tool is not None and tool.tool_class == "objective"
    with pytest.raises(ToolError, match=problem):
        Toolbox.check(tool, args, str(args))


async def test_a_chat_turn_needs_a_grant_and_a_repeated_call_creates_once(
    world: World, tmp_path: Path
) -> None:
    args = {"title": "Daily digest", "prompt": "summarise the inbox", "cron_expr": "0 9 * * *",
            "timezone": "Europe/Paris"}  # fmt: skip
    turn = ctx(tmp_path, "turn")
    with pytest.raises(ToolError, match="approval required"):
        await world.run(turn, "create_objective", args)
    listed = await world.sched.ListObjectives(sched_rpc.ListObjectivesRequest(workspace_id=WS))
    assert listed.count == 0  # nothing was created

    await world.grant()
    first = await world.run(turn, "create_objective", args)
    again = await world.run(turn, "create_objective", args)  # the reclaimed turn's retry
    assert first == again and first.startswith("Objective created successfully (ID: ")
    oid = first.removeprefix("Objective created successfully (ID: ").removesuffix(").")
    made = await world.objective(oid)
    assert (made.workspace_id, made.context_id, made.cron_expr, made.timezone) == (
        WS, "ctx-1", "0 9 * * *", "Europe/Paris"
    )  # fmt: skip
    listed = await world.sched.ListObjectives(sched_rpc.ListObjectivesRequest(workspace_id=WS))
    assert listed.count == 1


async def test_an_agent_task_creates_and_edits_without_a_grant(
    world: World, tmp_path: Path
) -> None:
    task = ctx(tmp_path, "general")
    out = await world.run(task, "create_objective", {"title": "Watch", "prompt": "check"})
    oid = out.removeprefix("Objective created successfully (ID: ").removesuffix(").")
    assert (await world.objective(oid)).cron_expr == "0 */6 * * *"  # the original's default

    edited = await world.run(
        task, "update_objective", {"objective_id": oid, "cron_expr": "@every 2h", "title": "W2"}
    )
    assert edited == f"Objective updated successfully (ID: {oid})."
    now = await world.objective(oid)
    assert (now.cron_expr, now.title, now.prompt, now.active) == ("@every 2h", "W2", "check", True)

    with pytest.raises(ToolError, match=r"the scheduler refused: .*cron"):
        await world.run(task, "update_objective", {"objective_id": oid, "cron_expr": "soon"})
    with pytest.raises(ToolError, match="not found in this workspace"):
        await world.run(ctx(tmp_path, "general", ws="ws-other"), "update_objective",
                        {"objective_id": oid, "title": "mine now"})  # fmt: skip
    with pytest.raises(ToolError, match="not found in this workspace"):
        await world.run(task, "update_objective", {"objective_id": "nope", "title": "x"})
    assert (await world.objective(oid)).title == "W2"  # refusals changed nothing
    assert NEEDS_GRANT.startswith("approval required")
