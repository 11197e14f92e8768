"""Pairing through the gateway, against a real store: start, look up, approve, deny."""

from __future__ import annotations

import sqlite3

import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from svckit import errors
from tests.unit.gateway_svc.conftest import START, Gateway


def _start(**kw: object) -> pb.StartPairingRequest:
    base = {"connector": "telegram", "connector_user_id": "u-1", "display_name": "Ann"}
    return pb.StartPairingRequest(**{**base, **kw})  # type: ignore[arg-type]


async def _failure(call: object) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as err:
        await call  # type: ignore[misc]
    return err.value


async def test_start_returns_the_token_once_and_stores_only_its_hash(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start(connector="Telegram"))
    assert len(started.token) == 16 and started.token.isalnum()
    assert started.token_hint == f"{started.token[:4]}...{started.token[-4:]}"
    assert (started.connector, started.connector_user_id, started.display_name) == (
        "telegram",
        "u-1",
        "Ann",
    )
    assert started.status == "pending" and started.expires_at_unix == START + 600

    with sqlite3.connect(gw.db_path) as db:
        rows = db.execute("SELECT * FROM pairing_requests").fetchall()
    assert len(rows) == 1
    assert not any(started.token in str(value) for value in rows[0])


async def test_connectors_may_start_a_pairing_with_their_own_lifetime(gw: Gateway) -> None:
    started = await gw.call(
        "StartPairing", _start(expires_in_sec=120), caller="svc:connectors", acting_admin=None
    )
    assert started.expires_at_unix == START + 120


@pytest.mark.parametrize("missing", ["connector", "connector_user_id", "display_name"])
async def test_start_needs_connector_user_and_name(gw: Gateway, missing: str) -> None:
    err = await _failure(gw.call("StartPairing", _start(**{missing: " "})))
    assert err.code == "INVALID_ARGUMENT" and err.details["field"] == missing
    assert "connector, connector_user_id and display_name are required" in err.message


async def test_start_refuses_a_connector_that_cannot_pair(gw: Gateway) -> None:
    err = await _failure(gw.call("StartPairing", _start(connector="imap")))
    assert err.code == "INVALID_ARGUMENT" and "unsupported connector" in err.message


async def test_lookup_finds_the_request_by_token_and_never_shows_it(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start())
    found = await gw.call("LookupPairing", lookup(started.token.lower()))
    assert found.pairing.id == started.id and found.pairing.status == "pending"
    assert found.pairing.token_hint == started.token_hint
    assert started.token.encode() not in found.SerializeToString()


def lookup(token: str) -> pb.LookupPairingRequest:
    return pb.LookupPairingRequest(token=token)


async def test_lookup_of_an_unknown_or_empty_token(gw: Gateway) -> None:
    assert (await _failure(gw.call("LookupPairing", lookup("AAAABBBBCCCCDDDD")))).code == (
        "NOT_FOUND"
    )
    empty = await _failure(gw.call("LookupPairing", lookup(" ")))
    assert empty.code == "INVALID_ARGUMENT" and empty.details["field"] == "token"


async def test_approval_links_a_member_recorded_as_approved_by_the_acting_admin(
    gw: Gateway,
) -> None:
    started = await gw.call("StartPairing", _start())
    approved = await gw.call(
        "ApprovePairing", pb.ApprovePairingRequest(token=started.token), acting_admin="admin:alice"
    )
    assert approved.status == "approved" and approved.id == started.id
    assert approved.approver_user_id == "admin:alice"
    assert (approved.connector, approved.connector_user_id) == ("telegram", "u-1")

    listed = await gw.call("ListIdentities", pb.ListIdentitiesRequest())
    [ident] = listed.items
    assert ident.id == approved.identity_id and ident.user_id == approved.approved_user_id
    assert (ident.role, ident.status, ident.display_name) == ("member", "active", "Ann")
    after = await gw.call("LookupPairing", lookup(started.token))
    assert after.pairing.status == "approved"
    assert after.pairing.approver_user_id == "admin:alice"


async def test_an_admin_certificate_approves_with_the_role_it_chooses(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start())
    approved = await gw.call(
        "ApprovePairing",
        pb.ApprovePairingRequest(token=started.token, role="Operator", approver_user_id="admin"),
        caller="admin:admin",
        acting_admin=None,
    )
    assert approved.approver_user_id == "admin:admin"
    listed = await gw.call("ListIdentities", pb.ListIdentitiesRequest(), caller="admin:admin")
    assert [i.role for i in listed.items] == ["operator"]


async def test_a_relayed_approval_without_an_acting_admin_is_refused(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start())
    request = pb.ApprovePairingRequest(token=started.token)
    for rpc, req in [
        ("ApprovePairing", request),
        ("DenyPairing", pb.DenyPairingRequest(token=started.token, reason="no")),
        ("LookupPairing", lookup(started.token)),
    ]:
        err = await _failure(gw.call(rpc, req, acting_admin=None))
        assert err.code == "PERMISSION_DENIED", rpc
    still = await gw.call("LookupPairing", lookup(started.token))
    assert still.pairing.status == "pending"


