"""View-models of the live widgets, fed with the events of a few calls: made on the simulator, and
(with the traces) recorded from a real Asterisk 23 (``call_events`` in tests/conftest.py)."""

from __future__ import annotations

from ari_notebook.widgets.channel_model import ChannelState, enabled, state_html
from ari_notebook.widgets.dashboard_model import LiveObjects, bridge_html, channel_label
from ari_notebook.widgets.eventlog_model import (Filters, event_detail, event_objects, newest,
                                                 row_label, short_time)
from ari_notebook.widgets.phone import Handset, sound_words


def test_channel_state_follows_a_call(call_events):
    evs = call_events["originate"]
    start = next(e for e in evs if e["type"] == "StasisStart")
    cid = start["channel"]["id"]
    st = ChannelState.from_json(start["channel"])
    assert st.in_stasis and st.state == "Up"
    on = enabled(st)
    assert not on["answer"] and on["hangup"] and on["hold"] and not on["unhold"]
    assert on["addToBridge"] and not on["removeFromBridge"] and not on["stopPlayback"]
    for e in evs:
        st.apply(e)
    assert st.gone and not st.in_stasis
    assert all(not v for v in enabled(st).values())
    assert "STASISSTATUS" in st.variables
    html = state_html(st)
    assert "ari-state-gone" in html and cid in html


def test_channel_flags_without_events():
    st = ChannelState.from_json({"id": "c1", "state": "Ring", "dialplan": {"app_name": "Stasis"}})
    assert enabled(st)["answer"] and enabled(st)["ring"]
    st.after_action("ring")
    assert enabled(st)["ringStop"] and not enabled(st)["ring"]
    st.after_action("hold")
    st.after_action("mute", direction="in")
    assert enabled(st)["unhold"] and enabled(st)["unmute"] and "muted in" in state_html(st)
    outside = ChannelState.from_json({"id": "c2", "state": "Up", "dialplan": {"app_name": "Wait"}})
    assert not enabled(outside)["answer"] and enabled(outside)["hangup"]


def test_channel_playback_and_bridge(call_events):
    evs = call_events["playback"]
    started = next(e for e in evs if e["type"] == "PlaybackStarted")
    target = started["playback"]["target_uri"].split(":", 1)[1]
    st = ChannelState.from_json({"id": target, "state": "Up", "dialplan": {"app_name": "Stasis"}})
    st.apply(started)
    assert enabled(st)["stopPlayback"] and "hello-world" in state_html(st)
    br = call_events["bridge"]
    entered = next(e for e in br if e["type"] == "ChannelEnteredBridge")
    member = ChannelState.from_json(entered["channel"])
    member.apply(entered)
    assert member.bridge_id == entered["bridge"]["id"]
    assert enabled(member)["removeFromBridge"] and not enabled(member)["addToBridge"]


def test_eventlog_rows_and_filters(call_events):
    evs = call_events["originate"]
    row = row_label(evs[0])
    assert row.startswith(short_time(evs[0]["timestamp"])) and "ChannelCallerId" in row
    dial = next(e for e in evs if e["type"] == "Dial")
    assert "peer" in event_detail(dial)
    varset = next(e for e in evs if e["type"] == "ChannelVarset")
    assert event_detail(varset).startswith(varset["variable"] + "=")
    start = next(e for e in evs if e["type"] == "StasisStart")
    assert start["channel"]["id"] in event_objects(start)
    assert Filters(type="StasisStart").match(start) and not Filters(type="Dial").match(start)
    assert Filters(obj="Local/1000").match(start) and Filters(app="hello").match(start)
    assert not Filters(app="other").match(start)

    class Tail(list):  # the EventLog's tail/len contract, over a plain list
        def tail(self, n):
            return self[-n:] if n else []

    log = Tail(evs)
    rows, scanned = newest(log, 5, Filters())
    assert rows == list(reversed(evs[-5:])) and scanned == 5
    rows, _ = newest(log, 3, Filters(type="StasisStart"))
    assert [r["type"] for r in rows] == ["StasisStart"] * 3
    assert rows[0] is [e for e in evs if e["type"] == "StasisStart"][-1]


def test_dashboard_objects_from_events(call_events):
    evs = call_events["bridge"]
    objs = LiveObjects()
    seen_bridge = None
    for e in evs:
        objs.apply(e)
        if e["type"] == "ChannelEnteredBridge" and len(e["bridge"]["channels"]) == 2:
            seen_bridge = dict(objs.bridges[e["bridge"]["id"]])
            html = bridge_html(seen_bridge, objs.channels)
            assert all(c in html for c in e["bridge"]["channels"])
    assert seen_bridge is not None
    assert objs.channels == {}  # every channel of the scenario was destroyed
    objs.apply({"type": "EventStreamGap", "reason": "test"})
    assert objs.needs_resync and objs.gaps == 1
    objs.resync([{"id": "x", "name": "PJSIP/alice-1", "state": "Ring"}], [])
    assert not objs.needs_resync and "PJSIP/alice-1" in channel_label(objs.channels["x"])


def test_handset_hears_its_playbacks(call_events):
    evs = call_events["playback"]
    started = next(e for e in evs if e["type"] == "PlaybackStarted")
    cid = started["playback"]["target_uri"].split(":", 1)[1]
    h = Handset("PJSIP/alice")
    h.new_call(cid)
    assert h.apply(started)
    assert "hello world" in h.html()
    assert sound_words("digits:12") == "digits 1 2" and sound_words("tone:ring") == "tone ring"
