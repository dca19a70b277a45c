"""A simulator on 127.0.0.1 (ephemeral port) and a client connected to it, for widget tests."""

from __future__ import annotations

import pytest
from _asyncwait import until  # noqa: F401  (re-exported for the tests here)


@pytest.fixture
async def sim():
    try:
        from ari_notebook.sim import Simulator
    except (ImportError, AttributeError) as exc:  # the simulator is built in parallel
        pytest.skip(f"ari_notebook.sim.Simulator is not available yet: {exc}")
    from ari_notebook.sim.web.config import default_dialplan

    dialplan = default_dialplan()
    # an inbound call that reaches the app still ringing, so there is something to Answer
    dialplan["ARI-test"]["5000"] = [("Stasis", "hello"), ("Hangup", "")]
    s = await Simulator.start(port=0, clock_speed=50.0, dialplan=dialplan)
    try:
        yield s
    finally:
        await s.stop()


@pytest.fixture
async def client(sim):
    from ari_notebook.client import Client

    c = await Client.connect(sim.url, sim.username, sim.password)
    await c.start(apps="hello")
    try:
        yield c
    finally:
        await c.close()
