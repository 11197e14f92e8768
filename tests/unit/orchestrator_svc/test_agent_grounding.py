"""What the model is given, end to end: the context's policy from the store (admin baseline,
`/prompt set` text) merged into the system prompt beside the tool catalogue, and the user's
text grounded with the context's rolling summary and chat tail from the workspace."""

from __future__ import annotations

from pathlib import Path

from agent_runtime.store.v1 import workspace_service_pb2 as wrpc
from agent_runtime.store.v1.workspace_service_pb2_grpc import WorkspaceServiceStub
from orchestrator_svc import prompt
from svckit import testing
from svckit.pki import PkiPaths
from tests.fake_llm import Say, Seen
from tests.unit.orchestrator_svc.agent_kit import WS, fake_llm, orchestrator, workspace

LOG = """# Chat Log

- connector: `telegram`
- external_id: `42`
- display_name: `Ann`

## 2026-12-01T10:00:00Z `INBOUND`
- direction: `inbound`
- actor: `u1`

The freeze window is Friday 18:00 UTC.
"""
SUMMARY = """# Context Memory Summary

- context_id: `x`

## Canonical Facts
- Codename: Bluebird
"""


async def test_the_model_gets_policy_summary_and_chat_tail(
    pki: PkiPaths, store_port: int, tmp_path: Path
) -> None:
    async with testing.client_channel(pki, store_port, "svc:gateway") as gw:
        made = await WorkspaceServiceStub(gw).EnsureContext(
            wrpc.EnsureContextRequest(connector="telegram", external_id="42", display_name="Ann")
        )
    context_id = made.context.id
    async with testing.client_channel(pki, store_port, "admin:alice") as admin:
        await WorkspaceServiceStub(admin).UpdateContext(
            wrpc.UpdateContextRequest(
                id=context_id, is_admin=True, system_prompt="Answer in haiku."
            )
        )
    root = workspace(tmp_path)
    (root / WS / "logs/chats/telegram").mkdir(parents=True)
    (root / WS / "logs/chats/telegram/42.md").write_text(LOG)
    (root / WS / "memory/contexts").mkdir(parents=True)
    (root / WS / f"memory/contexts/{prompt.context_folder(context_id)}.md").write_text(SUMMARY)

    def brain(seen: Seen) -> Say:
        return Say("ok")

    with fake_llm(brain) as fake:
        async with orchestrator(
            pki, store_port, root, provider="anthropic", base_url=fake.base_url
        ) as orch:
            reply = await orch.turn("when is the freeze?", "in:ground:1", context_id=context_id)
    assert reply.reply == "ok"
    seen = fake.seen[0]
    assert prompt.ADMIN in seen.system and prompt.PUBLIC not in seen.system
    assert "Context policy override:\nAnswer in haiku." in seen.system
    assert "AVAILABLE TOOLS:" in seen.system
    assert seen.user.startswith("when is the freeze?")
    assert "Context memory summary:\n## Canonical Facts\n- Codename: Bluebird" in seen.user
    assert "Recent conversation memory:" in seen.user
    assert "The freeze window is Friday 18:00 UTC." in seen.user
    assert "- connector:" not in seen.user
