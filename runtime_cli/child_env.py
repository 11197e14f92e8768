"""Which environment each child of `agent-runtime up` gets: only the settings it reads.

A service's settings class is the list of what it needs (DESIGN.md §7: one settings class
per service), so a child receives exactly the `AGENT_RUNTIME_*` variables its class declares:
the gateway alone sees `AGENT_RUNTIME_ADMIN_TOKEN`, the store alone its database URL, and a
secret that a later settings field adds reaches only the service that declares it. Other
variables (PATH, HOME, locale, Python's own) pass through, except those named like a secret
(`svckit.config.SECRET_WORDS`: OPENAI_API_KEY, GITHUB_TOKEN, …): no service reads its
secrets from outside its settings.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_settings import BaseSettings

from connectors_svc.config import ConnectorsSettings
from gateway_svc.config import GatewaySettings
from orchestrator_svc.config import OrchestratorSettings
from qmd_svc.config import QmdSettings
from scheduler_svc.config import SchedulerSettings
from store_svc.config import StoreSettings
from svckit.config import PREFIX, SECRET_WORDS

#: The settings class each service of the stack reads at start-up.
SETTINGS: Mapping[str, type[BaseSettings]] = {
    "store": StoreSettings,
    "orchestrator": OrchestratorSettings,
    "gateway": GatewaySettings,
    "scheduler": SchedulerSettings,
    "qmd": QmdSettings,
    "connectors": ConnectorsSettings,
}


def setting_variables(cls: type[BaseSettings]) -> frozenset[str]:
    """The environment variables `cls` reads (upper-case; pydantic-settings matches names
    without regard to case)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names = set()
    for name, field in cls.model_fields.items():
        names.add((prefix + name).upper())
        for alias in (field.alias, field.validation_alias):
            if isinstance(alias, str):
                names.add(alias.upper())
    return frozenset(names)


def child_environment(env: Mapping[str, str], service: str) -> dict[str, str]:
    """`env` cut down to what `service` needs (see the module docstring)."""
    wanted = setting_variables(SETTINGS[service])
    out = {}
    for key, value in env.items():
        upper = key.upper()
        if upper.startswith(PREFIX):
            if upper in wanted:
                out[key] = value
        elif not SECRET_WORDS.intersection(key.lower().split("_")):
            out[key] = value
    return out
