"""`agent-runtime chat`: talk to a running stack as its admin (the Codex / Cline / Gemini
channel). The stack is found through endpoints.json; the admin certificate named there
authenticates the call (GatewayService.Chat over mTLS). Every message carries its own id, so
a retried send is answered once."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import grpc

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from runtime_cli import endpoints
from svckit.keepalive import Keepalive

CONNECTORS = ("codex", "cline", "gemini")
EXIT = ("/exit", "/quit")
TIMEOUT_SECONDS = 150.0


@dataclass(frozen=True)
class ChatOptions:
    message: str | None
    connector: str
    session: str
    endpoints: Path | None


def endpoints_path(given: Path | None) -> Path:
    return endpoints.path(given)


def open_gateway(path: Path) -> tuple[grpc.Channel, GatewayServiceStub]:
    stack = endpoints.read(path)
    creds = grpc.ssl_channel_credentials(
        root_certificates=stack.ca.read_bytes(),
        private_key=stack.admin.key.read_bytes(),
        certificate_chain=stack.admin.cert.read_bytes(),
    )
    channel = grpc.secure_channel(
        stack.grpc["gateway"], creds, options=Keepalive().client_options()
    )
    return channel, GatewayServiceStub(channel)


def send(stub: GatewayServiceStub, opts: ChatOptions, text: str) -> pb.ChatResponse:
    request = pb.ChatRequest(
        connector=opts.connector,
        external_id=opts.session,
        text=text,
        message_id=uuid.uuid4().hex,
    )
    for attempt in range(3):  # the same message id: a retry is never handled twice
        try:
            reply: pb.ChatResponse = stub.Chat(request, timeout=TIMEOUT_SECONDS)
            return reply
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNAVAILABLE or attempt == 2:
                raise
    raise AssertionError("unreachable")


def show(reply: pb.ChatResponse, out: TextIO) -> None:
    text = reply.reply or ("(no reply)" if reply.handled else "(not handled)")
    print(text, file=out)
    if reply.pending:
        print(f"[turn {reply.task_id} still running; its answer follows later]", file=out)


def repl(lines: Iterable[str], say: Callable[[str], None], out: TextIO) -> None:
    print("agent-runtime chat: /help for commands, /exit to leave.", file=out)
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if text.lower() in EXIT:
            return
        say(text)


def run(opts: ChatOptions, *, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    path = endpoints_path(opts.endpoints)
    if not path.is_file():
        print(f"no running stack: {path} not found (start one with `make run`)", file=sys.stderr)
        return 2
    channel, stub = open_gateway(path)

    def say(text: str) -> None:
        show(send(stub, opts, text), out)

    try:
        if opts.message is not None:
            say(opts.message)
        else:
            repl(stdin, say, out)
    except grpc.RpcError as exc:
        print(f"chat failed: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    return 0
