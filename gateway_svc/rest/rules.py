"""Read the google.api.http annotations of services once, at start-up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2  # type: ignore[import-untyped]
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor, ServiceDescriptor

from gateway_svc.rest.paths import PathTemplate, parse

_VERBS = ("get", "put", "post", "delete", "patch")


class RuleError(ValueError):
    """An annotation the transcoder cannot serve (named, so start-up fails clearly)."""


@dataclass(frozen=True, slots=True)
class Binding:
    """One HTTP method + path template bound to one RPC."""

    method: MethodDescriptor
    http_method: str
    template: PathTemplate
    body: str  # "", "*" or a top-level field name
    response_body: str  # "" or a top-level field name of the response
    index: int  # 0 for the primary binding, 1.. for additional_bindings

    @property
    def rpc_path(self) -> str:
        """The gRPC method path, `/pkg.Service/Method`."""
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def server_streaming(self) -> bool:
        return bool(self.method.server_streaming)


def _resolve(message: object, path: tuple[str, ...], what: str) -> FieldDescriptor:
    desc = message
    field: FieldDescriptor | None = None
    for name in path:
        field = desc.fields_by_name.get(name)  # type: ignore[attr-defined]
        if field is None:
            raise RuleError(f"{what}: no field {'.'.join(path)!r}")
        desc = field.message_type
    assert field is not None
    return field


def _one(method: MethodDescriptor, rule: http_pb2.HttpRule, index: int) -> Binding:
    where = f"{method.full_name} binding {index}"
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise RuleError(f"{where}: no HTTP pattern")
    if kind == "custom":
        verb, path = rule.custom.kind.upper(), rule.custom.path
    else:
        verb, path = kind.upper(), getattr(rule, kind)
    template = parse(path)
    for var in template.variables:
        field = _resolve(method.input_type, var.field_path, where)
        if field.is_repeated or field.message_type is not None:
            raise RuleError(f"{where}: path field {'.'.join(var.field_path)} must be a scalar")
    if rule.body not in ("", "*"):
        _resolve(method.input_type, (rule.body,), where)
    if rule.response_body:
        _resolve(method.output_type, (rule.response_body,), where)
    if method.client_streaming:
        raise RuleError(f"{where}: client streaming is not supported over REST")
    return Binding(method, verb, template, rule.body, rule.response_body, index)


def method_bindings(method: MethodDescriptor) -> list[Binding]:
    """The bindings of one RPC ([] when it has no annotation)."""
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    rule = options.Extensions[annotations_pb2.http]
    out = [_one(method, rule, 0)]
    for i, extra in enumerate(rule.additional_bindings, start=1):
        if extra.additional_bindings:
            raise RuleError(f"{method.full_name}: additional bindings cannot nest")
        out.append(_one(method, extra, i))
    return out


def service_bindings(services: Iterable[ServiceDescriptor]) -> Iterator[Binding]:
    """Every binding of every RPC of the given services, in declaration order."""
    for service in services:
        for method in service.methods:
            yield from method_bindings(method)


def is_annotated(service: ServiceDescriptor) -> bool:
    """Whether any RPC of the service is on the REST API."""
    return any(m.GetOptions().HasExtension(annotations_pb2.http) for m in service.methods)
