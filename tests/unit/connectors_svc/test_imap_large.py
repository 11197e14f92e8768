"""An e-mail over the 2 MiB ingestion limit (REFERENCE.md §8.4: larger bodies are not
fetched) through a real Dovecot: it is not dropped silently but filed as a refusal (its
markdown file has the headers and says why its body and attachments are missing, its review
task says the same) and marked seen; the adapter goes on with the next e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from svckit import testing
from svckit.pki import PkiPaths
from tests.dovecot import Dovecot
from tests.unit.connectors_svc.mail import Sink, Stack, all_seen, append, email, running, serving


@pytest.fixture
async def stack(pki: PkiPaths, tmp_path: Path) -> Stack:  # type: ignore[misc]
    async with serving(pki, tmp_path) as s:
        yield s


async def test_a_message_over_the_limit_is_filed_as_a_refusal_and_the_next_one_ingested(
    server: Dovecot, stack: Stack
) -> None:
    big = email("Large report", "The report is attached.", "<large@example.test>")
    report = b"# Report\n\n" + b"- a line of the quarterly report, kept in markdown\n" * 64_000
    big.add_attachment(report, "text", "markdown", filename="report.md")
    size = len(big.as_bytes())
    assert size > 2 * 1024 * 1024
    await append(server, big)
    await append(server, email("Small", "Just a note.", "<small@example.test>"))
    sink = Sink()
    async with running(stack.adapter(server), sink):
        await testing.eventually(
            lambda: _count(stack, 2), "a review task for each message", deadline=30
        )
        await testing.eventually(lambda: all_seen(server, 2), "both marked seen")
    tasks = {t.title: t for t in await stack.all_tasks()}
    refused, small = tasks["Review email: Large report"], tasks["Review email: Small"]
    folder = stack.root / refused.workspace_id / "inbox/imap/INBOX"
    assert sorted(p.name for p in folder.iterdir()) == ["1-Large-report.md", "2-Small.md"]
    text = (folder / "1-Large-report.md").read_text()
    assert "- message_id: `<large@example.test>`" in text
    assert "- subject: `Large report`" in text
    why = "over the 2 MiB limit for ingestion: its body and attachments were not fetched"
    assert "## Not ingested\n\n" in text and why in text
    assert "The report is attached." not in text  # nothing of the body pretends to be whole
    assert why in refused.prompt and "Review file `inbox/imap/INBOX/1-Large-report.md`" in (
        refused.prompt
    )
    assert "## Body\n\nJust a note." in (folder / "2-Small.md").read_text()
    assert "not ingested" not in small.prompt.lower()


async def _count(stack: Stack, n: int) -> bool:
    return len(await stack.all_tasks()) == n
