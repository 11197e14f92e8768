"""python-telegram-bot's requests made with aiohttp instead of its default httpx.

Why: with 64 replies in flight, httpx spent over half of connectors_svc's CPU in its own
connection pool (httpcore checks every pooled connection's socket on every request), which
capped the Telegram round trips at about 250/s on two cores (bench/connectors.py). aiohttp,
which discord.py already brings, keeps idle connections in a per-host queue instead.

PTB's `BaseRequest` is the documented way to swap the transport; this class maps aiohttp's
failures onto PTB's errors the way `HTTPXRequest` does, keeping the cause, so
`telegram_errors.delivery_error` can still tell "nothing was sent" (no connection made or
free in time, refused) from "it may have been sent" (a read timeout, a dropped answer).
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with up to `pool_size` connections; timeouts as PTB names them
    (`pool` and `connect` together bound getting a connection, `read` each socket read)."""

    def __init__(self, pool_size: int, timeout_s: float) -> None:
        self._pool_size = pool_size
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._timeout_s

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        read, connect, pool = (
            self._seconds(read_timeout),
            self._seconds(connect_timeout),
            self._seconds(pool_timeout),
        )
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=self._body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut("no connection to Telegram in time; the request was not sent") from err
        except (aiohttp.ServerTimeoutError, TimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            text = str(err).replace(url, "<Bot API URL>")  # the URL carries the token
            raise NetworkError(f"aiohttp.{type(err).__name__}: {text}") from err

    def _seconds(self, value: float | object | None) -> float | None:
        """A timeout PTB passed, or ours when it passed its DEFAULT_NONE."""
        if isinstance(value, (int, float)) or value is None:
            return value
        return self._timeout_s

    @staticmethod
    def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
        """Form fields as the Bot API takes them; multipart when there are files."""
        if request_data is None:
            return None
        fields = request_data.json_parameters
        files = request_data.multipart_data
        if not files:
            return fields
        form = aiohttp.FormData(fields)
        for name, (filename, content, mime_type) in files.items():
            form.add_field(name, content, filename=filename, content_type=mime_type)
        return form
