"""Conformance with a real Asterisk 23.4.1: every recorded scenario in ``../shared/ari-traces``
is replayed against the simulator, and every answer (status, error body, body shape, behaviour
headers), raw probe, WebSocket upgrade, RESTResponse and every socket's events (order per
object with details, field sets) must match. See ``_replay.py`` for exactly what is compared.

One parametrised test instead of a file per scenario: a new recording is one more line in
``SCENARIOS``. A scenario's options configure the simulator like the recorded machine; its
tolerances (defined in ``_replay.py``, each with its reason) are the only differences allowed.
``j_reconnect`` restarts the recorded Asterisk mid-scenario: the replayer restarts the simulator there.
"""

from __future__ import annotations

import pytest

from conftest import load_scenario

from ._replay import (API_DOCS_AUTHORSHIP, RACY_BRIDGE_PLAYBACK_END, compare_events, compare_responses, replay,
                      rest_pairs)

NO_PHONES = {"endpoints": []}  # the recorded machine had no PJSIP endpoints
# scenario -> (simulator options, tolerated differences; each Tolerance names its reason)
SCENARIOS = {
    "a_originate": ({}, ()),
    "b_playback": ({}, ()),
    "c_bridge": ({}, ()),
    "f_app_not_registered": ({}, ()),
    "g_errors": (NO_PHONES, ()),
    "h_resources": (NO_PHONES, ()),
    "h2_subscribe_all": ({}, ()),
    "i_load": ({}, ()),
    "j_reconnect": ({}, ()),
    "k_rest_over_ws": ({}, (API_DOCS_AUTHORSHIP,)),
    "l_bridge_peer_hangup": ({}, (RACY_BRIDGE_PLAYBACK_END,)),
    "m_event_filter": ({}, ()),
    "n_continue_dialplan": ({}, ()),
    "o_snoop_externalmedia": ({}, ()),
    "p_originate_variables": ({}, ()),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_scenario_matches_real_asterisk(traces_dir, scenario):
    records = load_scenario(traces_dir, scenario)
    options, tolerated = SCENARIOS[scenario]
    run = await replay(records, **options)
    assert compare_responses(run, tolerated) == []
    assert compare_events(run, tolerated) == []
    compared = len([ex for ex in run.exchanges if ex.trace is not None]) + len(run.raw)
    assert compared == sum(1 for r in records if r.get("kind") == "response")  # every answer was checked
    answers = sum(1 for r in records if r.get("kind") == "event" and r["event"].get("type") == "RESTResponse")
    assert len(rest_pairs(run)) == answers  # every RESTResponse was checked


async def test_tolerances_hide_only_what_they_name(traces_dir):
    """Without its tolerance, l's racy PlaybackFinished and k's authorship notes are reported."""
    run = await replay(load_scenario(traces_dir, "k_rest_over_ws"))
    assert any("RESTResponse 'docs': body shape differs" in p for p in compare_responses(run))
    run = await replay(load_scenario(traces_dir, "l_bridge_peer_hangup"))
    broken = [e for e in run.sim_events["ws"] if e["type"] != "PlaybackFinished"]
    run.sim_events["ws"] = broken
    assert any("PlaybackFinished" in p for p in compare_events(run))
    assert compare_events(run, (RACY_BRIDGE_PLAYBACK_END,)) == []


async def test_unregistered_app_logs_what_asterisk_23_logs(traces_dir):
    run = await replay(load_scenario(traces_dir, "f_app_not_registered"))
    texts = [text for _, _, text in run.log]
    for app in ("hello", "never_registered_app"):
        assert any(t.startswith("app_stasis.c: Local/") and t.endswith(f": Stasis app '{app}' doesn't exist")
                   for t in texts), texts
        assert any(t.startswith("ari/ari_websockets.c: Local/")
                   and t.endswith(f"Failed to find outbound websocket per-call config for app '{app}'")
                   for t in texts), texts
    # Asterisk 23 does not say "not registered" for this case
    assert not any("not registered" in t for t in texts)


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
