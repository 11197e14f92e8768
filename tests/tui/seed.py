"""Data for the TUI tests, put into the running stack the way its own services put it there:
approvals raised and dead letters made through the store with the orchestrator's
certificate, pairings started and tasks enqueued through the services' admin RPCs."""

from __future__ import annotations

import uuid

from agent_runtime.gateway.v1 import service_pb2 as gpb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from agent_runtime.store.v1 import approval_service_pb2 as arpc
from agent_runtime.store.v1 import task_service_pb2 as trpc
from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.approval_service_pb2_grpc import ApprovalServiceStub
from agent_runtime.store.v1.task_service_pb2_grpc import TaskServiceStub
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from svckit.channels import open_channel
from tests.integration.conftest import Stack

# A kind no worker of the stack executes: such a task waits until the test claims it.
UNCLAIMED_KIND = "tui_test"


async def raise_approval(stack: Stack, workspace_id: str) -> str:
    """A pending approval of a webhook to loopback (its execution is refused: nothing leaves)."""
    async with open_channel(
        stack.grpc("store"), stack.pki, stack.pki.service("orchestrator")
    ) as ch:
        reply = await ApprovalServiceStub(ch).CreateApproval(
            arpc.CreateApprovalRequest(
                workspace_id=workspace_id,
                context_id="ctx-tui",
                connector="telegram",
                external_id="chat-tui",
                requester_user_id="u-tui",
                action_type="webhook",
                action_target="http://127.0.0.1:9/hook",
                action_summary="call the hook",
            ),
            timeout=20,
        )
    return str(reply.approval.id)


async def ended_task(stack: Stack, workspace_id: str, *, dead: bool) -> str:
    """A task that failed its only attempt: `failed` for good, or (`dead`) failed with a
    retryable error and so dead-lettered. Returns the task id."""
    async with open_channel(
        stack.grpc("store"), stack.pki, stack.pki.service("orchestrator")
    ) as ch:
        tasks = TaskServiceStub(ch)
        created = await tasks.CreateTask(
            trpc.CreateTaskRequest(
                workspace_id=workspace_id, context_id="ctx-tui", kind=UNCLAIMED_KIND,
                title="Nightly export", prompt="export", max_attempts=1,
            ),
            timeout=20,
        )  # fmt: skip
        worker = f"tui-test-{uuid.uuid4().hex[:6]}"
        claim = trpc.ClaimTasksRequest(worker_id=worker, kinds=[UNCLAIMED_KIND], max_tasks=100)
        claimed = await tasks.ClaimTasks(claim, timeout=20)
        mine = [t for t in claimed.tasks if t.id == created.task.id]
        assert mine, "the test's task was not claimed"
        await tasks.FailTask(
            trpc.FailTaskRequest(
                id=mine[0].id, lease_token=mine[0].lease_token,
                error_message="export target refused the connection", retryable=dead,
            ),
            timeout=20,
        )  # fmt: skip
    return str(created.task.id)


async def start_pairing(stack: Stack, user: str) -> tuple[str, str]:
    """A pending pairing request: (its id, its one-time token)."""
    async with open_channel(stack.grpc("gateway"), stack.pki, stack.admin) as ch:
        reply = await GatewayServiceStub(ch).StartPairing(
            gpb.StartPairingRequest(
                connector="telegram", connector_user_id=user, display_name=f"Tester {user}"
            ),
            timeout=20,
        )
    return str(reply.id), str(reply.token)


async def chat_workspace(stack: Stack, chat: str) -> tuple[str, str]:
    """The workspace and context a first chat message creates: (workspace id, context id)."""
    async with open_channel(stack.grpc("gateway"), stack.pki, stack.admin) as ch:
        request = gpb.ChatRequest(connector="codex", external_id=chat, text="/status")
        await GatewayServiceStub(ch).Chat(request, timeout=60)
    async with open_channel(stack.grpc("store"), stack.pki, stack.admin) as ch:
        found = await WorkspaceServiceStub(ch).FindContext(
            wrpc.FindContextRequest(connector="codex", external_id=chat), timeout=20
        )
    return str(found.context.workspace_id), str(found.context.id)