async def test_the_body_cannot_name_another_approver(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start())
    err = await _failure(
        gw.call(
            "ApprovePairing",
            pb.ApprovePairingRequest(token=started.token, approver_user_id="admin:mallory"),
        )
    )
    assert err.code == "PERMISSION_DENIED"


async def test_approval_errors_follow_the_store(gw: Gateway) -> None:
    unknown = pb.ApprovePairingRequest(token="AAAABBBBCCCCDDDD")
    assert (await _failure(gw.call("ApprovePairing", unknown))).code == "NOT_FOUND"
    started = await gw.call("StartPairing", _start())
    bad_role = pb.ApprovePairingRequest(token=started.token, role="root")
    err = await _failure(gw.call("ApprovePairing", bad_role))
    assert err.code == "INVALID_ARGUMENT" and err.details["field"] == "role"

    await gw.call("ApprovePairing", pb.ApprovePairingRequest(token=started.token))
    again = await _failure(gw.call("ApprovePairing", pb.ApprovePairingRequest(token=started.token)))
    assert again.code == "FAILED_PRECONDITION" and "not pending" in again.message

    # The same account asks again: it is linked already.
    second = await gw.call("StartPairing", _start())
    linked = await _failure(gw.call("ApprovePairing", pb.ApprovePairingRequest(token=second.token)))
    assert linked.code == "ALREADY_EXISTS" and "already linked" in linked.message


async def test_an_expired_request_is_refused_and_stays_expired(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start(expires_in_sec=60))
    gw.clock.advance(61)
    err = await _failure(gw.call("ApprovePairing", pb.ApprovePairingRequest(token=started.token)))
    assert err.code == "FAILED_PRECONDITION" and "expired" in err.message
    found = await gw.call("LookupPairing", lookup(started.token))
    assert found.pairing.status == "expired"
    assert (await gw.call("ListIdentities", pb.ListIdentitiesRequest())).items == []


async def test_deny_records_the_reason_and_the_acting_admin(gw: Gateway) -> None:
    started = await gw.call("StartPairing", _start())
    no_reason = await _failure(
        gw.call("DenyPairing", pb.DenyPairingRequest(token=started.token, reason=" "))
    )
    assert no_reason.code == "INVALID_ARGUMENT" and no_reason.details["field"] == "reason"

    denied = await gw.call(
        "DenyPairing", pb.DenyPairingRequest(token=started.token, reason="unknown person")
    )
    assert (denied.id, denied.status, denied.denied_reason) == (
        started.id,
        "denied",
        "unknown person",
    )
    assert denied.approver_user_id == "admin:alice"
    later = await _failure(gw.call("ApprovePairing", pb.ApprovePairingRequest(token=started.token)))
    assert later.code == "FAILED_PRECONDITION"
    unknown = pb.DenyPairingRequest(token="AAAABBBBCCCCDDDD", reason="x")
    assert (await _failure(gw.call("DenyPairing", unknown))).code == "NOT_FOUND"


async def test_list_shows_pending_requests_newest_first_without_their_tokens(gw: Gateway) -> None:
    first = await gw.call("StartPairing", _start(connector_user_id="u-1"))
    second = await gw.call("StartPairing", _start(connector_user_id="u-2"))
    await gw.call("DenyPairing", pb.DenyPairingRequest(token=first.token, reason="unknown"))

    pending = await gw.call("ListPairings", pb.ListPairingsRequest())
    assert [(p.id, p.status) for p in pending.items] == [(second.id, "pending")]
    assert pending.count == 1 and pending.items[0].token_hint == second.token_hint
    assert second.token.encode() not in pending.SerializeToString()

    every = await gw.call("ListPairings", pb.ListPairingsRequest(status="all"))
    assert [p.id for p in every.items] == [second.id, first.id]
    denied = await gw.call("ListPairings", pb.ListPairingsRequest(status="Denied"))
    assert [p.id for p in denied.items] == [first.id]


async def test_list_refuses_a_bad_filter_and_callers_that_are_not_admins(gw: Gateway) -> None:
    bad = await _failure(gw.call("ListPairings", pb.ListPairingsRequest(status="open")))
    assert bad.code == "INVALID_ARGUMENT" and bad.details["field"] == "status"
    big = await _failure(gw.call("ListPairings", pb.ListPairingsRequest(limit=501)))
    assert big.code == "INVALID_ARGUMENT" and big.details["field"] == "limit"
    relayed = await _failure(gw.call("ListPairings", pb.ListPairingsRequest(), acting_admin=None))
    assert relayed.code == "PERMISSION_DENIED"
    connector = await _failure(
        gw.call(
            "ListPairings", pb.ListPairingsRequest(), caller="svc:connectors", acting_admin=None
        )
    )
    assert connector.code == "PERMISSION_DENIED"
