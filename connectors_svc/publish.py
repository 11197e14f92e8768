"""Publish: a direct send, idempotent on its key. The delivery is recorded (leased to this
replica, its first part already `sending`: one store write before the platform call) before
anything is sent, then sent at once; a key seen before returns the recorded outcome and sends
nothing. Replies to inbound messages go the same way (`sink.py`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from connectors_svc.adapters.base import Adapter
from connectors_svc.courier import Courier
from connectors_svc.deps import Delivery, Ledger, NewDelivery
from connectors_svc.split import parts_for
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
        recorded = await self.record(new)
        if isinstance(recorded, Published):
            return recorded
        return Published(await recorded(), False)

    async def record(self, new: NewDelivery) -> Published | Callable[[], Awaitable[Delivery]]:
        """Records `new`; what sends it (the delivery as recorded last), or the recorded
        outcome when the key was seen before."""
        adapter = self.check(new)
        ledger, courier = self._ledger, self._courier
        if ledger is None or courier is None:
            raise Unavailable("the delivery ledger is not configured")
        texts = parts_for(adapter, new.text)  # split once: the first is sent at once
        made = await ledger.create(
            replace(new, connector=adapter.name), self._owner, self._lease_ms, sending_text=texts[0]
        )
        if made is None:
            return Published(await ledger.get_by_key(new.idempotency_key), True)
        return lambda: courier.deliver(made, adapter, texts)
