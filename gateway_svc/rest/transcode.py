"""One compiled route: builds the request message from path, query and body, and answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import message_factory
from google.protobuf.message import Message

from gateway_svc.rest import params
from gateway_svc.rest.codec import BodyError, Encoder, JsonCodec, parse_body
from gateway_svc.rest.errors import RestError, bad_request
from gateway_svc.rest.rules import Binding


@dataclass(frozen=True, slots=True)
class Route:
    """Everything a request on one binding needs, worked out at start-up."""

    binding: Binding
    request_cls: type[Message]
    response_cls: type[Message]
    path_setters: tuple[params.FieldSetter, ...]
    query: Mapping[str, params.FieldSetter]
    encode: Encoder
    success_status: int = 200  # the gateway may ask for 201/202 where the original used them

    @property
    def wants_body(self) -> bool:
        return bool(self.binding.body)

    def build_request(
        self,
        captures: Sequence[str],
        query: Sequence[tuple[str, str]],
        body: bytes | None,
    ) -> Message:
        """The request message, or RestError(400) naming what is wrong."""
        msg = self.request_cls()
        if self.binding.body and body:
            try:
                parse_body(body, msg, self.binding.body)
            except BodyError as exc:
                raise bad_request(str(exc)) from None
        try:
            for setter, value in zip(self.path_setters, captures, strict=True):
                setter.set(msg, [value])
            if query:
                self._apply_query(msg, query)
        except params.ParamError as exc:
            raise bad_request(str(exc)) from None
        return msg

    def _apply_query(self, msg: Message, query: Sequence[tuple[str, str]]) -> None:
        grouped: dict[str, list[str]] = {}
        for key, value in query:
            grouped.setdefault(key, []).append(value)
        for key, values in grouped.items():
            setter = self.query.get(key) or self.query.get(key.removesuffix("[]"))
            if setter is None:
                raise bad_request(f"unknown query parameter {key!r}", field=key)
            setter.set(msg, values)

    def response_obj(self, response: Message) -> Any:
        """The JSON value of the response (only `response_body` when the rule names one)."""
        field = self.binding.response_body
        if field:
            return self.encode(response).get(field)
        return self.encode(response)


def compile_route(binding: Binding, codec: JsonCodec, success_status: int = 200) -> Route:
    method = binding.method
    req_cls = message_factory.GetMessageClass(method.input_type)
    resp_cls = message_factory.GetMessageClass(method.output_type)
    path_setters = tuple(
        params.setter(method.input_type, var.field_path) for var in binding.template.variables
    )
    if binding.body == "*":
        query: dict[str, params.FieldSetter] = {}
    else:
        exclude = [var.field_path for var in binding.template.variables]
        if binding.body:
            exclude.append((binding.body,))
        query = params.query_setters(method.input_type, exclude)
    encode = codec.encoder(method.output_type)
    return Route(binding, req_cls, resp_cls, path_setters, query, encode, success_status)


def too_large(limit: int) -> RestError:
    return RestError("INVALID_ARGUMENT", f"request body exceeds {limit} bytes", status=413)
