"""Caller identities (from the peer certificate's URI SAN) and per-method allow lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from svckit.pki import SPIFFE_ADMIN, SPIFFE_SVC


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: a service (`svc:<name>`) or an admin (`admin:<name>`)."""

    kind: str
    name: str

    @classmethod
    def from_uri(cls, uri: str) -> Identity | None:
        if uri.startswith(SPIFFE_SVC):
            return cls("svc", uri[len(SPIFFE_SVC) :])
        if uri.startswith(SPIFFE_ADMIN):
            return cls("admin", uri[len(SPIFFE_ADMIN) :])
        return None

    @classmethod
    def parse(cls, text: str) -> Identity:
        kind, _, name = text.partition(":")
        if kind not in ("svc", "admin") or not name:
            raise ValueError(f"identity must be svc:<name> or admin:<name>, got {text!r}")
        return cls(kind, name)

    @property
    def uri(self) -> str:
        return (SPIFFE_SVC if self.kind == "svc" else SPIFFE_ADMIN) + self.name

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


ANONYMOUS = Identity("anonymous", "-")


class AllowList:
    """Per-method allow lists. Keys are RPC short names or "*" (every other method);
    values are patterns `svc:<name>`, `svc:*`, `admin:<name>`, `admin:*`.

    `admin_relays` are the services whose assertion of the admin behind a call
    (`x-acting-admin`) this service believes: the gateway, which authenticates admins on
    REST, and, where a service says so, services that relay what the gateway asserted to
    them. Anyone else's assertion is ignored."""

    def __init__(
        self, rules: Mapping[str, Iterable[str]], *, admin_relays: Iterable[str] = ("svc:gateway",)
    ) -> None:
        self._rules = {method: frozenset(patterns) for method, patterns in rules.items()}
        for patterns in self._rules.values():
            for p in patterns:
                Identity.parse(p)
        self._relays = frozenset(Identity.parse(r) for r in admin_relays)
        if any(r.is_admin for r in self._relays):
            raise ValueError("only services relay an admin; an admin certificate acts itself")

    def relays_admin(self, who: Identity) -> bool:
        """True when `who` may tell this service which admin stands behind a call."""
        return who in self._relays

    def allows(self, method: str, who: Identity) -> bool:
        patterns = self._rules.get(method, self._rules.get("*", frozenset()))
        return f"{who.kind}:{who.name}" in patterns or f"{who.kind}:*" in patterns

    def covers(self, methods: Iterable[str]) -> list[str]:
        """The methods that no rule names (explicitly or through "*")."""
        return [m for m in methods if m not in self._rules and "*" not in self._rules]
