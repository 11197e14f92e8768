"""The Telegram adapter against the fake Bot API server, with its position in a real store:
what reaches the gateway, what is replied, the menu, the offset and the updates still being
handled across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from connectors_svc.adapters.base import InboundMessage
from connectors_svc.adapters.telegram_position import decode
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_telegram import BOT
from tests.unit.connectors_svc.telegram_kit import EchoSink, cursor_is, rig, supervised

GROUP = -1001


async def test_a_private_message_is_handled_replied_to_and_the_menu_synced(
    pki: PkiPaths, tmp_path: Path
) -> None:
    async with rig(pki, tmp_path) as r:
        sink = EchoSink()
        asked = r.fake.say(500, "hello there", user_id=42, first_name="Ada")
        r.fake.say(501, "pair", user_id=43, first_name="Bob")
        async with supervised(r.adapter(), sink):
            sent = await r.fake.wait_sent(2)
        assert sink.handled[0] == InboundMessage(
            connector="telegram",
            external_id="500",
            text="hello there",
            message_id=str(asked["message_id"]),
            from_user_id="42",
            from_display_name="Ada",
            display_name="",
            direct_message=True,
            mentioned=False,
        )
        assert sink.handled[1].text == "pair" and sink.handled[1].direct_message
        by_chat = {s.chat_id: s for s in sent}
        assert by_chat[500].text == "echo: hello there"
        assert by_chat[500].reply_to == asked["message_id"]
        assert by_chat[501].text == "echo: pair"
        menu = [(c["command"], len(c["description"])) for c in r.fake.commands]
        assert menu == [
            ("status", 30),
            ("admin_channel", 31),
            ("approve_action", 256),
            ("task", len("Agent Runtime command")),
            ("pair", len("Link this Telegram account")),
        ]
        assert any(s.connected and s.bot_username == BOT["username"] for s in sink.states)


async def test_in_groups_only_commands_mentions_and_replies_to_the_bot_go_on(
    pki: PkiPaths, tmp_path: Path
) -> None:
    async with rig(pki, tmp_path) as r:
        sink = EchoSink()
        say = r.fake.say
        say(GROUP, "just chatting among ourselves", chat_type="supergroup", title="Ops")
        say(GROUP, "hey @Agent_Runtime_Bot what broke?", chat_type="supergroup", title="Ops")
        say(GROUP, "and the logs?", chat_type="supergroup", title="Ops", reply_to_bot=True)
        say(GROUP, "/status", chat_type="supergroup", title="Ops")
        say(GROUP, "/status@other_bot", chat_type="supergroup", title="Ops")
        say(GROUP, "/task@agent_runtime_bot look", chat_type="supergroup", title="Ops")
        say(GROUP, "@agent_runtime_bot see this", chat_type="group", title="Ops", caption=True)
        say(GROUP, "edited later", chat_type="supergroup", title="Ops", kind="edited_message")
        say(600, "done")
        async with supervised(r.adapter(), sink):
            await testing.eventually(lambda: len(r.fake.sent) == 6, "six replies")
        group = [m for m in sink.handled if m.external_id == str(GROUP)]
        assert [m.text for m in group] == [  # each chat in order; chats side by side
            "hey @Agent_Runtime_Bot what broke?",
            "and the logs?",
            "/status",
            "/task@agent_runtime_bot look",
            "@agent_runtime_bot see this",
        ]
        assert sorted(sink.texts()) == sorted([m.text for m in group] + ["done"])
        assert all(m.display_name == "Ops" and not m.direct_message for m in group)
        assert [m.mentioned for m in group] == [True, True, False, True, True]  # /cmd@bot names it


async def test_a_restart_neither_replays_nor_skips_updates(pki: PkiPaths, tmp_path: Path) -> None:
    async with rig(pki, tmp_path) as r:
        sink = EchoSink(fail_once={"second"})
        r.fake.say(700, "first")
        r.fake.say(700, "second")
        r.fake.say(701, "other chat")
        first = r.adapter()
        sink.adapter = first
        try:
            await first.run(sink)  # "second" fails: the session ends there
        except RuntimeError as exc:
            assert "gateway is down" in str(exc)
        finally:
            await first.aclose()
        assert sorted(sink.texts()) == ["first", "other chat"]
        # a new process: the store holds "second" (acknowledged to Telegram, not handled)
        r.fake.say(700, "third")
        async with supervised(r.adapter(), sink):
            await testing.eventually(lambda: "third" in sink.texts(), "the message after restart")
        assert sink.texts().count("first") == 1
        assert sink.texts().count("second") == 1
        assert [s.text for s in r.fake.sent_to(700)] == [
            "echo: first",
            "echo: second",
            "echo: third",
        ]


async def test_a_slow_turn_holds_neither_other_chats_nor_the_offset_past_it(
    pki: PkiPaths, tmp_path: Path
) -> None:
    async with rig(pki, tmp_path) as r:
        release = asyncio.Event()
        sink = EchoSink(hold={"think hard": release})
        r.fake.say(801, "think hard")
        slow_id = r.fake.updates[-1]["update_id"]
        name = f"telegram:{BOT['id']}:offset"
        async with supervised(r.adapter(), sink):
            await testing.eventually(lambda: "think hard" in sink.started, "the slow turn")
            r.fake.say(802, "quick one")
            quick_id = r.fake.updates[-1]["update_id"]
            [quick] = await r.fake.wait_sent(1)
            assert quick.chat_id == 802

            # Telegram may forget both (the adapter polls on) once the store keeps the slow
            # one (the quick one leaves the stored record lazily, with a later save)
            async def slow_kept() -> bool:
                stored = decode(await r.cursors.get(name))
                ids = [u["update_id"] for u in stored.pending]
                return stored.offset == quick_id + 1 and slow_id in ids

            await testing.eventually(slow_kept, "the slow one stored, the offset past both")
            release.set()
            await r.fake.wait_sent(2)
            await testing.eventually(
                lambda: cursor_is(r.cursors, name, str(quick_id + 1)), "nothing open"
            )
        assert [s.chat_id for s in r.fake.sent] == [802, 801]


async def test_an_acknowledged_update_survives_a_crash_mid_turn(
    pki: PkiPaths, tmp_path: Path
) -> None:
    """The offset moved past a message still being handled, and the process dies: the next
    session hands it over from the store (Telegram no longer has it) and it is answered."""
    async with rig(pki, tmp_path) as r:
        never = asyncio.Event()
        r.fake.say(811, "think forever")
        async with supervised(r.adapter(), EchoSink(hold={"think forever": never})) as _:
            r.fake.say(812, "quick one")
            await r.fake.wait_sent(1)
            await testing.eventually(lambda: not r.fake.updates, "Telegram confirmed both")
        sink = EchoSink()
        async with supervised(r.adapter(), sink):
            await testing.eventually(lambda: bool(r.fake.sent_to(811)), "the answer")
        assert [s.text for s in r.fake.sent_to(811)] == ["echo: think forever"]
        # the quick one may be handed over again too (the stored record shrinks lazily):
        # the gateway's journal and the reply's ledger key make that a no-op in the stack
        assert sink.texts().count("think forever") == 1
