"""/admin-channel enable and /prompt show|set|clear: the chat's context settings (admins)."""

from __future__ import annotations

from gateway_svc.commands.base import Call, Command, need

PROMPT_USAGE = "Usage: /prompt show | /prompt set <text> | /prompt clear"
_NO_STORE = "Context settings are unavailable in this runtime."


async def admin_channel(call: Call) -> str:
    if call.arg.strip().lower() != "enable":
        return "Usage: /admin-channel enable"
    call.require_admin()
    contexts = need(call.tools.contexts, _NO_STORE)
    ctx = await contexts.update(call.context.id, is_admin=True)
    return f"Admin channel enabled for context `{ctx.id}`."


async def prompt(call: Call) -> str:
    call.require_admin()
    sub, _, rest = call.arg.partition(" ")
    sub = sub.lower()
    if sub == "show":
        text = call.context.system_prompt.strip() or "(empty)"
        return f"Current context prompt:\n{text}"
    contexts = need(call.tools.contexts, _NO_STORE)
    if sub == "clear":
        await contexts.update(call.context.id, prompt="")
        return "Context prompt cleared."
    if sub == "set":
        if not rest.strip():
            return "Usage: /prompt set <text>"
        ctx = await contexts.update(call.context.id, prompt=rest.strip())
        return f"Context prompt updated for `{ctx.id}`."
    return PROMPT_USAGE


COMMANDS = (
    Command(
        "admin-channel",
        "Enable admin mode for this channel",
        admin_channel,
        "mode",
        "Use: enable",
        True,
        admin=True,
    ),
    Command(
        "prompt",
        "Show, set or clear the system prompt for this channel",
        prompt,
        "text",
        "show | set <text> | clear",
        True,
        admin=True,
    ),
)
