"""Conformance: replay `b_playback.jsonl` (real Asterisk 23.4.1) against the simulator and compare
responses and events (see `tests/sim/_replay.py` for exactly what is compared)."""

from __future__ import annotations

from conftest import load_scenario

from ._replay import compare_events, compare_responses, replay


async def test_b_playback_conforms(traces_dir):
    run = await replay(load_scenario(traces_dir, "b_playback"))
    assert compare_responses(run) == []
    assert compare_events(run) == []
