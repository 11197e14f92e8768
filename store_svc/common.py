"""Small helpers every aggregate uses: clock, validation, paging. (Ids and creation-order
keys are per store instance: `store_svc.keys`.)"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any, Protocol

from store_svc.db.base import Row
from svckit.errors import InvalidArgument


class Clock(Protocol):
    def now_ms(self) -> int:
        """Current time, unix milliseconds."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def key_token(row: Row) -> str:
    """An opaque page token pointing just past `row` in (seq, id) order; stable under
    inserts, unlike an offset."""
    raw = f"{row['seq']}:{row['id']}".encode()
    return "k" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Page positions are database integers (BIGINT); a larger one could only fail in the driver.
_MAX_POSITION = 2**63 - 1


def _position(text: str) -> int:
    """A page token's position: a non-negative integer that fits in a BIGINT; ValueError for
    anything else."""
    value = int(text)
    if not 0 <= value <= _MAX_POSITION:
        raise ValueError(text)
    return value


def _malformed() -> InvalidArgument:
    return InvalidArgument("page_token is malformed", field="page_token")


def after_key(token: str) -> tuple[int, str] | None:
    """The (seq, id) a `key_token` points past; None for the first page; INVALID_ARGUMENT
    naming page_token for anything else (out of range included)."""
    if not token:
        return None
    try:
        if not token.startswith("k"):
            raise ValueError(token)
        body = token[1:]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        seq, _, rid = raw.partition(":")
        if not rid:
            raise ValueError(token)
        return _position(seq), rid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _malformed() from None


class Reader(Protocol):
    async def read(self, fn: Callable[[Any], list[Row]]) -> list[Row]: ...


async def key_page(
    db: Reader,
    select: str,
    where: list[str],
    params: dict[str, Any],
    page_token: str,
    limit: int,
    *,
    descending: bool = False,
    table: str = "",
) -> tuple[list[Row], str]:
    """One page of `select` (`SELECT … FROM …`, no WHERE) under the `where` conditions, in
    creation order ((seq, id), ascending or descending) after `page_token`, and the next
    page's token ("" on the last page: a full last page is not followed by an empty one).
    Keyset, not offset: rows made between pages neither repeat nor hide. `table` is the
    alias that qualifies seq and id in a join."""
    params = {**params, "page_limit": limit + 1}
    key = after_key(page_token)
    seq, rid = (f"{table}.seq", f"{table}.id") if table else ("seq", "id")
    order, op = ("DESC", "<") if descending else ("ASC", ">")
    conds = list(where)
    if key is not None:
        params["after_seq"], params["after_id"] = key
        conds.append(f"({seq} {op} :after_seq OR ({seq} = :after_seq AND {rid} {op} :after_id))")
    sql = (
        f"{select} {'WHERE ' + ' AND '.join(conds) if conds else ''}"
        f" ORDER BY {seq} {order}, {rid} {order} LIMIT :page_limit"
    )
    rows = await db.read(lambda c: c.all(sql, params))
    if len(rows) > limit:
        return rows[:limit], key_token(rows[limit - 1])
    return rows, ""


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
    """The offset an offset page token names; 0 for the first page; INVALID_ARGUMENT naming
    page_token for anything else (negative or out of range included)."""
    if not token:
        return 0
    try:
        return _position(token)
    except ValueError:
        raise _malformed() from None


def next_token(offset: int, limit: int, got: int) -> str:
    return str(offset + limit) if got == limit else ""


def or_none(value: str) -> str | None:
    text = value.strip()
    return text or None
