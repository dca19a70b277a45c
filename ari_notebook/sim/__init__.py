"""The embedded ARI simulator: an Asterisk 23 look-alike for notebooks, classrooms and tests.

::

    async with Simulator.start(port=0, clock_speed=50) as sim:   # or clock="manual" + sim.advance(s)
        ...  # point any ARI client at sim.url (user sim.username / sim.password)
        chan_id = await sim.call("PJSIP/alice", "1000")          # a phone calls the dialplan

Layout (see docs/architecture.md): the telephony backend (``core`` state, clock and event
bus; ``objects`` the Channel/Bridge records; ``telephony``, ``bridging``, ``playback``,
``dialplan``, ``phones``, ``recordings``, ``media``, ``sounds``), the ARI resources as thin
handlers (``routing``, ``api_models``, ``resources/``), and the web side (``server.Simulator``,
``http``, ``events_connection``, ``responses``, ``faults``, ``load``, ``misconfig``). Imports
only ``spec`` and ``_errors`` of ours.
"""

from __future__ import annotations

from typing import Any

from .core import AriFailure, Asterisk, Clock, component
from .routing import ROUTES, Call, Reply, body, path, query
from . import resources  # noqa: F401,E402  (every resource module: its routes and @component state)

__all__ = ["AriFailure", "Asterisk", "Call", "Clock", "ROUTES", "Reply", "Simulator", "body", "component",
           "path", "query"]


def __getattr__(name: str) -> Any:  # Simulator pulls in aiohttp; load it only when asked for
    if name == "Simulator":
        from .server import Simulator

        return Simulator
    raise AttributeError(name)
