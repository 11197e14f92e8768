"""Wiring: settings -> the index, watcher, event publisher and servicer -> a svckit Service."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from agent_runtime.qmd.v1 import service_pb2, service_pb2_grpc
from qmd_svc.authz import ALLOW
from qmd_svc.clients import SchedulerEvents
from qmd_svc.config import QmdSettings
from qmd_svc.events import EventPublisher, EventSink, LogSink
from qmd_svc.library import Library
from qmd_svc.paths import PathFilter
from qmd_svc.service import QmdServicer
from qmd_svc.watcher import Watcher
from qmd_svc.workspaces import Workspaces
from svckit.channels import open_channel
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["QmdService"].full_name


def build_server(settings: QmdSettings, sink: EventSink | None = None) -> Service:
    """The whole service, not started. `sink` overrides where events go (tests)."""
    channel = None
    if sink is None and settings.qmd_notify_scheduler:
        channel = open_channel(
            settings.scheduler_addr,
            settings.pki,
            settings.pki.service("qmd"),
            default_timeout=settings.rpc_timeout_seconds,
        )
        sink = SchedulerEvents(channel, timeout=settings.rpc_timeout_seconds)
    publisher = EventPublisher(sink or LogSink(), PathFilter(settings.qmd_event_exclude_globs))
    readers = ThreadPoolExecutor(settings.qmd_reader_threads, thread_name_prefix="qmd-r")
    workspaces = Workspaces(
        settings.workspaces, PathFilter(settings.qmd_exclude_globs), readers, publisher
    )
    watcher = Watcher(settings.workspaces, workspaces, debounce_ms=settings.qmd_watch_debounce_ms)
    servicer = QmdServicer(Library(workspaces, default_limit=settings.qmd_search_limit))

    async def on_start() -> None:
        publisher.start()
        await workspaces.start()
        if settings.qmd_watch:
            watcher.start()

    async def on_stop() -> None:
        await watcher.stop()
        await workspaces.close()
        await publisher.stop()
        readers.shutdown(wait=True)
        if channel is not None:
            await channel.close()

    service = Service(
        "qmd",
        settings,
        [ServiceDef(service_pb2_grpc.add_QmdServiceServicer_to_server, servicer, SERVICE_NAME)],
        allow=ALLOW,
    )
    service.on_start.append(on_start)
    service.on_stop.append(on_stop)
    return service
