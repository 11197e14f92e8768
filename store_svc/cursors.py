"""Stream cursors: a named position in an outside stream (a Telegram bot's next update
offset), put after what comes before it was acknowledged, read when a poller starts."""

from __future__ import annotations

from store_svc.common import Clock, required
from store_svc.db import Database, Row
from svckit.errors import InvalidArgument

MAX_VALUE = 1024 * 1024  # a Telegram position holds the updates still being handled


class Cursors:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    async def get(self, name: str) -> Row | None:
        """The cursor, or None when it was never put."""
        n = required("name", name)
        return await self._db.read(
            lambda c: c.one("SELECT * FROM stream_cursors WHERE name = :n", {"n": n})
        )

    async def put(self, name: str, value: str) -> int:
        """Sets the cursor; returns when, unix milliseconds."""
        if len(value) > MAX_VALUE:
            raise InvalidArgument(f"value is longer than {MAX_VALUE} characters", field="value")
        at = self._clock.now_ms()
        p = {"n": required("name", name), "v": value, "at": at}
        await self._db.write(
            lambda c: c.run(
                "INSERT INTO stream_cursors (name, value, updated_at_ms) VALUES (:n, :v, :at)"
                " ON CONFLICT (name) DO UPDATE SET value = :v, updated_at_ms = :at",
                p,
            )
        )
        return at
