"""Building the Telegram adapter from the settings (called by `catalog.build_catalog`, from
`__main__`): a python-telegram-bot `Bot` pointed at `AGENT_RUNTIME_TELEGRAM_API_BASE`, and
the token kept out of the logs (the Bot API puts the token in the path, and PTB logs the URL
at debug level). Its requests go through aiohttp (telegram_request.py)."""

from __future__ import annotations

import logging

from telegram import Bot

from connectors_svc.adapters.cursors import Cursors
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.adapters.telegram_request import AiohttpRequest
from connectors_svc.config import ConnectorsSettings

HIDDEN = "***"


def make_bot(token: str, api_base: str, timeout_s: float = 10.0) -> Bot:
    """A PTB Bot whose requests go to `<api_base>/bot<token>/<method>`; `getUpdates` has a
    connection of its own and waits `timeout_s` past the long-poll timeout."""

    base = api_base.rstrip("/")
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=AiohttpRequest(256, timeout_s),
        get_updates_request=AiohttpRequest(1, timeout_s),
    )


class HideToken(logging.Filter):
    """Replaces the token in every record of the logger it is added to."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if self._token in text:
            record.msg, record.args = text.replace(self._token, HIDDEN), ()
        return True


def build(settings: ConnectorsSettings, cursors: Cursors) -> TelegramAdapter:
    token = settings.telegram_token.get_secret_value()
    logging.getLogger("telegram.Bot").addFilter(HideToken(token))  # the URL, at debug level
    bot = make_bot(token, settings.telegram_api_base, settings.telegram_request_timeout_seconds)
    return TelegramAdapter(
        bot, cursors, settings.telegram_poll_seconds, settings.command_sync_enabled
    )
