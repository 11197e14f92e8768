"""What the store is built from: its database (opened and migrated by `__main__`) and its
clock. Everything else (aggregates, ids, wake-ups) `server.build_server` makes from these."""

from __future__ import annotations

from dataclasses import dataclass, field

from store_svc.common import Clock, SystemClock
from store_svc.db import Database


@dataclass(frozen=True)
class Deps:
    """The store's collaborators."""

    db: Database
    # Every time the store records or compares (tests move their own).
    clock: Clock = field(default_factory=SystemClock)
