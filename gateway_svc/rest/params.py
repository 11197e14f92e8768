"""Path captures and query parameters: string values set on request fields by field path."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

_T = FieldDescriptor
_INT_RANGES = {
    _T.TYPE_INT32: (-(2**31), 2**31 - 1),
    _T.TYPE_SINT32: (-(2**31), 2**31 - 1),
    _T.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    _T.TYPE_INT64: (-(2**63), 2**63 - 1),
    _T.TYPE_SINT64: (-(2**63), 2**63 - 1),
    _T.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    _T.TYPE_UINT32: (0, 2**32 - 1),
    _T.TYPE_FIXED32: (0, 2**32 - 1),
    _T.TYPE_UINT64: (0, 2**64 - 1),
    _T.TYPE_FIXED64: (0, 2**64 - 1),
}
# The original API took `active_only=no`; yes/no are accepted for every boolean query value.
_TRUE = frozenset(("true", "1", "yes"))
_FALSE = frozenset(("false", "0", "no"))
MAX_DEPTH = 4


class ParamError(ValueError):
    """A path or query value that does not fit its field (HTTP 400)."""


Converter = Callable[[str], object]


def converter(field: FieldDescriptor) -> Converter:
    """The string -> field value conversion for a scalar field."""
    t = field.type
    name = field.name
    if t in _INT_RANGES:
        lo, hi = _INT_RANGES[t]

        def to_int(s: str) -> object:
            try:
                v = int(s, 10)
            except ValueError:
                raise ParamError(f"{name}: {s!r} is not an integer") from None
            if not lo <= v <= hi:
                raise ParamError(f"{name}: {s} is out of range")
            return v

        return to_int
    if t in (_T.TYPE_DOUBLE, _T.TYPE_FLOAT):

        def to_float(s: str) -> object:
            try:
                return float(s)
            except ValueError:
                raise ParamError(f"{name}: {s!r} is not a number") from None

        return to_float
    if t == _T.TYPE_BOOL:

        def to_bool(s: str) -> object:
            low = s.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ParamError(f"{name}: {s!r} is not true or false")

        return to_bool
    if field.enum_type is not None:
        by_name = {v.name: v.number for v in field.enum_type.values}

        def to_enum(s: str) -> object:
            if s in by_name:
                return by_name[s]
            raise ParamError(f"{name}: {s!r} is not one of {', '.join(by_name)}")

        return to_enum
    if t == _T.TYPE_BYTES:

        def to_bytes(s: str) -> object:
            try:
                return base64.b64decode(
                    s + "=" * (-len(s) % 4),
                    altchars=b"-_" if "-" in s or "_" in s else None,
                    validate=True,
                )
            except (binascii.Error, ValueError):
                raise ParamError(f"{name}: not base64") from None

        return to_bytes
    return lambda s: s


@dataclass(frozen=True, slots=True)
class FieldSetter:
    """Sets one scalar (or appends to one repeated scalar) field at a field path."""

    path: tuple[str, ...]
    field: FieldDescriptor
    convert: Converter

    @property
    def repeated(self) -> bool:
        return bool(self.field.is_repeated)

    def set(self, msg: Message, values: list[str]) -> None:
        target = msg
        for name in self.path[:-1]:
            target = getattr(target, name)
        leaf = self.path[-1]
        if self.repeated:
            getattr(target, leaf).extend(self.convert(v) for v in values)
            return
        if len(values) > 1:
            raise ParamError(f"{'.'.join(self.path)} takes one value, got {len(values)}")
        setattr(target, leaf, self.convert(values[0]))


def setter(desc: Descriptor, path: tuple[str, ...]) -> FieldSetter:
    field: FieldDescriptor | None = None
    cur: Descriptor | None = desc
    for name in path:
        if cur is None or name not in cur.fields_by_name:
            raise ValueError(f"no field {'.'.join(path)} in {desc.full_name}")
        field = cur.fields_by_name[name]
        cur = field.message_type
    assert field is not None
    return FieldSetter(path, field, converter(field))


def query_setters(desc: Descriptor, exclude: Iterable[tuple[str, ...]]) -> dict[str, FieldSetter]:
    """Every scalar leaf reachable without passing through an excluded path, by dotted name.

    Repeated messages, maps and recursion past MAX_DEPTH are not reachable from a query string.
    """
    skip = set(exclude)
    out: dict[str, FieldSetter] = {}

    def walk(d: Descriptor, prefix: tuple[str, ...], seen: tuple[str, ...]) -> None:
        for f in d.fields:
            path = (*prefix, f.name)
            if path in skip:
                continue
            if f.message_type is not None:
                if f.is_repeated or f.message_type.file.package == "google.protobuf":
                    continue
                if f.message_type.full_name in seen or len(path) >= MAX_DEPTH:
                    continue
                walk(f.message_type, path, (*seen, f.message_type.full_name))
                continue
            out[".".join(path)] = FieldSetter(path, f, converter(f))

    walk(desc, (), (desc.full_name,))
    return out
