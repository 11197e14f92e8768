"""The ids and creation-order keys of one store instance's new rows."""

from __future__ import annotations

import os
import random
import threading
import uuid

from store_svc.common import Clock


class Keys:
    """Record ids and `seq` keys for the rows one store instance creates. One instance is
    shared by every aggregate of a store (`server.build_server`), so keys strictly increase
    across all of them; its time is the store's injected clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        # Record ids are unique names, not secrets (tokens use `secrets`): a PRNG seeded once
        # from the OS avoids a getrandom() call per id, which releases the GIL to the writer
        # thread and makes the event loop wait to get it back.
        self._ids = random.Random(int.from_bytes(os.urandom(32), "big"))
        # Rows are keyed on the event loop and in the database's threads alike.
        self._seq_lock = threading.Lock()
        self._last_seq = 0

    def new_id(self, prefix: str = "") -> str:
        """`prefix` + a random (version 4) UUID."""
        return f"{prefix}{uuid.UUID(int=self._ids.getrandbits(128), version=4)}"

    def next_seq(self) -> int:
        """The creation-order key of a new row (its `seq` column): the clock's time in unix
        microseconds, bumped past the previous key so that it strictly increases within this
        store even when rows are made in the same millisecond or the clock steps back.
        Listings order by it (then id) instead of by a seconds timestamp, which ties within a
        second. Keys of different store replicas interleave by wall time."""
        with self._seq_lock:
            self._last_seq = max(self._clock.now_ms() * 1000, self._last_seq + 1)
            return self._last_seq
