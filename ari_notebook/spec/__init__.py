"""Pure-Python model of ARI's Swagger api-docs: parse, validate arguments, render help,
render Swagger back (for the simulator) and export OpenAPI 3. Imports nothing else of ours
except the error tree."""

from .model import AllowableValues, ErrorResponse, Model, Operation, Parameter, Property, Resource, Spec
from .parse import parse_resource, parse_spec, resource_names
from .render import help_text, signature
from .swagger import api_declaration, resource_listing
from .validate import PreparedRequest, prepare

__all__ = [
    "AllowableValues", "ErrorResponse", "Model", "Operation", "Parameter", "PreparedRequest",
    "Property", "Resource", "Spec", "api_declaration", "help_text", "parse_resource",
    "parse_spec", "prepare", "resource_listing", "resource_names", "signature",
]
