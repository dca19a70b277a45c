"""The embedded ARI simulator: an Asterisk 23 look-alike for notebooks, classrooms and tests.

::

    async with Simulator.start(port=0, clock_speed=50) as sim:   # or clock="manual" + sim.advance(s)
        ...  # point any ARI client at sim.url (user sim.username / sim.password)
        chan_id = await sim.call("PJSIP/alice", "1000")          # a phone calls the dialplan

Layout (see docs/architecture.md), three floors: ``backend/`` the telephony backend (state,
clock, event bus, channels, bridges, playback, recordings, dialplan, phones; no I/O); the ARI
resources as thin handlers (``routing``, ``api_models``, ``coverage`` and ``resources/``); and
``web/`` the web side (``web.server.Simulator``, ``http``, ``events_connection``, faults).
Imports only ``spec`` and ``_errors`` of ours.
"""

from __future__ import annotations

from typing import Any

from .backend.core import AriFailure, Asterisk, Clock, component
from .routing import ROUTES, Call, Reply, body, path, query
from . import resources  # noqa: F401,E402  (every resource module: its routes and @component state)

__all__ = ["AriFailure", "Asterisk", "Call", "Clock", "ROUTES", "Reply", "Simulator", "body", "component",
           "path", "query"]


def __getattr__(name: str) -> Any:  # Simulator pulls in aiohttp; load it only when asked for
    if name == "Simulator":
        from .web.server import Simulator

        return Simulator
    raise AttributeError(name)
