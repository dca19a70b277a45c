"""A simulator (fast clock) and a client with short backoff/heartbeat, plus the leak checks every
fault test ends with: no task, socket or loop-level exception left behind after ``close()``."""

from __future__ import annotations

import asyncio
import os

import psutil
import pytest
from _asyncwait import until  # noqa: F401  (re-exported for the tests here)

from ari_notebook.client import Client
from ari_notebook.sim import Simulator

FAST = dict(reconnect_base=0.02, reconnect_max=0.1, heartbeat=0.3)


@pytest.fixture
async def sim():
    s = await Simulator.start(port=0, clock_speed=50.0)
    try:
        yield s
    finally:
        await s.stop()


@pytest.fixture
async def loop_errors():
    """Everything that reaches the loop's exception handler (an exception escaping a task)."""
    loop = asyncio.get_running_loop()
    seen: list[dict] = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: seen.append(ctx))
    yield seen
    loop.set_exception_handler(old)


class Watch:
    """Connection states the client went through, and the checks made after close()."""

    def __init__(self, client: Client) -> None:
        self.states: list[str] = [client.connection_state]
        original = client.hub.set_state

        def record(state: str) -> None:
            original(state)
            if self.states[-1] != client.connection_state:
                self.states.append(client.connection_state)

        client.hub.set_state = record
        if client.hub.socket is not None:
            client.hub.socket._on_state = record


def client_sockets(port: int) -> list:
    """This process's TCP connections to ``port`` (the client side of each)."""
    return [c for c in psutil.Process(os.getpid()).net_connections(kind="tcp")
            if c.raddr and c.raddr.port == port and c.status != psutil.CONN_CLOSE]


async def connect(sim: Simulator, apps: str | None = "hello", **options) -> tuple[Client, Watch]:
    settings = {**FAST, **options}
    client = await Client.connect(sim.url, sim.username, sim.password, **settings)
    client.log  # the EventLog attaches on first use: before the stream starts, so it sees everything
    if apps is not None:
        await client.start(apps=apps)
    return client, Watch(client)  # states from here on: "connected", ...


async def close_and_check(client: Client, sim: Simulator, tasks_before: set, loop_errors: list) -> None:
    """close() leaves no task of ours, no client socket, no exception for the loop's handler."""
    await client.close()
    assert client.connection_state == "closed"
    await asyncio.sleep(0.05)  # let cancelled callbacks and transports finish closing
    leftover = {t for t in asyncio.all_tasks() - tasks_before if not t.done()}
    leftover.discard(asyncio.current_task())
    # the simulator's own server-side tasks end when the sockets close; allow them a moment
    await until(lambda: not [t for t in leftover if not t.done()], 2.0)
    assert client_sockets(sim.port) == []
    assert loop_errors == [], loop_errors
