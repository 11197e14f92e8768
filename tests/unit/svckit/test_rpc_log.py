"""The one line per RPC: `errors` keeps only the calls that did not answer OK."""

from __future__ import annotations

import io
import json
import logging

import pytest

from svckit.logs import RpcLog


@pytest.mark.parametrize(
    ("mode", "written"),
    [("all", ["OK", "NOT_FOUND"]), ("errors", ["NOT_FOUND"]), ("none", [])],
)
def test_the_rpc_log_mode_decides_which_calls_are_written(
    mode: str, written: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="svckit.rpc")  # the level the services run at
    out = io.StringIO()
    log = RpcLog("store", stream=out, mode=mode)
    log.write("/x.v1.S/Get", "svc:gateway", "OK", 0.5, "r1")
    log.write("/x.v1.S/Get", "svc:gateway", "NOT_FOUND", 0.7, "r2")
    log.flush()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["code"] for line in lines] == written
    assert all(line["svc"] == "store" and line["msg"] == "rpc" for line in lines)
