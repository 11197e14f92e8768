"""What the e-mail adapters need from the rest of the system, as small Protocols (the store's
facade in connectors_svc/clients.py satisfies them; tests pass the same facade over a real
store), and the plain values they speak."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ContextRef:
    workspace_id: str
    context_id: str


@dataclass(frozen=True)
class Ingestion:
    """One ingested e-mail as the store records it.

    `account_key` is `<username>:<mailbox>#<uidvalidity>` (lower-cased): UIDs are unique
    only within one UIDVALIDITY, so a mailbox whose UIDVALIDITY changed starts a new account
    and a reused UID is not mistaken for an ingested one. `mailbox_key` is
    `<username>:<mailbox>` (the context's external id, lower-cased), under which replies
    find the e-mail they answer."""

    account_key: str
    mailbox_key: str
    uid: int
    message_id: str
    workspace_id: str
    context_id: str
    file_path: str
    reply_address: str = ""
    subject: str = ""


@dataclass(frozen=True)
class ReplyTarget:
    """Whom a reply to an e-mail context goes to, and what it answers."""

    address: str
    subject: str
    message_id: str


@dataclass(frozen=True)
class NewTask:
    workspace_id: str
    context_id: str
    title: str
    prompt: str
    run_key: str


class IngestStore(Protocol):
    """The store calls of the IMAP adapter."""

    async def ensure_context(
        self, connector: str, external_id: str, display_name: str
    ) -> ContextRef: ...

    async def ingested(self, account_key: str, uid: int, message_id: str) -> bool: ...

    async def mark_ingested(self, ingestion: Ingestion) -> None: ...

    async def create_task(self, task: NewTask) -> str:
        """The task's id; a task already created under `run_key` gives that task's id."""
        ...


class ReplyTargets(Protocol):
    """The store call of the SMTP adapter."""

    async def reply_target(self, mailbox_key: str, message_id: str) -> ReplyTarget | None:
        """The e-mail `message_id` of that mailbox, or its latest one when `message_id` is
        ""; None when there is none."""
        ...
