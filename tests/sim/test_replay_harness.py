"""The conformance comparison must notice deviations, or its green means nothing."""

from __future__ import annotations

import copy

from conftest import load_scenario

from ._replay import compare_events, compare_responses, replay


async def test_comparison_notices_a_missing_field_a_reordering_and_a_wrong_status(traces_dir):
    run = await replay(load_scenario(traces_dir, "a_originate"))
    assert compare_events(run) == [] and compare_responses(run) == []

    broken = copy.deepcopy(run)
    stasis = next(e for e in broken.sim_events["ws"] if e["type"] == "StasisStart")
    del stasis["channel"]["language"]
    problems = compare_events(broken)
    assert any("fields differ" in p and "channel.language" in p for p in problems), problems

    broken = copy.deepcopy(run)
    events = broken.sim_events["ws"]
    i = next(i for i, e in enumerate(events) if e["type"] == "StasisEnd")
    events[i], events[i + 1] = events[i + 1], events[i]  # ChannelVarset SUCCESS before StasisEnd
    assert any("event order differs" in p for p in compare_events(broken))

    broken = copy.deepcopy(run)
    broken.exchanges[0].status = 201
    assert any("status 201" in p for p in compare_responses(broken))
