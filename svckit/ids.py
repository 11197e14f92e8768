"""Request ids: a random per-process prefix and a counter. uuid4 would ask the kernel for
randomness on every call, which also hands the GIL around in a process with threads."""

from __future__ import annotations

import itertools
import secrets


class RequestIds:
    """Mints ids unique across processes (the prefix) and within one (the counter)."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(6)
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter):08x}"
