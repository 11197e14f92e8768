"""RunObjectiveNow and NotifyEvent against a real store and orchestrator: a manual run is one
task and one `manual` run, judged by the overlap policy beside a slot due at the same
moment; an event fires each matching event objective once per event id."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from svckit import testing
from tests.unit.scheduler_svc.conftest import AS_ADMIN, Stack, failure

WS = "ws-events"


async def _create(stack: Stack, workspace: str = WS, **kw: Any) -> Any:
    req = rpc.CreateObjectiveRequest(
        workspace_id=workspace, context_id="ctx-1", title="T", prompt="Do it", **kw
    )
    made: rpc.CreateObjectiveResponse = await stack.scheduler().CreateObjective(req, timeout=5)
    return made.objective


async def _runs(stack: Stack, oid: str) -> list[Any]:
    reply = await stack.scheduler().ListObjectiveRuns(
        rpc.ListObjectiveRunsRequest(id=oid), timeout=5
    )
    return list(reply.items)


async def test_run_now_makes_a_manual_run_and_its_task(stack: Stack) -> None:
    obj = await _create(stack, trigger_type="schedule", cron_expr="0 7 * * *")
    reply = await stack.scheduler("svc:gateway").RunObjectiveNow(
        rpc.RunObjectiveNowRequest(id=obj.id), metadata=AS_ADMIN, timeout=5
    )
    run = reply.run
    assert (run.trigger, run.status, run.objective_id) == ("manual", "queued", obj.id)
    (task,) = await stack.tasks(WS)
    assert task.id == run.task_id and task.kind == "objective"
    assert task.run_key.startswith(f"objective:{obj.id}:manual:")
    assert [r.id for r in await _runs(stack, obj.id)] == [run.id]
    got = await stack.scheduler().GetObjective(rpc.GetObjectiveRequest(id=obj.id), timeout=5)
    assert got.objective.next_run_unix == obj.next_run_unix  # the schedule is untouched

    # the overlap policy (skip) still applies: the first task is still queued
    again = await stack.scheduler().RunObjectiveNow(rpc.RunObjectiveNowRequest(id=obj.id))
    assert (again.run.status, again.run.task_id) == ("skipped", "")
    assert len(await stack.tasks(WS)) == 1


async def test_run_now_errors(stack: Stack) -> None:
    sched = stack.scheduler()
    missing = await failure(sched.RunObjectiveNow(rpc.RunObjectiveNowRequest(id="obj_missing")))
    assert missing.code == grpc.StatusCode.NOT_FOUND
    empty = await failure(sched.RunObjectiveNow(rpc.RunObjectiveNowRequest(id="")))
    assert (empty.code, empty.details.get("field")) == (grpc.StatusCode.INVALID_ARGUMENT, "id")
    # the gateway only for an admin it vouches for
    obj = await _create(stack, trigger_type="event", event_key="x")
    bare = await failure(
        stack.scheduler("svc:gateway").RunObjectiveNow(rpc.RunObjectiveNowRequest(id=obj.id))
    )
    assert bare.code == grpc.StatusCode.PERMISSION_DENIED
    assert await stack.tasks(WS) == []


async def test_an_event_fires_matching_objectives_once_per_event_id(stack: Stack) -> None:
    a = await _create(stack, trigger_type="event", event_key="custom.ping", overlap_policy="allow")
    b = await _create(stack, trigger_type="event", event_key="Custom.Ping", overlap_policy="allow")
    await _create(stack, trigger_type="event", event_key="custom.other")
    await _create(stack, "ws-elsewhere", trigger_type="event", event_key="custom.ping")
    paused = await _create(stack, trigger_type="event", event_key="custom.ping", active=False)

    notify = stack.scheduler("svc:gateway").NotifyEvent
    req = rpc.NotifyEventRequest(workspace_id=WS, event_key="CUSTOM.PING", event_id="e1")
    reply = await notify(req, timeout=5)
    assert reply.event_id == "e1"
    assert sorted(r.objective_id for r in reply.runs) == sorted([a.id, b.id])
    assert {(r.status, r.trigger, r.event_key, r.event_id) for r in reply.runs} == {
        ("queued", "event", "custom.ping", "e1")
    }
    tasks = await stack.tasks(WS)
    assert sorted(t.run_key for t in tasks) == sorted(
        [f"objective:{a.id}:event:e1", f"objective:{b.id}:event:e1"]
    )
    assert all("Event: custom.ping (id e1)" in t.prompt for t in tasks)

    repeat = await notify(req, timeout=5)
    assert {r.status for r in repeat.runs} == {"skipped"}
    assert len(await stack.tasks(WS)) == 2
    assert len(await _runs(stack, a.id)) == 1  # a repeat is not recorded again

    other = rpc.NotifyEventRequest(workspace_id=WS, event_key="custom.ping", event_id="e2")
    assert {r.status for r in (await notify(other, timeout=5)).runs} == {"queued"}
    assert len(await stack.tasks(WS)) == 4
    assert await _runs(stack, paused.id) == []


async def test_markdown_updates_without_an_id_are_one_event_per_path(stack: Stack) -> None:
    obj = await _create(stack, trigger_type="event", event_key="markdown.updated")
    notify = stack.scheduler("svc:qmd").NotifyEvent
    req = rpc.NotifyEventRequest(workspace_id=WS, event_key="markdown.updated", path="a.md")
    first = await notify(req, timeout=5)
    second = await notify(req, timeout=5)  # qmd announcing the same save again
    assert first.event_id == second.event_id and first.event_id.startswith("a.md@")
    assert [r.status for r in first.runs] == ["queued"]
    assert [r.status for r in second.runs] == ["skipped"]
    (task,) = await stack.tasks(WS)
    assert "Path: a.md" in task.prompt and task.run_key.startswith(f"objective:{obj.id}:event:")


async def test_notify_event_errors(stack: Stack) -> None:
    notify = stack.scheduler().NotifyEvent
    no_key = await failure(notify(rpc.NotifyEventRequest(workspace_id=WS, event_key=" ")))
    assert (no_key.code, no_key.details.get("field")) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "event_key",
    )
    no_ws = await failure(notify(rpc.NotifyEventRequest(event_key="x")))
    assert no_ws.details.get("field") == "workspace_id"
    nothing = await notify(rpc.NotifyEventRequest(workspace_id=WS, event_key="nobody.listens"))
    assert list(nothing.runs) == [] and nothing.event_id


async def test_a_repeated_run_now_with_its_key_is_the_first_run(stack: Stack) -> None:
    obj = await _create(stack, trigger_type="schedule", cron_expr="0 7 * * *")
    sched = stack.scheduler()
    req = rpc.RunObjectiveNowRequest(id=obj.id, idempotency_key="retry-1")
    first = (await sched.RunObjectiveNow(req, timeout=5)).run
    again = (await sched.RunObjectiveNow(req, timeout=5)).run
    assert (again.id, again.task_id, again.status) == (first.id, first.task_id, "queued")
    (task,) = await stack.tasks(WS)
    assert task.run_key == f"objective:{obj.id}:manual:retry-1"
    other = rpc.RunObjectiveNowRequest(id=obj.id, idempotency_key="retry-2")
    assert (await sched.RunObjectiveNow(other, timeout=5)).run.status == "skipped"
    assert len(await _runs(stack, obj.id)) == 2  # the first run and the skipped one


async def test_a_repeated_create_with_its_key_is_the_first_objective(stack: Stack) -> None:
    sched = stack.scheduler()
    req = rpc.CreateObjectiveRequest(
        workspace_id=WS,
        context_id="ctx-1",
        title="Monitor: example.com",
        prompt="Monitor it",
        trigger_type="schedule",
        cron_expr="0 */6 * * *",
        idempotency_key="monitor-msg-42",
    )
    first = (await sched.CreateObjective(req, timeout=5)).objective
    again = (await sched.CreateObjective(req, timeout=5)).objective
    assert again.id == first.id and again.created_at_unix == first.created_at_unix
    listed = await sched.ListObjectives(rpc.ListObjectivesRequest(workspace_id=WS), timeout=5)
    assert [o.id for o in listed.items] == [first.id]
    req.idempotency_key = "monitor-msg-43"
    assert (await sched.CreateObjective(req, timeout=5)).objective.id != first.id


async def test_run_now_beside_a_due_slot_follows_the_overlap_policy(firing: Stack) -> None:
    """An admin's run and a slot coming due at the same moment, for a `skip` and an `allow`
    objective: `skip` starts one of them and records the other skipped; `allow` starts
    both; and the slot runs once however often the loop looks again."""
    assert firing.clock is not None and firing.loop is not None
    skip = await _create(firing, trigger_type="schedule", cron_expr="@every 60s")
    allow = await _create(
        firing, trigger_type="schedule", cron_expr="@every 60s", overlap_policy="allow"
    )
    sched = firing.scheduler()
    firing.clock.advance(60)
    firing.loop.wake()
    await asyncio.gather(
        *(
            sched.RunObjectiveNow(rpc.RunObjectiveNowRequest(id=o.id), timeout=5)
            for o in (skip, allow)
        )
    )

    async def both_judged(oid: str) -> list[Any] | None:
        assert firing.loop is not None
        firing.loop.wake()
        runs = await _runs(firing, oid)
        return runs if {r.trigger for r in runs} == {"manual", "schedule"} else None

    skipped = await testing.eventually(lambda: both_judged(skip.id), "skip: both judged")
    assert sorted(r.status for r in skipped) == ["queued", "skipped"]
    (late,) = [r for r in skipped if r.status == "skipped"]
    assert late.error.startswith("skipped: the previous run") and not late.task_id
    allowed = await testing.eventually(lambda: both_judged(allow.id), "allow: both judged")
    assert [r.status for r in allowed] == ["queued", "queued"]

    for _ in range(3):  # the loop looks again: the slot is not run twice
        firing.loop.wake()
        await _runs(firing, skip.id)
    tasks = await firing.tasks(WS)
    keys = sorted(t.run_key for t in tasks)
    slot = skip.next_run_unix
    assert len(keys) == len(set(keys)) == 3  # skip: one; allow: the slot and the manual run
    assert sum(k == f"objective:{allow.id}:{slot}" for k in keys) == 1
    assert sum(k.startswith(f"objective:{skip.id}:") for k in keys) == 1
