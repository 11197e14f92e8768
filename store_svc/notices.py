"""Notices written to the delivery ledger (the outbox) in the transaction that finishes the
thing they tell about, so none is lost while connectors are down and none is written twice:
the idempotency key names the event, and a second write of a key is a no-op.

Task notices (REFERENCE.md §4.6, SPEC.md): a finished task's completion goes to the chat it
came from (routed tasks: to the workspace's admin contexts); a failure (failed or dead) goes
to the workspace's admin contexts only. An objective's failed run gives the admins one
notice, from the objective (when the scheduler closes the run): the objective's name, its
failure streak and the task's error, or, for the failure that pauses it, the auto-pause
notice with how to resume; its task's own failure notice is not written, so a failure is
never told twice. Turns are answered by their reply, actions by their
outcome notice, reindex tasks are silent. A turn whose reply was asked for after the
gateway stopped waiting (DeliverTurnReply) has it written under `turn:<id>`, by whichever
comes second of that ask and the turn's end. connectors_svc delivers the pending rows."""

from __future__ import annotations

from store_svc.db import Conn, Row
from store_svc.keys import Keys

SILENT_KINDS = frozenset({"turn", "action", "reindex_markdown"})
FINISHED = frozenset({"succeeded", "failed", "dead"})
TURN_ENDS = FINISHED | {"canceled"}
ADMIN_LIMIT = 50
_TEXT_LIMIT = 1400


def write(
    c: Conn, keys: Keys, key: str, connector: str, chat_id: str, text: str, now_s: int
) -> bool:
    """One pending delivery under `key`; False (and nothing written) when the key exists."""
    row: Row = {
        "id": keys.new_id("dlv_"),
        "k": key,
        "c": connector.lower(),
        "chat": chat_id,
        "text": text,
        "now": now_s,
        "seq": keys.next_seq(),
    }
    n = c.run(
        "INSERT INTO deliveries (id, idempotency_key, connector, chat_id, text, status,"
        " attempts, created_at_unix, updated_at_unix, seq) VALUES (:id, :k, :c, :chat,"
        " :text, 'pending', 0, :now, :now, :seq) ON CONFLICT DO NOTHING",
        row,
    )
    return n == 1


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    raw = flat.encode()
    return flat if len(raw) <= limit else raw[:limit].decode(errors="ignore") + "..."


def _text(row: Row) -> str:
    if row["status"] == "succeeded":
        summary = row.get("result_summary") or ""
        if row.get("route_class"):
            return _cut(summary, _TEXT_LIMIT) or "Done."
        head = f"{row.get('title') or 'Task'} ({row.get('kind') or 'general'}): "
        return head + _cut(summary, 1200)
    error = _cut(row.get("error_message") or row["status"], 1100)
    if row.get("route_class"):
        return f"Routed {row['route_class']} follow-up failed (`{row['id']}`): {error}"
    return f"Task `{row['id']}` failed: {error}"


def _admins(c: Conn, workspace_id: str) -> list[Row]:
    return c.all(
        "SELECT id, connector, external_id FROM contexts WHERE workspace_id = :ws"
        f" AND is_admin = :yes ORDER BY seq, id LIMIT {ADMIN_LIMIT}",
        {"ws": workspace_id, "yes": True},
    )


def _targets(c: Conn, row: Row) -> list[Row]:
    if row["status"] == "succeeded" and not row.get("route_class"):
        if str(row["context_id"]).startswith("system:"):
            return []
        origin = c.one(
            "SELECT id, connector, external_id FROM contexts WHERE id = :id",
            {"id": row["context_id"]},
        )
        return [origin] if origin is not None else []
    return _admins(c, row["workspace_id"])


def turn_reply(c: Conn, keys: Keys, row: Row, now_s: int) -> bool:
    """The reply of a finished turn to the chat DeliverTurnReply named (none named: nothing),
    keyed `turn:<id>`: the turn's whole reply, or what stopped it."""
    if row["status"] not in TURN_ENDS or not row.get("reply_connector"):
        return False
    if row["status"] == "succeeded":
        text = (row.get("result_text") or "").strip() or "(no reply)"
    elif row["status"] == "canceled":
        text = "That turn was canceled before it finished."
    else:
        text = f"I could not finish that turn: {row.get('error_message') or row['status']}"
    key = f"turn:{row['id']}"
    return write(c, keys, key, row["reply_connector"], row["reply_chat_id"], text, now_s)


