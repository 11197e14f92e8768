"""The `agent-runtime` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-runtime", description="Control plane for AI agents that live in chat."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    pki = sub.add_parser("pki", help="manage the development PKI (CA and mTLS certificates)")
    pki_sub = pki.add_subparsers(dest="pki_command", required=True, metavar="ACTION")
    dir_help = "PKI folder (default: $AGENT_RUNTIME_PKI_DIR or <data dir>/pki)"
    init = pki_sub.add_parser("init", help="create the CA and every certificate that is missing")
    init.add_argument("--dir", type=Path, help=dir_help)
    admin = pki_sub.add_parser("issue-admin", help="issue an admin client certificate")
    admin.add_argument("name", help="admin name: spiffe://agent-runtime/admin/NAME")
    admin.add_argument("--dir", type=Path, help=dir_help)

    up = sub.add_parser(
        "up",
        help="run the whole stack on this machine (Ctrl-C stops it)",
        description="Start all six services under one supervisor, with a dev PKI and SQLite "
        "under $AGENT_RUNTIME_DATA_DIR (default ./data).",
    )
    up.add_argument(
        "--free-ports",
        action="store_true",
        help="pick free loopback ports instead of the defaults (for tests)",
    )
    up.add_argument(
        "--startup-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long each service may take to report SERVING (default 60)",
    )

    chat = sub.add_parser(
        "chat",
        help="talk to the running stack as its admin (one message with -m, else a REPL)",
        description="Finds the stack through endpoints.json ($AGENT_RUNTIME_DATA_DIR, default "
        "./data) and authenticates with its admin certificate.",
    )
    chat.add_argument("-m", "--message", help="send one message, print the reply and exit")
    chat.add_argument("--connector", choices=("codex", "cline", "gemini"), default="codex")
    chat.add_argument("--session", help="conversation id (default <connector>-cli)")
    chat.add_argument("--endpoints", type=Path, help="path of endpoints.json")
    from runtime_cli import chat_pairing

    chat_pairing.add_parser(chat.add_subparsers(dest="chat_command", metavar="ACTION"))

    tui = sub.add_parser(
        "tui",
        help="the admin TUI: see and steer the running stack",
        description="Finds the stack through endpoints.json ($AGENT_RUNTIME_DATA_DIR, default "
        "./data) and authenticates with its admin certificate; waits for the stack if it is "
        "not up yet.",
    )
    tui.add_argument("--endpoints", type=Path, help="path of endpoints.json")

    sub.add_parser("version", help="print the version")
    return parser


def version() -> str:
    try:
        return metadata.version("agent-runtime")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(f"agent-runtime {version()}")
        return 0
    if args.command == "pki":
        from runtime_cli import pki_cmd

        if args.pki_command == "init":
            return pki_cmd.init(args.dir)
        return pki_cmd.add_admin(args.name, args.dir)
    if args.command == "tui":
        from runtime_cli import tui

        return tui.run(args.endpoints)
    if args.command == "chat" and args.chat_command == "pairing":
        from runtime_cli import chat_pairing

        return chat_pairing.run(args, args.endpoints)
    if args.command == "chat":
        from runtime_cli import chat

        opts = chat.ChatOptions(
            message=args.message,
            connector=args.connector,
            session=args.session or f"{args.connector}-cli",
            endpoints=args.endpoints,
        )
        return chat.run(opts)
    from runtime_cli import up

    return up.run(up.UpOptions(free_ports=args.free_ports, startup_timeout=args.startup_timeout))


if __name__ == "__main__":
    sys.exit(main())
