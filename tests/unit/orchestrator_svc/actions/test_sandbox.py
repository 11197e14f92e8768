"""The sandboxed command plugin: what it refuses (before running anything) and what a
command it runs gets (an empty environment, the workspace as cwd, a timeout that kills it,
capped output). Real processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from agent_runtime.store.v1.approval_pb2 import ActionApproval
from orchestrator_svc.actions.sandbox import Sandbox, SandboxConfig, allow_list
from svckit.errors import FailedPrecondition, InvalidArgument, PermissionDenied


def _approval(target: str = "", workspace: str = "ws") -> ActionApproval:
    return ActionApproval(
        id="act_1", workspace_id=workspace, action_type="run_command", action_target=target
    )


def _sandbox(root: Path, **extra: Any) -> Sandbox:
    return Sandbox(SandboxConfig(workspace_root=root, **extra))


@pytest.mark.parametrize("command", ["sh", "bash", "dash", "python3", "perl", "node", "env",
                                     "find", "xargs", "sed", "awk"])  # fmt: skip
async def test_shells_interpreters_and_program_runners_are_not_allowed_by_default(
    tmp_path: Path, command: str
) -> None:
    with pytest.raises(PermissionDenied, match="tool not allowed"):
        await _sandbox(tmp_path).execute(_approval(command), {"args": ["-c", "touch pwned"]})
    assert not (tmp_path / "ws" / "pwned").exists()


@pytest.mark.parametrize("command", ["/bin/echo", "./echo", "..\\echo", "echo hi"])
async def test_only_bare_executable_names(tmp_path: Path, command: str) -> None:
    with pytest.raises(InvalidArgument, match="bare executable name"):
        await _sandbox(tmp_path).execute(_approval(command), {})


async def test_no_fallback_to_another_program(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, allowed=allow_list("rg,no-such-tool-xyz"))
    with pytest.raises(FailedPrecondition, match="not installed"):
        await sandbox.execute(_approval("no-such-tool-xyz"), {})


async def test_argument_limits(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="too many arguments"):
        await _sandbox(tmp_path).execute(_approval("echo"), {"args": ["x"] * 33})
    with pytest.raises(InvalidArgument, match="argument exceeds limit"):
        await _sandbox(tmp_path).execute(_approval("echo"), {"args": ["x" * 513]})


async def test_cwd_is_confined_to_the_workspace(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path)
    (tmp_path / "ws" / "notes").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "other", tmp_path / "ws" / "link")
    for cwd in ("..", "../other", "/tmp", "link", "notes/../../other"):
        with pytest.raises(PermissionDenied, match="cwd escapes workspace boundary"):
            await sandbox.execute(_approval("pwd"), {"cwd": cwd})
    out = await sandbox.execute(_approval("pwd"), {"cwd": "notes"})
    assert out == f"The command ran successfully. Output: {(tmp_path / 'ws' / 'notes').resolve()}"
    for workspace in ("", "..", "a/b"):
        with pytest.raises(InvalidArgument):
            await sandbox.execute(_approval("pwd", workspace), {})


async def test_the_environment_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_SMTP_PASSWORD", "secret")
    sandbox = _sandbox(tmp_path, allowed=allow_list("env"))  # an admin's choice, for the test
    out = await sandbox.execute(_approval("env"), {})
    assert out == "The command ran successfully and produced no output."


async def test_a_command_past_its_timeout_is_killed(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, allowed=allow_list("sleep"), timeout_s=0.3)
    with pytest.raises(FailedPrecondition, match=r"timed out after 0\.3s"):
        await sandbox.execute(_approval("sleep"), {"args": ["30"]})


async def test_output_is_capped(tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, allowed=allow_list("yes"), max_output_bytes=1000)
    out = await sandbox.execute(_approval("yes"), {})  # endless output: stopped at the cap
    assert out == "The command ran successfully. Output: " + "\n".join(["y"] * 500).strip() + (
        " ... [truncated]"
    )


async def test_a_failing_command_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FailedPrecondition, match="command failed: exit status 2"):
        await _sandbox(tmp_path).execute(_approval("ls"), {"args": ["no-such-file"]})
    out = await _sandbox(tmp_path).execute(_approval("echo"), {"command": "echo hello  world"})
    assert out == "The command ran successfully. Output: hello world"
