"""Delivering from the outbox: connectors replicas claim due deliveries under a lease and
record each part's progress, so a row is sent by one replica at a time, a retry resumes after
the last part sent, and a crash mid-send is visible (`unknown`), never repeated blindly.

A part is recorded `sending` before the platform call and its outcome after. Between parts
the delivery is `pending` (still leased): a replica that stops there leaves nothing in
flight, so another claims it once the lease runs out and sends the remaining parts. A
delivery whose lease runs out while `sending` becomes `unknown` at the next claim."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from store_svc.deliveries import DEFAULT_LEASE_MS, with_parts
from store_svc.wakeups import DELIVERIES, RECHECK_S, Wakeups
from svckit.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound

MAX_WAIT_MS = 30_000
PART_STATUSES = ("sending", "sent", "failed", "unknown", "pending")
LOST = "the connectors replica stopped while sending: it may or may not have arrived"
_WATCHED = frozenset({DELIVERIES})


def _sweep(c: Conn, now_ms: int) -> None:
    """Deliveries whose lease ran out while a part was with the platform: unknown."""
    p = {"now": now_ms, "now_s": now_ms // 1000, "err": LOST}
    c.run(
        "UPDATE delivery_parts SET status = 'unknown', last_error = :err,"
        " updated_at_unix = :now_s WHERE status = 'sending' AND delivery_id IN (SELECT id"
        " FROM deliveries WHERE status = 'sending' AND lease_expires_at_ms < :now)",
        p,
    )
    c.run(
        "UPDATE deliveries SET status = 'unknown', last_error = :err, lease_expires_at_ms = 0,"
        " updated_at_unix = :now_s WHERE status = 'sending' AND lease_expires_at_ms < :now",
        p,
    )


class DeliveryClaims:
    def __init__(
        self, db: Database, clock: Clock, wake: Wakeups | None = None, recheck_s: float = RECHECK_S
    ) -> None:
        self._db, self._clock = db, clock
        self._wake = wake or Wakeups()
        self._recheck_s = recheck_s

    async def claim(
        self, connectors: Sequence[str], owner: str, lease_ms: int, limit: int, wait_ms: int
    ) -> list[Row]:
        """Lease up to `limit` due pending deliveries of `connectors` to `owner`."""
        who = required("owner", owner)
        names = sorted({c.strip().lower() for c in connectors if c.strip()})
        if not names:
            raise InvalidArgument("connectors must name at least one connector", field="connectors")
        if lease_ms < 0 or limit < 0 or wait_ms < 0:
            field = "lease_ms" if lease_ms < 0 else "limit" if limit < 0 else "wait_ms"
            raise InvalidArgument(f"{field} must not be negative", field=field)
        params: dict[str, Any] = {f"c{i}": n for i, n in enumerate(names)}
        params.update(o=who, n=min(limit or 10, 100), lease=lease_ms or DEFAULT_LEASE_MS)
        among = ", ".join(f":c{i}" for i in range(len(names)))

        def run(c: Conn) -> list[Row]:
            now = self._clock.now_ms()
            _sweep(c, now)
            p = {**params, "now": now, "now_s": now // 1000, "exp": now + params["lease"]}
            rows = c.all(
                "UPDATE deliveries SET lease_owner = :o, lease_expires_at_ms = :exp,"
                " updated_at_unix = :now_s WHERE id IN (SELECT id FROM deliveries WHERE"
                f" status = 'pending' AND connector IN ({among}) AND next_attempt_at_ms <= :now"
                f" AND lease_expires_at_ms < :now ORDER BY seq LIMIT :n {c.skip_locked})"
                " RETURNING *",
                p,
            )
            rows.sort(key=lambda r: (r["seq"], r["id"]))
            return with_parts(c, rows)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait_ms, MAX_WAIT_MS) / 1000
        while True:
            seen = self._wake.generation(_WATCHED)
            rows = await self._db.write(run)
            left = deadline - loop.time()
            if rows or left <= 0:
                return rows
            if self._wake.generation(_WATCHED) == seen:  # nothing arrived while we looked
                await self._wake.wait(min(left, self._recheck_s), _WATCHED)

    async def record_part(self, req: dict[str, Any]) -> Row:
        """One part's progress (see the module docstring); ABORTED when `owner` does not hold
        the delivery, FAILED_PRECONDITION when the step does not follow the last one."""
        did, who = required("id", req["id"]), required("owner", req["owner"])
        status, index, count = req["status"], int(req["index"]), int(req["count"])
        if status not in PART_STATUSES:
            raise InvalidArgument(
                "status must be sending, sent, failed, unknown or pending", field="status"
            )
        if index < 0 or count < 1 or index >= count:
            raise InvalidArgument("index must be within 0 .. count - 1", field="index")
        if int(req.get("retry_after_ms") or 0) < 0 or int(req.get("lease_ms") or 0) < 0:
            raise InvalidArgument("durations must not be negative", field="retry_after_ms")
        now = self._clock.now_ms()
        p: dict[str, Any] = {
            "id": did,
            "i": index,
            "text": req.get("text") or "",
            "pmid": req.get("platform_message_id") or None,
            "err": req.get("last_error") or None,
            "now": now,
            "now_s": now // 1000,
            "exp": now + (int(req.get("lease_ms") or 0) or DEFAULT_LEASE_MS),
            "due": now + int(req.get("retry_after_ms") or 0),
        }

        def run(c: Conn) -> Row:
            row = c.one(f"SELECT * FROM deliveries WHERE id = :id {c.for_update}", p)
            if row is None:
                raise NotFound("delivery not found", id=did)
            if row["lease_owner"] != who:
                raise Aborted("the delivery is not leased to this owner", id=did)
            expected = "pending" if status == "sending" else "sending"
            if row["status"] != expected:
                raise FailedPrecondition(
                    f"delivery is {row['status']}, not {expected}", status=row["status"]
                )
            done = _apply(c, status, p, last=index == count - 1)
            return with_parts(c, [done])[0]

        return await self._db.write(run)


def _apply(c: Conn, status: str, p: dict[str, Any], last: bool) -> Row:
    """The step's writes; the delivery as they leave it (the locked row, so it is there)."""
    if status == "sending":
        if (
            c.run(
                "UPDATE delivery_parts SET status = 'sending', text = :text, last_error = NULL,"
                " updated_at_unix = :now_s WHERE delivery_id = :id AND part_index = :i",
                p,
            )
            == 0
        ):
            c.run(
                "INSERT INTO delivery_parts (delivery_id, part_index, text, status,"
                " updated_at_unix) VALUES (:id, :i, :text, 'sending', :now_s)",
                p,
            )
        return _updated(
            c,
            "UPDATE deliveries SET status = 'sending', attempts = attempts + 1,"
            " lease_expires_at_ms = :exp, updated_at_unix = :now_s WHERE id = :id",
            p,
        )
    if status == "pending":  # nothing reached the recipient: this part is tried again
        c.run("DELETE FROM delivery_parts WHERE delivery_id = :id AND part_index = :i", p)
        return _updated(
            c,
            "UPDATE deliveries SET status = 'pending', last_error = :err, lease_owner = NULL,"
            " lease_expires_at_ms = 0, next_attempt_at_ms = :due, updated_at_unix = :now_s"
            " WHERE id = :id",
            p,
        )
    c.run(
        "UPDATE delivery_parts SET status = :st, platform_message_id = :pmid,"
        " last_error = :err, updated_at_unix = :now_s WHERE delivery_id = :id"
        " AND part_index = :i",
        {**p, "st": status},
    )
    whole = "pending" if status == "sent" and not last else status
    keep = whole == "pending"  # more parts to send: still ours
    return _updated(
        c,
        "UPDATE deliveries SET status = :whole, last_error = :err,"
        " platform_message_id = COALESCE(platform_message_id, :pmid),"
        f" lease_owner = {'lease_owner' if keep else 'NULL'},"
        f" lease_expires_at_ms = {':exp' if keep else '0'}, updated_at_unix = :now_s"
        " WHERE id = :id",
        {**p, "whole": whole},
    )


def _updated(c: Conn, sql: str, p: dict[str, Any]) -> Row:
    row = c.one(sql + " RETURNING *", p)
    assert row is not None
    return row
