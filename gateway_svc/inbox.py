"""One inbound message, handled once (DESIGN.md §3 "journal in").

The message is journaled in the store (connector + chat + platform message id) before
anything runs. A redelivery finds the entry: handled → the stored outcome (a pending turn is
looked up again, never re-run); still being handled → "still working". Then the chat's
context and the sender's verified identity are resolved, and the message is a command
(gateway_svc.commands) or an agent turn (gateway_svc.conversation)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict, dataclass

from agent_runtime.orchestrator.v1 import service_pb2 as orpc
from agent_runtime.store.v1 import workspace_pb2
from gateway_svc.chatlogs import ChatLogs
from gateway_svc.commands import PAIR, REGISTRY
from gateway_svc.commands.base import Call, Denied, Message, Sender, Tools
from gateway_svc.commands.parse import split_command
from gateway_svc.conversation import STILL_WORKING, Conversation
from gateway_svc.deps import Deps, Journal
from svckit.errors import InvalidArgument, Unavailable

IN_PROGRESS = "Still working on that message; I'll answer once."
FAILED = "I hit an error while handling that message."
STOP_WAIT_SECONDS = 5.0
UNKNOWN = "Unknown command /{name}. Send /help for the commands you can run."


@dataclass(frozen=True)
class Outcome:
    """What a message produced; stored in the journal for redeliveries."""

    handled: bool = False
    reply: str = ""
    task_id: str = ""
    pending: bool = False
    duplicate: bool = False
    # the turn's context, so a redelivery can look a pending turn up again
    workspace_id: str = ""
    context_id: str = ""


class Inbox:
    """HandleMessage and Chat share this."""

    def __init__(
        self,
        journal: Journal,
        tools: Tools,
        conversation: Conversation | None,
        logs: ChatLogs | None = None,
    ) -> None:
        self._journal, self._tools = journal, tools
        self._conversation, self._logs = conversation, logs
        self._working: set[asyncio.Future[Outcome]] = set()

    async def stop(self) -> None:
        """Lets messages in hand finish (their outcomes are journaled); the replies of pending
        turns are the store's to deliver."""
        if self._working:
            await asyncio.wait(self._working, timeout=STOP_WAIT_SECONDS)

    async def handle(self, msg: Message, message_id: str, sender: Sender | None = None) -> Outcome:
        """`sender` given: the caller is known (an admin certificate); None: look the chat
        account up among the verified identities."""
        for name in ("connector", "external_id"):
            if not getattr(msg, name):
                raise InvalidArgument(f"{name} is required", field=name)
        if not msg.text.strip():
            return Outcome()
        mid = message_id.strip() or f"gen:{uuid.uuid4().hex}"
        # One store call journals it and resolves its context and (unless the caller is
        # known) its sender with the role in that workspace, read fresh: nothing is cached.
        begun = await self._journal.begin(msg, mid, resolve_sender=sender is None)
        entry = begun.entry
        if begun.duplicate:
            return await self._replay(entry.status, entry.outcome, msg, entry.id)
        if sender is None:  # the role it has depends on the chat's workspace
            linked = begun.HasField("identity")
            sender = Sender(begun.identity.user_id, begun.role) if linked else Sender()
        # A caller that goes away (a connector's deadline) does not stop the handling: its
        # outcome is journaled all the same, for the redelivery to find.
        work = asyncio.ensure_future(self._process(entry.id, msg, begun.context, sender))
        self._working.add(work)
        work.add_done_callback(self._working.discard)
        return await asyncio.shield(work)

    async def _process(
        self, entry_id: str, msg: Message, context: workspace_pb2.Context, sender: Sender
    ) -> Outcome:
        try:
            out = await self._run(msg, context, sender, run_key=f"inbound:{entry_id}")
        except BaseException:
            await self._journal.complete(entry_id, "failed", _dump(Outcome(True, FAILED)))
            raise
        await self._journal.complete(entry_id, "handled", _dump(out))
        return out

    async def _replay(self, status: str, stored: str, msg: Message, entry_id: str) -> Outcome:
        if status == "received":
            return Outcome(True, IN_PROGRESS, duplicate=True, pending=True)
        out = Outcome(**json.loads(stored)) if stored else Outcome(True, FAILED)
        if out.pending and self._conversation is not None:
            now = await self._conversation.peek(_turn_request(msg, out, f"inbound:{entry_id}"))
            out = Outcome(True, now.reply, now.task_id, now.pending, False, *_where(out))
        return Outcome(**{**asdict(out), "duplicate": True})

    async def _run(
        self, msg: Message, context: workspace_pb2.Context, sender: Sender, run_key: str
    ) -> Outcome:
        ws, logs = context.workspace_id, self._logs
        if logs is None:
            return await self._dispatch(msg, context, sender, run_key)
        who, chat = msg.from_user_id or sender.user_id, (ws, msg.connector, msg.external_id)
        if split_command(msg.text, msg.direct) is not None:  # a command and its reply: one write
            try:
                out = await self._dispatch(msg, context, sender, run_key)
            except BaseException:
                await logs.inbound(*chat, who, msg.text, msg.display_name)
                raise
            await logs.exchange(*chat, who, msg.text, msg.display_name, out.reply)
            return out
        # A turn's reply is logged where the turn runs, after the message it answers.
        await logs.inbound(*chat, who, msg.text, msg.display_name)
        out = await self._dispatch(msg, context, sender, run_key)
        if out.reply and (out.pending or not out.task_id):  # "still working", or no turn ran
            await logs.outbound(*chat, out.reply)
        return out

    async def _dispatch(
        self, msg: Message, context: workspace_pb2.Context, sender: Sender, run_key: str
    ) -> Outcome:
        parsed = split_command(msg.text, msg.direct)
        if parsed is None:
            return await self._converse(msg, context, run_key)
        name, arg = parsed
        command = PAIR if name == "pair" and msg.direct else REGISTRY.get(name)  # `/pair@Bot` too
        if command is None:
            return Outcome(True, UNKNOWN.format(name=name))
        call = Call(msg, context, sender, arg, self._tools)
        try:
            reply = await command.run(call)
        except Denied as exc:
            reply = str(exc)
        return Outcome(True, reply)

    async def _converse(
        self, msg: Message, context: workspace_pb2.Context, run_key: str
    ) -> Outcome:
        if not (msg.direct or msg.mentioned):
            return Outcome()  # group chatter not addressed to the bot
        if self._conversation is None:
            raise Unavailable("the orchestrator is not configured in this gateway")
        where = Outcome(workspace_id=context.workspace_id, context_id=context.id)
        result = await self._conversation.turn(_turn_request(msg, where, run_key))
        return Outcome(True, result.reply, result.task_id, result.pending, False, *_where(where))


def build_inbox(deps: Deps) -> Inbox | None:
    """The inbox over `deps`; None without the store's journal and contexts."""
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
        routing=deps.routing,
        clock=deps.clock,
        approval_wait_ms=deps.approval_wait_ms,
    )
    talk = Conversation(deps.turns, deps.outbox, deps.turn_wait_ms) if deps.turns else None
    logs = ChatLogs(deps.workspace_root, deps.clock) if deps.workspace_root else None
    return Inbox(deps.journal, tools, talk, logs)


def _where(out: Outcome) -> tuple[str, str]:
    return out.workspace_id, out.context_id


def _turn_request(msg: Message, where: Outcome, run_key: str) -> orpc.RunTurnRequest:
    return orpc.RunTurnRequest(
        workspace_id=where.workspace_id,
        context_id=where.context_id,
        connector=msg.connector,
        external_id=msg.external_id,
        from_user_id=msg.from_user_id,
        display_name=msg.from_display_name or msg.display_name,
        text=msg.text.strip(),
        run_key=run_key,
    )


def _dump(out: Outcome) -> str:
    return json.dumps(asdict(out))


__all__ = ["STILL_WORKING", "Inbox", "Outcome"]
