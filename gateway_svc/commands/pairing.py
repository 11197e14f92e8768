"""`pair` (in a direct message), /approve <token> [role], /deny <token> [reason]: linking a
chat account to a user. The new identity gets the role the approver names, default member."""

from __future__ import annotations

from gateway_svc.commands.base import Call, Command, need
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted

PAIR_TTL_SECONDS = 600
ROLES = ("member", "admin", "overlord")
_NO_PAIRING = "Pairing is unavailable in this runtime."
NOT_FOUND = "Pairing token not found."


async def pair(call: Call) -> str:
    store = need(call.tools.pairings, _NO_PAIRING)
    msg = call.msg
    name = msg.from_display_name or msg.display_name or msg.from_user_id
    if not msg.from_user_id:
        return "Pairing needs a sender id."
    try:
        row, token = await store.create(msg.connector, msg.from_user_id, name, PAIR_TTL_SECONDS)
    except ResourceExhausted as exc:
        wait = max(1, -(-int(exc.details.get("retry_after_seconds", "60")) // 60))
        return f"Too many pairing requests. Try again in {wait} minute{'s' * (wait > 1)}."
    except InvalidArgument as exc:
        return f"Pairing is not available here: {exc.message}"
    minutes = max(1, (row.expires_at_unix - row.created_at_unix) // 60)
    return (
        f"Pairing requested. Ask an admin to run `/approve {token}`."
        f" The token expires in {minutes} minutes."
    )


async def approve(call: Call) -> str:
    token, _, role = call.arg.partition(" ")
    if not token:
        return "Usage: /approve <pairing-token> [member|admin|overlord]"
    who = call.require_admin()
    role = role.strip().lower() or "member"
    if role not in ROLES:
        return "Invalid role. Use: member, admin, overlord."
    overlord = call.sender.role.lower() == "overlord" or call.sender.is_certificate
    if role == "overlord" and not overlord:
        return "Access denied: only an overlord can grant the overlord role."
    store = need(call.tools.pairings, _NO_PAIRING)
    # An admin made in chat administers this chat's workspace only; an overlord is global.
    try:
        row, ident = await store.approve(token.upper(), who, role, "", call.context.workspace_id)
    except NotFound:
        return NOT_FOUND
    except (FailedPrecondition, InvalidArgument) as exc:
        return f"Pairing not approved: {exc.message}"
    where = " of this workspace" if role == "admin" else ""
    return f"Pairing approved for `{row.display_name}` ({ident.user_id}) as {role}{where}."


async def deny(call: Call) -> str:
    token, _, reason = call.arg.partition(" ")
    if not token:
        return "Usage: /deny <pairing-token> [reason]"
    who = call.require_admin()
    store = need(call.tools.pairings, _NO_PAIRING)
    reason = reason.strip(" .,:;!?-").removeprefix("because ").strip() or "denied by admin"
    try:
        row = await store.deny(token.upper(), who, reason)
    except NotFound:
        return NOT_FOUND
    except (FailedPrecondition, InvalidArgument) as exc:
        return f"Pairing not denied: {exc.message}"
    return f"Pairing denied for `{row.display_name}`."


COMMANDS = (
    Command(
        "approve",
        "Approve a pairing token",
        approve,
        "token",
        "Pairing token and optional role",
        True,
        True,
    ),
    Command("deny", "Deny a pairing token", deny, "token_reason", "Token and reason", True, True),
)
PAIR = Command("pair", "Link this chat account (direct messages)", pair)
