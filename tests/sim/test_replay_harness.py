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


async def test_comparison_notices_a_refused_upgrade_a_raw_status_a_header_and_dialplan_extras(traces_dir):
    run = await replay(load_scenario(traces_dir, "g_errors"), endpoints=[])
    assert compare_responses(run) == [] and compare_events(run) == []

    broken = copy.deepcopy(run)
    label = next(iter(broken.upgrades))
    broken.upgrades[label] = (403, broken.upgrades[label][1])
    assert any(p.startswith(f"ws {label}: upgrade answered 403") for p in compare_responses(broken))

    broken = copy.deepcopy(run)
    rec, _, want = broken.raw[0]
    broken.raw[0] = (rec, 200, want)
    assert any(p.startswith("raw ") and "status 200" in p for p in compare_responses(broken))

    broken = copy.deepcopy(run)
    ex = next(ex for ex in broken.exchanges if ex.status == 401)
    del ex.headers["WWW-Authenticate"]
    assert any("header WWW-Authenticate None" in p for p in compare_responses(broken))

    broken = copy.deepcopy(run)
    ex = next(ex for ex in broken.exchanges if ex.trace and ex.status >= 400 and isinstance(ex.body, dict))
    ex.body = {"message": ex.body["message"] + "!"}
    assert any("error body" in p for p in compare_responses(broken))


async def test_a_local_half_may_show_one_more_channel_dialplan_not_two(traces_dir):
    run = await replay(load_scenario(traces_dir, "a_originate"))
    events = run.sim_events["ws"]
    i, half2 = next((i, e) for i, e in enumerate(events)
                    if e["type"] == "ChannelDialplan" and e["channel"]["name"].endswith(";2"))
    once = copy.deepcopy(run)
    once.sim_events["ws"].insert(i, copy.deepcopy(half2))
    assert not any("more ChannelDialplan" in p for p in compare_events(once))
    twice = copy.deepcopy(once)
    twice.sim_events["ws"].insert(i, copy.deepcopy(half2))
    assert any("2 more ChannelDialplan than Asterisk" in p for p in compare_events(twice))
