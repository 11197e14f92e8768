"""Rows → protobuf messages: copy the columns the message has, NULL → field default."""

from __future__ import annotations

from typing import Any, TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from store_svc.db import Row

M = TypeVar("M", bound=Message)


_CACHE: dict[type[Message], tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]] = {}


def _fields(cls: type[Message]) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """The scalar field names of `cls` (in order, as a set) and its bool fields."""
    hit = _CACHE.get(cls)
    if hit is not None:
        return hit
    names = tuple(
        f.name for f in cls.DESCRIPTOR.fields if not f.is_repeated and f.message_type is None
    )
    bools = tuple(f.name for f in cls.DESCRIPTOR.fields if f.type == FieldDescriptor.TYPE_BOOL)
    hit = _CACHE[cls] = (names, frozenset(names), bools)
    return hit


def to_msg(cls: type[M], row: Row) -> M:
    _, names, bools = _fields(cls)
    # one pass over the row: columns the message lacks and NULLs are skipped
    values: dict[str, Any] = {k: v for k, v in row.items() if v is not None and k in names}
    for name in bools:
        if name in values:
            values[name] = bool(values[name])
    return cls(**values)


def fields_of(msg: Message) -> dict[str, Any]:
    """A request's scalar fields as a dict (the domain's input)."""
    return {name: getattr(msg, name) for name in _fields(type(msg))[0]}
