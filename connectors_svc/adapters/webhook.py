"""Codex, Cline and Gemini: not chat platforms but terminal sessions driven through
`/api/v1/chat`; their notices are POSTed to `AGENT_RUNTIME_CODEX_PUBLISH_URL` (REFERENCE.md
§4.8) as `{"connector", "external_id", "text"}` with an `Idempotency-Key` header, so a
receiver that de-duplicates sees one notice per key. Nothing is received here.

Errors, as the adapter contract wants them: a refused or unreachable connection and a 5xx or
429 answer are NotDelivered (429 and 503 honour Retry-After); another 4xx is Rejected; a
timeout after the request went out, or a dropped answer, is left to the core as unknown."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp

from connectors_svc.adapters.base import AdapterState, InboundSink, NotDelivered, Part, Rejected
from connectors_svc.adapters.http import NOT_SENT

NAMES = ("codex", "cline", "gemini")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    bearer_token: str = ""
    timeout_s: float = 8.0
    # How often an idle adapter says it is still ready (its heartbeat; the core reports it).
    beat_s: float = 10.0


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return max(float(headers.get("retry-after", "0")), 0.0)
    except ValueError:
        return 0.0


class WebhookAdapter:
    """One connector name (codex, cline or gemini) posting to the shared publish URL, over an
    aiohttp session of its own (made on the first notice, inside the event loop)."""

    part_limit = 0
    receives = False

    def __init__(self, name: str, config: WebhookConfig) -> None:
        self.name, self._config = name, config
        self.beat_within_s = 3 * config.beat_s
        self._session: aiohttp.ClientSession | None = None
        # getting a connection (a free one in the pool, or a new one) and each read
        self._timeout = aiohttp.ClientTimeout(connect=config.timeout_s, sock_read=config.timeout_s)

    async def run(self, sink: InboundSink) -> None:
        # No session and nothing to poll: while this runs the adapter is ready, and says so
        # every `beat_s` (else its last beat would stay at start-up however long it idles).
        while True:
            sink.beat(AdapterState(connected=True, detail="ready to post notices"))
            await asyncio.sleep(self._config.beat_s)

    async def send_part(self, part: Part) -> str:
        headers = {"Content-Type": "application/json"}
        if part.idempotency_key:
            headers["Idempotency-Key"] = part.idempotency_key
        if self._config.bearer_token:
            headers["Authorization"] = f"Bearer {self._config.bearer_token}"
        body = {"connector": self.name, "external_id": part.chat_id, "text": part.text}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._config.url, json=body, headers=headers) as response:
                status, text = response.status, await response.text(errors="replace")
                message_id = response.headers.get("x-message-id", "")
                retry_after = _retry_after(response.headers)
        except NOT_SENT as exc:
            raise NotDelivered(f"codex publish failed: {type(exc).__name__}") from exc
        if status < 300:
            return message_id or part.idempotency_key
        detail = f"codex publish failed: status={status} body={text.strip()[:1024]}"
        if status >= 500 or status == 429:
            raise NotDelivered(detail, retry_after)
        raise Rejected(detail)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
