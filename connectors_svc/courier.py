"""Sending one delivery through its adapter, part by part, with the ledger written before and
after each platform call (`sending`, then the outcome), so a crash mid-send is visible as
`unknown` and never repeated, and a retry resumes after the last part sent.

What `send_part` raises decides the outcome (adapters/base.py): `NotDelivered` puts the
delivery back to pending after a capped, jittered backoff (at least the platform's
retry-after), until `max_attempts`; `Rejected` fails it; anything else is `unknown`."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors_svc.adapters.base import Adapter, NotDelivered, Part, Rejected, Sent
from connectors_svc.backoff import Backoff
from connectors_svc.deps import Delivery, Ledger, PartStep
from connectors_svc.split import parts_for
from connectors_svc.status import Board
from svckit import errors

log = logging.getLogger("connectors.courier")


@dataclass(frozen=True)
class CourierPolicy:
    lease_ms: int = 30_000
    retry: Backoff = field(default_factory=lambda: Backoff(1.0, 300.0))
    max_attempts: int = 8


class Courier:
    def __init__(
        self, ledger: Ledger, owner: str, board: Board, policy: CourierPolicy, rng: random.Random
    ) -> None:
        self._ledger, self._owner, self._board = ledger, owner, board
        self._policy, self._rng = policy, rng

    async def _record(self, d: Delivery, step: PartStep) -> Delivery:
        return await self._ledger.record(d.id, self._owner, step, self._policy.lease_ms)

    async def deliver(
        self, d: Delivery, adapter: Adapter, texts: Sequence[str] | None = None
    ) -> Delivery:
        """Sends what is left of `d` (leased to this replica); the delivery as recorded last.
        Stops quietly when the row is no longer ours (another replica or a sweep took it).
        `texts`: `d.text`'s parts when the caller has split it already (Publish)."""
        texts = parts_for(adapter, d.text) if texts is None else texts
        n, done = len(texts), {p.index for p in d.parts if p.status == "sent"}
        current = d
        for i, text in enumerate(texts):
            if i in done:
                continue
            try:
                if not _created_sending(current, i):
                    current = await self._record(d, PartStep(i, n, "sending", text=text))
            except (errors.Aborted, errors.FailedPrecondition) as exc:
                log.info("delivery %s is not ours any more: %s", d.id, exc)
                return current
            step = await self._send(current, adapter, i, n, text)
            current = await self._outcome(current, step)
            if step.status != "sent":
                return current
            self._board.outbound(adapter.name)
        return current

    async def _send(self, d: Delivery, adapter: Adapter, i: int, n: int, text: str) -> PartStep:
        part = Part(
            chat_id=d.chat_id,
            text=text,
            reply_to_message_id=d.reply_to_message_id if i == 0 else "",
            subject=d.subject,
            idempotency_key=d.idempotency_key if n == 1 else f"{d.idempotency_key}#{i}",
            reply_route=d.reply_route,
            index=i,
        )
        try:
            pmid = await adapter.send_part(part)
        except NotDelivered as exc:
            tries = d.attempts - sum(p.status == "sent" for p in d.parts)
            if tries >= self._policy.max_attempts:
                return PartStep(i, n, "failed", error=f"gave up after {tries} attempts: {exc}")
            wait = max(self._policy.retry.delay(tries, self._rng), exc.retry_after_s)
            return PartStep(i, n, "pending", error=str(exc), retry_after_ms=int(wait * 1000))
        except Rejected as exc:
            return PartStep(i, n, "failed", error=str(exc) or "rejected")
        except Exception as exc:  # it may have arrived: never repeated blindly
            log.warning("delivery %s part %d: outcome unknown: %r", d.id, i, exc)
            return PartStep(i, n, "unknown", error=f"{type(exc).__name__}: {exc}")
        if isinstance(pmid, Sent):
            return PartStep(i, n, "sent", platform_message_id=pmid.platform_message_id,
                            error=pmid.note)  # fmt: skip
        return PartStep(i, n, "sent", platform_message_id=pmid)

    async def _outcome(self, d: Delivery, step: PartStep) -> Delivery:
        """Records the outcome; a store that fails once is asked again (the row stays
        `sending`, and so turns unknown, only if the store stays unreachable)."""
        for attempt in (1, 2, 3):
            try:
                return await self._record(d, step)
            except (errors.Aborted, errors.FailedPrecondition, errors.NotFound):
                return d
            except errors.DomainError as exc:
                if attempt == 3:
                    log.error("delivery %s: outcome %s not recorded: %s", d.id, step.status, exc)
        return d


def _created_sending(d: Delivery, i: int) -> bool:
    """Publish created `d` with its first part already `sending` (claimed ones are pending)."""
    return i == 0 and d.status == "sending" and [p.status for p in d.parts] == ["sending"]
