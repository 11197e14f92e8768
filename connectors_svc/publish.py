"""Publish: a direct send, idempotent on its key. The delivery is recorded (leased to this
replica) before anything is sent, then sent at once; a key seen before returns the recorded
outcome and sends nothing. Replies to inbound messages go the same way (`sink.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors_svc.adapters.base import Adapter
from connectors_svc.courier import Courier
from connectors_svc.deps import Delivery, Ledger, NewDelivery
from svckit.errors import FailedPrecondition, InvalidArgument, Unavailable


@dataclass(frozen=True)
class Published:
    delivery: Delivery
    duplicate: bool


class Publisher:
    def __init__(
        self,
        ledger: Ledger | None,
        courier: Courier | None,
        adapters: Mapping[str, Adapter],
        disabled: Mapping[str, str],
        owner: str,
        lease_ms: int,
    ) -> None:
        self._ledger, self._courier = ledger, courier
        self._adapters, self._disabled = adapters, disabled
        self._owner, self._lease_ms = owner, lease_ms

    def check(self, new: NewDelivery) -> Adapter:
        """The adapter for `new`, or the reason it cannot be sent (nothing is recorded)."""
        if not new.idempotency_key.strip():
            raise InvalidArgument("idempotency_key is required", field="idempotency_key")
        if not new.chat_id.strip():
            raise InvalidArgument("external_id is required", field="external_id")
        if not new.text.strip():
            raise InvalidArgument("text is required", field="text")
        name = new.connector.strip().lower()
        if name in self._disabled:
            raise FailedPrecondition(
                f"connector {name} is disabled: {self._disabled[name]}", connector=name
            )
        adapter = self._adapters.get(name)
        if adapter is None:
            known = ", ".join(sorted({*self._adapters, *self._disabled})) or "none"
            raise InvalidArgument(f"unknown connector {name!r} (known: {known})", field="connector")
        return adapter

    async def publish(self, new: NewDelivery) -> Published:
        adapter = self.check(new)
        if self._ledger is None or self._courier is None:
            raise Unavailable("the delivery ledger is not configured")
        made = await self._ledger.create(
            NewDelivery(**{**new.__dict__, "connector": adapter.name}), self._owner, self._lease_ms
        )
        if made is None:
            return Published(await self._ledger.get_by_key(new.idempotency_key), True)
        return Published(await self._courier.deliver(made, adapter), False)
