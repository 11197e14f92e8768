"""`pair` (in a direct message), /approve <token> [role], /deny <token> [reason]: linking a
chat account to a user. The new identity gets the role the approver names, default member."""

from __future__ import annotations

from gateway_svc.commands.base import Call, Command, need
from svckit.errors import FailedPrecondition, InvalidArgument, NotFound

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
    row, token = await store.create(msg.connector, msg.from_user_id, name, PAIR_TTL_SECONDS)
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
    if role == "overlord" and call.sender.role.lower() != "overlord":
        return "Access denied: only an overlord can grant the overlord role."
    store = need(call.tools.pairings, _NO_PAIRING)
    contexts = need(call.tools.contexts, _NO_PAIRING)
    # An admin made in chat administers this chat's workspace only; an overlord is global.
    try:
        row, ident = await store.approve(
            token.upper(), who, "overlord" if role == "overlord" else "member", ""
        )
    except NotFound:
        return NOT_FOUND
    except (FailedPrecondition, InvalidArgument) as exc:
        return f"Pairing not approved: {exc.message}"
    where = ""
    if role == "admin":
        await contexts.set_workspace_role(ident.user_id, call.context.workspace_id, "admin")
        where = " of this workspace"
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
