"""Conformance: replay `f_app_not_registered.jsonl` (real Asterisk 23.4.1) against the simulator and compare
responses and events (see `tests/sim/_replay.py` for exactly what is compared)."""

from __future__ import annotations

from conftest import load_scenario

from ._replay import compare_events, compare_responses, replay


async def test_f_app_not_registered_conforms(traces_dir):
    run = await replay(load_scenario(traces_dir, "f_app_not_registered"))
    assert compare_responses(run) == []
    assert compare_events(run) == []


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
