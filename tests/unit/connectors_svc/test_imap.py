"""The IMAP adapter against a real Dovecot and a real store: each unseen e-mail becomes one
markdown file and one review task, and is marked seen only once the store holds it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from connectors_svc.adapters.mail_ports import Ingestion
from svckit import testing
from svckit.pki import PkiPaths
from tests.dovecot import Dovecot
from tests.unit.connectors_svc.mail import (
    SEEN,
    Sink,
    Stack,
    all_seen,
    append,
    client,
    email,
    flags,
    running,
    serving,
    start_dovecot,
)


@pytest.fixture
async def stack(pki: PkiPaths, tmp_path: Path) -> Stack:  # type: ignore[misc]
    async with serving(pki, tmp_path) as s:
        yield s


def inbox_files(stack: Stack) -> list[Path]:
    return sorted(p for p in stack.root.glob("*/inbox/imap/INBOX/*.md"))


async def test_an_email_becomes_a_markdown_file_and_one_task_and_is_marked_seen(
    server: Dovecot, stack: Stack
) -> None:
    await append(server, email("Quarterly numbers", "Please look at Q3.", "<q3@example.test>"))
    sink = Sink()
    async with running(stack.adapter(server), sink):
        [task] = await testing.eventually(stack.all_tasks, "the review task")
        await testing.eventually(lambda: sink.beats, "a beat")
    [path] = inbox_files(stack)
    assert path.name == "1-Quarterly-numbers.md"
    text = path.read_text()
    assert text.startswith("# Email\n\n- uid: `1`\n- message_id: `<q3@example.test>`\n")
    assert "- from: `Ana Sender <ana@example.test>`" in text
    assert "- subject: `Quarterly numbers`" in text
    assert "- date: `2026-12-06T08:00:00+00:00`" in text
    assert "## Body\n\nPlease look at Q3." in text
    rel = "inbox/imap/INBOX/1-Quarterly-numbers.md"
    assert (task.kind, task.title, task.status) == (
        "general",
        "Review email: Quarterly numbers",
        "queued",
    )
    assert task.prompt == (
        "A new email was ingested from `Ana Sender <ana@example.test>` with subject "
        f"`Quarterly numbers`. Review file `{rel}` and decide next actions."
    )
    assert path == stack.root / task.workspace_id / rel
    assert task.context_id == "system:imap"  # its outcome is not mailed to the sender
    assert (await flags(server))[1] == (SEEN,)
    assert sink.beats[0].connected


async def test_a_markdown_attachment_is_saved_beside_the_email(
    server: Dovecot, stack: Stack
) -> None:
    msg = email("Notes", "See the notes.", "<notes@example.test>")
    msg.add_attachment(b"# Meeting\n\n- ship it\n", "text", "markdown", filename="meeting notes.md")
    msg.add_attachment(b"\x89PNG", "image", "png", filename="logo.png")  # not markdown: left
    await append(server, msg)
    async with running(stack.adapter(server), Sink()):
        [task] = await testing.eventually(stack.all_tasks, "the review task")
    folder = stack.root / task.workspace_id / "inbox/imap/INBOX"
    assert [p.name for p in (folder / "attachments").iterdir()] == ["1-1-meeting-notes.md"]
    assert (folder / "attachments/1-1-meeting-notes.md").read_bytes() == b"# Meeting\n\n- ship it\n"
    text = (folder / "1-Notes.md").read_text()
    assert "- attachments: `1`" in text
    assert "## Markdown Attachments\n\n- `meeting-notes.md`" in text
    assert task.prompt.endswith(" The email includes 1 markdown attachment(s).")


async def test_the_same_message_again_makes_no_second_task(server: Dovecot, stack: Stack) -> None:
    msg = email("Invoice", "Pay me.", "<invoice-7@example.test>")
    await append(server, msg)
    sink = Sink()
    async with running(stack.adapter(server), sink):
        await testing.eventually(stack.all_tasks, "the first task")
        await append(server, msg)  # redelivered: a new UID, the same Message-ID
        await testing.eventually(lambda: all_seen(server, 2), "the duplicate marked seen as well")
    assert len(await stack.all_tasks()) == 1
    assert [p.name for p in inbox_files(stack)] == ["1-Invoice.md"]


class CrashAfterStoring:
    """The real store, and the adapter 'killed' right after the store took the ingestion,
    before it could set \\Seen."""

    def __init__(self, stack: Stack) -> None:
        self._store = stack.store

    async def ensure_context(self, connector: str, external_id: str, display_name: str):  # type: ignore[no-untyped-def]
        return await self._store.ensure_context(connector, external_id, display_name)

    async def ingested(self, account_key: str, uid: int, message_id: str) -> bool:
        return await self._store.ingested(account_key, uid, message_id)

    async def create_task(self, task):  # type: ignore[no-untyped-def]
        return await self._store.create_task(task)

    async def mark_ingested(self, ingestion: Ingestion) -> None:
        await self._store.mark_ingested(ingestion)
        raise SystemExit("killed")


async def test_killed_after_storing_but_before_seen_makes_no_second_task(
    server: Dovecot, stack: Stack
) -> None:
    await append(server, email("Crash", "Once only.", "<crash@example.test>"))
    with pytest.raises(SystemExit):
        await stack.adapter(server, store=CrashAfterStoring(stack)).run(Sink())
    assert (await flags(server))[1] == ()  # still unseen: ingested again after the restart
    assert len(await stack.all_tasks()) == 1
    async with running(stack.adapter(server), Sink()):
        await testing.eventually(lambda: all_seen(server, 1), "the message marked seen")
    assert len(await stack.all_tasks()) == 1


class CrashBeforeStoring(CrashAfterStoring):
    """Killed after the task was created, before the store recorded the ingestion."""

    async def mark_ingested(self, ingestion: Ingestion) -> None:
        raise SystemExit("killed")


async def test_killed_between_the_task_and_the_record_makes_no_second_task(
    server: Dovecot, stack: Stack
) -> None:
    await append(server, email("Crash", "Once only.", "<crash2@example.test>"))
    with pytest.raises(SystemExit):
        await stack.adapter(server, store=CrashBeforeStoring(stack)).run(Sink())
    async with running(stack.adapter(server), Sink()):
        await testing.eventually(lambda: all_seen(server, 1), "the message marked seen")
    assert len(await stack.all_tasks()) == 1


async def test_idle_wakes_the_adapter_without_waiting_for_the_poll(
    server: Dovecot, stack: Stack
) -> None:
    sink = Sink()
    async with running(stack.adapter(server, poll_seconds=3600.0), sink):
        await testing.eventually(lambda: sink.beats, "the first (empty) cycle")
        await append(server, email("Wake up", "New mail.", "<wake@example.test>"))
        [task] = await testing.eventually(stack.all_tasks, "the task, well before an hour")
    assert task.title == "Review email: Wake up"


async def test_without_idle_the_mailbox_is_polled(stack: Stack) -> None:
    box = start_dovecot(idle=False)
    try:
        sink = Sink()
        async with running(stack.adapter(box, poll_seconds=0.05), sink):
            await testing.eventually(lambda: sink.beats, "the first (empty) cycle")
            await append(box, email("Polled", "Found.", "<polled@example.test>"))
            [task] = await testing.eventually(stack.all_tasks, "the task")
        assert task.title == "Review email: Polled"
    finally:
        box.stop()


async def test_a_new_uidvalidity_does_not_mistake_a_reused_uid_for_an_ingested_one(
    server: Dovecot, stack: Stack
) -> None:
    await append(server, email("First", "one", "<first@example.test>"))
    async with running(stack.adapter(server), Sink()):
        await testing.eventually(stack.all_tasks, "the first task")
    await asyncio.to_thread(_empty_and_renumber, server)
    await append(server, email("Second", "two", "<second@example.test>"))  # UID 1 again
    async with running(stack.adapter(server), Sink()):
        tasks = await testing.eventually(lambda: _at_least(stack, 2), "the second e-mail's task")
    assert sorted(t.title for t in tasks) == ["Review email: First", "Review email: Second"]


def _empty_and_renumber(server: Dovecot) -> None:
    imap = client(server)
    imap.select_folder("INBOX")
    imap.delete_messages(imap.search(["ALL"]))
    imap.expunge()
    imap.logout()
    maildir = server.folder / "home" / server.username / "Maildir"
    (maildir / "dovecot-uidlist").unlink()  # Dovecot starts a new UIDVALIDITY
    for index in maildir.glob("dovecot.index*"):
        index.unlink()
    shutil.rmtree(maildir / "cur", ignore_errors=True)


async def _at_least(stack: Stack, count: int) -> list[object] | None:
    tasks = await stack.all_tasks()
    return tasks if len(tasks) >= count else None  # type: ignore[return-value]
