"""The Telegram adapter from the settings: disabled with `token missing` without a token,
built (pointed at the configured API base) with one; the token never reaches a log line;
the menu keeps `pair` whatever the catalogue holds."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr
from telegram.error import NetworkError

from connectors_svc.adapters.base import Command
from connectors_svc.adapters.cursors import Fence
from connectors_svc.adapters.telegram_menu import MAX_COMMANDS, menu
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.catalog import build_catalog
from connectors_svc.config import ConnectorsSettings
from svckit.testing import free_port

TOKEN = "987654:SECRET-bot-token"


class NoCursors:
    async def get(self, name: str) -> str:
        return ""

    async def put(
        self, name: str, value: str, fence: Fence | None = None, sequence: int | None = None
    ) -> None:
        return None


def test_without_a_token_telegram_is_disabled_and_the_others_run() -> None:
    catalog = build_catalog(
        ConnectorsSettings(codex_publish_url="http://127.0.0.1:9/x"), NoCursors()
    )
    assert catalog.disabled["telegram"] == "token missing"
    assert "telegram" not in [a.name for a in catalog.adapters]
    assert "codex" in [a.name for a in catalog.adapters]


async def test_with_a_token_the_adapter_is_built_and_the_token_stays_out_of_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = ConnectorsSettings(
        telegram_token=SecretStr(TOKEN), telegram_api_base=f"http://127.0.0.1:{free_port()}/"
    )
    catalog = build_catalog(settings, cursors=NoCursors())
    [telegram] = [a for a in catalog.adapters if a.name == "telegram"]
    assert telegram.part_limit == 4096 and telegram.receives
    assert "telegram" not in catalog.disabled
    bot = make_bot(TOKEN, settings.telegram_api_base)
    with caplog.at_level(logging.DEBUG), pytest.raises(NetworkError) as failed:
        await bot.initialize()  # getMe on a refused port, every logger at debug level
    assert "refused" in str(failed.value).lower() or "connect" in str(failed.value).lower()
    assert TOKEN not in caplog.text and TOKEN not in str(failed.value)
    assert "getMe" in caplog.text  # the calls are logged, without the token
    await bot.shutdown()


def test_the_menu_keeps_pair_past_telegrams_limit() -> None:
    catalogue = [Command(f"cmd-{n}", f"command {n}") for n in range(150)]
    entries = menu(catalogue)
    assert len(entries) == MAX_COMMANDS and entries[-1].command == "pair"
    assert entries[0].command == "cmd_0"
    assert [e.command for e in menu([Command("pair", "Link"), Command("/Status", "")])] == [
        "pair",
        "status",
    ]
