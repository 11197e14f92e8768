"""The context of the RPC being served, available to servicers without touching grpc."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from svckit.authz import ANONYMOUS, Identity
from svckit.errors import PermissionDenied


@dataclass(frozen=True, slots=True)
class CallContext:
    request_id: str
    caller: Identity
    method: str = ""
    # "connector:user_id" asserted by the gateway; None when not asserted or not trusted.
    end_user: str | None = None
    # The admin behind the call ("admin:<name>" or "admin:token"), asserted in metadata by a
    # caller this service believes on that (the gateway; see AllowList.admin_relays).
    acting_admin: str | None = None


_NONE = CallContext(request_id="", caller=ANONYMOUS)
_current: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar(
    "svckit_call", default=None
)


def current() -> CallContext:
    return _current.get() or _NONE


def bind(ctx: CallContext) -> contextvars.Token[CallContext | None]:
    return _current.set(ctx)


def unbind(token: contextvars.Token[CallContext | None]) -> None:
    _current.reset(token)


def request_id() -> str:
    return current().request_id


def acting_admin() -> str | None:
    """The admin behind this call: the caller itself (an admin certificate), or the admin the
    gateway asserts for a REST call. None when no admin stands behind it."""
    ctx = current()
    if ctx.caller.is_admin:
        return str(ctx.caller)
    return ctx.acting_admin


def require_admin() -> str:
    """The acting admin, or PermissionDenied: for decisions only an admin may take (approve,
    pause, retry, replay, identities) even when a service relays them."""
    who = acting_admin()
    if who is None:
        raise PermissionDenied(f"{current().caller} is not acting for an admin")
    return who


def audit_actor() -> str:
    """Who an audit entry names for this call, from the verified call chain only (never from
    a request field): an admin certificate as itself (`admin:alice`); an admin asserted by a
    believed relay, with the relay (`admin:alice via svc:orchestrator`); else the calling
    identity (`svc:scheduler`)."""
    ctx = current()
    if ctx.caller.is_admin or ctx.acting_admin is None:
        return str(ctx.caller)
    return f"{ctx.acting_admin} via {ctx.caller}"
