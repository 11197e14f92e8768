"""Events (`markdown.updated` from qmd, custom events posted through the API): every active
event objective of the workspace with the event's key fires once per event id. No grpc."""

from __future__ import annotations

import hashlib
import json

from google.protobuf import json_format

from agent_runtime.scheduler.v1 import service_pb2 as rpc
from agent_runtime.store.v1 import objective_pb2 as stored
from scheduler_svc.deps import ObjectiveStore
from scheduler_svc.firing import Fired, Firer, Firing
from svckit.errors import InvalidArgument

# Notifications without an id that repeat within this many seconds are one event (an editor
# saving a file twice, qmd re-announcing it).
BUCKET_SECONDS = 30
_PAGE = 500


def event_id(req: rpc.NotifyEventRequest, key: str, now: int) -> str:
    """The given id, or one derived from the path (markdown.updated) or the key and payload,
    within a 30-second bucket."""
    given = req.event_id.strip()
    if given:
        return given
    bucket = now - now % BUCKET_SECONDS
    path = req.path.strip()
    if path and key == "markdown.updated":
        return f"{path}@{bucket}"
    data = json.dumps(json_format.MessageToDict(req.payload), sort_keys=True)
    digest = hashlib.sha256(f"{key}\0{path}\0{data}".encode()).hexdigest()[:16]
    return f"{digest}@{bucket}"


def _note(req: rpc.NotifyEventRequest, key: str, eid: str) -> str:
    lines = [f"Event: {key} (id {eid})"]
    if req.path.strip():
        lines.append(f"Path: {req.path.strip()}")
    if req.HasField("payload") and req.payload.fields:
        data = json.dumps(json_format.MessageToDict(req.payload), sort_keys=True)
        lines.append(f"Payload: {data}")
    return "\n".join(lines)


async def _matching(store: ObjectiveStore, workspace_id: str, key: str) -> list[stored.Objective]:
    found: list[stored.Objective] = []
    token = ""
    while True:
        items, token = await store.list(
            workspace_id, active_only=True, limit=_PAGE, page_token=token, event_key=key
        )
        found.extend(o for o in items if o.trigger_type == "event" and o.active)
        if not token:
            return found


async def notify(
    store: ObjectiveStore, firer: Firer, req: rpc.NotifyEventRequest, now: int
) -> tuple[str, list[Fired]]:
    """The event's id and one firing per matching objective (a skipped stand-in for an
    objective this event id already fired)."""
    workspace = req.workspace_id.strip()
    if not workspace:
        raise InvalidArgument("workspace_id is required", field="workspace_id")
    key = req.event_key.strip().lower()
    if not key:
        raise InvalidArgument("event_key is required", field="event_key")
    eid = event_id(req, key, now)
    note = _note(req, key, eid)
    fired = []
    for obj in await _matching(store, workspace, key):
        firing = Firing(
            "event", f"objective:{obj.id}:event:{eid}", event_key=key, event_id=eid, note=note
        )
        fired.append(await firer.fire(obj, firing, 0))
    return eid, fired
