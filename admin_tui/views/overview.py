"""Overview: every service's health and heartbeat, the queue per lane, the workers, objectives
by health state and the approvals waiting for a decision."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Footer, Header, Static

from admin_tui.backend import Backend
from admin_tui.widgets import View, age, styled, when
from agent_runtime.gateway.v1 import service_pb2 as gpb
from agent_runtime.orchestrator.v1 import service_pb2 as opb

PARTS = ("services", "heartbeat", "queue", "objectives")


@dataclass(frozen=True)
class Snapshot:
    """What the overview shows; a part that could not be read holds its error."""

    health: dict[str, str] | str
    heartbeat: gpb.GetHeartbeatResponse | str
    queue: opb.GetQueueStatsResponse | str
    objectives: Counter[str] | str
    pending_approvals: int | str


async def snapshot(backend: Backend) -> Snapshot:
    async def objectives() -> Counter[str]:
        workspaces = await backend.workspaces()
        lists = await asyncio.gather(*(backend.objectives(w.id) for w in workspaces))
        return Counter(o.health_state or "unknown" for items in lists for o in items)

    async def pending() -> int:
        return len(await backend.approvals("pending"))

    results = await asyncio.gather(
        backend.health(),
        backend.heartbeat(),
        backend.queue_stats(),
        objectives(),
        pending(),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    if len(failures) == len(results):  # nothing answers: the stack is down, not a part of it
        raise failures[0]
    shown = [f"unavailable: {r}" if isinstance(r, BaseException) else r for r in results]
    return Snapshot(*shown)  # type: ignore[arg-type]


def _table(*columns: str) -> Table:
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False)
    for c in columns:
        table.add_column(c, no_wrap=True, overflow="ellipsis")
    return table


def services_panel(s: Snapshot) -> Table | str:
    if isinstance(s.health, str):
        return s.health
    table = _table("service", "health")
    for name, state in s.health.items():
        table.add_row(name, styled(state))
    return table


def heartbeat_panel(s: Snapshot) -> Table | str:
    if isinstance(s.heartbeat, str):
        return s.heartbeat
    table = _table("component", "state", "last beat")
    table.title = f"overall {styled(s.heartbeat.overall)}"
    for c in s.heartbeat.components:
        state = "stale" if c.stale else c.state
        beat = when(c.last_beat_at_unix) if c.HasField("last_beat_at_unix") else "n/a"
        table.add_row(c.name, styled(state), beat[11:] if beat != "n/a" else beat)
    return table


def queue_panel(s: Snapshot) -> Table | str:
    if isinstance(s.queue, str):
        return s.queue
    q = s.queue
    table = _table("lane", "queued", "running", "oldest")
    for lane in q.lanes:
        table.add_row(
            lane.queue_lane, str(lane.queued), str(lane.running), age(lane.oldest_queued_age_ms)
        )
    idle = max(q.workers_total - q.workers_busy, 0)
    table.caption = f"workers {q.workers_busy} busy, {idle} idle · {q.dead} dead"
    return table


def objectives_panel(s: Snapshot) -> str:
    lines = []
    if isinstance(s.objectives, str):
        lines.append(s.objectives)
    elif not s.objectives:
        lines.append("no objectives")
    else:
        lines += [f"{styled(k)}: {n}" for k, n in sorted(s.objectives.items())]
    pending = s.pending_approvals
    if isinstance(pending, int):
        mark = "[bold yellow]" if pending else "[green]"
        lines.append(f"\napprovals pending: {mark}{pending}[/]")
    else:
        lines.append(f"\napprovals: {pending}")
    return "\n".join(lines)


class OverviewView(View):
    """Runtime health at a glance."""

    LABEL = "Overview"

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="overview"):
            for part in PARTS:
                panel = Static("loading …", id=f"ov-{part}", classes="panel")
                panel.border_title = "objectives · approvals" if part == "objectives" else part
                yield panel
        yield Footer()

    def reload(self) -> None:
        self.rpc("overview", snapshot, self.show)

    shown: Snapshot | None = None

    def show(self, s: Snapshot) -> None:
        self.shown = s
        self.query_one("#ov-services", Static).update(services_panel(s))
        self.query_one("#ov-heartbeat", Static).update(heartbeat_panel(s))
        self.query_one("#ov-queue", Static).update(queue_panel(s))
        self.query_one("#ov-objectives", Static).update(objectives_panel(s))
