"""Which adapters a connectors process runs, from its settings: a platform with credentials
gets its adapter, one without is disabled with the reason (`token missing`, `credentials
missing`, `publish url missing`), and the others run. Only `__main__` calls this.

A platform adapter module `connectors_svc.adapters.<module>` provides
`build(settings) -> Adapter`; until it exists, a configured platform is disabled with
`adapter not available`. Telegram, which keeps its update offset in the store, is built with
the store's cursors (`adapters.telegram_setup.build(settings, cursors)`)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors_svc.adapters import email, telegram_setup
from connectors_svc.adapters.base import Adapter
from connectors_svc.adapters.cursors import Cursors
from connectors_svc.adapters.webhook import NAMES, WebhookAdapter, WebhookConfig
from connectors_svc.config import ConnectorsSettings

log = logging.getLogger("connectors.catalog")


@dataclass
class Catalog:
    adapters: list[Adapter] = field(default_factory=list)
    disabled: dict[str, str] = field(default_factory=dict)


def _platform(cat: Catalog, name: str, module: str, missing: str, s: ConnectorsSettings) -> None:
    if missing:
        cat.disabled[name] = missing
        return
    try:
        build: Callable[[ConnectorsSettings], Adapter] = importlib.import_module(
            f"connectors_svc.adapters.{module}"
        ).build
    except (ImportError, AttributeError):
        cat.disabled[name] = "adapter not available"
        return
    cat.adapters.append(build(s))


def build_catalog(
    s: ConnectorsSettings, mail: email.MailStore | None = None, cursors: Cursors | None = None
) -> Catalog:
    """`mail`: the store facade of the e-mail connector (it files e-mails and their tasks);
    `cursors`: the store's cursors, where Telegram keeps its update offset."""
    cat = Catalog()
    token = "token missing"
    if not s.telegram_token.get_secret_value():
        cat.disabled["telegram"] = token
    elif cursors is None:
        cat.disabled["telegram"] = "adapter not available"
    else:
        cat.adapters.append(telegram_setup.build(s, cursors))
    _platform(cat, "discord", "discord", "" if s.discord_token.get_secret_value() else token, s)
    if not email.configured(s):
        cat.disabled["imap"] = "credentials missing"
    elif mail is None:
        cat.disabled["imap"] = "adapter not available"
    else:
        cat.adapters.append(email.build(s, mail))
    if s.codex_publish_url:
        config = WebhookConfig(
            s.codex_publish_url,
            s.codex_publish_bearer_token.get_secret_value(),
            s.codex_publish_timeout_seconds,
            s.heartbeat_interval_seconds,
        )
        for name in NAMES:
            cat.adapters.append(WebhookAdapter(name, config))
    else:
        cat.disabled.update({name: "publish url missing" for name in NAMES})
    return cat
