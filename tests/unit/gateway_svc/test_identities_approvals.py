"""Identities and action approvals through the gateway, against a real store."""

from __future__ import annotations

import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import audit_service_pb2 as aurpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.audit_service_pb2_grpc import AuditServiceStub
from svckit import errors
from tests.unit.gateway_svc.conftest import Gateway


async def _failure(call: object) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as err:
        await call  # type: ignore[misc]
    return err.value


async def _paired(gw: Gateway, user: str, connector: str = "telegram") -> str:
    """A linked identity (member) for `user`; returns its id."""
    started = await gw.call(
        "StartPairing",
        pb.StartPairingRequest(connector=connector, connector_user_id=user, display_name=user),
    )
    approved = await gw.call("ApprovePairing", pb.ApprovePairingRequest(token=started.token))
    return str(approved.identity_id)


async def _audit(gw: Gateway, subject_id: str) -> list[tuple[str, str]]:
    reply = await gw.store_call(
        AuditServiceStub,
        "ListAuditEvents",
        aurpc.ListAuditEventsRequest(subject_id=subject_id),
        "admin:admin",
    )
    return [(e.action, e.actor) for e in reply.items]


async def test_identities_are_listed_with_filters(gw: Gateway) -> None:
    ann = await _paired(gw, "ann")
    await _paired(gw, "bob", connector="discord")
    everyone = await gw.call("ListIdentities", pb.ListIdentitiesRequest())
    assert [i.connector_user_id for i in everyone.items] == ["ann", "bob"]
    assert everyone.count == 2 and everyone.next_page_token == ""
    discord = await gw.call("ListIdentities", pb.ListIdentitiesRequest(connector="discord"))
    assert [i.connector_user_id for i in discord.items] == ["bob"]
    await gw.call("SetIdentityRole", pb.SetIdentityRoleRequest(id=ann, role="admin"))
    admins = await gw.call("ListIdentities", pb.ListIdentitiesRequest(role="admin"))
    assert [i.id for i in admins.items] == [ann]
    page = await gw.call("ListIdentities", pb.ListIdentitiesRequest(limit=1))
    assert page.count == 1 and page.next_page_token
    rest = await gw.call(
        "ListIdentities", pb.ListIdentitiesRequest(page_token=page.next_page_token)
    )
    assert [i.connector_user_id for i in rest.items] == ["bob"]


async def test_a_role_change_is_stored_and_audited_with_the_acting_admin(gw: Gateway) -> None:
    ident = await _paired(gw, "ann")
    changed = await gw.call(
        "SetIdentityRole",
        pb.SetIdentityRoleRequest(id=ident, role="Admin"),
        acting_admin="admin:ops",
    )
    assert changed.identity.role == "admin" and changed.identity.status == "active"
    listed = await gw.call("ListIdentities", pb.ListIdentitiesRequest())
    assert [i.role for i in listed.items] == ["admin"]
    assert ("identity.role_changed", "admin:ops via svc:gateway") in await _audit(gw, ident)


async def test_role_changes_are_checked(gw: Gateway) -> None:
    ident = await _paired(gw, "ann")
    for req, code in [
        (pb.SetIdentityRoleRequest(id=ident, role=""), "INVALID_ARGUMENT"),
        (pb.SetIdentityRoleRequest(id=ident, role="root"), "INVALID_ARGUMENT"),
        (pb.SetIdentityRoleRequest(id="nope", role="admin"), "NOT_FOUND"),
    ]:
        assert (await _failure(gw.call("SetIdentityRole", req))).code == code, req
    relayed = await _failure(
        gw.call(
            "SetIdentityRole",
            pb.SetIdentityRoleRequest(id=ident, role="overlord"),
            acting_admin=None,
        )
    )
    assert relayed.code == "PERMISSION_DENIED"
    listed = await gw.call("ListIdentities", pb.ListIdentitiesRequest())
    assert [i.role for i in listed.items] == ["member"]


async def test_a_revoked_identity_is_gone_and_can_pair_again(gw: Gateway) -> None:
    ident = await _paired(gw, "ann")
    refused = await _failure(
        gw.call("RevokeIdentity", pb.RevokeIdentityRequest(id=ident), acting_admin=None)
    )
    assert refused.code == "PERMISSION_DENIED"

    revoked = await gw.call(
        "RevokeIdentity",
        pb.RevokeIdentityRequest(id=ident),
        caller="admin:admin",
        acting_admin=None,
    )
    assert revoked.identity.id == ident and revoked.identity.status == "revoked"
    assert revoked.identity.revoked_at_unix > 0
    assert (await gw.call("ListIdentities", pb.ListIdentitiesRequest())).items == []
    assert ("identity.revoked", "admin:admin via svc:gateway") in await _audit(gw, ident)
    again = await _failure(gw.call("RevokeIdentity", pb.RevokeIdentityRequest(id=ident)))
    assert again.code == "NOT_FOUND"
    await _paired(gw, "ann")  # the account is unknown again, so it may pair anew


async def test_listing_identities_needs_an_admin(gw: Gateway) -> None:
    err = await _failure(gw.call("ListIdentities", pb.ListIdentitiesRequest(), acting_admin=None))
    assert err.code == "PERMISSION_DENIED"


