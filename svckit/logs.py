"""Structured logging: one JSON object per line on stderr."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any, TextIO

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "svc": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup_logging(service: str, level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_svckit", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler._svckit = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())


class RpcLog:
    """The one line per RPC, written without the logging machinery: lines from RPCs that
    finish in the same event-loop iteration go out in one write."""

    def __init__(self, service: str, stream: TextIO | None = None, mode: str = "all") -> None:
        self._prefix = '{"level":"info","svc":' + json.dumps(service) + ',"msg":"rpc"'
        self._stream = stream
        self._pending: list[str] = []
        # Same switch as the logging machinery: AGENT_RUNTIME_LOG_LEVEL=WARNING silences it.
        self.enabled = mode != "none" and logging.getLogger("svckit.rpc").isEnabledFor(logging.INFO)
        self._errors_only = mode == "errors"

    def write(self, method: str, peer: str, code: str, ms: float, request_id: str) -> None:
        if not self.enabled or (self._errors_only and code == "OK"):
            return
        line = (
            f'{self._prefix},"ts":{time.time():.3f},"method":"{method}","peer":"{peer}",'
            f'"code":"{code}","ms":{ms:.3f},"request_id":{json.dumps(request_id)}}}\n'
        )
        if not self._pending:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self._pending.append(line)
                self.flush()
                return
        self._pending.append(line)

    def flush(self) -> None:
        if self._pending:
            stream = self._stream or sys.stderr
            stream.write("".join(self._pending))
            self._pending.clear()
