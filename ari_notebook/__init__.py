"""ari_notebook: a Jupyter workbench for the Asterisk REST Interface."""

from ._errors import (
    AriError, AriTimeout, BadRequest, ConfigurationError, Conflict, EventStreamError, Forbidden,
    HttpError, MethodNotAllowed, NotFound, PreconditionFailed, ServerError, SpecError,
    TransportError, Unauthorized, UnprocessableEntity, ValidationError,
)

from .client import Client
from .session import connect
from . import jupyter as _jupyter  # noqa: E402,F401  installs the kernel shim for client.run()


def __getattr__(name: str):
    # EventLog pulls in pandas/pyarrow (~90 MB RSS, ~0.5 s): load it on first use only, so a
    # script that only drives calls stays as light as aioari.
    if name == "EventLog":
        from .events import EventLog

        globals()["EventLog"] = EventLog
        return EventLog
    if name == "Simulator":  # the embedded ARI simulator (ari_notebook.sim), loaded on first use
        from .sim import Simulator

        globals()["Simulator"] = Simulator
        return Simulator
    raise AttributeError(f"module 'ari_notebook' has no attribute {name!r}")

__version__ = "0.1.0"

__all__ = [
    "AriError", "AriTimeout", "BadRequest", "Client", "ConfigurationError", "Conflict", "EventLog", "EventStreamError",
    "Forbidden", "HttpError", "MethodNotAllowed", "NotFound", "PreconditionFailed",
    "ServerError", "Simulator", "SpecError", "TransportError", "Unauthorized", "UnprocessableEntity",
    "ValidationError", "__version__", "connect",
]
