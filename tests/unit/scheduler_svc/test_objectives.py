"""Objective CRUD through the scheduler, against a real store: what a caller sees."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
import pytest

from agent_runtime.scheduler.v1 import resources_pb2 as api
from agent_runtime.scheduler.v1 import service_pb2 as rpc
from scheduler_svc.convert import MAPPED
from tests.unit.scheduler_svc.conftest import AS_ADMIN, Stack, failure


def _new(**kw: object) -> rpc.CreateObjectiveRequest:
    base: dict[str, object] = {
        "workspace_id": "ws-1",
        "context_id": "ctx-1",
        "title": "Daily digest",
        "prompt": "Summarise what changed",
        "trigger_type": "schedule",
        "cron_expr": "0 9 * * *",
    }
    return rpc.CreateObjectiveRequest(**(base | kw))  # type: ignore[arg-type]


def test_every_field_of_the_objective_map_is_filled() -> None:
    assert sorted(f.name for f in api.Objective.DESCRIPTOR.fields) == sorted(MAPPED)


async def test_create_plans_the_next_runs_in_the_objectives_timezone(stack: Stack) -> None:
    sched = stack.scheduler("svc:gateway")
    made = (
        await sched.CreateObjective(
            _new(trigger_type="Schedule", timezone="America/New_York"), timeout=5
        )
    ).objective

    assert made.id.startswith("obj_") and made.trigger_type == "schedule"
    assert made.active and made.health_state == "healthy"
    assert made.timezone == "America/New_York"
    assert made.HasField("next_run_unix") and made.next_run_unix > time.time()
    assert len(made.next_runs_unix) == 5 and made.next_runs_unix[0] == made.next_run_unix
    local = [datetime.fromtimestamp(t, ZoneInfo("America/New_York")) for t in made.next_runs_unix]
    assert all((d.hour, d.minute) == (9, 0) for d in local)
    assert list(made.next_runs_unix) == sorted(set(made.next_runs_unix))
    # never run: the original's nulls stay absent
    for name in ("last_run_unix", "last_success_unix", "last_failure_unix", "auto_paused_reason"):
        assert not made.HasField(name), name
    assert (made.run_count, made.avg_run_duration_ms, list(made.recent_errors)) == (0, 0, [])
    assert made.overlap_policy == "skip"
    assert made.created_at_unix > 0 and made.updated_at_unix >= made.created_at_unix

    again = (await sched.GetObjective(rpc.GetObjectiveRequest(id=made.id), timeout=5)).objective
    assert again.id == made.id and list(again.next_runs_unix) == list(made.next_runs_unix)


async def test_every_interval_and_explicit_first_run(stack: Stack) -> None:
    sched = stack.scheduler()
    first = int(time.time()) + 3600
    made = (
        await sched.CreateObjective(_new(cron_expr="@every 30m", next_run_unix=first), timeout=5)
    ).objective
    assert made.next_run_unix == first
    assert list(made.next_runs_unix) == [first + i * 1800 for i in range(5)]


async def test_event_and_at_objectives(stack: Stack) -> None:
    sched = stack.scheduler()
    event = (
        await sched.CreateObjective(
            _new(trigger_type="event", event_key="Markdown.Updated", cron_expr=""), timeout=5
        )
    ).objective
    assert event.event_key == "markdown.updated" and event.cron_expr == ""
    assert not event.HasField("next_run_unix") and list(event.next_runs_unix) == []

    at = int(time.time()) + 600
    once = (
        await sched.CreateObjective(
            _new(trigger_type="at", run_at_unix=at, cron_expr=""), timeout=5
        )
    ).objective
    assert once.run_at_unix == at and once.next_run_unix == at
    assert list(once.next_runs_unix) == [at]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron_expr": "61 * * * *"}, "cron_expr"),
        ({"cron_expr": "every day"}, "cron_expr"),
        ({"cron_expr": "@every soon"}, "cron_expr"),
        ({"cron_expr": ""}, "cron_expr"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"cron_expr": "CRON_TZ=Nowhere/City 0 9 * * *"}, "timezone"),
        ({"trigger_type": "sometimes"}, "trigger_type"),
        ({"trigger_type": "event", "event_key": ""}, "event_key"),
        ({"trigger_type": "at", "run_at_unix": 0}, "run_at_unix"),
        ({"trigger_type": "at", "run_at_unix": 1000}, "run_at_unix"),
        ({"title": "  "}, "title"),
        ({"prompt": ""}, "prompt"),
        ({"workspace_id": ""}, "workspace_id"),
        ({"context_id": ""}, "context_id"),
        ({"overlap_policy": "queue-all"}, "overlap_policy"),
        ({"catchup_window_seconds": -1}, "catchup_window_seconds"),
    ],
)
async def test_invalid_objective_is_refused_naming_the_field(
    stack: Stack, change: dict[str, object], field: str
) -> None:
    sched = stack.scheduler()
    bad = await failure(sched.CreateObjective(_new(**change), timeout=5))
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert bad.details.get("field") == field, bad
    listed = await sched.ListObjectives(
        rpc.ListObjectivesRequest(workspace_id="ws-1", active_only=False), timeout=5
    )
    assert listed.count == 0  # nothing stored


async def test_list_defaults_to_active_objectives_oldest_first(stack: Stack) -> None:
    sched = stack.scheduler()
    ids = []
    for i, active in enumerate([True, False, True]):
        made = await sched.CreateObjective(_new(title=f"o{i}", active=active), timeout=5)
        ids.append(made.objective.id)
    await sched.CreateObjective(_new(workspace_id="ws-other"), timeout=5)

    default = await sched.ListObjectives(rpc.ListObjectivesRequest(workspace_id="ws-1"), timeout=5)
    assert [o.id for o in default.items] == [ids[0], ids[2]]
    assert default.count == 2 and default.next_page_token == ""
    everything = await sched.ListObjectives(
        rpc.ListObjectivesRequest(workspace_id="ws-1", active_only=False), timeout=5
    )
    # true creation order, even for objectives made within the same second
    assert [o.id for o in everything.items] == ids
    (paused,) = [o for o in everything.items if o.id == ids[1]]
    assert paused.health_state == "paused" and list(paused.next_runs_unix) == []


async def test_list_pages_with_limit_and_token(stack: Stack) -> None:
    sched = stack.scheduler()
    ids = [
        (await sched.CreateObjective(_new(title=f"o{i}"), timeout=5)).objective.id for i in range(5)
    ]
    seen, token, pages = [], "", 0
    while True:
        page = await sched.ListObjectives(
            rpc.ListObjectivesRequest(workspace_id="ws-1", limit=2, page_token=token), timeout=5
        )
        seen += [o.id for o in page.items]
        pages += 1
        assert page.count == len(page.items) <= 2
        token = page.next_page_token
        if not token:
            break
    assert seen == ids and pages == 3


async def _all_pages(stack: Stack, limit: int = 0) -> tuple[list[str], int]:
    """Every objective id of ws-1 (active or not) page by page, and the number of pages."""
    client = stack.scheduler()
    seen: list[str] = []
    token, pages = "", 0
    while True:
        page = await client.ListObjectives(
            rpc.ListObjectivesRequest(
                workspace_id="ws-1", active_only=False, limit=limit, page_token=token
            ),
            timeout=5,
        )
        pages += 1
        assert page.count == len(page.items) <= (limit or 50)
        seen += [o.id for o in page.items]
        token = page.next_page_token
        if not token:
            return seen, pages
        assert pages < 100, "paging does not end"


async def test_paging_past_one_page_returns_each_objective_once_in_creation_order(
    stack: Stack,
) -> None:
    # more than one default page (50), made within a second or two: ties on created_at_unix
    sched = stack.scheduler()
    ids = [
        (
            await sched.CreateObjective(_new(title=f"o{i}", active=i % 3 != 1), timeout=5)
        ).objective.id
        for i in range(53)
    ]
    await sched.CreateObjective(_new(workspace_id="ws-other"), timeout=5)

    seen, pages = await _all_pages(stack)
    assert seen == ids and pages == 2
    seen, pages = await _all_pages(stack, limit=7)
    assert seen == ids and pages == 8
    # the default still hides paused objectives, in the same order
    first = await sched.ListObjectives(rpc.ListObjectivesRequest(workspace_id="ws-1"), timeout=5)
    assert [o.id for o in first.items] == [i for n, i in enumerate(ids) if n % 3 != 1]
    assert all(o.active for o in first.items) and first.next_page_token == ""


async def test_objectives_created_while_paging_do_not_shift_pages(stack: Stack) -> None:
    sched = stack.scheduler()
    ids = [
        (await sched.CreateObjective(_new(title=f"o{i}"), timeout=5)).objective.id for i in range(4)
    ]
    first = await sched.ListObjectives(
        rpc.ListObjectivesRequest(workspace_id="ws-1", limit=2), timeout=5
    )
    assert [o.id for o in first.items] == ids[:2] and first.next_page_token
    ids.append((await sched.CreateObjective(_new(title="late"), timeout=5)).objective.id)
    rest = await sched.ListObjectives(
        rpc.ListObjectivesRequest(workspace_id="ws-1", limit=5, page_token=first.next_page_token),
        timeout=5,
    )
    assert [o.id for o in rest.items] == ids[2:] and rest.next_page_token == ""


async def test_list_needs_a_workspace_and_a_sane_token(stack: Stack) -> None:
    sched = stack.scheduler()
    for blank in ("", "  "):
        missing = await failure(
            sched.ListObjectives(rpc.ListObjectivesRequest(workspace_id=blank), timeout=5)
        )
        assert missing.code == grpc.StatusCode.INVALID_ARGUMENT
        assert missing.details["field"] == "workspace_id"
    # tokens are the store's and opaque: an offset is not one
    for token in ("x", "2", "k!!"):
        bad = await failure(
            sched.ListObjectives(
                rpc.ListObjectivesRequest(workspace_id="ws-1", page_token=token), timeout=5
            )
        )
        assert bad.code == grpc.StatusCode.INVALID_ARGUMENT, token
        assert bad.details["field"] == "page_token", token


async def test_update_changes_only_the_fields_given(stack: Stack) -> None:
    sched = stack.scheduler("svc:gateway")
    made = (await sched.CreateObjective(_new(), timeout=5)).objective
    changed = (
        await sched.UpdateObjective(
            rpc.UpdateObjectiveRequest(id=made.id, title="Weekly digest", cron_expr="@weekly"),
            timeout=5,
        )
    ).objective
    assert changed.title == "Weekly digest" and changed.prompt == made.prompt
    assert changed.cron_expr == "@weekly"
    utc = [datetime.fromtimestamp(t, ZoneInfo("UTC")) for t in changed.next_runs_unix]
    assert all((d.weekday(), d.hour, d.minute) == (6, 0, 0) for d in utc)

    to_event = (
        await sched.UpdateObjective(
            rpc.UpdateObjectiveRequest(id=made.id, trigger_type="EVENT", event_key="custom.ping"),
            timeout=5,
        )
    ).objective
    assert to_event.trigger_type == "event" and to_event.cron_expr == ""
    assert not to_event.HasField("next_run_unix") and list(to_event.next_runs_unix) == []


async def test_update_next_run_zero_replans(stack: Stack) -> None:
    sched = stack.scheduler()
    far = int(time.time()) + 30 * 86400
    made = (await sched.CreateObjective(_new(next_run_unix=far), timeout=5)).objective
    assert made.next_run_unix == far
    replanned = (
        await sched.UpdateObjective(
            rpc.UpdateObjectiveRequest(id=made.id, next_run_unix=-1), timeout=5
        )
    ).objective
    assert time.time() < replanned.next_run_unix <= time.time() + 86400


async def test_update_errors(stack: Stack) -> None:
    sched = stack.scheduler()
    made = (await sched.CreateObjective(_new(), timeout=5)).objective
    unknown = await failure(
        sched.UpdateObjective(rpc.UpdateObjectiveRequest(id="obj_nope", title="x"), timeout=5)
    )
    assert unknown.code == grpc.StatusCode.NOT_FOUND
    for req, field in [
        (rpc.UpdateObjectiveRequest(id=made.id, cron_expr="* * *"), "cron_expr"),
        (rpc.UpdateObjectiveRequest(id=made.id, timezone="Europe/Atlantis"), "timezone"),
        (rpc.UpdateObjectiveRequest(id=made.id, trigger_type="event"), "event_key"),
        (rpc.UpdateObjectiveRequest(id=made.id, title=""), "title"),
        (rpc.UpdateObjectiveRequest(title="x"), "id"),
    ]:
        bad = await failure(sched.UpdateObjective(req, timeout=5))
        assert bad.code == grpc.StatusCode.INVALID_ARGUMENT, req
        assert bad.details.get("field") == field, (req, bad)
    kept = (await sched.GetObjective(rpc.GetObjectiveRequest(id=made.id), timeout=5)).objective
    assert (kept.cron_expr, kept.timezone, kept.title) == ("0 9 * * *", "UTC", made.title)


async def test_get_unknown_is_not_found(stack: Stack) -> None:
    missing = await failure(
        stack.scheduler().GetObjective(rpc.GetObjectiveRequest(id="obj_nope"), timeout=5)
    )
    assert missing.code == grpc.StatusCode.NOT_FOUND


async def test_pause_and_resume(stack: Stack) -> None:
    sched = stack.scheduler("svc:gateway")
    made = (await sched.CreateObjective(_new(), timeout=5)).objective
    paused = (
        await sched.SetObjectiveActive(
            rpc.SetObjectiveActiveRequest(id=made.id, active=False), metadata=AS_ADMIN, timeout=5
        )
    ).objective
    assert not paused.active and paused.health_state == "paused"
    assert list(paused.next_runs_unix) == []
    default = await sched.ListObjectives(rpc.ListObjectivesRequest(workspace_id="ws-1"), timeout=5)
    assert default.count == 0

    resumed = (
        await sched.SetObjectiveActive(
            rpc.SetObjectiveActiveRequest(id=made.id, active=True), metadata=AS_ADMIN, timeout=5
        )
    ).objective
    assert resumed.active and resumed.health_state == "healthy"
    assert len(resumed.next_runs_unix) == 5

    unknown = await failure(
        sched.SetObjectiveActive(
            rpc.SetObjectiveActiveRequest(id="obj_nope", active=False), metadata=AS_ADMIN, timeout=5
        )
    )
    assert unknown.code == grpc.StatusCode.NOT_FOUND


async def test_delete(stack: Stack) -> None:
    sched = stack.scheduler()
    made = (await sched.CreateObjective(_new(), timeout=5)).objective
    gone = await sched.DeleteObjective(rpc.DeleteObjectiveRequest(id=made.id), timeout=5)
    assert (gone.id, gone.deleted) == (made.id, True)
    missing = await failure(sched.GetObjective(rpc.GetObjectiveRequest(id=made.id), timeout=5))
    assert missing.code == grpc.StatusCode.NOT_FOUND
    again = await failure(sched.DeleteObjective(rpc.DeleteObjectiveRequest(id=made.id), timeout=5))
    assert again.code == grpc.StatusCode.NOT_FOUND
    empty = await failure(sched.DeleteObjective(rpc.DeleteObjectiveRequest(), timeout=5))
    assert empty.code == grpc.StatusCode.INVALID_ARGUMENT and empty.details["field"] == "id"
