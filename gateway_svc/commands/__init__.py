"""Chat commands: one module per group, gathered in one registry (name -> Command) that
dispatch, /help and ListCommands read."""

from __future__ import annotations

from collections.abc import Mapping

from gateway_svc.commands import actions, channel, knowledge, pairing, route, work
from gateway_svc.commands.base import Call, Command

REGISTRY: Mapping[str, Command]


async def _help(call: Call) -> str:
    lines = ["Commands you can run here:"]
    for cmd in REGISTRY.values():
        if cmd.admin and not call.sender.is_admin:
            continue
        arg = f" <{cmd.argument}>" if cmd.argument else ""
        lines.append(f"/{cmd.name}{arg} — {cmd.description}")
    if call.msg.direct:
        lines.append(f"pair — {pairing.PAIR.description}")
    if not call.sender.is_admin:
        lines.append("Admin commands need a linked identity with the admin role.")
    lines.append("Anything else is a question for the agent.")
    return "\n".join(lines)


HELP = Command("help", "List the commands you can run", _help)
REGISTRY = {
    c.name: c
    for c in (
        *work.COMMANDS,
        *knowledge.COMMANDS,
        HELP,
        *channel.COMMANDS,
        *route.COMMANDS,
        *pairing.COMMANDS,
        *actions.COMMANDS,
    )
}
PAIR = pairing.PAIR


def catalogue() -> list[Command]:
    """Every command, in /help order, then `pair`."""
    return [*REGISTRY.values(), PAIR]
