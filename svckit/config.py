"""Settings shared by every service process: where data and the PKI live, which ports to
bind, where the peers are. Each service subclasses `ServiceSettings` in its own config.py."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretBytes, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from svckit.keepalive import Keepalive
from svckit.pki import PkiPaths

PREFIX = "AGENT_RUNTIME_"
Port = Field(ge=0, le=65535)


class ServiceSettings(BaseSettings):
    """Read once at start-up from `AGENT_RUNTIME_*` variables and passed down."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    pki_dir: Path | None = None
    bind_host: str = "127.0.0.1"
    grpc_port: int = Field(0, ge=0, le=65535)
    health_port: int = Field(0, ge=0, le=65535)
    metrics_port: int = Field(0, ge=0, le=65535)
    store_addr: str = "127.0.0.1:7101"
    orchestrator_addr: str = "127.0.0.1:7102"
    gateway_addr: str = "127.0.0.1:7103"
    scheduler_addr: str = "127.0.0.1:7104"
    qmd_addr: str = "127.0.0.1:7105"
    connectors_addr: str = "127.0.0.1:7106"
    rpc_timeout_seconds: float = Field(10.0, gt=0)
    log_level: str = Field("INFO", pattern=r"^(?i)(debug|info|warning|error)$")
    # The one line per RPC: `all` (the default), `errors` (calls that did not answer OK) or
    # `none`. `agent-runtime up` defaults to `errors`.
    rpc_log: Literal["all", "errors", "none"] = "all"
    # gRPC keepalive (svckit.keepalive), on every channel and server: ping a connection after
    # this long without traffic, drop it when the ack takes longer than the timeout (its calls
    # fail UNAVAILABLE instead of hanging on a peer that vanished); a server accepts client
    # pings this often.
    grpc_keepalive_time_seconds: float = Field(30.0, gt=0)
    grpc_keepalive_timeout_seconds: float = Field(10.0, gt=0)
    grpc_keepalive_min_ping_interval_seconds: float = Field(5.0, gt=0)

    @property
    def pki(self) -> PkiPaths:
        return PkiPaths(self.pki_dir or self.data_dir / "pki")

    @property
    def keepalive(self) -> Keepalive:
        return Keepalive(
            self.grpc_keepalive_time_seconds,
            self.grpc_keepalive_timeout_seconds,
            self.grpc_keepalive_min_ping_interval_seconds,
        )


S = TypeVar("S", bound=BaseSettings)


# A field whose name has one of these words holds a secret: its value is never printed.
SECRET_WORDS = frozenset({"token", "password", "passwd", "secret", "key", "apikey", "credentials"})
# The password of a URL (scheme://user:password@host) or of a `password=` parameter.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)[^/?#\s]*@")
_PARAM_PASSWORD = re.compile(r"(?P<head>\b(?:password|passwd|pwd)=)[^\s&;'\"]+", re.IGNORECASE)
HIDDEN = "***"


def is_secret_field(name: str, cls: type[BaseSettings] | None = None) -> bool:
    """True when the value of setting `name` must never be shown: a SecretStr/SecretBytes
    field of `cls`, or a name with a word such as token, password, secret or key."""
    if SECRET_WORDS.intersection(name.lower().split("_")):
        return True
    field = cls.model_fields.get(name) if cls is not None else None
    return field is not None and _is_secret_type(field.annotation)


def _is_secret_type(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_is_secret_type(arg) for arg in getattr(annotation, "__args__", ()))


def redact_urls(text: str) -> str:
    """`text` with the password of every URL replaced (postgresql://app:***@db/x)."""
    text = _URL_PASSWORD.sub(lambda m: m["head"] + HIDDEN + "@", text)
    return _PARAM_PASSWORD.sub(lambda m: m["head"] + HIDDEN, text)


def describe_error(
    exc: ValidationError, prefix: str = PREFIX, cls: type[BaseSettings] | None = None
) -> str:
    """One line per bad value, naming the environment variable. The value is shown to help
    fix a typo, except a secret's (`is_secret_field`: only "value hidden") and the password
    inside a URL."""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field = "_".join(loc).upper()
        given = err.get("input")
        msg = redact_urls(err["msg"])
        if loc and is_secret_field(loc[0], cls):
            if isinstance(given, str) and given:
                msg = msg.replace(given, HIDDEN)
            lines.append(f"invalid setting {prefix}{field}: {msg} (value hidden)")
        else:
            shown = redact_urls(repr(given))
            lines.append(f"invalid setting {prefix}{field}: {msg} (got {shown})")
    return "\n".join(lines)


def load_settings(cls: type[S]) -> S:
    """Build the settings or stop the process with a message naming the variable."""
    try:
        return cls()
    except ValidationError as exc:
        print(describe_error(exc, cls=cls), file=sys.stderr)
        raise SystemExit(2) from None
