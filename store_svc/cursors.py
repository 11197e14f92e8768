"""Stream cursors: a named position in an outside stream (a Telegram bot's next update
offset), put after what comes before it was acknowledged, read when a poller starts.

A put may be fenced by the writer's leader lease and ordered by a sequence: in the same
transaction the store checks that the lease is still the writer's (same holder, same token,
not expired) and that the sequence does not go back, so a replica that lost its lease, or a
late write from before a restart, cannot move a cursor a newer leader has put."""

from __future__ import annotations

from dataclasses import dataclass

from store_svc.common import Clock, required
from store_svc.db import Conn, Database, Row
from svckit.errors import FailedPrecondition, InvalidArgument

MAX_VALUE = 1024 * 1024  # a Telegram position holds the updates still being handled


@dataclass(frozen=True)
class Fence:
    """The leader lease a writer holds: `LeaseService`'s name, holder and token."""

    name: str
    holder: str
    token: int


class Cursors:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    async def get(self, name: str) -> Row | None:
        """The cursor, or None when it was never put."""
        n = required("name", name)
        return await self._db.read(
            lambda c: c.one("SELECT * FROM stream_cursors WHERE name = :n", {"n": n})
        )

    async def put(
        self, name: str, value: str, fence: Fence | None = None, sequence: int | None = None
    ) -> int:
        """Sets the cursor; returns when, unix milliseconds. FailedPrecondition (nothing
        changed) when `fence` is no longer held or `sequence` is below the stored one."""
        if len(value) > MAX_VALUE:
            raise InvalidArgument(f"value is longer than {MAX_VALUE} characters", field="value")
        if fence is not None:
            required("fence.name", fence.name), required("fence.holder", fence.holder)
            if fence.token < 1:
                raise InvalidArgument("fence.token must be at least 1", field="fence.token")
        if sequence is not None and sequence < 0:
            raise InvalidArgument("sequence must not be negative", field="sequence")
        at = self._clock.now_ms()
        p = {"n": required("name", name), "v": value, "at": at, "seq": sequence}

        def run(c: Conn) -> None:
            if fence is not None:
                _check_fence(c, fence, at)
            written = c.one(
                _PUT + (_FORWARD if sequence is not None else "") + " RETURNING name", p
            )
            if written is None:
                held = c.one("SELECT sequence FROM stream_cursors WHERE name = :n", p)
                raise FailedPrecondition(
                    f"cursor {p['n']} would move backwards: stored sequence"
                    f" {held['sequence'] if held else '?'}, put {sequence}",
                    name=str(p["n"]),
                )

        await self._db.write(run)
        return at


_PUT = (
    "INSERT INTO stream_cursors (name, value, updated_at_ms, sequence) VALUES (:n, :v, :at,"
    " :seq) ON CONFLICT (name) DO UPDATE SET value = :v, updated_at_ms = :at, sequence = :seq"
)
_FORWARD = " WHERE stream_cursors.sequence IS NULL OR stream_cursors.sequence <= :seq"


def _check_fence(c: Conn, fence: Fence, now: int) -> None:
    """The lease row is locked (PostgreSQL) so no new holder takes it until this put
    commits; SQLite's writes are serialized already."""
    lease = c.one(
        f"SELECT holder, token, expires_at_ms FROM leader_leases WHERE name = :n {c.for_update}",
        {"n": fence.name},
    )
    why = ""
    if lease is None:
        why = "was never taken"
    elif lease["holder"] != fence.holder or int(lease["token"]) != fence.token:
        why = f"is now held by {lease['holder']} (token {lease['token']})"
    elif int(lease["expires_at_ms"]) < now:
        why = "has expired"
    if why:
        raise FailedPrecondition(
            f"cursor refused: lease {fence.name} of {fence.holder} (token {fence.token}) {why}",
            lease=fence.name,
        )
