"""Builds the qmd service from settings and deps: the index, watcher, event publisher and
servicer in a svckit Service; starts nothing, opens no channel and no thread pool."""

from __future__ import annotations

from agent_runtime.qmd.v1 import service_pb2, service_pb2_grpc
from qmd_svc.authz import ALLOW
from qmd_svc.config import QmdSettings
from qmd_svc.deps import Deps
from qmd_svc.events import EventPublisher
from qmd_svc.library import Library
from qmd_svc.paths import PathFilter
from qmd_svc.service import QmdServicer
from qmd_svc.watcher import Watcher
from qmd_svc.workspaces import Workspaces
from svckit.serve import Service, ServiceDef

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["QmdService"].full_name


def build_server(settings: QmdSettings, deps: Deps) -> Service:
    """qmd's gRPC service with its allow list, ready for `start()`; the indexes open, the
    publisher and the watcher run between its start and its stop."""
    publisher = EventPublisher(deps.events, PathFilter(settings.qmd_event_exclude_globs))
    excludes = PathFilter(settings.qmd_exclude_globs)
    workspaces = Workspaces(settings.workspaces, excludes, deps.readers, publisher)
    watcher = Watcher(
        settings.workspaces,
        workspaces,
        excludes=excludes,
        debounce_ms=settings.qmd_watch_debounce_ms,
    )
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

    add = service_pb2_grpc.add_QmdServiceServicer_to_server
    service = Service("qmd", settings, [ServiceDef(add, servicer, SERVICE_NAME)], allow=ALLOW)
    service.on_start.append(on_start)
    service.on_stop.append(on_stop)
    return service
