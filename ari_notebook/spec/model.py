"""The parsed shape of ARI's Swagger api-docs: plain, immutable data with no I/O.

A ``Spec`` holds ``Resource`` families (channels, bridges, ...), each holding ``Operation``
objects named by ARI's own nicknames, plus every ``Model`` the documents declare.

The classes are treated as immutable but are not ``frozen``: a frozen dataclass costs twice as
much to build, and building a few thousand of them is on every client's connect path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True, unsafe_hash=True)
class AllowableValues:
    """``allowableValues`` of a parameter or property: a LIST of values or a numeric RANGE."""

    values: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

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


@dataclass(slots=True, unsafe_hash=True)
class Parameter:
    """One operation parameter: where it goes (path/query/body), its type and its limits."""

    name: str
    param_type: str  # "path" | "query" | "body" | "header" | "form"
    data_type: str
    required: bool = False
    allow_multiple: bool = False
    default: Any = None
    allowable: AllowableValues | None = None
    description: str = ""


@dataclass(slots=True, unsafe_hash=True)
class ErrorResponse:
    code: int
    reason: str


@dataclass(slots=True, unsafe_hash=True)
class Operation:
    """One REST operation, e.g. ``channels.originate`` = POST /channels."""

    resource: str
    nickname: str
    method: str
    path: str
    summary: str = ""
    notes: str = ""
    parameters: tuple[Parameter, ...] = ()
    response_class: str = "void"
    error_responses: tuple[ErrorResponse, ...] = ()
    since: tuple[str, ...] = ()
    upgrade: str | None = None  # "websocket" for the events socket

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

    @property
    def is_read(self) -> bool:
        return self.method in ("GET", "HEAD", "OPTIONS")


@dataclass(slots=True, unsafe_hash=True)
class Property:
    name: str
    type: str
    required: bool = False
    description: str = ""
    allowable: AllowableValues | None = None


@dataclass(slots=True, unsafe_hash=True)
class Model:
    """A model (``Channel``, ``StasisStart``...) with its properties and inheritance links."""

    id: str
    description: str = ""
    properties: tuple[Property, ...] = ()
    subtypes: tuple[str, ...] = ()
    discriminator: str | None = None

    def property(self, name: str) -> Property | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None


@dataclass(slots=True, unsafe_hash=True)
class Resource:
    """A resource family (``channels``) as one api declaration describes it."""

    name: str
    description: str = ""
    operations: tuple[Operation, ...] = ()
    models: tuple[Model, ...] = ()
    api_version: str = ""
    swagger_version: str = "1.1"
    requires_modules: tuple[str, ...] = ()
    since: tuple[str, ...] = ()
    # path -> description, in document order, so a rendered declaration groups like the original
    path_descriptions: tuple[tuple[str, str], ...] = ()

    def operation(self, nickname: str) -> Operation:
        for op in self.operations:
            if op.nickname == nickname:
                return op
        raise KeyError(f"{self.name}.{nickname}")


@dataclass(slots=True, unsafe_hash=True)
class Spec:
    """Everything a server's api-docs say: resources, operations by qualified name, models."""

    resources: dict[str, Resource]
    api_version: str = ""
    swagger_version: str = "1.1"
    operations: dict[str, Operation] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)

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
