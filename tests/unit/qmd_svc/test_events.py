"""The event publisher: filtered, delivered in the background, retried, never blocking."""

from __future__ import annotations

from qmd_svc.events import EventPublisher, PermanentFailure
from qmd_svc.paths import DEFAULT_EVENT_EXCLUDES, PathFilter
from svckit.testing import eventually


class FlakySink:
    def __init__(self, failures: int, permanent: bool = False) -> None:
        self.failures = failures
        self.permanent = permanent
        self.calls = 0
        self.delivered: list[tuple[str, str, str]] = []

    async def notify(self, workspace_id: str, event_key: str, path: str) -> None:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise PermanentFailure("no") if self.permanent else ConnectionError("down")
        self.delivered.append((workspace_id, event_key, path))


async def test_retries_until_delivered_and_skips_runtime_folders() -> None:
    sink = FlakySink(failures=2)
    pub = EventPublisher(sink, PathFilter(DEFAULT_EVENT_EXCLUDES), backoff=0.01)
    pub.start()
    pub.changed("ws", ["notes/a.md", "tasks/t.md", "logs/x.md", "ops/o.md"])
    await eventually(lambda: sink.delivered, "the event to be delivered", deadline=5)
    await pub.stop()
    assert sink.delivered == [("ws", "markdown.updated", "notes/a.md")]
    assert sink.calls == 3


async def test_permanent_failure_is_not_retried() -> None:
    sink = FlakySink(failures=1, permanent=True)
    pub = EventPublisher(sink, PathFilter([]), backoff=0.01)
    pub.start()
    pub.changed("ws", ["a.md", "b.md"])
    await eventually(lambda: sink.delivered, "the event to be delivered", deadline=5)
    await pub.stop()
    assert sink.delivered == [("ws", "markdown.updated", "b.md")] and sink.calls == 2


def test_a_full_queue_sheds_the_oldest_instead_of_blocking() -> None:
    pub = EventPublisher(FlakySink(0), PathFilter([]), max_queue=2)
    pub.changed("ws", ["a.md", "b.md", "c.md"])
    assert pub.dropped == 1
