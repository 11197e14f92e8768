"""A message posted to /api/v1/chat (or by `agent-runtime chat`): the caller is the admin it
authenticated as and cannot speak as anyone else (SPEC.md "Fix")."""

from __future__ import annotations

from gateway_svc.commands.base import Message
from svckit.errors import InvalidArgument, PermissionDenied

CHAT_CONNECTOR = "codex"
CHAT_EXTERNAL = "codex-cli"


def chat_message(
    who: str, connector: str, external_id: str, display_name: str, named: str, text: str
) -> Message:
    """The message of admin `who`; `named` (from_user_id) must be empty or `who`."""
    named = named.strip()
    if named and named not in (who, who.removeprefix("admin:")):
        raise PermissionDenied(
            f"from_user_id must be the authenticated admin ({who}) or empty", field="from_user_id"
        )
    if not text.strip():
        raise InvalidArgument("text is required", field="text")
    external = external_id.strip() or named or CHAT_EXTERNAL
    return Message(
        connector=connector.strip().lower() or CHAT_CONNECTOR,
        external_id=external,
        display_name=display_name.strip() or external,
        from_user_id=who,
        text=text,
        direct=True,
    )
