"""Pure-Python model of ARI's Swagger api-docs: parse, validate arguments, render help,
render Swagger back (for the simulator) and export OpenAPI 3. Imports nothing else of ours
except the error tree.

Help rendering and Swagger rendering load on first use: a script that only makes calls needs
neither, and every module on the connect path is memory in every client process.
"""

import importlib

from .model import AllowableValues, ErrorResponse, Model, Operation, Parameter, Property, Resource, Spec
from .parse import parse_resource, parse_spec, resource_names
from .validate import PreparedRequest, prepare

_LAZY = {"help_text": "render", "signature": "render", "api_declaration": "swagger", "resource_listing": "swagger"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AllowableValues", "ErrorResponse", "Model", "Operation", "Parameter", "PreparedRequest",
    "Property", "Resource", "Spec", "api_declaration", "help_text", "parse_resource",
    "parse_spec", "prepare", "resource_listing", "resource_names", "signature",
]
