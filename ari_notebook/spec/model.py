"""The parsed shape of ARI's Swagger api-docs: plain, immutable data with no I/O.

A ``Spec`` holds ``Resource`` families (channels, bridges, ...), each holding ``Operation``
objects named by ARI's own nicknames, plus every ``Model`` the documents declare.

The classes are values (``Record``: equality and hash from their fields), treated as immutable.
They are plain slotted classes: building a few thousand of them is on every client's connect
path, and generated dataclass methods cost memory in every process (see ``_record.py``).
"""

from __future__ import annotations

from typing import Any

from .._record import Record

# Swagger 1.x primitive data types ARI uses, mapped to the Python types a caller may pass.
PRIMITIVE_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "int": (int,),
    "long": (int,),
    "double": (int, float),
    "float": (int, float),
    "boolean": (bool,),
    "containers": (dict,),
    "object": (dict,),
}


class AllowableValues(Record):
    """``allowableValues`` of a parameter or property: a LIST of values or a numeric RANGE."""

    __slots__ = ("values", "minimum", "maximum")

    def __init__(self, values: tuple[Any, ...] | None = None, minimum: float | None = None,
                 maximum: float | None = None) -> None:
        self.values = values
        self.minimum = minimum
        self.maximum = maximum

    def allows(self, value: Any) -> bool:
        if self.values is not None:
            return value in self.values
        if self.minimum is not None and value < self.minimum:
            return False
        if self.maximum is not None and value > self.maximum:
            return False
        return True

    def describe(self) -> str:
        if self.values is not None:
            return ", ".join(map(str, self.values))
        low = "" if self.minimum is None else f">= {self.minimum:g}"
        high = "" if self.maximum is None else f"<= {self.maximum:g}"
        return " and ".join(p for p in (low, high) if p)


class Parameter(Record):
    """One operation parameter: where it goes (path/query/body), its type and its limits."""

    __slots__ = ("name", "param_type", "data_type", "required", "allow_multiple", "default", "allowable",
                 "description")

    def __init__(self, name: str, param_type: str, data_type: str, required: bool = False,
                 allow_multiple: bool = False, default: Any = None, allowable: AllowableValues | None = None,
                 description: str = "") -> None:
        self.name = name
        self.param_type = param_type  # "path" | "query" | "body" | "header" | "form"
        self.data_type = data_type
        self.required = required
        self.allow_multiple = allow_multiple
        self.default = default
        self.allowable = allowable
        self.description = description


class ErrorResponse(Record):
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class Operation(Record):
    """One REST operation, e.g. ``channels.originate`` = POST /channels."""

    __slots__ = ("resource", "nickname", "method", "path", "summary", "notes", "parameters", "response_class",
                 "error_responses", "since", "upgrade")

    def __init__(self, resource: str, nickname: str, method: str, path: str, summary: str = "",
                 notes: str = "", parameters: tuple[Parameter, ...] = (), response_class: str = "void",
                 error_responses: tuple[ErrorResponse, ...] = (), since: tuple[str, ...] = (),
                 upgrade: str | None = None) -> None:
        self.resource = resource
        self.nickname = nickname
        self.method = method
        self.path = path
        self.summary = summary
        self.notes = notes
        self.parameters = parameters
        self.response_class = response_class
        self.error_responses = error_responses
        self.since = since
        self.upgrade = upgrade  # "websocket" for the events socket

    @property
    def name(self) -> str:
        """The qualified name, unique across resources (``play`` exists on channels and bridges)."""
        return f"{self.resource}.{self.nickname}"

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters if p.param_type == "path")

    def parameter(self, name: str) -> Parameter | None:
        for p in self.parameters:
            if p.name == name:
                return p
        return None


class Property(Record):
    __slots__ = ("name", "type", "required", "description", "allowable")

    def __init__(self, name: str, type: str, required: bool = False, description: str = "",
                 allowable: AllowableValues | None = None) -> None:
        self.name = name
        self.type = type
        self.required = required
        self.description = description
        self.allowable = allowable


class Model(Record):
    """A model (``Channel``, ``StasisStart``...) with its properties and inheritance links."""

    __slots__ = ("id", "description", "properties", "subtypes", "discriminator")

    def __init__(self, id: str, description: str = "", properties: tuple[Property, ...] = (),
                 subtypes: tuple[str, ...] = (), discriminator: str | None = None) -> None:
        self.id = id
        self.description = description
        self.properties = properties
        self.subtypes = subtypes
        self.discriminator = discriminator

    def property(self, name: str) -> Property | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None


class Resource(Record):
    """A resource family (``channels``) as one api declaration describes it."""

    __slots__ = ("name", "description", "operations", "models", "api_version", "swagger_version",
                 "requires_modules", "since", "path_descriptions")

    def __init__(self, name: str, description: str = "", operations: tuple[Operation, ...] = (),
                 models: tuple[Model, ...] = (), api_version: str = "", swagger_version: str = "1.1",
                 requires_modules: tuple[str, ...] = (), since: tuple[str, ...] = (),
                 path_descriptions: tuple[tuple[str, str], ...] = ()) -> None:
        self.name = name
        self.description = description
        self.operations = operations
        self.models = models
        self.api_version = api_version
        self.swagger_version = swagger_version
        self.requires_modules = requires_modules
        self.since = since
        # path -> description, in document order, so a rendered declaration groups like the original
        self.path_descriptions = path_descriptions

    def operation(self, nickname: str) -> Operation:
        for op in self.operations:
            if op.nickname == nickname:
                return op
        raise KeyError(f"{self.name}.{nickname}")


class Spec(Record):
    """Everything a server's api-docs say: resources, operations by qualified name, models."""

    __slots__ = ("resources", "api_version", "swagger_version", "operations", "models")

    def __init__(self, resources: dict[str, Resource], api_version: str = "", swagger_version: str = "1.1",
                 operations: dict[str, Operation] | None = None, models: dict[str, Model] | None = None) -> None:
        self.resources = resources
        self.api_version = api_version
        self.swagger_version = swagger_version
        self.operations = {} if operations is None else operations
        self.models = {} if models is None else models

    @classmethod
    def build(cls, resources: dict[str, Resource], api_version: str = "",
              swagger_version: str = "1.1") -> "Spec":
        operations = {op.name: op for r in resources.values() for op in r.operations}
        models: dict[str, Model] = {}
        for r in resources.values():
            for m in r.models:
                models.setdefault(m.id, m)
        return cls(resources=resources, api_version=api_version, swagger_version=swagger_version,
                   operations=operations, models=models)

    @property
    def event_types(self) -> tuple[str, ...]:
        """Every concrete event type the spec names (subtypes of ``Event``), sorted."""
        event = self.models.get("Event")
        return tuple(sorted(event.subtypes)) if event else ()

    def operation(self, name: str) -> Operation:
        try:
            return self.operations[name]
        except KeyError:
            raise KeyError(f"no operation {name!r}; known: {len(self.operations)} operations") from None

    def to_openapi(self, server_url: str = "http://localhost:8088/ari") -> dict[str, Any]:
        """The same API as an OpenAPI 3.0 document, for Swagger UI, schemathesis or codegen."""
        from .openapi import to_openapi

        return to_openapi(self, server_url)
