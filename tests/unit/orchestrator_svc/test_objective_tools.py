"""create_objective and update_objective against a real store, with the orchestrator's
identity (the orchestrator never calls the scheduler): arguments checked by their schemas, a
chat turn allowed only while its context holds a sensitive-tool grant (an agent task
always), a repeated call of one turn creating one objective, edits kept to the caller's
workspace, the store's refusals (a bad cron) shown to the model, and no pausing by the
orchestrator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from agent_runtime.store.v1 import grant_service_pb2 as grant_rpc
from agent_runtime.store.v1 import objective_service_pb2 as orpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1.grant_service_pb2_grpc import GrantServiceStub
from agent_runtime.store.v1.objective_service_pb2_grpc import ObjectiveServiceStub
from orchestrator_svc.agent import AgentRequest
from orchestrator_svc.tool_clients import StoreGrants, StoreObjectives
from orchestrator_svc.tools.base import Toolbox, ToolContext, ToolError
from orchestrator_svc.tools.objectives import NEEDS_GRANT, objective_tools
from svckit import testing
from svckit.pki import PkiPaths
from tests.stores import serving_store

WS = "ws-obj"


def ctx(tmp_path: Path, kind: str, task_id: str = "t-1", ws: str = WS) -> ToolContext:
    task = store.Task(id=task_id, workspace_id=ws, context_id="ctx-1", kind=kind)
    return ToolContext(AgentRequest(ws, "ctx-1", "please", task, "telegram", "42", "u1"), tmp_path)


class World:
    def __init__(self, box: Toolbox, admin_store: Any, as_orch_store: Any) -> None:
        self.box, self.grants = box, GrantServiceStub(admin_store)
        self.objectives = ObjectiveServiceStub(admin_store)
        self.as_orch = ObjectiveServiceStub(as_orch_store)

    async def run(self, c: ToolContext, name: str, args: dict[str, Any]) -> str:
        tool = self.box.get(name)
        assert tool is not None
        return (await tool.run(c, Toolbox.check(tool, args, str(args)))).output

    async def grant(self, ws: str = WS) -> None:
        req = grant_rpc.GrantSensitiveToolsRequest(workspace_id=ws, context_id="ctx-1")
        await self.grants.GrantSensitiveTools(req, timeout=5)

    async def objective(self, oid: str) -> Any:
        reply = await self.objectives.GetObjective(orpc.GetObjectiveRequest(id=oid), timeout=5)
        return reply.objective

    async def count(self, ws: str = WS) -> int:
        req = orpc.ListObjectivesRequest(workspace_id=ws)
        return int((await self.objectives.ListObjectives(req, timeout=5)).count)


@pytest.fixture
async def world(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[World]:
    async with (
        serving_store(pki, tmp_path) as st,
        testing.client_channel(pki, st.grpc, "svc:orchestrator") as as_orch_store,
        testing.client_channel(pki, st.grpc, "admin:admin") as admin_store,
    ):
        tools = objective_tools(StoreObjectives(as_orch_store), StoreGrants(as_orch_store))
        yield World(Toolbox(tools), admin_store, as_orch_store)


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
    assert await world.count() == 0  # nothing was created

    await world.grant()
    first = await world.run(turn, "create_objective", args)
    again = await world.run(turn, "create_objective", args)  # the reclaimed turn's retry
    assert first == again and first.startswith("Objective created successfully (ID: ")
    oid = first.removeprefix("Objective created successfully (ID: ").removesuffix(").")
    made = await world.objective(oid)
    assert (made.workspace_id, made.context_id, made.cron_expr, made.timezone) == (
        WS, "ctx-1", "0 9 * * *", "Europe/Paris"
    )  # fmt: skip
    assert await world.count() == 1


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

    with pytest.raises(ToolError, match=r"the objective was refused: .*cron"):
        await world.run(task, "update_objective", {"objective_id": oid, "cron_expr": "soon"})
    with pytest.raises(ToolError, match="not found in this workspace"):
        await world.run(ctx(tmp_path, "general", ws="ws-other"), "update_objective",
                        {"objective_id": oid, "title": "mine now"})  # fmt: skip
    with pytest.raises(ToolError, match="not found in this workspace"):
        await world.run(task, "update_objective", {"objective_id": "nope", "title": "x"})
    assert (await world.objective(oid)).title == "W2"  # refusals changed nothing
    assert NEEDS_GRANT.startswith("approval required")


async def test_the_orchestrator_may_not_pause_an_objective_in_the_store(
    world: World, tmp_path: Path
) -> None:
    out = await world.run(
        ctx(tmp_path, "general"), "create_objective", {"title": "W", "prompt": "p"}
    )
    oid = out.removeprefix("Objective created successfully (ID: ").removesuffix(").")
    pause = orpc.UpdateObjectiveRequest(id=oid, active=False, title="paused?")
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await world.as_orch.UpdateObjective(pause, timeout=5)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    for forbidden in (
        world.as_orch.DeleteObjective(orpc.DeleteObjectiveRequest(id=oid), timeout=5),
        world.as_orch.RecordObjectiveRun(
            orpc.RecordObjectiveRunRequest(objective_id=oid), timeout=5
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await forbidden
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    made = await world.objective(oid)
    assert (made.active, made.title, made.run_count) == (True, "W", 0)  # nothing changed
