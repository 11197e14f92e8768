"""Talking to the whole stack (`agent-runtime up`, no LLM configured): /api/v1/chat with the
admin certificate and HandleMessage as the connectors service. Commands reach qmd, the
scheduler and the orchestrator; a conversation turn answers from retrieval with the no-model
note; a repeated message id returns the first outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from tests.integration.conftest import Stack


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with stack.rest_client(timeout=60) as client:
        yield client


def _chat(http: httpx.Client, text: str, **body: Any) -> dict[str, Any]:
    reply = http.post("/api/v1/chat", json={"text": text, **body})
    assert reply.status_code == 200, reply.text
    out: dict[str, Any] = reply.json()
    return out


def test_chat_commands_and_a_turn_without_a_model(stack: Stack, http: httpx.Client) -> None:
    chat = {"external_id": f"cli-{uuid.uuid4().hex[:8]}"}
    status = _chat(http, "/status", **chat)["reply"]
    assert status.startswith("Workspace `") and "qmd status:" in status
    ws = status.split("`")[1]
    queued = _chat(http, "/task check the backups", **chat)["reply"]
    assert queued.startswith("Task queued: `")
    task_id = queued.split("`")[1]
    assert http.get(f"/api/v1/tasks/{task_id}").json()["workspace_id"] == ws
    monitored = _chat(http, "/monitor the release page", **chat)["reply"]
    assert monitored.startswith("Monitoring objective created.")
    objectives = http.get("/api/v1/objectives", params={"workspace_id": ws}).json()
    assert [o["title"] for o in objectives["items"]] == ["Monitor: the release page"]
    turn = _chat(http, "what do we know about backups?", message_id="t-1", **chat)
    assert turn["reply"].startswith("No language model is configured"), turn
    assert turn.get("task_id") and not turn.get("pending")
    again = _chat(http, "what do we know about backups?", message_id="t-1", **chat)
    assert again["duplicate"] and (again["reply"], again["task_id"]) == (
        turn["reply"],
        turn["task_id"],
    )
    commands = http.get("/api/v1/commands").json()["commands"]
    assert "approve-action" in {c["name"] for c in commands}
    # the conversation is in the chat's log, in the workspace folder (REFERENCE.md §15.1)
    log = stack.data_dir / "workspaces" / ws / "logs/chats/codex" / f"{chat['external_id']}.md"
    text = log.read_text()
    assert text.startswith("# Chat Log\n\n- connector: `codex`\n")
    assert "`INBOUND`\n- direction: `inbound`\n- actor: `admin:admin`\n\n/status\n" in text
    assert "\n\nwhat do we know about backups?\n\n" in text
    assert "- actor: `agent-runtime`\n\nNo language model is configured" in text
    assert text.count("`INBOUND`") == 4  # the repeated message id logs nothing


def test_handle_message_from_the_connectors(stack: Stack) -> None:
    cert = stack.pki.service("connectors")
    creds = grpc.ssl_channel_credentials(
        root_certificates=Path(stack.pki.ca_cert).read_bytes(),
        private_key=cert.key.read_bytes(),
        certificate_chain=cert.cert.read_bytes(),
    )
    chat_id = f"tg-{uuid.uuid4().hex[:8]}"
    with grpc.secure_channel(stack.grpc("gateway"), creds) as channel:
        gateway = GatewayServiceStub(channel)

        def say(text: str, mid: str, user: str = "42") -> pb.HandleMessageResponse:
            req = pb.HandleMessageRequest(
                connector="telegram", external_id=chat_id, from_user_id=user, text=text,
                message_id=mid, direct_message=True, from_display_name="Ann",
            )  # fmt: skip
            reply: pb.HandleMessageResponse = gateway.HandleMessage(req, timeout=60)
            return reply

        denied = say("/pending-actions", "1")
        assert denied.reply == "Access denied: link your admin identity first."
        paired = say("pair", "2")
        assert "/approve " in paired.reply
        assert say("pair", "2").reply == paired.reply  # redelivered: no second request
        assert say("/status", "3").reply.startswith("Workspace `")


def _cli(stack: Stack, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENT_RUNTIME_DATA_DIR": str(stack.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "runtime_cli", "chat", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_agent_runtime_chat_one_shot_and_repl(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    one = _cli(stack, "-m", "/status", "--connector", "cline", "--session", session)
    assert one.returncode == 0, one.stderr
    assert one.stdout.startswith("Workspace `") and "qmd status:" in one.stdout
    turn = _cli(stack, "-m", "hello, anything on deploys?", "--session", session)
    assert turn.returncode == 0, turn.stderr
    assert "No language model is configured" in turn.stdout
    repl = _cli(stack, "--session", session, stdin="/help\n\n/exit\n/status\n")
    assert repl.returncode == 0, repl.stderr
    assert "/approve-action" in repl.stdout and "qmd status" not in repl.stdout


def test_agent_runtime_chat_without_a_stack(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "runtime_cli", "chat", "-m", "hi",
         "--endpoints", str(tmp_path / "endpoints.json")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 2 and "no running stack" in out.stderr


def test_agent_runtime_chat_pairing_links_an_account(stack: Stack) -> None:
    user = f"u{uuid.uuid4().hex[:8]}"
    started = _cli(stack, "pairing", "start", "--connector", "telegram", "--user", user,
                   "--name", "Ann")  # fmt: skip
    assert started.returncode == 0, started.stderr
    token = json.loads(started.stdout)["token"]
    looked = json.loads(_cli(stack, "pairing", "lookup", token.lower()).stdout)["pairing"]
    assert (looked["status"], looked["connector_user_id"]) == ("pending", user)
    cert = stack.pki.service("connectors")
    creds = grpc.ssl_channel_credentials(
        root_certificates=Path(stack.pki.ca_cert).read_bytes(),
        private_key=cert.key.read_bytes(),
        certificate_chain=cert.cert.read_bytes(),
    )
    channel = grpc.secure_channel(stack.grpc("gateway"), creds)

    def dm(text: str, mid: str) -> str:
        reply = GatewayServiceStub(channel).HandleMessage(
            pb.HandleMessageRequest(
                connector="telegram", external_id=f"dm-{user}", from_user_id=user,
                text=text, message_id=mid, direct_message=True,
            ),
            timeout=60,
        )  # fmt: skip
        return str(reply.reply)

    ws = dm("/status", "0").split("`")[1]
    approved = _cli(stack, "pairing", "approve", token, "--role", "admin", "--workspace", ws)
    assert approved.returncode == 0 and json.loads(approved.stdout)["status"] == "approved"
    again = _cli(stack, "pairing", "approve", token)
    assert again.returncode == 1 and "FAILED_PRECONDITION" in again.stderr
    other = json.loads(
        _cli(stack, "pairing", "start", "--user", f"{user}-2", "--name", "Bob").stdout
    )["token"]
    denied = _cli(stack, "pairing", "deny", other, "--reason", "unknown person")
    assert json.loads(denied.stdout)["status"] == "denied"
    try:
        assert dm("/pending-actions", "1") == "No pending actions."  # admin of its workspace
    finally:
        channel.close()


def test_pair_admin_makes_a_cli_session_act_as_the_admin(stack: Stack) -> None:
    session = f"s-{uuid.uuid4().hex[:8]}"
    cert = stack.pki.service("connectors")
    creds = grpc.ssl_channel_credentials(
        root_certificates=Path(stack.pki.ca_cert).read_bytes(),
        private_key=cert.key.read_bytes(),
        certificate_chain=cert.cert.read_bytes(),
    )
    with grpc.secure_channel(stack.grpc("gateway"), creds) as channel:

        def say(text: str, mid: str) -> str:
            reply = GatewayServiceStub(channel).HandleMessage(
                pb.HandleMessageRequest(
                    connector="cline", external_id=session, from_user_id=session,
                    text=text, message_id=mid, direct_message=True,
                ),
                timeout=60,
            )  # fmt: skip
            return str(reply.reply)

        assert say("/admin-channel enable", "1") == "Access denied: link your admin identity first."
        paired = _cli(stack, "pairing", "pair-admin", "--connector", "cline", "--session", session)
        assert paired.returncode == 0, paired.stderr
        linked = json.loads(paired.stdout)
        assert (linked["approved_user_id"], linked["connector"]) == ("admin:admin", "cline")
        assert linked["connector_user_id"] == session
        enabled = say("/admin-channel enable", "2")
        assert enabled.startswith("Admin channel enabled for context `"), enabled
        assert not say("/pending-actions", "3").startswith("Access denied")
    again = _cli(stack, "pairing", "pair-admin", "--connector", "cline", "--session", session)
    assert again.returncode == 1 and "ALREADY_EXISTS" in again.stderr
