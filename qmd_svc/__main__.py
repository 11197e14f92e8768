"""`python -m qmd_svc`: the composition root, the only place that reads settings and builds
objects (the scheduler channel, the reader threads)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from qmd_svc.clients import SchedulerEvents
from qmd_svc.config import QmdSettings
from qmd_svc.deps import Deps
from qmd_svc.events import EventSink, LogSink
from qmd_svc.server import build_server
from svckit.channels import open_channel
from svckit.config import load_settings
from svckit.serve import Service, run


def main() -> None:
    settings = load_settings(QmdSettings)
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # one line per change batch

    async def build() -> Service:
        scheduler = None
        events: EventSink = LogSink()
        if settings.qmd_notify_scheduler:
            scheduler = open_channel(
                settings.scheduler_addr,
                settings.pki,
                settings.pki.service("qmd"),
                default_timeout=settings.rpc_timeout_seconds,
                keepalive=settings.keepalive,
            )
            events = SchedulerEvents(scheduler, timeout=settings.rpc_timeout_seconds)
        readers = ThreadPoolExecutor(settings.qmd_reader_threads, thread_name_prefix="qmd-r")
        service = build_server(settings, Deps(events=events, readers=readers))

        async def close() -> None:
            readers.shutdown(wait=True)
            if scheduler is not None:
                await scheduler.close()

        # Stop hooks run last-added first: these go first, so they run after the service's
        # own (the indexes and the publisher stop before their threads and channel go).
        service.on_stop.insert(0, close)
        return service

    run("qmd", settings, build)


if __name__ == "__main__":
    main()
