"""What this session did: a ring buffer of events, newest first (the Activity view)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

LIMIT = 250  # as the original TUI


@dataclass(frozen=True)
class Event:
    at_unix: float
    level: str
    text: str


class Activity:
    """The session's events; `clock` gives unix seconds (injected, so tests fix it)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._events: deque[Event] = deque(maxlen=LIMIT)

    def add(self, level: str, text: str) -> None:
        self._events.appendleft(Event(self._clock(), level, text))

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)
