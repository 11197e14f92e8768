"""The e-mail a reply to an IMAP mailbox answers: found by Message-ID within the mailbox (any
UIDVALIDITY), or the mailbox's latest one; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from store_svc.db import Database
from store_svc.journal import Journal
from store_svc.keys import Keys
from svckit.errors import InvalidArgument
from tests.fakes import FrozenClock


def ingestion(uid: int, validity: int, mid: str, sender: str) -> dict[str, object]:
    return {
        "account_key": f"Alice:INBOX#{validity}",
        "mailbox_key": "Alice:INBOX",
        "uid": uid,
        "message_id": mid,
        "workspace_id": "ws",
        "context_id": "ctx",
        "file_path": f"inbox/imap/INBOX/{uid}-x.md",
        "reply_address": sender,
        "subject": f"about {uid}",
    }


async def test_a_reply_finds_its_email_or_the_mailboxs_latest(db: Database) -> None:
    clock = FrozenClock(1_000_000)
    journal = Journal(db, clock, Keys(clock))
    assert await journal.find_imap("alice:inbox", "") is None
    assert await journal.mark_imap(ingestion(1, 7, "<a@x>", "ana@example.test"))
    clock.ms += 1000
    assert await journal.mark_imap(ingestion(1, 8, "<b@x>", "bo@example.test"))  # new validity
    assert not await journal.mark_imap(ingestion(1, 8, "<b@x>", "bo@example.test"))
    first = await journal.find_imap("alice:inbox", "<a@x>")
    assert first is not None
    assert (first["reply_address"], first["subject"]) == ("ana@example.test", "about 1")
    latest = await journal.find_imap("ALICE:INBOX", "")
    assert latest is not None and latest["message_id"] == "<b@x>"
    assert await journal.find_imap("alice:inbox", "<nope@x>") is None
    assert await journal.imap_ingested("alice:inbox#8", 1, "")
    assert not await journal.imap_ingested("alice:inbox#9", 1, "")
    with pytest.raises(InvalidArgument):
        await journal.find_imap(" ", "")
