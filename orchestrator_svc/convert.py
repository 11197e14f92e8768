"""Store messages -> orchestrator messages. Both describe the same task; the orchestrator's
contract speaks the original's JSON names and unix seconds, the store's the queue's
milliseconds."""

from __future__ import annotations

from collections.abc import Mapping

from google.protobuf.message import Message

from agent_runtime.orchestrator.v1 import resources_pb2 as api
from agent_runtime.orchestrator.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from orchestrator_svc import vocab

# Fields both Task messages carry under the same name and type.
_SHARED = tuple(
    f.name
    for f in api.Task.DESCRIPTOR.fields
    if f.name in store.Task.DESCRIPTOR.fields_by_name
    and store.Task.DESCRIPTOR.fields_by_name[f.name].type == f.type
)


def fields_of(msg: Message) -> dict[str, object]:
    """A request's scalar fields by name (the domain's input)."""
    return {f.name: getattr(msg, f.name) for f in msg.DESCRIPTOR.fields if f.message_type is None}


def task(row: store.Task, now_ms: int) -> api.Task:
    """The task as the orchestrator's API shows it."""
    out = api.Task(**{name: getattr(row, name) for name in _SHARED})
    out.queue_lane = row.lane
    if row.status == "queued" and row.next_attempt_at_ms > now_ms:
        out.not_before_unix = -(-row.next_attempt_at_ms // 1000)
    if row.status == "running" and row.lease_expires_at_ms:
        out.lease_expires_at_unix = row.lease_expires_at_ms // 1000
    return out


def dead_letter(row: store.DeadLetter, subject: store.Task | None) -> api.DeadLetter:
    """A dead letter; `subject` (the dead task, when known) fills in context and summary."""
    out = api.DeadLetter(
        id=row.id,
        kind=row.subject_kind,
        subject_id=row.subject_id,
        workspace_id=row.workspace_id,
        last_error=row.last_error,
        attempts=row.attempts,
        status="replayed" if row.replayed_at_unix else "dead",
        created_at_unix=row.created_at_unix,
        replayed_at_unix=row.replayed_at_unix,
    )
    if row.replayed_at_unix:
        out.replayed_as = row.replayed_as  # the new task (the dead one stays dead)
    if subject is not None:
        out.context_id = subject.context_id
        out.summary = subject.title
    return out


def queue_stats(
    stats: store_rpc.QueueStatsResponse, now_unix: int, workers: tuple[int, int]
) -> rpc.GetQueueStatsResponse:
    """Totals and per-lane figures; every lane is listed, in claim order."""
    by_lane: Mapping[str, store_rpc.LaneStats] = {lane.lane: lane for lane in stats.lanes}
    names = [*vocab.LANES, *sorted(set(by_lane) - set(vocab.LANES))]
    empty = store_rpc.LaneStats()
    lanes = [
        api.LaneStats(
            queue_lane=name,
            queued=by_lane.get(name, empty).queued,
            running=by_lane.get(name, empty).running,
            oldest_queued_age_ms=by_lane.get(name, empty).oldest_queued_age_ms,
            oldest_lease_age_ms=by_lane.get(name, empty).oldest_lease_age_ms,
            leases_near_expiry=by_lane.get(name, empty).leases_near_expiry,
            leases_expired=by_lane.get(name, empty).leases_expired,
        )
        for name in names
    ]
    return rpc.GetQueueStatsResponse(
        queued=sum(lane.queued for lane in lanes),
        running=sum(lane.running for lane in lanes),
        dead=stats.dead,
        oldest_queued_age_ms=stats.oldest_queued_age_ms,
        oldest_lease_age_ms=stats.oldest_lease_age_ms,
        workers_busy=workers[0],
        workers_total=workers[1],
        workers_idle=max(workers[1] - workers[0], 0),
        leases_near_expiry=sum(lane.leases_near_expiry for lane in lanes),
        leases_expired=sum(lane.leases_expired for lane in lanes),
        lanes=lanes,
        generated_at_unix=now_unix,
    )