def task_finished(c: Conn, keys: Keys, row: Row, now_s: int) -> int:
    """Notices of a task that just finished (`row` as updated); how many were written. The
    first target's key is `task:<id>:<status>`, further ones add `:<context id>`."""
    if row["kind"] == "turn":
        return int(turn_reply(c, keys, row, now_s))
    if row["status"] not in FINISHED or row["kind"] in SILENT_KINDS:
        return 0
    if row["kind"] == "objective" and row["status"] != "succeeded":
        return 0  # told by the objective's run (objective_run_failed / objective_paused)
    text, written = _text(row), 0
    seen: set[tuple[str, str]] = set()
    for i, target in enumerate(_targets(c, row)):
        where = (str(target["connector"]).lower(), str(target["external_id"]))
        if where in seen:
            continue
        seen.add(where)
        key = f"task:{row['id']}:{row['status']}" + (f":{target['id']}" if i else "")
        written += write(c, keys, key, where[0], where[1], text, now_s)
    return written


def action_outcome(c: Conn, keys: Keys, approval: Row, now_s: int) -> bool:
    """The outcome of an approved action, posted back to the chat that asked for it, keyed
    `approval:<id>:<execution status>`."""
    status = approval["execution_status"]
    message = _cut(approval.get("execution_message") or "", 1200)
    if status == "succeeded":
        text = f"Action `{approval['id']}` completed: {message or 'done'}"
    elif status == "unknown":
        text = (
            f"Action `{approval['id']}` may or may not have run: it was interrupted after it"
            " started. It will not be repeated automatically; check its effect."
        )
    else:
        text = f"Action `{approval['id']}` failed: {message or status}"
    key = f"approval:{approval['id']}:{status}"
    return write(c, keys, key, approval["connector"], approval["external_id"], text, now_s)


def _to_admins(c: Conn, keys: Keys, workspace_id: str, key: str, text: str, now_s: int) -> int:
    """`text` to each admin context of the workspace once: `key`, then `key:<context id>`."""
    written, seen = 0, set()
    for i, target in enumerate(_admins(c, workspace_id)):
        where = (str(target["connector"]).lower(), str(target["external_id"]))
        if where in seen:
            continue
        seen.add(where)
        written += write(c, keys, key + (f":{target['id']}" if i else ""), *where, text, now_s)
    return written


def approval_created(c: Conn, keys: Keys, approval: Row, now_s: int) -> int:
    """A new pending approval, announced in its workspace's admin contexts with how to decide
    it; keyed `approval:<id>:created` (further contexts add `:<context id>`)."""
    what = _cut(approval.get("action_summary") or approval["action_type"], 300)
    text = (
        f"Approval requested: `{approval['id']}` {what} ({approval['action_type']}) from"
        f" {approval['connector']}/{approval['external_id']}. Approve with"
        f" `/approve-action {approval['id']}` or deny with `/deny-action {approval['id']}"
        " [reason]`."
    )
    key = f"approval:{approval['id']}:created"
    return _to_admins(c, keys, approval["workspace_id"], key, text, now_s)


def approval_expired(c: Conn, keys: Keys, approval: Row, now_s: int) -> bool:
    """An approval that lapsed undecided, told to the chat that asked for it; keyed
    `approval:<id>:expired`."""
    text = (
        f"Action `{approval['id']}` expired without a decision and will not run:"
        f" {_cut(approval.get('action_summary') or approval['action_type'], 300)}."
    )
    key = f"approval:{approval['id']}:expired"
    return write(c, keys, key, approval["connector"], approval["external_id"], text, now_s)


def objective_run_failed(c: Conn, keys: Keys, obj: Row, run: Row, now_s: int) -> int:
    """A failed run of an objective that stays active, to the workspace's admin contexts,
    keyed `objective-run:<run id>:failed`."""
    n = int(obj["consecutive_failures"] or 0)
    text = (
        f"Objective run failed: {obj['title']} (`{obj['id']}`), task `{run.get('task_id')}`:"
        f" {_cut(run.get('error') or 'failed', 800)} ({n} failure{'s' if n != 1 else ''} in a"
        " row)."
    )
    return _to_admins(
        c, keys, obj["workspace_id"], f"objective-run:{run['id']}:failed", text, now_s
    )


def objective_paused(c: Conn, keys: Keys, obj: Row, now_s: int) -> int:
    """The auto-pause of an objective, to the workspace's admin contexts, with how to resume;
    keyed `objective:<id>:auto-paused:<failure count>` (one notice per pause)."""
    text = (
        f"Objective paused: {obj['title']} (`{obj['id']}`) was {obj['auto_paused_reason']}."
        f" Last error: {_cut(obj.get('last_error') or 'none recorded', 800)}."
        f' Resume it with POST /api/v1/objectives/active {{"id": "{obj["id"]}", "active": true}}'
        " or from the TUI's objectives view."
    )
    key = f"objective:{obj['id']}:auto-paused:{obj['failure_count']}"
    return _to_admins(c, keys, obj["workspace_id"], key, text, now_s)
