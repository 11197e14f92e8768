"""The webhook plugin (`http_request`, `webhook`; REFERENCE.md §3.5, SPEC.md's fix).

The target host is resolved and every address checked: loopback, private, link-local and
other non-global addresses are refused unless `AGENT_RUNTIME_WEBHOOK_ALLOWED_HOSTS` names
the host, the address or a network holding it. The request then goes to the checked
address (the name stays in `Host` and in TLS SNI), so a second lookup cannot swap it. It
carries `Idempotency-Key: <approval id>`, follows no redirect, and at most 1 KiB of the
response is read."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from orchestrator_svc.actions.plugins import Approval, text
from svckit.errors import FailedPrecondition, InvalidArgument, PermissionDenied

READ_LIMIT = 1024
IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class Allowed:
    """Hosts, addresses and networks a webhook may reach although not public."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.hosts: set[str] = set()
        self.nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                self.nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry)

    def admits(self, host: str, ip: IP) -> bool:
        return host.lower() in self.hosts or any(ip in net for net in self.nets)


def public(ip: IP) -> bool:
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[IP]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FailedPrecondition(f"webhook host {host} does not resolve: {exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


class Webhook:
    key = "webhook"
    types = ("http_request", "webhook")

    def __init__(self, allowed: Allowed, timeout_s: float = 15.0) -> None:
        self._allowed, self._timeout = allowed, timeout_s

    async def target(self, url: httpx.URL) -> IP:
        """The address to connect to; PERMISSION_DENIED unless every address is admitted."""
        host = url.host
        addresses = await resolve(host, url.port or (443 if url.scheme == "https" else 80))
        if not addresses:
            raise FailedPrecondition(f"webhook host {host} has no address")
        for ip in addresses:
            if not public(ip) and not self._allowed.admits(host, ip):
                raise PermissionDenied(
                    f"webhook target {host} resolves to a non-public address ({ip}); allow it"
                    " with AGENT_RUNTIME_WEBHOOK_ALLOWED_HOSTS"
                )
        return addresses[0]

    async def execute(self, approval: Approval, payload: Mapping[str, Any]) -> str:
        raw = approval.action_target.strip() or text(payload, "url")
        if not raw:
            raise InvalidArgument("webhook action requires target url", field="action_target")
        try:
            url = httpx.URL(raw)
        except httpx.InvalidURL:
            raise InvalidArgument("webhook url is not valid", field="action_target") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise InvalidArgument("unsupported webhook url scheme", field="action_target")
        ip = await self.target(url)
        method, body, headers = _request_parts(payload)
        headers["Host"] = url.netloc.decode("ascii")
        headers["Idempotency-Key"] = approval.id
        pinned = url.copy_with(host=str(ip))
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        async with httpx.AsyncClient(timeout=self._timeout, trust_env=False) as client:
            request = client.build_request(
                method, pinned, content=body, headers=headers, extensions=extensions
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FailedPrecondition(f"webhook request failed: {exc}") from None
            try:
                head = await _read_head(response)
            finally:
                await response.aclose()
        if not 200 <= response.status_code < 300:
            snippet = head.decode(errors="replace").strip()
            raise FailedPrecondition(
                f"webhook request failed: status={response.status_code} body={snippet}"
            )
        return f"webhook request completed with status {response.status_code}"


async def _read_head(response: httpx.Response) -> bytes:
    got = b""
    async for chunk in response.aiter_raw():
        got += chunk
        if len(got) >= READ_LIMIT:
            break
    return got[:READ_LIMIT]


def _request_parts(payload: Mapping[str, Any]) -> tuple[str, bytes, dict[str, str]]:
    method = (text(payload, "method") or "POST").upper()
    if not method.isalpha():
        raise InvalidArgument("webhook method is not valid", field="method")
    body = text(payload, "body")
    if not body and payload.get("json") is not None:
        body = json.dumps(payload["json"])
    headers: dict[str, str] = {}
    given = payload.get("headers") or {}
    if not isinstance(given, dict):
        raise InvalidArgument("webhook headers must be an object", field="headers")
    for name, value in given.items():
        value_s = "" if value is None else str(value).strip()
        if not value_s:
            continue
        if any(ch in str(name) + value_s for ch in "\r\n\0"):
            raise InvalidArgument("webhook header contains a line break", field="headers")
        headers[str(name)] = value_s
    if body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    for name in [k for k in headers if k.lower() in ("host", "idempotency-key")]:
        del headers[name]
    return method, body.encode(), headers
