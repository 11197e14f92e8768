"""How the TUI finds the stack: endpoints.json, read again at every (re)connection, since a
stack started anew may listen on other ports."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from admin_tui.backend import Backend
from runtime_cli import endpoints


class Link(Protocol):
    """Opens a backend to the stack (raises if there is no stack to open one to)."""

    @property
    def where(self) -> str: ...

    def open(self) -> Backend: ...


class EndpointsLink:
    """The stack named by an endpoints.json file, as its admin certificate."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def where(self) -> str:
        return str(self._path)

    def open(self) -> Backend:
        if not self._path.is_file():
            raise FileNotFoundError(f"{self._path} not found: no stack is running")
        return Backend.open(endpoints.read(self._path))
