"""`agent-runtime chat pairing start|lookup|approve|deny`: pairing requests through the
gateway, as the stack's admin certificate (endpoints.json). Each prints the gateway's answer
as JSON (the token of `start` is shown only there)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from agent_runtime.gateway.v1 import service_pb2 as pb
from runtime_cli.chat import endpoints_path, open_gateway

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
    deny = acts.add_parser("deny", help="deny a pairing request")
    deny.add_argument("token")
    deny.add_argument("--reason", default="denied by admin")


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
        return "ApprovePairing", pb.ApprovePairingRequest(token=args.token, role=args.role)
    return "DenyPairing", pb.DenyPairingRequest(token=args.token, reason=args.reason)


def run(args: argparse.Namespace, endpoints: Path | None) -> int:
    path = endpoints_path(endpoints)
    if not path.is_file():
        print(f"no running stack: {path} not found (start one with `make run`)", file=sys.stderr)
        return 2
    rpc, request = _request(args)
    channel, stub = open_gateway(path)
    try:
        reply = getattr(stub, rpc)(request, timeout=30)
    except grpc.RpcError as exc:
        print(f"{rpc} failed: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    print(json_format.MessageToJson(reply, preserving_proto_field_name=True))
    return 0
