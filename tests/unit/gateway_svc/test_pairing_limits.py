"""Pairing limits and expiry through the gateway in front of a real store (its clock the
test's): at most 3 pending requests per chat account (a 4th expires the oldest), at most 5
starts per 10 minutes (then a clear reply), and an expired token is refused and stays
expired. An admin approved over REST is admin of the workspace named, a member elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from svckit.errors import DomainError
from svckit.pki import PkiPaths
from tests.unit.gateway_svc.messages_kit import Chat, chat_stack


@pytest.fixture
async def chat(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Chat]:
    async with chat_stack(pki, tmp_path, turn_wait_ms=5000) as c:
        await c.link("boss", "admin")
        yield c


def _token(reply: str) -> str:
    return reply.split("`/approve ")[1].split("`")[0]


async def _status(chat: Chat, token: str) -> str:
    found = await chat.call(
        "LookupPairing", pb.LookupPairingRequest(token=token), caller="svc:gateway"
    )
    return str(found.pairing.status)


async def test_a_fourth_request_expires_the_oldest(chat: Chat) -> None:
    tokens = [_token((await chat.say("pair", user="ann", mid=f"p{i}")).reply) for i in range(4)]
    assert [await _status(chat, t) for t in tokens] == ["expired", *["pending"] * 3]
    refused = await chat.say(f"/approve {tokens[0]}", user="boss", mid="a0")
    assert refused.reply == "Pairing not approved: pairing request expired"
    assert await _status(chat, tokens[0]) == "expired"
    ok = await chat.say(f"/approve {tokens[3]}", user="boss", mid="a3")
    assert ok.reply.startswith("Pairing approved for `User ann`")


async def test_starts_are_rate_limited_per_user(chat: Chat) -> None:
    for i in range(5):
        assert "/approve " in (await chat.say("pair", user="bob", mid=f"b{i}")).reply
    limited = await chat.say("pair", user="bob", mid="b5")
    assert limited.reply == "Too many pairing requests. Try again in 10 minutes."
    other = await chat.say("pair", user="cid", mid="c0")  # per user: others are not held up
    assert "/approve " in other.reply
    chat.clock.advance(301)
    later = await chat.say("pair", user="bob", mid="b6")
    assert later.reply == "Too many pairing requests. Try again in 5 minutes."
    chat.clock.advance(300)
    assert "/approve " in (await chat.say("pair", user="bob", mid="b7")).reply


async def test_an_expired_token_is_refused_and_stays_expired(chat: Chat) -> None:
    token = _token((await chat.say("pair", user="dee")).reply)
    chat.clock.advance(601)
    assert await _status(chat, token) == "expired"
    for mid in ("x1", "x2"):
        late = await chat.say(f"/approve {token}", user="boss", mid=mid)
        assert late.reply == "Pairing not approved: pairing request expired"
    with pytest.raises(DomainError) as rest:
        await chat.call(
            "ApprovePairing", pb.ApprovePairingRequest(token=token), caller="svc:gateway"
        )
    assert rest.value.code == "FAILED_PRECONDITION" and "expired" in rest.value.message
    assert await _status(chat, token) == "expired"
    assert (await chat.say("/prompt show", user="dee")).reply.startswith("Access denied: link")


async def test_a_rest_admin_is_admin_of_one_workspace(chat: Chat) -> None:
    ws_a = await chat.workspace_of("team-a")
    token = _token((await chat.say("pair", user="eve")).reply)
    await chat.call(
        "ApprovePairing", pb.ApprovePairingRequest(token=token, role="admin", workspace_id=ws_a),
        caller="svc:gateway",
    )  # fmt: skip
    there = await chat.say("/admin-channel enable", user="eve", chat="team-a")
    assert there.reply.startswith("Admin channel enabled for context `")
    elsewhere = await chat.say("/admin-channel enable", user="eve", chat="team-b")
    assert elsewhere.reply == "Access denied: admin role required."
    forged = pb.ApprovePairingRequest(token=token, target_user_id="admin:mallory")
    with pytest.raises(DomainError) as other:
        await chat.call("ApprovePairing", forged, caller="svc:gateway")
    assert other.value.code == "PERMISSION_DENIED"


async def test_a_rest_admin_without_a_workspace_is_admin_not_overlord(chat: Chat) -> None:
    token = _token((await chat.say("pair", user="fay")).reply)
    done = await chat.call(
        "ApprovePairing", pb.ApprovePairingRequest(token=token, role="admin"), caller="svc:gateway"
    )
    listed = await chat.call(
        "ListIdentities", pb.ListIdentitiesRequest(user_id=done.approved_user_id),
        caller="svc:gateway",
    )  # fmt: skip
    assert [i.role for i in listed.items] == ["admin"]
    overlord = await chat.say("pair", user="gus")
    refused = await chat.say(f"/approve {_token(overlord.reply)} overlord", user="fay")
    assert refused.reply == "Access denied: only an overlord can grant the overlord role."
