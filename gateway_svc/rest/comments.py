"""Proto comments by full name, for the OpenAPI document.

Generated Python descriptors carry no source info, so `make gen` writes the comments into the
generated package (`agent_runtime/comments.json`, drift-checked with the stubs; see
scripts/proto_comments.py). Nothing here compiles protos: protoc is a build-time tool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources

_PACKAGE, _TABLE = "agent_runtime", "comments.json"


@cache
def _all() -> dict[str, str]:
    loaded: dict[str, str] = json.loads(resources.files(_PACKAGE).joinpath(_TABLE).read_text())
    return loaded


def load(packages: Iterable[str]) -> dict[str, str]:
    """Leading comments of every element declared in these proto packages
    (`agent_runtime.store.v1` …), by full name."""
    prefixes = tuple(f"{p}." for p in set(packages))
    return {name: text for name, text in _all().items() if name.startswith(prefixes)}
