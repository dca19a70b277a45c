"""The embedded ARI simulator: an Asterisk 23 look-alike for notebooks, classrooms and tests.

``core`` holds the sans-I/O state and event bus, ``routing`` the route table the api-docs are
generated from, ``resources/`` one module per resource family, ``http`` the thin aiohttp layer
and ``server.Simulator`` the object users start. Imports only ``spec`` and ``_errors``.
"""

from __future__ import annotations

from typing import Any

from .core import AriFailure, Asterisk, Clock, component
from .routing import ROUTES, Call, Reply, body, path, query

__all__ = ["AriFailure", "Asterisk", "Call", "Clock", "ROUTES", "Reply", "Simulator", "body", "component",
           "path", "query"]


def __getattr__(name: str) -> Any:  # Simulator pulls in aiohttp; load it only when asked for
    if name == "Simulator":
        from .server import Simulator

        return Simulator
    raise AttributeError(name)
