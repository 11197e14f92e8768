"""What a failed Bot API call means for the delivery ledger (adapters/base.py):

- `NotDelivered` when nothing can have reached the chat: the connection was refused or not
  made in time, the pool had no connection, or Telegram answered 429 (with its
  `retry_after`) or a 5xx;
- `Rejected` when Telegram refused the message for good: 400 (unknown chat, empty or too long
  text), 403 (the bot was blocked or removed), 401/404 (the token), a chat that migrated;
- anything else (a timeout after the request was written, a connection dropped mid-answer)
  is returned as is: the ledger records `unknown` and nobody sends it blindly again.

python-telegram-bot wraps every transport failure in `NetworkError`/`TimedOut`, keeping the
aiohttp exception as the cause (telegram_request.py); an HTTP status answer is a
`NetworkError` without one."""

from __future__ import annotations

import datetime as dt
import warnings

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from connectors_svc.adapters.base import NotDelivered, Rejected
from connectors_svc.adapters.http import NOT_SENT


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about the int form it still returns
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def delivery_error(exc: TelegramError) -> Exception:
    """The exception `send_part` raises for `exc`."""
    if isinstance(exc, RetryAfter):
        return NotDelivered(
            f"telegram flood control: {exc}", retry_after_s=retry_after_seconds(exc)
        )
    if isinstance(exc, (BadRequest, Forbidden, InvalidToken)):
        return Rejected(f"telegram refused the message: {exc}")
    if isinstance(exc, ChatMigrated):
        return Rejected(f"telegram chat migrated to {exc.new_chat_id}")
    if not isinstance(exc, NetworkError):
        return exc
    cause = exc.__cause__
    if isinstance(cause, NOT_SENT):
        return NotDelivered(f"telegram unreachable: {exc}")
    if not isinstance(exc, TimedOut) and (cause is None or isinstance(cause, TelegramError)):
        return NotDelivered(f"telegram answered an error: {exc}")  # a 5xx status
    return exc  # the request may have been written: unknown
