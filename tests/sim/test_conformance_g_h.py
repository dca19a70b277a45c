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
