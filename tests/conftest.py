"""Fixtures shared by more than one test folder: the whole stack (tests/integration,
tests/tui), started once per session through the supervisor (tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import Stack, _Stacks


@pytest.fixture(scope="session")
def _stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Stacks]:
    stacks = _Stacks(tmp_path_factory)
    try:
        yield stacks
    finally:
        stacks.close()


@pytest.fixture
def stack(_stacks: _Stacks) -> Stack:
    """The whole stack, started once per session through `agent-runtime up --free-ports`.
    A test may stop it (SIGTERM tests do); the next test that asks gets a fresh one."""
    return _stacks.get()
