"""Supervision: an adapter that keeps crashing backs off (its circuit opens) without
stopping the others, a receiving adapter runs on the lease holder only, and the status and
the stored heartbeat components say so."""

from __future__ import annotations

from agent_runtime.store.v1 import component_service_pb2 as crpc
from agent_runtime.store.v1.component_service_pb2_grpc import ComponentServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.unit.connectors_svc.kit import Crashing, Polling, connectors, webhook
from tests.webhooks import FakeWebhook


async def _components(pki: PkiPaths, port: int) -> dict[str, crpc.ListComponentsResponse]:
    async with testing.client_channel(pki, port, "svc:gateway") as ch:
        reply = await ComponentServiceStub(ch).ListComponents(
            crpc.ListComponentsRequest(prefix="connector:"), timeout=10
        )
    return {c.name: c for c in reply.items}


async def test_a_crashing_adapter_backs_off_and_the_others_deliver(
    pki: PkiPaths, store_port: int, fake: FakeWebhook
) -> None:
    crashy = Crashing()
    adapters = [crashy, webhook("codex", fake)]
    async with connectors(
        pki, store_port, adapters, adapter_breaker_failures=3, adapter_breaker_open_seconds=600,
        disabled={"telegram": "token missing"},
    ) as c:  # fmt: skip

        async def circuit_open() -> bool:
            return "circuit open" in (await c.status())["crashy"].message

        await testing.eventually(circuit_open, "the crashing adapter's circuit to open")
        out = await c.publish(connector="codex", external_id="s", text="hi", idempotency_key="k")
        status = await c.status()
        stored = await testing.eventually(
            lambda: _wanted(_components(pki, store_port)), "the stored components"
        )
    assert crashy.runs == 3  # resting now, not crashing in a loop
    assert status["crashy"].state == "degraded" and "unreachable" in status["crashy"].error
    assert out.status == "sent" and fake.texts() == ["hi"]
    assert (status["telegram"].state, status["telegram"].message) == ("disabled", "token missing")
    assert not status["telegram"].enabled
    assert stored["connector:telegram"].state == "disabled"
    assert stored["connector:codex"].state == "healthy"


async def _wanted(listing: object) -> dict[str, crpc.ListComponentsResponse] | None:
    got = await listing  # type: ignore[misc]
    codex = got.get("connector:codex")
    ready = "connector:telegram" in got and codex is not None and codex.state == "healthy"
    return got if ready else None


async def test_only_the_lease_holder_runs_a_receiving_adapter(
    pki: PkiPaths, store_port: int
) -> None:
    polling: set[str] = set()
    a, b = Polling("a", polling), Polling("b", polling)
    ttl = {"connector_lease_ttl_seconds": 5.0}  # renewed every third: no loss under load
    async with connectors(pki, store_port, [a], holder="a", **ttl) as ca:
        await testing.eventually(lambda: polling == {"a"}, "replica a to poll")
        async with connectors(pki, store_port, [b], holder="b", **ttl) as cb:

            async def standby() -> bool:
                return "standby" in (await cb.status())["poller"].message

            await testing.eventually(standby, "replica b to stand by")
            sa, sb = (await ca.status())["poller"], (await cb.status())["poller"]
            assert polling == {"a"}
            assert (sa.leader, sb.leader) == (True, False)
        # b stopped (released nothing it held); a polls on, alone
        assert polling == {"a"}
    async with connectors(pki, store_port, [b], holder="b", **ttl) as cb:
        # a released its lease on stop: b takes over without waiting for it to expire
        await testing.eventually(lambda: polling == {"b"}, "replica b to take over")
        assert (await cb.status())["poller"].leader


async def test_a_session_that_stops_beating_reads_degraded_not_healthy(
    pki: PkiPaths, store_port: int
) -> None:
    """The process keeps reporting, so without its adapter's promise a hung session would
    read healthy for ever; past the promise it reads degraded, in the status and the
    stored heartbeat component."""
    now = [1_700_000_000.0]
    hung = Polling("a", set(), beat_within_s=30.0)  # beats once, then never again
    async with connectors(pki, store_port, [hung], holder="a", clock=lambda: now[0]) as c:

        async def beat_once() -> bool:
            return (await c.status())["poller"].state == "healthy" and bool(hung.polling)

        await testing.eventually(beat_once, "its first beat")
        now[0] += 30
        assert (await c.status())["poller"].state == "healthy"  # within its promise
        now[0] += 1
        view = (await c.status())["poller"]

        async def stored_degraded() -> crpc.ListComponentsResponse | None:
            found = (await _components(pki, store_port)).get("connector:poller")
            return found if found is not None and found.state == "degraded" else None

        stored = await testing.eventually(stored_degraded, "the stored component degraded")
    assert view.state == "degraded"
    assert view.message == "no beat for 31s (expected within 30s)"
    assert stored.message == view.message
