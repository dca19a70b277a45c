"""The embedded ARI simulator: an Asterisk 23 look-alike for notebooks, classrooms and tests.

::

    async with Simulator.start(port=0, clock_speed=50) as sim:   # or clock="manual" + sim.advance(s)
        ...  # point any ARI client at sim.url (user sim.username / sim.password)
        chan_id = await sim.call("PJSIP/alice", "1000")          # a phone calls the dialplan

Layout: ``core`` (sans-I/O state, clock, event bus), ``routing`` (the route table the
api-docs are generated from), ``models`` (the api-docs models), ``objects`` (Channel/Bridge
shapes), ``telephony``/``phones``/``dialplan``/``bridging``/``playback`` (behaviour),
``resources/`` (one module per resource family), ``http`` (the thin aiohttp layer) and
``server.Simulator``. Imports only ``spec`` and ``_errors`` of ours.
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
