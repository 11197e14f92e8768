"""The IMAP adapter (REFERENCE.md §8.4): each unseen e-mail of one mailbox becomes a markdown
file in the mailbox's workspace and a `general` review task, exactly once.

A cycle: UID SEARCH UNSEEN; for each message, fetched with BODY.PEEK, skip it when the store
knows it (by account + UID or by Message-ID), else write its files, create its task (run key
from the mailbox + Message-ID, so a crash between the two steps cannot make a second task)
and record the ingestion; only then set `\\Seen`. Between cycles it waits in IDLE when the
server offers it (woken by new mail, at most `poll_seconds`), else `poll_seconds`.

E-mail is not a chat turn: nothing goes to the gateway. Replies to the mailbox's context go
out by SMTP through the `Mailer` (smtp.py) when one is configured."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from connectors_svc.adapters import inbox
from connectors_svc.adapters.base import AdapterState, InboundSink, Part, Rejected
from connectors_svc.adapters.imap_session import MAX_BODY, ImapConfig, Session
from connectors_svc.adapters.mail_ports import ContextRef, Ingestion, IngestStore, NewTask
from connectors_svc.adapters.mailparse import parse_or_raw
from connectors_svc.adapters.smtp import Mailer

log = logging.getLogger("connectors.imap")

CONNECTOR = "imap"
# The review task runs in a system context, not the mailbox's: its result is for the
# workspace, not for whoever sent the e-mail (the store sends a system task's success to
# nobody and its failure to the workspace's admin channels; REFERENCE.md §8.4: "IMAP never
# replies by email"). Replies to a sender are explicit: a Publish to the mailbox's context.
TASK_CONTEXT = "system:imap"
IDLE_SLICE_S = 1.0  # how often a wait in IDLE looks up for cancellation


def too_large(size: int) -> str:
    """Why a message over the limit is filed with its headers only (REFERENCE.md §8.4 skips
    larger bodies; here the skip is recorded, in its file and its task, never silent)."""
    return (
        f"this e-mail is {size:,} bytes, over the {MAX_BODY // (1024 * 1024)} MiB limit for"
        " ingestion: its body and attachments were not fetched (it stays in the mailbox)"
    )


def mailbox_key(config: ImapConfig) -> str:
    """The context's external id, `<username>:<mailbox>` (REFERENCE.md §8.1)."""
    return f"{config.username}:{config.mailbox}"


def run_key(mailbox: str, account: str, uid: int, message_id: str) -> str:
    if message_id:
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        return f"imap:{mailbox.lower()}:mid:{digest}"
    return f"imap:{account}:uid:{uid}"


class ImapAdapter:
    """Receives a mailbox; sends replies to its senders through `mailer` (None: refused)."""

    name = CONNECTOR
    part_limit = 0
    receives = True

    def __init__(
        self,
        config: ImapConfig,
        store: IngestStore,
        workspace_root: Path,
        mailer: Mailer | None = None,
    ) -> None:
        self._config, self._store, self._root = config, store, workspace_root
        self._mailer = mailer
        # a cycle: the wait (IDLE or sleep, up to poll_seconds), then a few socket calls per
        # message, each bounded by timeout_s; a beat per message ingested keeps a long one in
        self.beat_within_s = config.poll_seconds + 4 * config.timeout_s

    async def run(self, sink: InboundSink) -> None:
        session = await asyncio.to_thread(Session, self._config)
        try:
            external = mailbox_key(self._config)
            context = await self._store.ensure_context(CONNECTOR, external, self._config.mailbox)
            while True:
                count = await self.ingest(session, context, sink)
                detail = f"poll cycle ok ({count} new)" if count else "poll cycle ok"
                sink.beat(AdapterState(connected=True, detail=detail))
                await self._wait(session)
        finally:
            session.close()

    async def ingest(self, session: Session, context: ContextRef, sink: InboundSink) -> int:
        """One cycle over the unseen messages; the number ingested now."""
        mailbox = mailbox_key(self._config)
        account = f"{mailbox}#{session.uidvalidity}".lower()
        count = 0
        for uid in await asyncio.to_thread(session.unseen):
            fetched = await asyncio.to_thread(session.fetch, uid)
            if fetched is None:
                continue  # expunged meanwhile
            mail = parse_or_raw(fetched.raw)
            if not await self._store.ingested(account, uid, mail.message_id):
                workspace = self._root / context.workspace_id
                refused = "" if fetched.whole else too_large(fetched.size)
                if refused:
                    log.warning("imap uid %s of %s not ingested: %s", uid, mailbox, refused)
                written = await asyncio.to_thread(
                    inbox.write, workspace, self._config.mailbox, uid, mail, refused
                )
                await self._store.create_task(
                    NewTask(
                        context.workspace_id,
                        TASK_CONTEXT,
                        inbox.task_title(mail),
                        inbox.task_prompt(mail, written),
                        run_key(mailbox, account, uid, mail.message_id),
                    )
                )
                await self._store.mark_ingested(
                    Ingestion(
                        account, mailbox.lower(), uid, mail.message_id, context.workspace_id,
                        context.context_id, written.path, mail.reply_address, mail.subject,
                    )
                )  # fmt: skip
                count += 1
            await asyncio.to_thread(session.mark_seen, uid)
            sink.beat(AdapterState(connected=True, detail=f"ingesting ({count} new so far)"))
        return count

    async def _wait(self, session: Session) -> None:
        if not session.idle:
            await asyncio.sleep(self._config.poll_seconds)
            return
        loop = asyncio.get_running_loop()
        end = loop.time() + self._config.poll_seconds
        await asyncio.to_thread(session.start_idle)
        woken = False
        while not woken and loop.time() < end:
            slice_s = max(0.0, min(IDLE_SLICE_S, end - loop.time()))
            woken = await asyncio.to_thread(session.idle_check, slice_s)
        await asyncio.to_thread(session.stop_idle)

    async def send_part(self, part: Part) -> str:
        if self._mailer is None:
            raise Rejected("smtp is not configured (AGENT_RUNTIME_SMTP_HOST)")
        return await self._mailer.send(part)

    async def aclose(self) -> None:
        return None
