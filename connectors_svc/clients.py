"""Typed async facades over the services connectors_svc calls, every call through
`svckit.calls.call` (deadline, the callee's errors back as `svckit.errors`)."""

from __future__ import annotations

import grpc

from agent_runtime.store.v1 import journal_service_pb2 as jrpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.journal_service_pb2_grpc import JournalServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from connectors_svc.adapters.mail_ports import ContextRef, Ingestion, NewTask, ReplyTarget
from svckit.calls import call
from svckit.errors import AlreadyExists


class StoreMail:
    """The store calls of the e-mail adapters: the mailbox's context, the IMAP ingestion
    marks, the review task of each e-mail, and the e-mail a reply answers."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._journal = JournalServiceStub(channel)
        self._tasks = TaskServiceStub(channel)
        self._workspaces = WorkspaceServiceStub(channel)

    async def ensure_context(
        self, connector: str, external_id: str, display_name: str
    ) -> ContextRef:
        request = wrpc.EnsureContextRequest(
            connector=connector, external_id=external_id, display_name=display_name
        )
        reply: wrpc.EnsureContextResponse = await call(self._workspaces.EnsureContext, request)
        return ContextRef(reply.context.workspace_id, reply.context.id)

    async def ingested(self, account_key: str, uid: int, message_id: str) -> bool:
        request = jrpc.CheckImapIngestedRequest(
            account_key=account_key, uid=uid, message_id=message_id
        )
        reply: jrpc.CheckImapIngestedResponse = await call(self._journal.CheckImapIngested, request)
        return reply.ingested

    async def mark_ingested(self, ingestion: Ingestion) -> None:
        request = jrpc.MarkImapIngestedRequest(
            account_key=ingestion.account_key,
            uid=ingestion.uid,
            message_id=ingestion.message_id,
            workspace_id=ingestion.workspace_id,
            context_id=ingestion.context_id,
            file_path=ingestion.file_path,
            mailbox_key=ingestion.mailbox_key,
            reply_address=ingestion.reply_address,
            subject=ingestion.subject,
        )
        await call(self._journal.MarkImapIngested, request)

    async def create_task(self, task: NewTask) -> str:
        request = trpc.CreateTaskRequest(
            workspace_id=task.workspace_id,
            context_id=task.context_id,
            kind="general",
            title=task.title,
            prompt=task.prompt,
            run_key=task.run_key,
        )
        try:
            reply: trpc.CreateTaskResponse = await call(self._tasks.CreateTask, request)
        except AlreadyExists as exc:  # created before a crash: the same task
            if not exc.existing_id:
                raise
            return exc.existing_id
        return reply.task.id

    async def reply_target(self, mailbox_key: str, message_id: str) -> ReplyTarget | None:
        request = jrpc.FindImapIngestionRequest(mailbox_key=mailbox_key, message_id=message_id)
        reply: jrpc.FindImapIngestionResponse = await call(self._journal.FindImapIngestion, request)
        if not reply.HasField("ingestion") or not reply.ingestion.reply_address:
            return None
        found = reply.ingestion
        return ReplyTarget(found.reply_address, found.subject, found.message_id)
