"""Pairing: start a request (token shown once), look it up, approve or deny it (admins).

SPEC.md "Fix": the new identity gets the role the approver chooses, default `member`, never
the approver's own role; the approver is the acting admin, not a name taken from the body."""

from __future__ import annotations

from agent_runtime.store.v1 import identity_pb2, pairing_pb2
from gateway_svc.deps import PairingStore
from svckit import callctx
from svckit.errors import InvalidArgument, PermissionDenied

DEFAULT_ROLE = "member"
STATUSES = ("pending", "approved", "denied", "expired", "all")
DEFAULT_PAGE, MAX_PAGE = 100, 500


def acting_approver(named: str) -> str:
    """The acting admin; a different `approver_user_id` in the body would forge the record."""
    who = callctx.require_admin()
    given = named.strip()
    if given and given not in (who, who.removeprefix("admin:")):
        raise PermissionDenied(
            f"approver_user_id must be the authenticated admin ({who}) or empty",
            field="approver_user_id",
        )
    return who


def _token(token: str) -> str:
    text = token.strip()
    if not text:
        raise InvalidArgument("token is required", field="token")
    return text


class Pairings:
    """Pairing requests over the store's PairingService."""

    def __init__(self, store: PairingStore) -> None:
        self._store = store

    async def start(
        self, connector: str, connector_user_id: str, display_name: str, expires_in_sec: int
    ) -> tuple[pairing_pb2.PairingRequest, str]:
        """The new pending request and its token (shown this once). `expires_in_sec` 0 is the
        store's default, 600 s."""
        given = {
            "connector": connector.strip(),
            "connector_user_id": connector_user_id.strip(),
            "display_name": display_name.strip(),
        }
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise InvalidArgument(
                "connector, connector_user_id and display_name are required", field=missing[0]
            )
        return await self._store.create(
            given["connector"], given["connector_user_id"], given["display_name"], expires_in_sec
        )

    async def lookup(self, token: str) -> pairing_pb2.PairingRequest:
        callctx.require_admin()
        return await self._store.lookup(_token(token))

    async def list(
        self, status: str, limit: int, page_token: str
    ) -> tuple[list[pairing_pb2.PairingRequest], str]:
        """Requests with `status` (default pending; `all` for every status), a page at a time."""
        callctx.require_admin()
        wanted = status.strip().lower() or "pending"
        if wanted not in STATUSES:
            raise InvalidArgument(f"status must be one of {', '.join(STATUSES)}", field="status")
        if not 0 <= limit <= MAX_PAGE:
            raise InvalidArgument(f"limit must be between 0 and {MAX_PAGE}", field="limit")
        store_status = "" if wanted == "all" else wanted
        return await self._store.list(store_status, limit or DEFAULT_PAGE, page_token)

    async def approve(
        self,
        token: str,
        approver_user_id: str,
        role: str,
        target_user_id: str,
        workspace_id: str = "",
    ) -> tuple[pairing_pb2.PairingRequest, identity_pb2.Identity]:
        """The approved request and the identity it linked, with `role` (default member).
        With `workspace_id`, an admin is admin of that workspace only (a member elsewhere);
        without it, of the approver's scope: an admin certificate's is every workspace (it
        acts as an overlord, and may grant that too). `target_user_id` `admin:<name>` links
        the account to the calling admin itself."""
        who = acting_approver(approver_user_id)
        chosen = role.strip().lower() or DEFAULT_ROLE
        target, ws = target_user_id.strip(), workspace_id.strip()
        if target.startswith("admin:") and target != who:
            raise PermissionDenied(
                f"an account can be linked to the calling admin ({who}) only",
                field="target_user_id",
            )
        return await self._store.approve(_token(token), who, chosen, target, ws)

    async def deny(
        self, token: str, approver_user_id: str, reason: str
    ) -> pairing_pb2.PairingRequest:
        who = acting_approver(approver_user_id)
        why = reason.strip()
        if not why:
            raise InvalidArgument("reason is required", field="reason")
        return await self._store.deny(_token(token), who, why)
