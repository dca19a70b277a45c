"""ari_notebook: a Jupyter workbench for the Asterisk REST Interface."""

from ._errors import (
    AriError, AriTimeout, BadRequest, ConfigurationError, Conflict, EventStreamError, Forbidden,
    HttpError, MethodNotAllowed, NotFound, PreconditionFailed, ServerError, SpecError,
    TransportError, Unauthorized, UnprocessableEntity, ValidationError,
)

from .client import Client
from .events import EventLog
from .session import connect
from . import jupyter as _jupyter  # noqa: E402,F401  installs the kernel shim for client.run()

__version__ = "0.1.0"

__all__ = [
    "AriError", "AriTimeout", "BadRequest", "Client", "ConfigurationError", "Conflict", "EventLog", "EventStreamError",
    "Forbidden", "HttpError", "MethodNotAllowed", "NotFound", "PreconditionFailed",
    "ServerError", "SpecError", "TransportError", "Unauthorized", "UnprocessableEntity",
    "ValidationError", "__version__", "connect",
]
