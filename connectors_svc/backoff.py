"""Capped exponential backoff with jitter, for delivery retries and adapter restarts.

Small on purpose: tenacity and backoff wrap a call in a retry loop, while here the delay is
stored (a delivery's next attempt is a ledger column) or waited on between supervised runs
that also watch a circuit breaker and a lease, so only the arithmetic is shared."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """`delay(n)` for the n-th consecutive failure (n >= 1): base * 2^(n-1) capped at `cap_s`,
    then jittered to between half and all of it ("equal jitter": never a zero wait, and
    replicas that failed together spread out)."""

    base_s: float
    cap_s: float

    def ceiling(self, failures: int) -> float:
        n = max(failures, 1)
        return min(self.cap_s, self.base_s * float(2 ** min(n - 1, 62)))

    def delay(self, failures: int, rng: random.Random) -> float:
        top = self.ceiling(failures)
        return top / 2 + rng.random() * top / 2
