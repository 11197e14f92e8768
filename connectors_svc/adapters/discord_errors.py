"""What a failed Discord REST call means for the delivery ledger (adapters/base.py).

discord.py has already waited out the short rate limits (a 429 with a retry-after within
`max_ratelimit_timeout`) and retried 500/502/504/524 with its own backoff before raising, so
what reaches here is a final answer."""

from __future__ import annotations

import aiohttp
import discord

from connectors_svc.adapters.base import NotDelivered, Rejected


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(header))
    except ValueError:
        return 0.0


def classify(exc: BaseException) -> BaseException:
    """The ledger's view of `exc`: NotDelivered (nothing reached Discord, or Discord refused
    before accepting: connection refused, 429, 5xx), Rejected (a 4xx: never retried), or
    `exc` itself (unknown: the request may have been accepted)."""
    if isinstance(exc, discord.RateLimited):
        return NotDelivered("discord rate limit", retry_after_s=exc.retry_after)
    if isinstance(exc, discord.LoginFailure):
        return NotDelivered(f"discord login failed: {exc}")
    if isinstance(exc, discord.HTTPException):
        status = exc.status
        what = f"discord answered {status}: {exc.text[:200]}"
        if status == 429:
            return NotDelivered(what, retry_after_s=_retry_after(exc))
        if status >= 500:
            return NotDelivered(what, retry_after_s=_retry_after(exc))
        if 400 <= status < 500:
            return Rejected(what)
        return exc
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Raised while connecting: no byte of the request was written.
        return NotDelivered(f"discord unreachable: {exc}")
    return exc
