"""A backend with fixed answers, for snapshots that must not change from run to run: the real
`Backend` with its replies replaced by the same records every time (the views and widgets
under test are the real ones)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from admin_tui.backend import Backend
from admin_tui.backend_stubs import Stubs
from agent_runtime.gateway.v1 import resources_pb2 as gres
from agent_runtime.gateway.v1 import service_pb2 as gpb
from agent_runtime.orchestrator.v1 import resources_pb2 as ores
from agent_runtime.orchestrator.v1 import service_pb2 as opb
from agent_runtime.scheduler.v1 import resources_pb2 as sres
from agent_runtime.store.v1 import delivery_pb2, workspace_pb2

NOW = 1_796_544_000  # 2026-12-06 08:00:00 UTC
SERVICES = ("connectors", "gateway", "orchestrator", "qmd", "scheduler", "store")


class CannedBackend(Backend):
    """Always the same stack: two workspaces, a few tasks, one approval of each kind …"""

    def __init__(self) -> None:
        super().__init__(Stubs(None, None, None, None, None, {}, ()))  # type: ignore[arg-type]

    async def close(self) -> None:
        return None

    async def health(self) -> dict[str, str]:
        return {name: "NOT_SERVING" if name == "qmd" else "SERVING" for name in SERVICES}

    async def heartbeat(self) -> gpb.GetHeartbeatResponse:
        components = [
            gres.HeartbeatComponent(
                name=name, state="degraded" if name == "qmd" else "healthy",
                last_beat_at_unix=NOW - 5, stale=False,
            )
            for name in SERVICES
        ]  # fmt: skip
        return gpb.GetHeartbeatResponse(generated_at_unix=NOW, overall="degraded",
                                        components=components)  # fmt: skip

    async def queue_stats(self, workspace_id: str = "") -> opb.GetQueueStatsResponse:
        lanes = [
            ores.LaneStats(queue_lane="turn", queued=0, running=1),
            ores.LaneStats(queue_lane="task", queued=3, running=2, oldest_queued_age_ms=42_000),
            ores.LaneStats(queue_lane="background", queued=7, oldest_queued_age_ms=754_000),
        ]
        return opb.GetQueueStatsResponse(queued=10, running=3, dead=1, workers_busy=3,
                                         workers_total=5, lanes=lanes)  # fmt: skip

    async def workspaces(self) -> list[workspace_pb2.Workspace]:
        return [
            workspace_pb2.Workspace(id="ws-ops", slug="ops", name="Operations"),
            workspace_pb2.Workspace(id="ws-sup", slug="support", name="Support"),
        ]

    async def contexts(self, workspace_id: str) -> list[workspace_pb2.Context]:
        return [workspace_pb2.Context(id="ctx-1", workspace_id=workspace_id, connector="telegram",
                                      external_id="-100200")]  # fmt: skip

    async def tasks(self, workspace_id: str, status: str, kind: str) -> list[ores.Task]:
        rows = [
            ("t-1", "Weekly report", "succeeded", "general", 1, "summarise the week"),
            ("t-2", "Export invoices", "failed", "general", 3, "export the invoices"),
            ("t-3", "Daily digest", "running", "objective", 1, "digest the inbox"),
            ("t-4", "Reindex notes", "queued", "reindex_markdown", 0, "reindex"),
        ]
        tasks = [
            ores.Task(
                id=i, workspace_id="ws-ops", title=title, status=st, kind=k, attempts=n,
                prompt=prompt, updated_at_unix=NOW - 60 * idx, created_at_unix=NOW - 3600,
                result_text="Done: 12 items." if st == "succeeded" else "",
                result_path=f"tasks/2026/12/06/{i}.md" if st == "succeeded" else "",
                error_message="connection refused" if st == "failed" else "",
            )
            for idx, (i, title, st, k, n, prompt) in enumerate(rows)
        ]  # fmt: skip
        return [t for t in tasks if (not status or t.status == status)
                and (not kind or t.kind == kind)]  # fmt: skip

    async def watch_tasks(self, workspace_id: str) -> AsyncIterator[ores.TaskEvent]:
        for _ in ():
            yield ores.TaskEvent()

    async def approvals(self, status: str) -> list[gres.Approval]:
        def one(i: str, st: str, ex: str, target: str, age: int) -> gres.Approval:
            return gres.Approval(
                id=i, workspace_id="ws-ops", action_type="webhook", action_target=target,
                action_summary=f"POST to {target}", status=st, execution_status=ex,
                requester_user_id="u-7", created_at_unix=NOW - age, updated_at_unix=NOW - age,
                expires_at_unix=NOW + 86_400 - age,
            )  # fmt: skip

        items = [
            one("ap-1", "approved", "succeeded", "https://hooks.example/a", 7200),
            one("ap-2", "approved", "unknown", "https://hooks.example/b", 3600),
            one("ap-3", "pending", "", "https://hooks.example/c", 600),
        ]
        return [a for a in items if status == "all" or a.status == status]

    async def objectives(self, workspace_id: str) -> list[sres.Objective]:
        if workspace_id != "ws-ops":
            return []
        return [
            sres.Objective(
                id="ob-1", workspace_id="ws-ops", context_id="ctx-1", title="Daily digest",
                prompt="digest the inbox", trigger_type="schedule", cron_expr="0 9 * * *",
                timezone="Europe/Berlin", active=True, next_run_unix=NOW + 3600,
                next_runs_unix=[NOW + 3600, NOW + 90_000], health_state="healthy",
                run_count=20, success_count=19, failure_count=1, avg_run_duration_ms=5300,
            ),
            sres.Objective(
                id="ob-2", workspace_id="ws-ops", context_id="ctx-1", title="Watch the docs",
                prompt="summarise changes", trigger_type="event", event_key="markdown.updated",
                timezone="UTC", active=False, health_state="failing", run_count=5,
                success_count=0, failure_count=5, consecutive_failures=5,
                auto_paused_reason="5 failures in a row", last_error="model timeout",
            ),
        ]  # fmt: skip

    async def pairings(self, status: str) -> list[gres.Pairing]:
        return [gres.Pairing(id="pr-1", token_hint="K7Q2...M3XP", connector="telegram",
                connector_user_id="4242", display_name="Ada", status="pending",
                expires_at_unix=NOW + 600)]  # fmt: skip

    async def identities(self, include_revoked: bool) -> list[gres.Identity]:
        return [
            gres.Identity(id="id-1", user_id="u-1", connector="telegram", connector_user_id="1",
                          display_name="Grace", role="overlord", status="active",
                          created_at_unix=NOW - 86_400 * 30),
            gres.Identity(id="id-2", user_id="u-2", connector="discord", connector_user_id="77",
                          display_name="Linus", role="member", status="active",
                          created_at_unix=NOW - 86_400),
        ]  # fmt: skip

    async def dead_letters(self, include_replayed: bool) -> list[ores.DeadLetter]:
        return [ores.DeadLetter(id="dl-1", kind="task", subject_id="t-2", workspace_id="ws-ops",
                summary="Export invoices", last_error="connection refused", attempts=3,
                status="dead", created_at_unix=NOW - 900)]  # fmt: skip

    async def deliveries(self, status: str) -> list[delivery_pb2.Delivery]:
        rows = [("d-1", "sent"), ("d-2", "unknown"), ("d-3", "failed")]
        return [
            delivery_pb2.Delivery(id=i, connector="telegram", chat_id="-100200", status=st,
                                  text=f"notice {i}", attempts=1, updated_at_unix=NOW - 100,
                                  idempotency_key=f"key-{i}")
            for i, st in rows if not status or st == status
        ]  # fmt: skip


class CannedLink:
    """A stack that is always there and always says the same."""

    where = "canned"

    def open(self) -> Backend:
        return CannedBackend()
