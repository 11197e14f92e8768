"""A message whose handling failed, or whose handler died mid-way, is handled again when it
is delivered again, instead of answering the stale outcome (or "still working") forever. The
real store journals it (its clock the test's); the gateway in front of it is the real one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1 import service_pb2_grpc
from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from gateway_svc.clients import StoreContexts, StoreJournal
from gateway_svc.config import GatewaySettings
from gateway_svc.deps import Deps
from gateway_svc.inbox import IN_PROGRESS
from gateway_svc.server import build_server
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.conftest import PORTS0
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=5000) as c:
        yield c


def _message(text: str, mid: str) -> pb.HandleMessageRequest:
    return pb.HandleMessageRequest(
        connector="telegram", external_id="chat-1", from_user_id="u-1", text=text,
        message_id=mid, direct_message=True,
    )  # fmt: skip


async def test_a_message_whose_handling_failed_is_handled_on_redelivery(chat: Chat) -> None:
    # a gateway replica without an orchestrator: the turn cannot start, the handling fails
    store_ch = testing.client_channel(chat.pki, chat.store, "svc:gateway")
    deps = Deps(version="t", journal=StoreJournal(store_ch), contexts=StoreContexts(store_ch))
    broken = build_server(GatewaySettings(pki_dir=chat.pki.root, **PORTS0), deps)
    try:
        async with (
            testing.serving(broken) as ports,
            testing.client_channel(chat.pki, ports.grpc, "svc:connectors") as ch,
        ):
            stub = service_pb2_grpc.GatewayServiceStub(ch)
            with pytest.raises(Exception, match="orchestrator"):
                await stub.HandleMessage(_message("what changed?", "9"), timeout=10)
    finally:
        await store_ch.close()
    again = await chat.say("what changed?", mid="9", chat="chat-1", user="u-1")
    assert (again.reply, again.duplicate) == ("echo: what changed?", False)
    assert chat.turns.runs["what changed?"] == 1
    third = await chat.say("what changed?", mid="9", chat="chat-1", user="u-1")
    assert third.duplicate and third.reply == "echo: what changed?"
    assert chat.turns.runs["what changed?"] == 1


async def test_a_message_whose_handler_died_is_retaken_after_the_bound(chat: Chat) -> None:
    # a gateway took the message (journaled it) and died before finishing it
    async with testing.client_channel(chat.pki, chat.store, "svc:gateway") as ch:
        await JournalServiceStub(ch).RecordInbound(
            jrpc.RecordInboundRequest(
                connector="telegram", chat_id="chat-1", platform_message_id="5",
                sender_id="u-1", text="any news?",
            ),
            timeout=10,
        )  # fmt: skip
    soon = await chat.say("any news?", mid="5", chat="chat-1", user="u-1")
    assert soon.duplicate and soon.reply == IN_PROGRESS
    assert chat.turns.runs["any news?"] == 0
    chat.clock.advance(301)  # AGENT_RUNTIME_JOURNAL_RETAKE_AFTER_SECONDS (300) later
    later = await chat.say("any news?", mid="5", chat="chat-1", user="u-1")
    assert (later.reply, later.duplicate) == ("echo: any news?", False)
    assert chat.turns.runs["any news?"] == 1
