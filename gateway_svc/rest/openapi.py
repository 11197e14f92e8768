"""The OpenAPI 3.1 document of the mounted routes, from the same descriptors and comments."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from gateway_svc.rest import streaming
from gateway_svc.rest.schemas import ERROR_SCHEMA, REF_PREFIX, Schema, SchemaBuilder
from gateway_svc.rest.transcode import Route

_ERROR_REF = {"$ref": REF_PREFIX + "Error"}
_ERRORS = {
    "400": "Invalid request: malformed JSON, unknown field, bad query or path value",
    "401": "No admin client certificate and no valid bearer token",
    "404": "Not found",
    "default": "Any other error, with the gRPC code name",
}


def param_name(field_path: tuple[str, ...]) -> str:
    """Path parameter names without dots (`item.id` -> `item_id`): tools read `{a.b}` as an
    attribute lookup. The server matches by position, so the name is only documentation."""
    return "_".join(field_path)


def _error(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": _ERROR_REF}}}


def _operation(
    route: Route, names: list[str], builder: SchemaBuilder, comments: Mapping[str, str]
) -> dict[str, Any]:
    b = route.binding
    method = b.method
    service = method.containing_service
    op_id = f"{service.name}_{method.name}" + (f"_{b.index}" if b.index else "")
    doc = comments.get(method.full_name, "")
    op: dict[str, Any] = {
        "operationId": op_id,
        "tags": [service.name],
        "summary": doc.split(". ")[0][:120] if doc else method.name,
    }
    if doc:
        op["description"] = doc
    parameters: list[dict[str, Any]] = []
    for var, setter, name in zip(b.template.variables, route.path_setters, names, strict=True):
        schema = builder.scalar(setter.field)
        if var.pattern != "*":
            schema = {
                **schema,
                "pattern": "^" + var.pattern.replace("**", ".+").replace("*", "[^/]+") + "$",
            }
        parameters.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": schema,
                "description": "field " + ".".join(var.field_path),
            }
        )
    for name, setter in route.query.items():
        one = builder.scalar(setter.field)
        schema = {"type": "array", "items": one} if setter.repeated else one
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": schema}
        text = comments.get(setter.field.full_name)
        if text:
            param["description"] = text
        if setter.repeated:
            param.update(style="form", explode=True)
        parameters.append(param)
    if parameters:
        op["parameters"] = parameters
    if b.body:
        if b.body == "*":
            body_schema = builder.message(method.input_type)
        else:
            body_schema = builder.field(method.input_type.fields_by_name[b.body])
    else:
        body_schema = {"type": "object", "description": "ignored"}
    if b.http_method not in ("GET", "HEAD"):
        # Required: every method but GET and HEAD must be sent as application/json (CSRF),
        # so a client sends at least `{}`.
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        }
    if b.response_body:
        out_schema = builder.field(method.output_type.fields_by_name[b.response_body])
    else:
        out_schema = builder.message(method.output_type)
    if b.server_streaming:
        content = {
            streaming.NDJSON: {"schema": {"type": "string"}, "x-item-schema": out_schema},
            streaming.SSE: {"schema": {"type": "string"}},
        }
        ok = {
            "description": "A stream of messages (SSE or newline-delimited JSON by Accept); "
            "a failure ends it with an error event",
            "content": content,
        }
    else:
        phrase = HTTPStatus(route.success_status).phrase
        ok = {"description": phrase, "content": {"application/json": {"schema": out_schema}}}
    status = str(route.success_status)
    op["responses"] = {status: ok, **{code: _error(text) for code, text in _ERRORS.items()}}
    return op


def build(
    routes: Iterable[Route],
    comments: Mapping[str, str],
    *,
    title: str = "agent-runtime",
    version: str = "v1",
) -> dict[str, Any]:
    """The whole document as a dict."""
    builder = SchemaBuilder(comments)
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    shapes: dict[str, list[str]] = {}
    for route in routes:
        b = route.binding
        # Templates that differ only in variable names are one OpenAPI path: the first names win.
        shape = b.template.openapi_path(["" for _ in b.template.variables])
        names = shapes.setdefault(shape, [param_name(v.field_path) for v in b.template.variables])
        item = paths.setdefault(b.template.openapi_path(names), {})
        item[b.http_method.lower()] = _operation(route, names, builder, comments)
        service = b.method.containing_service
        tags.setdefault(service.name, comments.get(service.full_name, ""))
    schemas: dict[str, Schema] = {"Error": ERROR_SCHEMA, **dict(sorted(builder.components.items()))}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The REST API of agent-runtime, transcoded to gRPC from the "
            "services' google.api.http annotations. Every request other than GET and HEAD "
            "must carry `Content-Type: application/json`, with a body or without one "
            "(else 415).",
        },
        "tags": [{"name": n, **({"description": d} if d else {})} for n, d in tags.items()],
        "security": [{"bearerAuth": []}, {"adminCertificate": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "AGENT_RUNTIME_ADMIN_TOKEN",
                },
                "adminCertificate": {
                    "type": "mutualTLS",
                    "description": "A client certificate with an admin URI SAN",
                },
            },
        },
    }


def dumps(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, indent=1, ensure_ascii=False).encode()
