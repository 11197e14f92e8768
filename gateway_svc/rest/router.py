"""The route table: exact paths by dictionary, templated paths by precompiled regex."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway_svc.rest.errors import RestError
from gateway_svc.rest.transcode import Route


@dataclass(slots=True)
class _MethodTable:
    exact: dict[str, Route] = field(default_factory=dict)
    templated: list[Route] = field(default_factory=list)


class Router:
    """Matches (HTTP method, raw path) to a route and its captured values."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._tables: dict[str, _MethodTable] = {}
        self.routes: list[Route] = []
        for route in routes:
            table = self._tables.setdefault(route.binding.http_method, _MethodTable())
            tpl = route.binding.template
            if tpl.literal:
                if tpl.source in table.exact:
                    raise ValueError(f"duplicate route {route.binding.http_method} {tpl.source}")
                table.exact[tpl.source] = route
            else:
                table.templated.append(route)
            self.routes.append(route)
        for table in self._tables.values():
            # Custom verbs first, then more literal text first: the most specific wins.
            table.templated.sort(
                key=lambda r: (not r.binding.template.verb, -len(r.binding.template.source))
            )

    def _find(self, method: str, raw_path: str) -> tuple[Route, list[str]] | None:
        table = self._tables.get(method)
        if table is None:
            return None
        route = table.exact.get(raw_path)
        if route is not None:
            return route, []
        for route in table.templated:
            captured = route.binding.template.match(raw_path)
            if captured is not None:
                return route, list(captured.values())
        return None

    def match(self, method: str, raw_path: str) -> tuple[Route, list[str]]:
        """The route, or RestError 404 (no such path) / 405 (path exists, not this method)."""
        found = self._find("GET" if method == "HEAD" else method, raw_path)
        if found is not None:
            return found
        allowed = [m for m in self._tables if m != method and self._find(m, raw_path)]
        if allowed:
            allow = ", ".join(sorted(allowed)).encode()
            raise RestError(
                "UNIMPLEMENTED",
                f"{method} is not allowed on {raw_path}",
                status=405,
                headers=[(b"allow", allow)],
            )
        raise RestError("NOT_FOUND", f"no route for {method} {raw_path}")
