"""ari_notebook: a Jupyter workbench for the Asterisk REST Interface.

``client = await ari_notebook.connect()`` talks to ``ARI_URL`` or, with none configured, to an
embedded simulator. Heavy parts load on first use, so a script that only drives calls stays as
light as aioari: ``EventLog`` (pandas, pyarrow), ``Simulator`` and the ``widgets`` subpackage
(ipywidgets).
"""

import importlib
import sys

from ._errors import (
    AriError, AriTimeout, BadRequest, ConfigurationError, Conflict, EventStreamError, Forbidden,
    HttpError, MediaFailed, MethodNotAllowed, NotFound, PlaybackFailed, PreconditionFailed,
    RecordingFailed, ServerError, SpecError, TransportError, Unauthorized, UnprocessableEntity,
    ValidationError,
)
from .client import Client
from .client.tidy import tidy
from .session import connect, connect_fleet


def _kernel_hook(client: Client) -> None:
    """In a Jupyter kernel, hand the client to ``jupyter.py`` (the event log from the first event,
    aioari's ``run_until_complete(client.run())``); a script never loads that module."""
    if "IPython" in sys.modules:
        from .jupyter import kernel_run_hook

        kernel_run_hook(client)


Client.run_hook = staticmethod(_kernel_hook)

__version__ = "0.1.0"

_LAZY = {"EventLog": ("ari_notebook.events", "EventLog"), "Fleet": ("ari_notebook.client.fleet", "Fleet"),
         "Simulator": ("ari_notebook.sim", "Simulator")}
_LAZY_MODULES = ("events", "sim", "widgets", "doctor")


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'ari_notebook' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


__all__ = [
    "AriError", "AriTimeout", "BadRequest", "Client", "ConfigurationError", "Conflict", "EventLog",
    "EventStreamError", "Fleet", "Forbidden", "HttpError", "MediaFailed", "MethodNotAllowed", "NotFound",
    "PlaybackFailed", "PreconditionFailed", "RecordingFailed", "ServerError", "Simulator", "SpecError",
    "TransportError", "Unauthorized", "UnprocessableEntity", "ValidationError", "__version__", "connect",
    "connect_fleet", "tidy",
]
