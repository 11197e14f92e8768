"""Telegram through the whole stack (`agent-runtime up` with a bot token, its Bot API base on
the fake Telegram server): a user's `/status` → connectors' long poll → the gateway → the
reply sent back to the chat with `sendMessage`; a redelivered message gets no second reply;
`pair` (and the menu's `/pair`) in a direct message starts a pairing; the menu is synced
from the gateway's catalogue; the connector's status names the bot; 5xx and 429 answers to
`getUpdates` and `sendMessage` cost time, not the reply (sent once); a markdown document is
saved in the chat's workspace, where qmd opens it."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from agent_runtime.connectors.v1 import service_pb2 as rpc
from agent_runtime.connectors.v1.service_pb2_grpc import ConnectorsServiceStub
from svckit.testing import poll
from tests.fake_telegram import BOT, TOKEN, FakeTelegram, Fault, Sent, ThreadedTelegram
from tests.integration.conftest import Stack, start_stack, stop_stack

DEADLINE = 90.0  # first messages: contexts, connections, a loaded machine


@pytest.fixture(scope="module")
def telegram() -> Iterator[ThreadedTelegram]:
    fake = ThreadedTelegram().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def tg_stack(
    tmp_path_factory: pytest.TempPathFactory, telegram: ThreadedTelegram
) -> Iterator[Stack]:
    env = {
        "AGENT_RUNTIME_TELEGRAM_TOKEN": TOKEN,
        "AGENT_RUNTIME_TELEGRAM_API_BASE": telegram.api_base,
        "AGENT_RUNTIME_TELEGRAM_POLL_SECONDS": "5",
    }
    stack = start_stack(tmp_path_factory.mktemp("telegram-stack"), env=env)
    try:
        yield stack
    finally:
        stop_stack(stack.proc)


def _replies(telegram: ThreadedTelegram, chat: int, count: int) -> list[Sent]:
    def enough() -> list[Sent]:
        sent = telegram.call(lambda f: f.sent_to(chat))
        return sent if len(sent) >= count else []

    return list(poll(enough, f"{count} replies in chat {chat}", deadline=DEADLINE))


def test_status_round_trip_and_a_redelivery_gets_one_reply(
    tg_stack: Stack, telegram: ThreadedTelegram
) -> None:
    asked = telegram.call(lambda f: f.say(7001, "/status", user_id=71))
    [reply] = _replies(telegram, 7001, 1)
    assert reply.parse_mode == "HTML" and reply.text.startswith("Workspace <code>"), reply.text
    assert reply.reply_to == asked["message_id"]

    def redeliver_then_ask(f: FakeTelegram) -> int:
        f.redeliver(asked)
        return int(f.say(7001, "/status", user_id=71)["message_id"])

    then = telegram.call(redeliver_then_ask)
    replies = _replies(telegram, 7001, 2)
    # the chat's messages are handled in order: the redelivery came and went before `then`
    assert [r.reply_to for r in replies] == [asked["message_id"], then]


def test_pair_in_a_direct_message_and_the_menu(tg_stack: Stack, telegram: ThreadedTelegram) -> None:
    telegram.call(lambda f: f.say(7002, "pair", user_id=72, first_name="Grace"))
    telegram.call(lambda f: f.say(7003, "/pair", user_id=73, first_name="Linus"))
    for chat in (7002, 7003):
        [reply] = _replies(telegram, chat, 1)
        assert reply.text.startswith("Pairing requested. Ask an admin to run <code>/approve ")
    menu = telegram.call(lambda f: [c["command"] for c in f.commands])
    assert "status" in menu and "admin_channel" in menu and menu[-1] == "pair"
    with grpc.secure_channel(tg_stack.grpc("connectors"), _credentials(tg_stack)) as channel:
        status = ConnectorsServiceStub(channel).GetConnectorStatus(
            rpc.GetConnectorStatusRequest(), timeout=10
        )
    [tg] = [c for c in status.connectors if c.name == "telegram"]
    assert tg.enabled and tg.leader and tg.bot_username == BOT["username"]
    assert tg.last_inbound_at_unix > 0 and tg.last_outbound_at_unix > 0


def _credentials(stack: Stack) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        stack.pki.ca_cert.read_bytes(),
        stack.admin.key.read_bytes(),
        stack.admin.cert.read_bytes(),
    )


def test_faults_of_the_bot_api_are_survived_with_one_reply(
    tg_stack: Stack, telegram: ThreadedTelegram
) -> None:
    def ask_under_faults(f: FakeTelegram) -> int:
        f.fault("getUpdates", Fault(status=502), Fault(status=429, retry_after=1))
        f.fault("sendMessage", Fault(status=503), Fault(status=429, retry_after=1))
        return int(f.say(7004, "/status", user_id=74)["message_id"])

    asked = telegram.call(ask_under_faults)
    [reply] = _replies(telegram, 7004, 1)  # the ledger retried: nothing had reached the chat
    assert reply.reply_to == asked and reply.text.startswith("Workspace <code>")
    calls = telegram.call(lambda f: dict(f.calls))
    assert calls["sendMessage"] >= 3


def test_a_markdown_document_is_saved_in_the_workspace(
    tg_stack: Stack, telegram: ThreadedTelegram
) -> None:
    """A `.md` document is downloaded (getFile, then the file URL) into the chat's
    workspace, where qmd opens it; a file of another kind is ignored, one over 2 MiB is
    refused with `attachment too large`."""
    notes = b"# Runbook\n\nRestart the zebrafish service first.\n"
    doc = telegram.call(
        lambda f: f.send_document(7005, "Run book (v2).md", notes, caption="/status", user_id=74)
    )
    [reply] = _replies(telegram, 7005, 1)
    rel = f"inbox/telegram/7005/{doc['message_id']}-Run-book-v2-.md"
    assert reply.text.startswith("Workspace <code>"), reply.text
    assert reply.text.endswith(f"\n\nAttachment saved: <code>{rel}</code>")
    [saved] = tg_stack.data_dir.glob(f"workspaces/*/{rel}")
    assert saved.read_bytes() == notes
    telegram.call(lambda f: f.say(7005, f"/open {rel}", user_id=74))
    opened = _replies(telegram, 7005, 2)[1]
    assert opened.text.startswith(f"<code>{rel}</code>") and "zebrafish" in opened.text
    other = telegram.call(
        lambda f: f.send_document(7005, "photo.png", b"\x89PNG", caption="/help", user_id=74)
    )
    big = telegram.call(lambda f: f.send_document(7005, "big.md", b"x" * (2 * 1024 * 1024 + 1)))
    replies = _replies(telegram, 7005, 4)
    assert "Attachment" not in replies[2].text and replies[2].reply_to == other["message_id"]
    assert replies[3].text == "attachment too large" and replies[3].reply_to == big["message_id"]
    assert not list(
        tg_stack.data_dir.glob(f"workspaces/*/inbox/telegram/7005/{other['message_id']}-*")
    )
    assert telegram.call(lambda f: f.downloads) == ["documents/doc-1-Run book (v2).md"]
