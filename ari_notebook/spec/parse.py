"""Parse Swagger 1.1 / 1.2 api-docs (what ``/ari/api-docs/*.json`` serves) into a ``Spec``.

Pure: takes already-decoded JSON documents, so the client, the simulator and tests share it.
Any resource or operation a newer Asterisk adds is picked up with no per-version code.
"""

from __future__ import annotations

import sys
from typing import Any, Mapping

from .._errors import SpecError
from .model import AllowableValues, ErrorResponse, Model, Operation, Parameter, Property, Resource, Spec


def resource_names(listing: Mapping[str, Any]) -> list[str]:
    """Names of the api declarations a resource listing points at, in its order.

    ``{"path": "/api-docs/channels.{format}"}`` gives ``channels``.
    """
    try:
        apis = listing["apis"]
    except (KeyError, TypeError) as exc:
        raise SpecError("resource listing has no 'apis' list") from exc
    names = []
    for entry in apis:
        path = str(entry.get("path", ""))
        stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
        if not stem:
            raise SpecError(f"resource listing entry without a usable path: {entry!r}")
        names.append(stem)
    return names


def parse_spec(listing: Mapping[str, Any], declarations: Mapping[str, Mapping[str, Any]]) -> Spec:
    """Build a Spec from ``resources.json`` and ``{name: <name>.json}``."""
    resources = {}
    for name in resource_names(listing):
        if name not in declarations:
            raise SpecError(f"api declaration {name!r} listed in resources.json was not provided")
        resources[name] = parse_resource(name, declarations[name])
    return Spec.build(resources, api_version=str(listing.get("apiVersion", "")),
                      swagger_version=str(listing.get("swaggerVersion", "1.1")))


def parse_resource(name: str, doc: Mapping[str, Any]) -> Resource:
    operations: list[Operation] = []
    paths: list[tuple[str, str]] = []
    try:
        for api in doc.get("apis", []):
            path = api["path"]
            paths.append((path, api.get("description", "")))
            for raw in api.get("operations", []):
                operations.append(_operation(name, path, raw))
        models = tuple(_model(mid, raw) for mid, raw in (doc.get("models") or {}).items())
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"api declaration {name!r} is malformed: {exc!r}") from exc
    return Resource(
        name=name,
        description=str(doc.get("description", "")),
        operations=tuple(operations),
        models=models,
        api_version=str(doc.get("apiVersion", "")),
        swagger_version=str(doc.get("swaggerVersion", "1.1")),
        requires_modules=tuple(doc.get("requiresModules", ())),
        since=tuple(doc.get("since", ())),
        path_descriptions=tuple(paths),
    )


# Names, types and versions repeat across operations and documents; one shared copy of each
# keeps the parsed spec small (it lives as long as the client).
_name = sys.intern


def _allowable(raw: Mapping[str, Any] | None) -> AllowableValues | None:
    if not raw:
        return None
    kind = str(raw.get("valueType", "")).upper()
    if kind == "LIST":
        return AllowableValues(values=tuple(raw.get("values", ())))
    if kind == "RANGE":
        return AllowableValues(minimum=raw.get("min"), maximum=raw.get("max"))
    return None


def _parameter(p: Mapping[str, Any]) -> Parameter:
    get = p.get
    description = get("description")
    if description is None:  # one real Asterisk document misspells the key as "descriptioni"
        description = get("descriptioni", "")
    return Parameter(_name(p["name"]), _name(get("paramType", "query")), _name(get("dataType", "string")),
                     bool(get("required", False)), bool(get("allowMultiple", False)), get("defaultValue"),
                     _allowable(get("allowableValues")), description)


def _operation(resource: str, path: str, raw: Mapping[str, Any]) -> Operation:
    # positional construction: a connect builds a few thousand of these objects
    get = raw.get
    params = tuple(map(_parameter, get("parameters") or ()))
    errors = tuple(ErrorResponse(int(e["code"]), _name(str(e.get("reason", ""))))
                   for e in get("errorResponses") or ())
    return Operation(resource, _name(raw["nickname"]), raw["httpMethod"].upper(), _name(path),
                     get("summary", ""), get("notes", ""), params, _name(get("responseClass", "void")),
                     errors, tuple(map(_name, get("since", ()))), get("upgrade"))


def _model(model_id: str, raw: Mapping[str, Any]) -> Model:
    props = tuple(
        Property(_name(pname), _name(p.get("type", "string")), bool(p.get("required", False)),
                 p.get("description", ""), _allowable(p.get("allowableValues")))
        for pname, p in (raw.get("properties") or {}).items()
    )
    return Model(raw.get("id", model_id), raw.get("description", ""), props,
                 tuple(raw.get("subTypes", ())), raw.get("discriminator"))
