"""Small helpers every aggregate uses: clock, ids, validation, paging."""

from __future__ import annotations

import os
import random
import time
import uuid
from typing import Protocol

from svckit.errors import InvalidArgument


class Clock(Protocol):
    def now_ms(self) -> int:
        """Current time, unix milliseconds."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


# Record ids are unique names, not secrets (tokens use `secrets`): a PRNG seeded once from
# the OS avoids a getrandom() call per id, which releases the GIL to the writer thread and
# makes the event loop wait to get it back.
_ids = random.Random(int.from_bytes(os.urandom(32), "big"))


def new_id(prefix: str = "") -> str:
    """`prefix` + a random (version 4) UUID."""
    return f"{prefix}{uuid.UUID(int=_ids.getrandbits(128), version=4)}"


def required(field: str, value: str) -> str:
    """Trimmed value, or INVALID_ARGUMENT naming the field."""
    text = value.strip()
    if not text:
        raise InvalidArgument(f"{field} is required", field=field)
    return text


def clamp(value: int, default: int, maximum: int) -> int:
    if value < 1:
        return default
    return min(value, maximum)


def offset_of(token: str) -> int:
    if not token:
        return 0
    try:
        off = int(token)
    except ValueError:
        raise InvalidArgument("page_token is malformed", field="page_token") from None
    if off < 0:
        raise InvalidArgument("page_token is malformed", field="page_token")
    return off


def next_token(offset: int, limit: int, got: int) -> str:
    return str(offset + limit) if got == limit else ""


def or_none(value: str) -> str | None:
    text = value.strip()
    return text or None
