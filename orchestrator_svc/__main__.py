"""`python -m orchestrator_svc`: the composition root, the only place that reads settings."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import Gauge

from orchestrator_svc.actions.compose import plugins
from orchestrator_svc.actions.runner import ActionExecutor
from orchestrator_svc.agent_build import build_agent
from orchestrator_svc.agent_tasks import AgentTaskExecutor, TurnExecutor
from orchestrator_svc.clients import (
    QmdClient,
    StoreLeases,
    StoreTasks,
    open_qmd_channel,
    open_store_channel,
)
from orchestrator_svc.config import OrchestratorSettings
from orchestrator_svc.deps import Deps
from orchestrator_svc.executors import Executor, Executors
from orchestrator_svc.reindex import ReindexExecutor
from orchestrator_svc.server import build_server
from orchestrator_svc.watch import Pulse
from orchestrator_svc.workers import WorkerPool
from store_svc.client import StoreApprovals, StoreComponents, keep_reporting
from svckit.config import load_settings
from svckit.serve import Service, run


def compose(
    settings: OrchestratorSettings, extra: Mapping[str, Executor] | None = None
) -> Callable[[], Awaitable[Service]]:
    """The service factory. `extra` adds executors by kind (benchmarks and tests register
    their own kinds here; production runs the kinds below)."""

    async def build() -> Service:
        store = open_store_channel(settings)
        qmd_channel = open_qmd_channel(settings)
        qmd = QmdClient(qmd_channel)
        agent = build_agent(settings, store, qmd_channel)
        agent_task = AgentTaskExecutor(agent, settings.workspaces, time.time)
        approvals = StoreApprovals(store)
        executors = Executors(
            {
                "turn": TurnExecutor(agent, settings.workspaces, time.time),
                "general": agent_task,
                "objective": agent_task,
                "reindex_markdown": ReindexExecutor(qmd),
                "action": ActionExecutor(approvals, plugins(settings)),
                **(extra or {}),
            }
        )
        pulse = Pulse()
        pool = WorkerPool(
            StoreLeases(store, settings.rpc_timeout_seconds),
            executors,
            size=settings.default_concurrency,
            lease_ms=settings.task_lease_ms,
            wait_ms=settings.task_claim_wait_ms,
            drain_seconds=settings.worker_drain_seconds,
            on_change=pulse.fire,
        )
        deps = Deps(
            tasks=StoreTasks(store),
            watch_poll_seconds=settings.watch_poll_ms / 1000,
            pulse=pulse,
            approvals=approvals,
            workers=pool,
        )
        service = build_server(settings, deps)
        _worker_gauges(service, pool)
        service.on_start.append(pool.start)
        components = StoreComponents(store, f"{socket.gethostname()}:{os.getpid()}")
        beats: list[asyncio.Task[None]] = []

        async def start_beats() -> None:
            interval = settings.heartbeat_interval_seconds
            beats.append(asyncio.create_task(_report_runtime(interval, components, pool)))

        async def stop_beats() -> None:
            for task in beats:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

        service.on_start.append(start_beats)
        # on_stop runs in reverse: drain the workers first, then close the channels
        service.on_stop.append(store.close)
        service.on_stop.append(qmd_channel.close)
        service.on_stop.append(stop_beats)
        service.on_stop.append(pool.stop)
        return service

    return build


async def _report_runtime(interval_s: float, components: StoreComponents, pool: WorkerPool) -> None:
    """The `runtime` heartbeat component, healthy while this process's workers run."""

    def state() -> tuple[str, str, str, str]:
        return ("runtime", "healthy", f"{pool.size} workers, {pool.busy} busy", "")

    await keep_reporting(components, state, interval_s)


def _worker_gauges(service: Service, pool: WorkerPool) -> None:
    """`/metrics`: how many workers this process has and how many are busy."""
    busy = Gauge(
        "orchestrator_workers_busy",
        "Workers of this process executing a task now.",
        registry=service.registry,
    )
    busy.set_function(lambda: pool.busy)
    total = Gauge("orchestrator_workers", "Workers of this process.", registry=service.registry)
    total.set_function(lambda: pool.size)


def main(extra: Mapping[str, Executor] | None = None) -> None:
    settings = load_settings(OrchestratorSettings)
    run("orchestrator", settings, compose(settings, extra))


if __name__ == "__main__":
    main()
