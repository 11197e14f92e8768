"""JSON Schema (OpenAPI 3.1 dialect) for messages, matching what codec.py emits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

_T = FieldDescriptor
Schema = dict[str, Any]

_INTS: dict[int, tuple[str, int, int]] = {
    _T.TYPE_INT32: ("int32", -(2**31), 2**31 - 1),
    _T.TYPE_SINT32: ("int32", -(2**31), 2**31 - 1),
    _T.TYPE_SFIXED32: ("int32", -(2**31), 2**31 - 1),
    _T.TYPE_UINT32: ("uint32", 0, 2**32 - 1),
    _T.TYPE_FIXED32: ("uint32", 0, 2**32 - 1),
    _T.TYPE_INT64: ("int64", -(2**63), 2**63 - 1),
    _T.TYPE_SINT64: ("int64", -(2**63), 2**63 - 1),
    _T.TYPE_SFIXED64: ("int64", -(2**63), 2**63 - 1),
    _T.TYPE_UINT64: ("uint64", 0, 2**64 - 1),
    _T.TYPE_FIXED64: ("uint64", 0, 2**64 - 1),
}
_WKT: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?s$"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Any": {"type": "object"},
    "google.protobuf.StringValue": {"type": ["string", "null"]},
    "google.protobuf.BoolValue": {"type": ["boolean", "null"]},
    "google.protobuf.Int32Value": {"type": ["integer", "null"]},
    "google.protobuf.Int64Value": {"type": ["integer", "null"]},
    "google.protobuf.UInt32Value": {"type": ["integer", "null"]},
    "google.protobuf.UInt64Value": {"type": ["integer", "null"]},
    "google.protobuf.DoubleValue": {"type": ["number", "null"]},
    "google.protobuf.FloatValue": {"type": ["number", "null"]},
    "google.protobuf.BytesValue": {"type": ["string", "null"]},
}
REF_PREFIX = "#/components/schemas/"


def _nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class SchemaBuilder:
    """Collects one named schema per message type into `components`."""

    def __init__(self, comments: Mapping[str, str]) -> None:
        self.components: dict[str, Schema] = {}
        self._comments = comments

    def scalar(self, field: FieldDescriptor) -> Schema:
        """Schema of one value of the field (no repetition, no presence)."""
        t = field.type
        if t in _INTS:
            fmt, lo, hi = _INTS[t]
            return {"type": "integer", "format": fmt, "minimum": lo, "maximum": hi}
        if t in (_T.TYPE_DOUBLE, _T.TYPE_FLOAT):
            return {"type": "number", "format": "double" if t == _T.TYPE_DOUBLE else "float"}
        if t == _T.TYPE_BOOL:
            return {"type": "boolean"}
        if t == _T.TYPE_BYTES:
            # A pattern too: generators (schemathesis) ignore contentEncoding.
            return {"type": "string", "contentEncoding": "base64", "pattern": _BASE64}
        if field.enum_type is not None:
            return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        if field.message_type is not None:
            return self.message(field.message_type)
        return {"type": "string"}

    def field(self, field: FieldDescriptor) -> Schema:
        """Schema of the field as it appears in JSON."""
        mt = field.message_type
        if mt is not None and mt.GetOptions().map_entry:
            schema: Schema = {
                "type": "object",
                "additionalProperties": self.scalar(mt.fields_by_name["value"]),
            }
        elif field.is_repeated:
            schema = {"type": "array", "items": self.scalar(field)}
        elif field.has_presence and (mt is None or mt.full_name not in _WKT):
            schema = _nullable(self.scalar(field))
        else:
            schema = self.scalar(field)
        doc = self._comments.get(field.full_name)
        if doc:
            schema = (
                {**schema, "description": doc}
                if "$ref" not in schema
                else {"allOf": [schema], "description": doc}
            )
        return schema

    def message(self, desc: Descriptor) -> Schema:
        """A $ref to the message's schema, built on first use."""
        if desc.full_name in _WKT:
            return dict(_WKT[desc.full_name])
        name = desc.full_name
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursive types terminate
            props = {f.name: self.field(f) for f in desc.fields}
            schema: Schema = {"type": "object", "properties": props, "additionalProperties": False}
            doc = self._comments.get(name)
            if doc:
                schema["description"] = doc
            self.components[name] = schema
        return {"$ref": REF_PREFIX + name}


ERROR_SCHEMA: Schema = {
    "type": "object",
    "description": "An error: the gRPC code name, a message, and string details.",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["code", "message", "details"],
}
