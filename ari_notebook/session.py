"""``connect()``: the one call a notebook makes, to a real Asterisk or to the embedded simulator.

This module sits above the package doors (it may import both ``client`` and ``sim``), because it
is the only place that decides *which* server a session talks to:

1. an explicit ``url`` argument;
2. otherwise ``ARI_URL`` (with ``ARI_USERNAME`` / ``ARI_PASSWORD``) from the environment;
3. otherwise a fresh embedded simulator on a free loopback port, stopped when the client closes.
"""

from __future__ import annotations

import os
from typing import Any

from ._errors import ConfigurationError


async def connect(url: str | None = None, username: str | None = None, password: str | None = None,
                  *, api_key: str | None = None, **options: Any):
    """Connect to ARI and load its api-docs; returns a ``Client`` (use with ``async with`` or close it).

    ``options`` go to ``Client.connect`` (``ssl=``, ``verify=``, ``transport=``...). With no server
    configured anywhere, an embedded simulator starts; its options can be passed as
    ``simulator={...}`` (e.g. ``{"clock_speed": 20}``).
    """
    from .client import Client

    simulator_options = options.pop("simulator", None) or {}
    url = url or os.environ.get("ARI_URL") or None
    if url is not None:
        if username is None and api_key is None:
            username = os.environ.get("ARI_USERNAME")
            password = os.environ.get("ARI_PASSWORD") if password is None else password
        if username is None and api_key is None:
            raise ConfigurationError(
                "no ARI credentials: pass username=/password= (or api_key='user:pass'), "
                "or set ARI_USERNAME and ARI_PASSWORD")
        return await Client.connect(url, username, password, api_key=api_key, **options)

    from .sim import Simulator

    sim = await Simulator.start(port=0, **simulator_options)
    try:
        client = await Client.connect(sim.url, sim.username, sim.password, **options)
    except BaseException:
        await sim.stop()
        raise
    client.simulator = sim
    client.add_cleanup(sim.stop)
    return client
