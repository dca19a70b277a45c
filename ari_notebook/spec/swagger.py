"""Render a Spec back into Swagger 1.x api-docs, the format ``/ari/api-docs`` serves.

The simulator builds its Spec from its own route table and serves it through this, so every
dynamic ARI client (ours, aioari, Swagger UI) can read it like a real Asterisk's.
"""

from __future__ import annotations

from typing import Any

from .model import AllowableValues, Model, Operation, Parameter, Resource, Spec


def resource_listing(spec: Spec, base_path: str, descriptions: dict[str, str] | None = None) -> dict[str, Any]:
    """``resources.json``: one entry per resource family."""
    descriptions = descriptions or {}
    return {
        "apiVersion": spec.api_version,
        "swaggerVersion": spec.swagger_version,
        "basePath": base_path,
        "apis": [
            {"path": f"/api-docs/{name}.{{format}}",
             "description": descriptions.get(name, r.description or f"{name} resources")}
            for name, r in spec.resources.items()
        ],
    }


def api_declaration(resource: Resource, base_path: str) -> dict[str, Any]:
    """``<resource>.json``: the operations grouped by path, then the models."""
    by_path: dict[str, list[Operation]] = {}
    for op in resource.operations:
        by_path.setdefault(op.path, []).append(op)
    described = dict(resource.path_descriptions)
    doc: dict[str, Any] = {
        "apiVersion": resource.api_version,
        "swaggerVersion": resource.swagger_version,
        "basePath": base_path,
        "resourcePath": f"/api-docs/{resource.name}.{{format}}",
    }
    if resource.since:
        doc["since"] = list(resource.since)
    if resource.requires_modules:
        doc["requiresModules"] = list(resource.requires_modules)
    doc["apis"] = [
        {"path": path, "description": described.get(path, ""), "operations": [_operation(op) for op in ops]}
        for path, ops in by_path.items()
    ]
    doc["models"] = {m.id: _model(m) for m in resource.models}
    return doc


def _allowable(a: AllowableValues | None) -> dict[str, Any] | None:
    if a is None:
        return None
    if a.values is not None:
        return {"valueType": "LIST", "values": list(a.values)}
    out: dict[str, Any] = {"valueType": "RANGE"}
    if a.minimum is not None:
        out["min"] = a.minimum
    if a.maximum is not None:
        out["max"] = a.maximum
    return out


def _parameter(p: Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": p.name, "description": p.description, "paramType": p.param_type,
        "required": p.required, "allowMultiple": p.allow_multiple, "dataType": p.data_type,
    }
    if p.default is not None:
        out["defaultValue"] = p.default
    allowable = _allowable(p.allowable)
    if allowable:
        out["allowableValues"] = allowable
    return out


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"httpMethod": op.method}
    if op.since:
        out["since"] = list(op.since)
    if op.upgrade:
        out["upgrade"] = op.upgrade
        out["websocketProtocol"] = "ari"
    out["summary"] = op.summary
    if op.notes:
        out["notes"] = op.notes
    out["nickname"] = op.nickname
    out["responseClass"] = op.response_class
    if op.parameters:
        out["parameters"] = [_parameter(p) for p in op.parameters]
    if op.error_responses:
        out["errorResponses"] = [{"code": e.code, "reason": e.reason} for e in op.error_responses]
    return out


def _model(m: Model) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id}
    if m.description:
        out["description"] = m.description
    if m.discriminator:
        out["discriminator"] = m.discriminator
    props = {}
    for p in m.properties:
        prop: dict[str, Any] = {"type": p.type, "required": p.required}
        if p.description:
            prop["description"] = p.description
        allowable = _allowable(p.allowable)
        if allowable:
            prop["allowableValues"] = allowable
        props[p.name] = prop
    out["properties"] = props
    if m.subtypes:
        out["subTypes"] = list(m.subtypes)
    return out
