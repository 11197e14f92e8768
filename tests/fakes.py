"""Test doubles shared by several test modules: real implementations of the seams the code
is wired with, not mocks."""

from __future__ import annotations

import time


class FrozenClock:
    """The store's `Clock` (unix milliseconds), standing still until a test moves it:
    `advance(seconds)` or `ms` directly."""

    def __init__(self, unix: float) -> None:
        self.ms = round(unix * 1000)

    def now_ms(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += round(seconds * 1000)


class SteppedClock:
    """The store's `Clock` at real time plus whatever a test adds (`advance`, or `offset_ms`):
    time passes without sleeping, e.g. so a later change carries a later timestamp (the store
    records whole seconds) or a lease runs out."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, seconds: float = 1.0) -> None:
        self.offset_ms += int(seconds * 1000)
