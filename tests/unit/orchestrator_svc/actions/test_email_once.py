"""An approval-gated e-mail reaches a real SMTP server (aiosmtpd on 127.0.0.1) exactly once,
sent by the real orchestrator process over a real store: also when that process is
`kill -9`ed after the action started and before its outcome was written — then the message
is sent once and the approval is `unknown` (with a notice to the requester), never sent
twice. The SMTP server holds the message's answer so the kill lands in that window."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest

from agent_runtime.store.v1 import approval_pb2
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import delivery_service_pb2 as drpc
from agent_runtime.store.v1 import task_pb2 as store
from agent_runtime.store.v1 import task_service_pb2 as store_rpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.delivery_service_pb2_grpc import DeliveryServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from svckit import testing
from svckit.pki import PkiPaths
from tests.fakes import SteppedClock
from tests.smtps import Mailbox, serving_mailbox
from tests.unit.orchestrator_svc.test_worker_process import LEASE_MS, Orchestrators


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with serving_mailbox() as box:
        yield box


async def _approved_action(pki: PkiPaths, store_port: int) -> tuple[str, str]:
    """An approved send_email action queued as its `approval:<id>` task: (approval, task)."""
    payload = '{"to": "ana@example.test", "cc": ["bo@example.test"], "bcc": "cy@example.test",'
    payload += ' "subject": "Quarterly report", "text": "Numbers attached."}'
    async with testing.client_channel(pki, store_port, "svc:orchestrator") as ch:
        made = await ApprovalServiceStub(ch).CreateApproval(
            arpc.CreateApprovalRequest(
                workspace_id="ws", context_id="ctx", connector="telegram", external_id="chat-7",
                requester_user_id="u1", action_type="send_email", payload_json=payload,
            )
        )  # fmt: skip
        aid = made.approval.id
        async with testing.client_channel(pki, store_port, "svc:gateway") as gw:
            await ApprovalServiceStub(gw).DecideApproval(
                arpc.DecideApprovalRequest(id=aid, approve=True, approver_user_id="admin")
            )
        task = await TaskServiceStub(ch).CreateTask(
            store_rpc.CreateTaskRequest(
                workspace_id="ws", context_id="ctx", kind="action", title="send",
                prompt="send", run_key=f"approval:{aid}", max_attempts=3,
            )
        )  # fmt: skip
        await ApprovalServiceStub(ch).QueueExecution(
            arpc.QueueExecutionRequest(id=aid, task_id=task.task.id, actor="admin")
        )
    return aid, task.task.id


class View:
    def __init__(self, pki: PkiPaths, store_port: int) -> None:
        self._pki, self._port = pki, store_port

    async def approval(self, aid: str) -> approval_pb2.ActionApproval:
        async with testing.client_channel(self._pki, self._port, "svc:gateway") as ch:
            got = await ApprovalServiceStub(ch).GetApproval(arpc.GetApprovalRequest(id=aid))
            return got.approval

    async def task(self, tid: str) -> store.Task:
        async with testing.client_channel(self._pki, self._port, "svc:orchestrator") as ch:
            return (await TaskServiceStub(ch).GetTask(store_rpc.GetTaskRequest(id=tid))).task

    async def notice(self, key: str) -> drpc.GetDeliveryResponse:
        async with testing.client_channel(self._pki, self._port, "svc:connectors") as ch:
            return await DeliveryServiceStub(ch).GetDelivery(
                drpc.GetDeliveryRequest(idempotency_key=key)
            )


def _smtp_env(port: int) -> dict[str, str]:
    return {
        "AGENT_RUNTIME_SMTP_HOST": "127.0.0.1",
        "AGENT_RUNTIME_SMTP_PORT": str(port),
        "AGENT_RUNTIME_SMTP_FROM": "agent@example.test",
    }


async def test_an_approved_email_is_sent_once(
    pki: PkiPaths, store_port: int, tmp_path: Path, mailbox: Mailbox
) -> None:
    box, smtp_port = mailbox, mailbox.port
    procs, view = Orchestrators(pki, tmp_path, store_port), View(pki, store_port)
    try:
        await procs.start(**_smtp_env(smtp_port))
        aid, tid = await _approved_action(pki, store_port)

        async def finished() -> approval_pb2.ActionApproval | None:
            a = await view.approval(aid)
            return a if a.execution_status not in ("queued", "running") else None

        done = await testing.eventually(finished, "the action finished")
        assert (done.execution_status, done.execution_message, done.executor_plugin) == (
            "succeeded", "email sent to 3 recipient(s)", "smtp_email"
        )  # fmt: skip
        assert (await view.task(tid)).status == "succeeded"
        [(sender, rcpts, raw)] = box.messages
        assert sender == "agent@example.test"
        assert sorted(rcpts) == ["ana@example.test", "bo@example.test", "cy@example.test"]
        mail = message_from_bytes(raw)
        assert (mail["To"], mail["Cc"], mail["Bcc"]) == (
            "ana@example.test",
            "bo@example.test",
            None,
        )
        assert (
            mail["Subject"] == "Quarterly report" and mail["Message-ID"] == f"<{aid}@agent-runtime>"
        )
        notice = (await view.notice(f"approval:{aid}:succeeded")).delivery
        assert (notice.status, notice.connector, notice.chat_id) == (
            "pending",
            "telegram",
            "chat-7",
        )
    finally:
        await procs.close()


async def test_killed_between_running_and_outcome_it_is_unknown_and_never_sent_twice(
    pki: PkiPaths,
    store_port: int,
    store_clock: SteppedClock,
    tmp_path: Path,
    mailbox: Mailbox,
) -> None:
    box, smtp_port = mailbox, mailbox.port
    box.hold = True
    procs, view = Orchestrators(pki, tmp_path, store_port), View(pki, store_port)
    try:
        _, first = await procs.start(**_smtp_env(smtp_port))
        aid, tid = await _approved_action(pki, store_port)
        await testing.eventually(lambda: box.messages, "the message reached the SMTP server")
        assert (await view.approval(aid)).execution_status == "running"
        os.kill(first.proc.pid, signal.SIGKILL)
        await asyncio.to_thread(first.proc.wait)
        box.release.set()

        await procs.start(**_smtp_env(smtp_port))
        store_clock.advance(LEASE_MS / 1000 + 1)  # the killed worker's lease runs out

        async def settled() -> store.Task | None:
            t = await view.task(tid)
            return t if t.status in ("succeeded", "failed", "dead") else None

        task = await testing.eventually(settled, "the reclaimed task settled")
        approval = await view.approval(aid)
        assert approval.execution_status == "unknown"
        assert "not repeated" in approval.execution_message
        assert (task.status, task.attempts) == ("failed", 2)  # reclaimed once, not retried
        assert len(box.messages) == 1  # sent once, never twice
        notice = (await view.notice(f"approval:{aid}:unknown")).delivery
        assert (notice.status, notice.chat_id) == ("pending", "chat-7")
        assert "will not be repeated" in notice.text
    finally:
        await procs.close()
