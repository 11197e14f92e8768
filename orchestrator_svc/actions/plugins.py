"""What performs an approved action: a plugin per action type (REFERENCE.md §3.4).

A plugin refuses bad or unsafe input with `svckit.errors.InvalidArgument` or
`PermissionDenied` before any effect, and reports a failed effect with
`FailedPrecondition`; either way the approval's execution is recorded `failed`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from agent_runtime.store.v1 import approval_pb2
from svckit.errors import InvalidArgument

Approval = approval_pb2.ActionApproval


class Plugin(Protocol):
    """Performs one kind of action; returns the message recorded with the outcome."""

    @property
    def key(self) -> str: ...

    @property
    def types(self) -> tuple[str, ...]: ...

    async def execute(self, approval: Approval, payload: Mapping[str, Any]) -> str: ...


class Registry:
    """Plugins by lower-cased action type; a later plugin shadows an earlier one."""

    def __init__(self, plugins: Iterable[Plugin]) -> None:
        self._by_type: dict[str, Plugin] = {}
        for plugin in plugins:
            for kind in plugin.types:
                self._by_type[kind.strip().lower()] = plugin

    def find(self, action_type: str) -> Plugin | None:
        return self._by_type.get(action_type.strip().lower())


def payload_of(approval: Approval) -> dict[str, Any]:
    """The approval's payload object (the store keeps only JSON objects)."""
    try:
        value = json.loads(approval.payload_json or "{}")
    except ValueError:
        raise InvalidArgument("payload_json is not valid JSON", field="payload_json") from None
    if not isinstance(value, dict):
        raise InvalidArgument("payload_json must be a JSON object", field="payload_json")
    return value


def text(payload: Mapping[str, Any], key: str) -> str:
    """A payload value as trimmed text ("" when absent or null)."""
    value = payload.get(key)
    return "" if value is None else str(value).strip()
