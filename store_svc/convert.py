"""Rows → protobuf messages: copy the columns the message has, NULL → field default."""

from __future__ import annotations

from typing import Any, TypeVar

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from store_svc.db import Row

M = TypeVar("M", bound=Message)


_CACHE: dict[type[Message], tuple[tuple[str, bool], ...]] = {}


def _fields(cls: type[Message]) -> tuple[tuple[str, bool], ...]:
    hit = _CACHE.get(cls)
    if hit is not None:
        return hit
    hit = _CACHE[cls] = tuple(
        (f.name, f.type == FieldDescriptor.TYPE_BOOL)
        for f in cls.DESCRIPTOR.fields
        if not f.is_repeated and f.message_type is None
    )
    return hit


def to_msg(cls: type[M], row: Row) -> M:
    values: dict[str, Any] = {}
    for name, is_bool in _fields(cls):
        value = row.get(name)
        if value is not None:
            values[name] = bool(value) if is_bool else value
    return cls(**values)


def fields_of(msg: Message) -> dict[str, Any]:
    """A request's scalar fields as a dict (the domain's input)."""
    return {name: getattr(msg, name) for name, _ in _fields(type(msg))}
