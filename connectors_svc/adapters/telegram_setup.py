"""Building the Telegram adapter from the settings (called by `catalog.build_catalog`, from
`__main__`): a python-telegram-bot `Bot` pointed at `AGENT_RUNTIME_TELEGRAM_API_BASE`, and
the token kept out of the logs (httpx logs every request URL, and the Bot API puts the token
in the path)."""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.request import HTTPXRequest

from connectors_svc.adapters.cursors import Cursors
from connectors_svc.adapters.telegram import TelegramAdapter
from connectors_svc.config import ConnectorsSettings

HIDDEN = "***"


def make_bot(token: str, api_base: str, timeout_s: float = 10.0) -> Bot:
    """A PTB Bot whose requests go to `<api_base>/bot<token>/<method>`; `getUpdates` has a
    connection of its own and waits `timeout_s` past the long-poll timeout."""

    def request(pool: int) -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=pool,
            read_timeout=timeout_s,
            write_timeout=timeout_s,
            connect_timeout=timeout_s,
        )

    base = api_base.rstrip("/")
    return Bot(
        token,
        base_url=f"{base}/bot",
        base_file_url=f"{base}/file/bot",
        request=request(256),
        get_updates_request=request(1),
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
    for name in ("httpx", "telegram.Bot"):  # request URLs; the Bot API URL at debug level
        logging.getLogger(name).addFilter(HideToken(token))
    bot = make_bot(token, settings.telegram_api_base, settings.telegram_request_timeout_seconds)
    return TelegramAdapter(
        bot, cursors, settings.telegram_poll_seconds, settings.command_sync_enabled
    )
