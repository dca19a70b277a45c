"""Conformance with a real Asterisk 23.4.1 for the g_errors and h_resources scenarios.

Every request of the recording is replayed against the simulator (configured like the
recorded machine: no PJSIP endpoints), and every answer's status, ``message``, body shape and
behaviour headers, every WebSocket upgrade result, and every socket's events (types in order
per object, field sets) must match. See ``replay.py`` for the rules.
"""

from __future__ import annotations

import pytest

from ari_notebook.sim import Simulator

from conftest import load_scenario
from .replay import Replay


@pytest.mark.parametrize("scenario", ["g_errors", "h_resources"])
async def test_scenario_matches_real_asterisk(traces_dir, scenario):
    records = load_scenario(traces_dir, scenario)
    async with Simulator.start(port=0, clock="manual", endpoints=[]) as sim:
        replay = Replay(records, sim)
        differences = await replay.run()
    assert differences == [], "\n".join(differences)
    compared = len(replay.responses) + sum(1 for r in records if r.get("kind") == "request" and "raw" in r)
    assert compared == sum(1 for r in records if r.get("kind") == "response")  # every answer was checked


async def test_the_replayer_notices_differences(traces_dir):
    """The comparison is not vacuous: a simulator configured unlike the trace machine (PJSIP
    phones, another allowed origin) is caught on exactly those answers."""
    records = load_scenario(traces_dir, "h_resources")
    async with Simulator.start(port=0, clock="manual", allowed_origins=["http://other.example"]) as sim:
        differences = await Replay(records, sim).run()
    assert any("GET /ari/endpoints " in d and "3 items, Asterisk 0" in d for d in differences)
    assert any("configClass 'res_pjsip' not found" in d for d in differences)
    records = load_scenario(traces_dir, "g_errors")
    async with Simulator.start(port=0, clock="manual", endpoints=[], allowed_origins=["http://other.example"]) as sim:
        differences = await Replay(records, sim).run()
    assert any("header Access-Control-Allow-Origin None, Asterisk 'http://localhost:8888'" in d for d in differences)
