"""Export a Spec as OpenAPI 3.0, for modern tooling (Swagger UI, schemathesis, code generators)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: Spec.to_openapi is what loads this module
    from .model import Model, Operation, Parameter, Spec

_SCALARS = {
    "string": {"type": "string"},
    "int": {"type": "integer", "format": "int32"},
    "long": {"type": "integer", "format": "int64"},
    "double": {"type": "number", "format": "double"},
    "float": {"type": "number", "format": "float"},
    "boolean": {"type": "boolean"},
    "Date": {"type": "string", "format": "date-time"},
    "object": {"type": "object"},
    "containers": {"type": "object", "additionalProperties": {"type": "string"}},
    "binary": {"type": "string", "format": "binary"},
}
_LIST = re.compile(r"^List\[(.+)\]$")


def schema_for(type_name: str, models: dict[str, Model]) -> dict[str, Any]:
    """Schema for a Swagger 1.x type name: scalar, ``List[X]`` or a model reference."""
    match = _LIST.match(type_name)
    if match:
        return {"type": "array", "items": schema_for(match.group(1), models)}
    if type_name in _SCALARS:
        return dict(_SCALARS[type_name])
    if type_name in models:
        return {"$ref": f"#/components/schemas/{type_name}"}
    return {}  # unknown type: accept anything rather than invent a constraint


def _parameter_schema(p: Parameter, models: dict[str, Model]) -> dict[str, Any]:
    schema = schema_for(p.data_type, models)
    if p.allowable is not None:
        if p.allowable.values is not None:
            schema["enum"] = list(p.allowable.values)
        if p.allowable.minimum is not None:
            schema["minimum"] = p.allowable.minimum
        if p.allowable.maximum is not None:
            schema["maximum"] = p.allowable.maximum
    if p.default is not None:
        schema["default"] = p.default
    if p.allow_multiple:
        return {"type": "array", "items": schema}
    return schema


def _operation(op: Operation, models: dict[str, Model]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.name,
        "tags": [op.resource],
        "summary": op.summary,
    }
    if op.notes:
        out["description"] = op.notes
    params = []
    body_props: dict[str, Any] = {}
    body_required: list[str] = []
    whole_body: dict[str, Any] | None = None
    for p in op.parameters:
        if p.param_type == "body":
            if p.data_type == "object":
                whole_body = {"type": "object"}
            else:
                body_props[p.name] = _parameter_schema(p, models)
                if p.required:
                    body_required.append(p.name)
            continue
        entry: dict[str, Any] = {
            "name": p.name, "in": "path" if p.param_type == "path" else "query",
            "required": p.required or p.param_type == "path",
            "schema": _parameter_schema(p, models),
        }
        if p.description:
            entry["description"] = p.description
        if p.allow_multiple:
            entry["style"], entry["explode"] = "form", False  # comma-separated, as ARI reads it
        params.append(entry)
    if params:
        out["parameters"] = params
    if whole_body is not None or body_props:
        schema = whole_body or {"type": "object", "properties": body_props}
        if body_required:
            schema["required"] = body_required
        out["requestBody"] = {"required": bool(body_required),
                              "content": {"application/json": {"schema": schema}}}
    responses: dict[str, Any] = {}
    if op.response_class == "void":
        responses["204"] = {"description": "No content"}
    elif op.response_class == "binary":
        responses["200"] = {"description": "OK",
                            "content": {"application/octet-stream": {"schema": _SCALARS["binary"]}}}
    else:
        responses["200"] = {"description": "OK", "content": {
            "application/json": {"schema": schema_for(op.response_class, models)}}}
    for e in op.error_responses:
        responses[str(e.code)] = {"description": e.reason or "Error"}
    out["responses"] = responses
    return out


def _model_schema(m: Model, models: dict[str, Model]) -> dict[str, Any]:
    props = {}
    required = []
    for p in m.properties:
        schema = schema_for(p.type, models)
        if p.allowable is not None and p.allowable.values is not None and "$ref" not in schema:
            schema["enum"] = list(p.allowable.values)
        if p.description and "$ref" not in schema:
            schema["description"] = p.description
        props[p.name] = schema
        if p.required:
            required.append(p.name)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if m.description:
        out["description"] = m.description
    return out


def to_openapi(spec: Spec, server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in spec.operations.values():
        if op.upgrade:  # the events WebSocket is not an HTTP operation OpenAPI can describe
            continue
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, spec.models)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Asterisk REST Interface", "version": spec.api_version or "unknown"},
        "servers": [{"url": server_url}],
        "components": {
            "schemas": {mid: _model_schema(m, spec.models) for mid, m in spec.models.items()},
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
        "security": [{"basic": []}],
        "paths": paths,
    }
