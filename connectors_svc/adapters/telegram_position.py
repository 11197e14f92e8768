"""What the Telegram adapter keeps in the store under `telegram:<bot id>:offset`: the offset
it acknowledges to Telegram and the updates below it whose handling has not finished (as
Bot API JSON). It is put before every `getUpdates` that confirms something new, so an
update Telegram forgets is always either handled or in the store; a restart hands the
stored ones over again (the gateway's journal and the reply's ledger key make a second
hand-over of a finished one a no-op). A bare number (the value before this form) is an
offset with nothing pending."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from svckit.errors import Internal

Json = dict[str, Any]
MAX_CHARS = 1024 * 1024  # the store's limit for a cursor value


@dataclass(frozen=True)
class Position:
    offset: int = 0
    pending: Sequence[Json] = ()

    def encode(self) -> str:
        if not self.pending:
            return str(self.offset)
        return json.dumps(
            {"offset": self.offset, "pending": list(self.pending)},
            separators=(",", ":"),
            ensure_ascii=False,
        )


def decode(value: str) -> Position:
    value = value.strip()
    if not value:
        return Position()
    try:
        if value.isdigit():
            return Position(int(value))
        data = json.loads(value)
        return Position(int(data["offset"]), tuple(data.get("pending", ())))
    except (ValueError, KeyError, TypeError) as exc:
        raise Internal(f"unreadable telegram position in the store: {exc}") from None
