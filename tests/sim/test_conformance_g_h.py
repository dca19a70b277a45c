"""Conformance with a real Asterisk 23.4.1 for the g_errors and h_resources scenarios.

Every request of the recording is replayed against the simulator (configured like the
recorded machine: no PJSIP endpoints), and every answer's status, error body, body shape and
behaviour headers, every raw probe and WebSocket upgrade result, and every socket's events
(order per object with details, field sets) must match. See ``_replay.py`` for the rules.
"""

from __future__ import annotations

import pytest

from conftest import load_scenario

from ._replay import compare_events, compare_responses, replay


@pytest.mark.parametrize("scenario", ["g_errors", "h_resources"])
async def test_scenario_matches_real_asterisk(traces_dir, scenario):
    records = load_scenario(traces_dir, scenario)
    run = await replay(records, endpoints=[])
    assert compare_responses(run) == []
    assert compare_events(run) == []
    compared = len([ex for ex in run.exchanges if ex.trace is not None]) + len(run.raw)
    assert compared == sum(1 for r in records if r.get("kind") == "response")  # every answer was checked


async def test_the_replayer_notices_differences(traces_dir):
    """The comparison is not vacuous: a simulator configured unlike the trace machine (PJSIP
    phones, another allowed origin) is caught on exactly those answers."""
    records = load_scenario(traces_dir, "h_resources")
    differences = compare_responses(await replay(records, allowed_origins=["http://other.example"]))
    assert any("GET /ari/endpoints " in d and '["list", 3' in d and '["list", 0]' in d for d in differences), differences
    assert any("configClass 'res_pjsip' not found" in d for d in differences), differences
    records = load_scenario(traces_dir, "g_errors")
    differences = compare_responses(await replay(records, endpoints=[], allowed_origins=["http://other.example"]))
    assert any("header Access-Control-Allow-Origin None, Asterisk 'http://localhost:8888'" in d
               for d in differences), differences
