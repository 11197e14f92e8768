"""What the REST edge reads of the gateway's settings (gateway_svc.config.GatewaySettings)."""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr

from gateway_svc.rest.limits import Limits
from svckit.keepalive import Keepalive
from svckit.pki import PkiPaths


class RestSettings(Protocol):
    @property
    def pki(self) -> PkiPaths: ...
    @property
    def bind_host(self) -> str: ...
    @property
    def rest_port(self) -> int: ...
    @property
    def admin_token(self) -> str | SecretStr | None: ...
    @property
    def rpc_timeout_seconds(self) -> float: ...
    @property
    def keepalive(self) -> Keepalive: ...
    @property
    def rest_max_body_bytes(self) -> int: ...
    @property
    def rest_max_connections(self) -> int: ...
    @property
    def rest_handshake_timeout_seconds(self) -> float: ...
    @property
    def rest_idle_timeout_seconds(self) -> float: ...
    @property
    def store_addr(self) -> str: ...
    @property
    def orchestrator_addr(self) -> str: ...
    @property
    def gateway_addr(self) -> str: ...
    @property
    def scheduler_addr(self) -> str: ...
    @property
    def qmd_addr(self) -> str: ...
    @property
    def connectors_addr(self) -> str: ...


def backend_addresses(settings: RestSettings) -> dict[str, str]:
    """Backend name (`agent_runtime.<backend>.v1`) -> its gRPC address."""
    return {
        "store": settings.store_addr,
        "orchestrator": settings.orchestrator_addr,
        "gateway": settings.gateway_addr,
        "scheduler": settings.scheduler_addr,
        "qmd": settings.qmd_addr,
        "connectors": settings.connectors_addr,
    }


def limits(settings: RestSettings) -> Limits:
    return Limits(
        max_connections=settings.rest_max_connections,
        handshake_timeout=settings.rest_handshake_timeout_seconds,
        idle_timeout=settings.rest_idle_timeout_seconds,
    )


def admin_token(settings: RestSettings) -> str | None:
    """The admin bearer token as a plain string (a str or a pydantic SecretStr setting)."""
    value = settings.admin_token
    if value is None:
        return None
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return text or None
