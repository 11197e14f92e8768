"""The sandboxed command plugin (`run_command`, `shell_command`, `cli_command`; REFERENCE.md
§3.5 with SPEC.md's fixes).

A bare executable name on the allow list (no shells or interpreters by default), resolved
on a fixed PATH — never the service's — and nothing else run in its place; at most 32
arguments of at most 512 bytes; an empty environment; the working directory inside the
workspace; a timeout that kills the whole process group; output capped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator_svc.actions.plugins import Approval, text
from svckit.errors import FailedPrecondition, InvalidArgument, PermissionDenied

# read-only tools that run no other program (find -exec, sort --compress-program, rg --pre,
# sed e, awk system(), tar --to-command and git hooks would)
DEFAULT_ALLOWED = "echo,cat,ls,grep,head,tail,wc,uniq,cut,tr,date,pwd,jq,diff"
FIXED_PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_ARGS, MAX_ARG_BYTES = 32, 512


@dataclass(frozen=True)
class SandboxConfig:
    workspace_root: Path
    allowed: frozenset[str] = frozenset(DEFAULT_ALLOWED.split(","))
    timeout_s: float = 20.0
    max_output_bytes: int = 512_000
    path: str = FIXED_PATH


def allow_list(csv: str) -> frozenset[str]:
    return frozenset(x.strip().lower() for x in csv.split(",") if x.strip())


def _args(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    if isinstance(value, str):
        return value.split()
    raise InvalidArgument("unsupported args payload", field="args")


def command_line(approval: Approval, payload: Mapping[str, Any]) -> tuple[str, list[str]]:
    words = text(payload, "command").split()
    command = approval.action_target.strip() or (words[0] if words else "")
    if not command:
        raise InvalidArgument("command action requires target or payload.command", field="command")
    if words and words[0].lower() != command.lower():
        raise InvalidArgument("payload.command executable must match target", field="command")
    if any(ch in command for ch in "/\\\0") or command != command.strip() or " " in command:
        raise InvalidArgument("command must be a bare executable name", field="command")
    args = _args(payload.get("args")) or words[1:]
    if len(args) > MAX_ARGS:
        raise InvalidArgument("too many arguments", field="args")
    if any(len(a.encode()) > MAX_ARG_BYTES or "\0" in a for a in args):
        raise InvalidArgument("argument exceeds limit", field="args")
    return command, args


class Sandbox:
    key = "sandbox_command"
    types = ("run_command", "shell_command", "cli_command")

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config

    def resolve(self, command: str) -> str:
        if command.lower() not in self._config.allowed:
            raise PermissionDenied(f'tool not allowed: command "{command}"')
        found = shutil.which(command, path=self._config.path)
        if found is None:
            raise FailedPrecondition(f'command "{command}" is not installed')
        return found

    def cwd(self, workspace_id: str, asked: str) -> Path:
        if not workspace_id or workspace_id in (".", "..") or "/" in workspace_id:
            raise InvalidArgument("workspace id is required for sandbox command")
        base = (self._config.workspace_root / workspace_id).resolve()
        base.mkdir(parents=True, exist_ok=True)
        where = (base / asked).resolve() if asked else base
        if where != base and base not in where.parents:
            raise PermissionDenied("cwd escapes workspace boundary")
        if not where.is_dir():
            raise InvalidArgument("cwd does not exist", field="cwd")
        return where

    async def execute(self, approval: Approval, payload: Mapping[str, Any]) -> str:
        command, args = command_line(approval, payload)
        program = self.resolve(command)
        cwd = self.cwd(approval.workspace_id, text(payload, "cwd"))
        output, truncated, code = await run(
            [program, *args], cwd, self._config.timeout_s, self._config.max_output_bytes
        )
        shown = output.decode(errors="replace").strip()
        if code != 0:
            raise FailedPrecondition(f"command failed: exit status {code}; output={shown[:1600]}")
        if not shown:
            return "The command ran successfully and produced no output."
        suffix = " ... [truncated]" if truncated else ""
        return f"The command ran successfully. Output: {shown}{suffix}"


async def run(
    argv: Iterable[str], cwd: Path, timeout_s: float, cap: int
) -> tuple[bytes, bool, int]:
    """Run with an empty environment in its own process group: (output, truncated, exit
    code); the group is killed at the timeout (DEADLINE_EXCEEDED) or when the output
    passes `cap`."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env={},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    got, truncated = bytearray(), False

    async def read() -> None:
        nonlocal truncated
        while chunk := await proc.stdout.read(65536):  # type: ignore[union-attr]
            got.extend(chunk)
            if len(got) > cap:
                truncated = True
                _kill(proc.pid)
                return

    try:
        await asyncio.wait_for(read(), timeout_s)
        code = await asyncio.wait_for(proc.wait(), timeout_s)
    except TimeoutError:
        _kill(proc.pid)
        await proc.wait()
        raise FailedPrecondition(f"command timed out after {timeout_s:g}s") from None
    finally:
        if proc.returncode is None:
            _kill(proc.pid)
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
    if truncated:
        code = 0  # stopped by us, not by itself
    return bytes(got[:cap]), truncated, code


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
