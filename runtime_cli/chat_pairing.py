"""`agent-runtime chat pairing start|lookup|approve|deny|pair-admin`: pairing requests through
the gateway, as the stack's admin certificate (endpoints.json). Each prints the gateway's
answer as JSON (the token of `start` is shown only there). `pair-admin` links a CLI session
(connector codex|cline|gemini, session id) to that admin certificate itself: messages of that
session then act as that admin."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from agent_runtime.gateway.v1 import service_pb2 as pb
from agent_runtime.gateway.v1.service_pb2_grpc import GatewayServiceStub
from runtime_cli import endpoints
from runtime_cli.chat import CONNECTORS as CLI_CONNECTORS
from runtime_cli.chat import endpoints_path, open_gateway
from svckit.tls import identity_from_pem

CONNECTORS = ("telegram", "discord", "codex", "cline", "gemini")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pairing = sub.add_parser("pairing", help="start, look up, approve or deny a pairing")
    acts = pairing.add_subparsers(dest="pairing_command", required=True, metavar="ACTION")
    start = acts.add_parser("start", help="open a pairing request (prints its one-time token)")
    start.add_argument("--connector", choices=CONNECTORS, default="codex")
    start.add_argument("--user", required=True, help="the account id on that connector")
    start.add_argument("--name", required=True, help="display name")
    start.add_argument("--ttl", type=int, default=0, help="seconds (default 600)")
    lookup = acts.add_parser("lookup", help="show a pairing request by its token")
    lookup.add_argument("token")
    approve = acts.add_parser("approve", help="approve: link the account as a user")
    approve.add_argument("token")
    approve.add_argument("--role", choices=("member", "admin", "overlord"), default="member")
    approve.add_argument("--workspace", default="", help="the workspace an admin administers")
    deny = acts.add_parser("deny", help="deny a pairing request")
    deny.add_argument("token")
    deny.add_argument("--reason", default="denied by admin")
    pair = acts.add_parser("pair-admin", help="link a CLI session to this admin certificate")
    pair.add_argument("--connector", dest="pair_connector", choices=CLI_CONNECTORS, default="codex")
    pair.add_argument("--session", dest="pair_session", help="session id (default <connector>-cli)")


def admin_of(endpoints_file: Path) -> str:
    """`admin:<name>` of the admin certificate endpoints.json names (its URI SAN)."""
    who = identity_from_pem(endpoints.read(endpoints_file).admin.cert.read_bytes())
    if not who.is_admin:
        raise ValueError(f"{endpoints_file}: the admin certificate names no admin")
    return str(who)


def _request(args: argparse.Namespace) -> tuple[str, Message]:
    act = args.pairing_command
    if act == "start":
        return "StartPairing", pb.StartPairingRequest(
            connector=args.connector, connector_user_id=args.user, display_name=args.name,
            expires_in_sec=args.ttl,
        )  # fmt: skip
    if act == "lookup":
        return "LookupPairing", pb.LookupPairingRequest(token=args.token)
    if act == "approve":
        return "ApprovePairing", pb.ApprovePairingRequest(
            token=args.token, role=args.role, workspace_id=args.workspace
        )
    return "DenyPairing", pb.DenyPairingRequest(token=args.token, reason=args.reason)


def run(args: argparse.Namespace, endpoints: Path | None) -> int:
    path = endpoints_path(endpoints)
    if not path.is_file():
        print(f"no running stack: {path} not found (start one with `make run`)", file=sys.stderr)
        return 2
    channel, stub = open_gateway(path)
    rpc = "PairAdmin"
    try:
        if args.pairing_command == "pair-admin":
            reply: Message = _pair_admin(stub, args, admin_of(path))
        else:
            rpc, request = _request(args)
            reply = getattr(stub, rpc)(request, timeout=30)
    except grpc.RpcError as exc:
        print(f"{rpc} failed: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    print(json_format.MessageToJson(reply, preserving_proto_field_name=True))
    return 0


def _pair_admin(stub: GatewayServiceStub, args: argparse.Namespace, who: str) -> Message:
    """Start a pairing for the session and approve it onto the admin itself."""
    session = args.pair_session or f"{args.pair_connector}-cli"
    started = stub.StartPairing(
        pb.StartPairingRequest(
            connector=args.pair_connector, connector_user_id=session, display_name=who
        ),
        timeout=30,
    )
    approved: Message = stub.ApprovePairing(
        pb.ApprovePairingRequest(token=started.token, target_user_id=who), timeout=30
    )
    return approved
