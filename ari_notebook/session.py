"""``connect()``: the one call a notebook makes, to a real Asterisk or to the embedded simulator.

This module sits above the package doors (it may import both ``client`` and ``sim``), because it
is the only place that decides *which* server a session talks to:

1. an explicit ``url`` argument;
2. otherwise ``ARI_URL`` (with ``ARI_USERNAME`` / ``ARI_PASSWORD``) from the environment;
3. otherwise a fresh embedded simulator on a free loopback port, stopped when the client closes.

``connect_fleet()`` is the same decision for several servers at once (see ``client.fleet``).
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

    return await _simulated_client(simulator_options, options)


def simulator_entity_id(n: int) -> str:
    """The entity id of a fleet's n-th simulator: 02:fc:00:00:01:01, :02, ... (the locally
    administered range the single simulator's 02:fc:00:00:00:01 comes from)."""
    return f"02:fc:00:00:01:{n:02x}"


async def connect_fleet(servers: Any = 3, *, apps: Any = None, subscribe_all: bool = False,
                        simulator: dict | None = None, **options: Any):
    """Connect to several ARI servers at once; returns a ``Fleet`` (``fleet["pbx-a"]`` is a Client).

    ``servers`` maps a name you choose to where that server is::

        await connect_fleet({
            "pbx-a": {"url": "http://10.0.0.5:8088", "username": "ari", "password": pw_a},
            "pbx-b": "https://ari:secret@pbx-b.example:8089",    # credentials in the URL
            "lab": {"simulator": {"clock_speed": 20}},           # an embedded simulator
            "lab2": None,                                        # another one, defaults
        }, apps="hello")

    An int ``n`` means ``n`` embedded simulators named ``sim-1`` ... ``sim-n``. ``simulator=``
    gives options for every simulator (a server's own ``{"simulator": ...}`` adds to them,
    e.g. ``{"clock_speed": 20}``). Each simulator gets its own entity id (unless its options
    give ``entity_id``), as real servers have, so every event says where it came from.
    A mapping's other keys go to ``Client.connect``, as do ``options`` (for every server).
    Credentials stay in each server's client. Servers connect concurrently; if one fails, the
    others are closed and its error is raised with a note naming it. ``apps=`` starts every
    events reader too, and waits until all connected.
    """
    import asyncio

    from .client import Client
    from .client.fleet import Fleet, _note_server

    if isinstance(servers, int) and not isinstance(servers, bool):
        if servers < 1:
            raise ConfigurationError(f"a fleet needs at least one server, got {servers}")
        servers = {f"sim-{i}": None for i in range(1, servers + 1)}
    if not isinstance(servers, dict) or not servers:
        raise ConfigurationError("connect_fleet takes {name: url | {url, username, password, ...} | "
                                 "{'simulator': {...}} | None} or a number of simulators")
    names = list(servers)
    sim_count = 0
    plans = []
    for name in names:
        where = servers[name]
        if where is None or (isinstance(where, dict) and "simulator" in where):
            sim_count += 1
            sim_options = {**(simulator or {}), **((where or {}).get("simulator") or {})}
            sim_options.setdefault("entity_id", simulator_entity_id(sim_count))
            plans.append(_simulated_client(sim_options, options))
        elif isinstance(where, str):
            plans.append(Client.connect(where, **options))
        elif isinstance(where, dict):
            spec = dict(where)
            url = spec.pop("url", None)
            if not url:
                raise ConfigurationError(f"fleet server {name!r}: no 'url' (or 'simulator') given")
            plans.append(Client.connect(url, **{**options, **spec}))
        else:
            raise ConfigurationError(f"fleet server {name!r}: expected a URL, a mapping or None, "
                                     f"got {type(where).__name__}")
    results = await asyncio.gather(*plans, return_exceptions=True)
    clients = {n: r for n, r in zip(names, results) if not isinstance(r, BaseException)}
    failure = next(((n, r) for n, r in zip(names, results) if isinstance(r, BaseException)), None)
    fleet = None
    try:
        if failure is None:
            fleet = await Fleet.from_clients(clients)
            if apps is not None:
                await fleet.start(apps=apps, subscribe_all=subscribe_all)
    except BaseException:
        await asyncio.gather(*(c.close() for c in clients.values()), return_exceptions=True)
        raise
    if failure is not None:
        await asyncio.gather(*(c.close() for c in clients.values()), return_exceptions=True)
        name, exc = failure
        _note_server(exc, name)
        raise exc
    return fleet


async def _simulated_client(sim_options: dict, options: dict):
    """A client of a fresh embedded simulator on a free loopback port, stopped when it closes."""
    from .client import Client
    from .sim import Simulator

    sim = await Simulator.start(port=0, **sim_options)
    try:
        client = await Client.connect(sim.url, sim.username, sim.password, **options)
    except BaseException:
        await sim.stop()
        raise
    client.simulator = sim
    client.add_cleanup(sim.stop)
    return client
