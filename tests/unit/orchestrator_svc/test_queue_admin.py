"""GetQueueStats, ListDeadLetters and ReplayDeadLetter against a real store."""

from __future__ import annotations

from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from tests.fakes import SteppedClock
from tests.unit.orchestrator_svc.conftest import (
    ACTING_ADMIN,
    Client,
    Connect,
    refused,
)


async def test_queue_stats_count_per_lane(admin: Client, store_clock: SteppedClock) -> None:
    await admin.enqueue(workspace_id="qs", kind="turn")
    await admin.enqueue(workspace_id="qs", kind="reindex_markdown")
    running = (await admin.enqueue(workspace_id="qs")).task
    await admin.claim(running.id)
    await admin.enqueue(workspace_id="other")

    stats = await admin.orch.GetQueueStats(rpc.GetQueueStatsRequest(workspace_id="qs"))
    lanes = {lane.queue_lane: (lane.queued, lane.running) for lane in stats.lanes}
    assert [lane.queue_lane for lane in stats.lanes] == ["turn", "task", "background"]
    assert lanes == {"turn": (1, 0), "task": (0, 1), "background": (1, 0)}
    assert (stats.queued, stats.running, stats.dead) == (2, 1, 0)
    assert stats.generated_at_unix > 0 and stats.workers_total == 0
    everything = await admin.orch.GetQueueStats(rpc.GetQueueStatsRequest())
    assert everything.queued == 3

    store_clock.advance(5)  # every task is 5 s older now: each lane shows its own ages
    aged = await admin.orch.GetQueueStats(rpc.GetQueueStatsRequest(workspace_id="qs"))
    ages = {x.queue_lane: (x.oldest_queued_age_ms, x.oldest_lease_age_ms) for x in aged.lanes}
    assert ages["turn"][0] >= 5000 and ages["background"][0] >= 5000
    assert ages["task"][0] == 0 and ages["task"][1] >= 5000
    assert ages["turn"][1] == 0 and ages["background"][1] == 0


async def test_queue_stats_show_leases_near_expiry_and_expired_per_lane(
    admin: Client, store_clock: SteppedClock
) -> None:
    task = (await admin.enqueue(workspace_id="lx")).task
    await admin.claim(task.id)  # leased for the store's default 30 s, never renewed

    async def leases() -> dict[str, tuple[int, int]]:
        stats = await admin.orch.GetQueueStats(rpc.GetQueueStatsRequest(workspace_id="lx"))
        lanes = {x.queue_lane: (x.leases_near_expiry, x.leases_expired) for x in stats.lanes}
        assert (stats.leases_near_expiry, stats.leases_expired) == tuple(
            map(sum, zip(*lanes.values(), strict=True))
        )
        return lanes

    assert (await leases())["task"] == (0, 0)  # fresh: 30 s left
    store_clock.advance(25)  # 5 s left: its worker missed heartbeats
    assert await leases() == {"turn": (0, 0), "task": (1, 0), "background": (0, 0)}
    store_clock.advance(10)  # run out: its worker is gone
    assert (await leases())["task"] == (0, 1)


async def test_dead_letters_are_listed_and_replayed_once(admin: Client) -> None:
    task = (await admin.enqueue(workspace_id="dl", title="doomed", max_attempts=1)).task
    await admin.fail(task.id, retryable=True)  # its only attempt: dead-lettered

    listing = await admin.orch.ListDeadLetters(rpc.ListDeadLettersRequest(workspace_id="dl"))
    assert listing.count == 1
    dead = listing.items[0]
    assert (dead.kind, dead.subject_id, dead.status, dead.attempts) == ("task", task.id, "dead", 1)
    assert (dead.context_id, dead.summary, dead.last_error) == ("ctx", "doomed", "boom")
    deliveries = await admin.orch.ListDeadLetters(
        rpc.ListDeadLettersRequest(workspace_id="dl", kind="delivery")
    )
    assert deliveries.count == 0 and deliveries.next_page_token == ""
    tasks_only = await admin.orch.ListDeadLetters(
        rpc.ListDeadLettersRequest(workspace_id="dl", kind="task")
    )
    assert [d.id for d in tasks_only.items] == [dead.id]
    stats = await admin.orch.GetQueueStats(rpc.GetQueueStatsRequest(workspace_id="dl"))
    assert stats.dead == 1

    replay = await admin.orch.ReplayDeadLetter(rpc.ReplayDeadLetterRequest(id=dead.id))
    # a new attempt as a new task; the dead one keeps its status and history
    assert replay.task_id and replay.task_id != task.id
    assert (replay.dead_letter.status, replay.dead_letter.replayed_as) == (
        "replayed", replay.task_id
    )  # fmt: skip
    assert replay.dead_letter.created_at_unix == dead.created_at_unix
    assert replay.dead_letter.last_error == "boom"
    again = (await admin.orch.GetTask(rpc.GetTaskRequest(id=replay.task_id))).task
    assert (again.status, again.attempts, again.retry_of_task) == ("queued", 0, task.id)
    assert (again.title, again.context_id, again.workspace_id) == ("doomed", "ctx", "dl")
    original = (await admin.orch.GetTask(rpc.GetTaskRequest(id=task.id))).task
    assert (original.status, original.attempts, original.error_message) == ("dead", 1, "boom")
    assert (
        await admin.orch.ListDeadLetters(rpc.ListDeadLettersRequest(workspace_id="dl"))
    ).count == 0
    with_replayed = await admin.orch.ListDeadLetters(
        rpc.ListDeadLettersRequest(workspace_id="dl", include_replayed=True)
    )
    assert [d.status for d in with_replayed.items] == ["replayed"]

    twice = await refused(admin.orch.ReplayDeadLetter(rpc.ReplayDeadLetterRequest(id=dead.id)))
    assert twice.code == "FAILED_PRECONDITION"
    missing = await refused(admin.orch.ReplayDeadLetter(rpc.ReplayDeadLetterRequest(id="nope")))
    assert missing.code == "NOT_FOUND"


async def test_replay_needs_an_admin_and_dead_letter_filters_are_checked(
    connect: Connect,
) -> None:
    gateway = await connect("svc:gateway")
    task = (await gateway.enqueue(workspace_id="dg", max_attempts=1)).task
    await gateway.fail(task.id, retryable=True)
    dead = (
        await gateway.orch.ListDeadLetters(rpc.ListDeadLettersRequest(workspace_id="dg"))
    ).items[0]
    denied = await refused(gateway.orch.ReplayDeadLetter(rpc.ReplayDeadLetterRequest(id=dead.id)))
    assert denied.code == "PERMISSION_DENIED"
    ok = await gateway.orch.ReplayDeadLetter(
        rpc.ReplayDeadLetterRequest(id=dead.id), metadata=ACTING_ADMIN
    )
    assert ok.task_id and ok.dead_letter.subject_id == task.id
    for req, field in [
        (rpc.ListDeadLettersRequest(kind="letter"), "kind"),
        (rpc.ListDeadLettersRequest(limit=-5), "limit"),
    ]:
        err = await refused(gateway.orch.ListDeadLetters(req))
        assert (err.code, err.details.get("field")) == ("INVALID_ARGUMENT", field)