async def _approval(gw: Gateway, context: str = "ctx-1", ttl: int = 0) -> str:
    reply = await gw.store_call(
        ApprovalServiceStub,
        "CreateApproval",
        arpc.CreateApprovalRequest(
            workspace_id="ws-1",
            context_id=context,
            connector="telegram",
            external_id="chat-1",
            requester_user_id="u-1",
            action_type="webhook",
            action_target="https://example.org/hook",
            action_summary="call the hook",
            ttl_seconds=ttl,
        ),
        "svc:orchestrator",
    )
    return str(reply.approval.id)


async def test_pending_approvals_are_listed_oldest_first(gw: Gateway) -> None:
    first = await _approval(gw)
    gw.clock.advance(1)
    second = await _approval(gw, context="ctx-2")
    listed = await gw.call("ListApprovals", pb.ListApprovalsRequest())
    assert [a.id for a in listed.items] == [first, second] and listed.count == 2
    item = listed.items[0]
    assert (item.status, item.execution_status, item.action_type) == (
        "pending",
        "not_executed",
        "webhook",
    )
    assert item.expires_at_unix == item.created_at_unix + 86_400
    by_context = await gw.call("ListApprovals", pb.ListApprovalsRequest(context_id="ctx-2"))
    assert [a.id for a in by_context.items] == [second]
    one = await gw.call("ListApprovals", pb.ListApprovalsRequest(limit=1))
    assert [a.id for a in one.items] == [first] and one.next_page_token
    third = await _approval(gw)  # made between pages: neither repeats nor hides one
    rest = await gw.call(
        "ListApprovals", pb.ListApprovalsRequest(limit=5, page_token=one.next_page_token)
    )
    assert [a.id for a in rest.items] == [second, third] and rest.next_page_token == ""
    bad_token = await _failure(gw.call("ListApprovals", pb.ListApprovalsRequest(page_token="2")))
    assert (bad_token.code, bad_token.field) == ("INVALID_ARGUMENT", "page_token")
    other = await gw.call("ListApprovals", pb.ListApprovalsRequest(workspace_id="ws-2"))
    assert other.items == []


async def test_an_expired_approval_lists_as_expired_not_pending(gw: Gateway) -> None:
    lapsed = await _approval(gw, ttl=60)
    gw.clock.advance(61)
    pending = await gw.call("ListApprovals", pb.ListApprovalsRequest())
    assert pending.items == []
    expired = await gw.call("ListApprovals", pb.ListApprovalsRequest(status="expired"))
    assert [a.id for a in expired.items] == [lapsed]
    everything = await gw.call("ListApprovals", pb.ListApprovalsRequest(status="all"))
    assert [a.status for a in everything.items] == ["expired"]
    got = await gw.call("GetApproval", pb.GetApprovalRequest(id=lapsed))
    assert got.approval.status == "expired"


async def test_get_approval_and_its_errors(gw: Gateway) -> None:
    approval = await _approval(gw)
    got = await gw.call("GetApproval", pb.GetApprovalRequest(id=approval), caller="admin:admin")
    assert got.approval.id == approval and got.approval.action_summary == "call the hook"
    assert (await _failure(gw.call("GetApproval", pb.GetApprovalRequest(id="act_x")))).code == (
        "NOT_FOUND"
    )
    for rpc, req in [
        ("GetApproval", pb.GetApprovalRequest(id=approval)),
        ("ListApprovals", pb.ListApprovalsRequest()),
    ]:
        err = await _failure(gw.call(rpc, req, acting_admin=None))
        assert err.code == "PERMISSION_DENIED", rpc
    bad = await _failure(gw.call("ListApprovals", pb.ListApprovalsRequest(status="maybe")))
    assert bad.code == "INVALID_ARGUMENT"


async def test_revocation_keeps_the_reason_and_the_store_filters_listings(gw: Gateway) -> None:
    ann, bob = await _paired(gw, "ann2"), await _paired(gw, "bob2")
    gw.clock.advance(5)
    revoked = await gw.call(
        "RevokeIdentity", pb.RevokeIdentityRequest(id=ann, reason="left the team")
    )
    assert revoked.identity.status == "revoked"
    assert revoked.identity.revoked_at_unix == gw.clock.ms // 1000  # the store's time
    events = await gw.store_call(
        AuditServiceStub,
        "ListAuditEvents",
        aurpc.ListAuditEventsRequest(subject_id=ann),
        "admin:admin",
    )
    assert any("left the team" in str(e) for e in events.items)

    active = await gw.call("ListIdentities", pb.ListIdentitiesRequest())
    assert [i.id for i in active.items] == [bob]
    every = await gw.call("ListIdentities", pb.ListIdentitiesRequest(include_revoked=True))
    assert {(i.id, i.status) for i in every.items} == {(ann, "revoked"), (bob, "active")}
    bobs_user = next(i.user_id for i in every.items if i.id == bob)
    mine = await gw.call("ListIdentities", pb.ListIdentitiesRequest(user_id=bobs_user, limit=1))
    assert [i.id for i in mine.items] == [bob] and mine.count == 1
    members = await gw.call("ListIdentities", pb.ListIdentitiesRequest(role="member", limit=1))
    assert [i.id for i in members.items] == [bob]
