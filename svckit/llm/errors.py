"""SDK exceptions as `svckit.errors`: the same mapping for both providers (their SDKs share
the exception shapes: APITimeoutError, APIConnectionError, APIStatusError)."""

from __future__ import annotations

import re

from svckit import errors

_THINK = re.compile(r"<think>.*?</think>|```think.*?```", re.S | re.I)


def strip_thinking(text: str) -> str:
    """Reasoning blocks some local models emit (`<think>…</think>`) removed, trimmed."""
    return _THINK.sub("", text).replace("<think>", "").replace("</think>", "").strip()


def translate(name: str, exc: Exception, timeout: float) -> errors.DomainError:
    """The domain error for an SDK exception of `name` (`<provider>:<model>`)."""
    kind = type(exc).__name__
    if kind == "APITimeoutError":
        return errors.DeadlineExceeded(
            f"the language model ({name}) did not answer in {timeout:g}s"
        )
    if kind == "APIConnectionError":
        return errors.Unavailable(f"the language model ({name}) is unreachable")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        text = f"the language model ({name}) answered HTTP {status}"
        detail = _detail(exc)
        if detail:
            text += f": {detail}"
        if status == 429 or status >= 500:
            return errors.Unavailable(text)
        return errors.FailedPrecondition(text)
    return errors.Unavailable(f"the language model ({name}) failed: {kind}")


def _detail(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
    return ""
