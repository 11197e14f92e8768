"""Proto <-> JSON with the proto field names.

Responses go through encoders compiled once per message type: every field is emitted (unset
strings "", numbers 0, as the original API did); 64-bit integers are JSON numbers; fields with
explicit presence (proto3 `optional`, messages) are null when unset; unset oneof members are
left out. Request bodies are parsed by protobuf's own JSON parser, strictly (unknown fields are
an error).
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

Encoder = Callable[[Any], Any]
_T = FieldDescriptor

_PLAIN, _PRESENCE, _ONEOF, _REPEATED, _MAP = range(5)


class BodyError(ValueError):
    """A request body that cannot become the request message (HTTP 400)."""


def _float(v: float) -> float | str:
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _bytes(v: bytes) -> str:
    return base64.b64encode(v).decode("ascii")


def _is_wkt(desc: Descriptor) -> bool:
    return desc.file.package == "google.protobuf"


class JsonCodec:
    """Compiles and caches one encoder per message type (owned by the app, not global)."""

    def __init__(self) -> None:
        self._encoders: dict[str, Encoder] = {}

    def encoder(self, desc: Descriptor) -> Encoder:
        enc = self._encoders.get(desc.full_name)
        if enc is None:
            enc = self._compile(desc)
            self._encoders[desc.full_name] = enc
        return enc

    def to_obj(self, msg: Message) -> Any:
        desc = cast(Descriptor, msg.DESCRIPTOR)
        return self.encoder(desc)(msg)

    def dumps(self, obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    def _lazy(self, desc: Descriptor) -> Encoder:
        # Resolved on first use so recursive message types compile.
        cell: list[Encoder] = []

        def enc(msg: Message) -> Any:
            if not cell:
                cell.append(self.encoder(desc))
            return cell[0](msg)

        return enc

    def _value(self, field: FieldDescriptor) -> Encoder | None:
        t = field.type
        if field.message_type is not None:
            return self._lazy(field.message_type)
        if field.enum_type is not None:
            names: dict[int, str] = {v.number: v.name for v in field.enum_type.values}
            return lambda v: names.get(v, v)
        if t in (_T.TYPE_DOUBLE, _T.TYPE_FLOAT):
            return _float
        if t == _T.TYPE_BYTES:
            return _bytes
        return None

    def _compile(self, desc: Descriptor) -> Encoder:
        if _is_wkt(desc):
            return lambda m: json_format.MessageToDict(m, preserving_proto_field_name=True)
        specs: list[tuple[str, int, Encoder | None]] = []
        for f in desc.fields:
            if f.message_type is not None and f.message_type.GetOptions().map_entry:
                specs.append((f.name, _MAP, self._value(f.message_type.fields_by_name["value"])))
            elif f.is_repeated:
                specs.append((f.name, _REPEATED, self._value(f)))
            elif f.containing_oneof is not None and not _synthetic(f):
                specs.append((f.name, _ONEOF, self._value(f)))
            elif f.has_presence:
                specs.append((f.name, _PRESENCE, self._value(f)))
            else:
                specs.append((f.name, _PLAIN, self._value(f)))
        return _make(tuple(specs))


def _synthetic(f: FieldDescriptor) -> bool:
    oneof = f.containing_oneof
    return oneof is not None and len(oneof.fields) == 1 and oneof.name == "_" + f.name


def _make(specs: tuple[tuple[str, int, Encoder | None], ...]) -> Encoder:
    def encode(msg: Message) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, mode, conv in specs:
            if mode == _PLAIN:
                v = getattr(msg, name)
                out[name] = v if conv is None else conv(v)
            elif mode == _REPEATED:
                vs = getattr(msg, name)
                out[name] = list(vs) if conv is None else [conv(v) for v in vs]
            elif mode == _MAP:
                items = getattr(msg, name).items()
                out[name] = {str(k): (v if conv is None else conv(v)) for k, v in items}
            elif msg.HasField(name):
                v = getattr(msg, name)
                out[name] = v if conv is None else conv(v)
            elif mode == _PRESENCE:
                out[name] = None
        return out

    return encode


def _no_constant(name: str) -> Any:
    raise BodyError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(f"number out of range: {text[:40]}")
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BodyError(f"duplicate key {key[:40]!r} in the JSON body")
            seen.add(key)
    return obj


def parse_body(raw: bytes, message: Message, field: str) -> None:
    """Merge a JSON body into `message` (field "*" = whole message) or raise BodyError.

    Strict where parsers differ: UTF-8 only, no NaN/Infinity, no numbers that overflow a
    double, no duplicate keys (which one would win differs between parsers)."""
    try:
        obj = json.loads(
            raw.decode("utf-8"),
            parse_constant=_no_constant,
            parse_float=_finite,
            object_pairs_hook=_unique,
        )
    except BodyError:
        raise
    except UnicodeDecodeError:
        raise BodyError("the JSON body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BodyError(f"malformed JSON body: {exc}") from None
    except RecursionError:
        raise BodyError("the JSON body is nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise BodyError(f"invalid number in the JSON body: {str(exc)[:80]}") from None
    if field == "*":
        if not isinstance(obj, dict):
            raise BodyError("the JSON body must be an object")
    else:
        obj = {field: obj}
    try:
        json_format.ParseDict(obj, message, ignore_unknown_fields=False, max_recursion_depth=32)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BodyError(f"invalid JSON body: {exc}") from None
