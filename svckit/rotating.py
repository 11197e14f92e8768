"""A client channel that follows certificate renewals without a restart.

A grpc.aio channel's credentials are fixed when it is created, so renewal means a new inner
channel. At most every `reload_interval` seconds, the first call that notices the time is up
stats the certificate files; when they changed and validate, new calls go over a new inner
channel and the old one is closed `grace` seconds later: unary calls in flight finish on it,
streams still open on it then end as cancelled on our side (grpc.aio raises
asyncio.CancelledError to their reader) and their callers reconnect as after any drop.

Multicallables handed out earlier (generated stubs keep theirs) re-bind to the new inner
channel on their next call. The cost per call is an identity check (is the inner channel
still the one bound) and a clock read (is the check due)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from time import monotonic
from typing import Any

import grpc

from svckit.certfiles import CertWatch
from svckit.tls import credentials_for

log = logging.getLogger("svckit.rotating")
Options = Sequence[tuple[str, Any]]


class Rebinding:
    """A multicallable bound to the channel's current inner channel."""

    __slots__ = ("_args", "_call", "_channel", "_kind", "_kw", "_source")

    def __init__(self, channel: RotatingChannel, kind: str, args: Any, kw: Any) -> None:
        self._channel = channel
        self._kind, self._args, self._kw = kind, args, kw
        self._source = channel.inner
        self._call = getattr(channel.inner, kind)(*args, **kw)

    def __call__(
        self, request: Any, *, timeout: float | None = None, metadata: Any = None, **kw: Any
    ) -> Any:
        # timeout and metadata by name: nearly every call passes them, and forwarding named
        # arguments is cheaper than packing and unpacking a dict of them.
        ch = self._channel
        if self._source is not ch.inner or monotonic() >= ch.due:
            self._rebind()
        return self._call(request, timeout=timeout, metadata=metadata, **kw)

    def _rebind(self) -> None:
        ch = self._channel
        ch.refresh()
        if self._source is not ch.inner:
            self._source = ch.inner
            self._call = getattr(ch.inner, self._kind)(*self._args, **self._kw)


class RotatingChannel(grpc.aio.Channel):
    """An mTLS grpc.aio channel to `target` with the certificates `watch` follows."""

    def __init__(
        self,
        target: str,
        watch: CertWatch,
        *,
        options: Options = (),
        reload_interval: float = 30.0,
        grace: float = 30.0,
    ) -> None:
        self._target, self._options = target, list(options)
        self._watch = watch
        self._interval, self._grace = reload_interval, grace
        self.inner: grpc.aio.Channel = self._open()
        self.due = monotonic() + reload_interval
        self._retiring: dict[grpc.aio.Channel, asyncio.Task[None] | None] = {}

    def _open(self) -> grpc.aio.Channel:
        creds = credentials_for(self._watch.current)
        return grpc.aio.secure_channel(self._target, creds, options=self._options)

    def refresh(self) -> None:
        """Swap the inner channel if the certificate files changed and validate. Cheap unless
        the check is due (every `reload_interval` seconds)."""
        now = monotonic()
        if now < self.due:
            return
        self.due = now + self._interval
        if self._watch.check() is None:
            return
        old, self.inner = self.inner, self._open()
        task = None
        with contextlib.suppress(RuntimeError):  # no running loop: close() ends it
            task = asyncio.get_running_loop().create_task(self._end_after_grace(old))
            task.add_done_callback(lambda _: self._retiring.pop(old, None))
        self._retiring[old] = task
        log.info(
            "new client certificate: new calls use a new channel", extra={"target": self._target}
        )

    async def _end_after_grace(self, old: grpc.aio.Channel) -> None:
        # Not old.close(grace): that would refuse new calls at once and, if close() cut the
        # wait short, leave calls still running with no one to cancel them.
        await asyncio.sleep(self._grace)
        await old.close()

    def unary_unary(self, *args: Any, **kw: Any) -> Any:
        return Rebinding(self, "unary_unary", args, kw)

    def unary_stream(self, *args: Any, **kw: Any) -> Any:
        return Rebinding(self, "unary_stream", args, kw)

    def stream_unary(self, *args: Any, **kw: Any) -> Any:
        return Rebinding(self, "stream_unary", args, kw)

    def stream_stream(self, *args: Any, **kw: Any) -> Any:
        return Rebinding(self, "stream_stream", args, kw)

    async def close(self, grace: float | None = None) -> None:
        """Close the current channel and any still retiring, each with `grace`."""
        retiring, self._retiring = self._retiring, {}
        for task in retiring.values():
            if task is not None:
                task.cancel()
        await asyncio.gather(*(ch.close(grace) for ch in (self.inner, *retiring)))

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self.inner.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self.inner.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self.inner.channel_ready()

    async def __aenter__(self) -> RotatingChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close(None)
