"""HandleMessage, Chat and ListCommands: proto <-> gateway_svc.inbox."""

from __future__ import annotations

from agent_runtime.gateway.v1 import service_pb2
from gateway_svc.commands import PAIR, REGISTRY
from gateway_svc.commands.base import Message, Sender, Tools
from gateway_svc.conversation import Conversation
from gateway_svc.deps import Deps
from gateway_svc.inbox import Inbox
from svckit import callctx
from svckit.errors import InvalidArgument, PermissionDenied

CHAT_CONNECTOR = "codex"
CHAT_EXTERNAL = "codex-cli"
CHAT_CONNECTORS = ("codex", "cline", "gemini")


def build_inbox(deps: Deps) -> Inbox | None:
    if deps.journal is None or deps.contexts is None:
        return None
    tools = Tools(
        contexts=deps.contexts,
        turns=deps.turns,
        qmd=deps.qmd,
        scheduler=deps.scheduler,
        approvals=deps.approvals,
        tasks=deps.tasks,
        pairings=deps.pairings,
        clock=deps.clock,
    )
    talk = Conversation(deps.turns, deps.outbox, deps.turn_wait_ms) if deps.turns else None
    return Inbox(deps.journal, deps.contexts, tools, talk)


async def handle_message(
    inbox: Inbox, req: service_pb2.HandleMessageRequest
) -> service_pb2.HandleMessageResponse:
    for name in ("connector", "external_id"):
        if not getattr(req, name).strip():
            raise InvalidArgument(f"{name} is required", field=name)
    msg = Message(
        connector=req.connector.strip().lower(),
        external_id=req.external_id.strip(),
        display_name=req.display_name.strip(),
        from_user_id=req.from_user_id.strip(),
        text=req.text,
        direct=req.direct_message,
        mentioned=req.mentioned,
        from_display_name=req.from_display_name.strip(),
    )
    out = await inbox.handle(msg, req.message_id, None)
    return service_pb2.HandleMessageResponse(
        handled=out.handled,
        reply=out.reply,
        duplicate=out.duplicate,
        task_id=out.task_id,
        pending=out.pending,
    )


async def chat(inbox: Inbox, req: service_pb2.ChatRequest) -> service_pb2.ChatResponse:
    """The REST/CLI caller speaks as the admin it authenticated as, never as a named user."""
    who = callctx.require_admin()
    named = req.from_user_id.strip()
    if named and named not in (who, who.removeprefix("admin:")):
        raise PermissionDenied(
            f"from_user_id must be the authenticated admin ({who}) or empty", field="from_user_id"
        )
    if not req.text.strip():
        raise InvalidArgument("text is required", field="text")
    connector = req.connector.strip().lower() or CHAT_CONNECTOR
    external = req.external_id.strip() or named or CHAT_EXTERNAL
    msg = Message(
        connector=connector,
        external_id=external,
        display_name=req.display_name.strip() or external,
        from_user_id=who,
        text=req.text,
        direct=True,
    )
    out = await inbox.handle(msg, req.message_id, Sender(who, "admin"))
    return service_pb2.ChatResponse(
        handled=out.handled,
        reply=out.reply.strip(),
        task_id=out.task_id,
        pending=out.pending,
        duplicate=out.duplicate,
    )


def list_commands() -> service_pb2.ListCommandsResponse:
    return service_pb2.ListCommandsResponse(
        commands=[
            service_pb2.ChatCommand(
                name=c.name,
                description=c.description,
                argument=c.argument,
                argument_description=c.argument_description,
                argument_required=c.required,
                permission="admin" if c.admin else "anyone",
            )
            for c in (*REGISTRY.values(), PAIR)
        ]
    )
