"""Analysis frames: calls, bridges, DTMF, playbacks, recordings, summary — drawn and real scenarios."""

from __future__ import annotations

import random

import pandas as pd
import pandas.testing as pdt

from ari_notebook.events import EventLog
from ari_notebook.events.analysis import DELTA
from ari_notebook.events.frames import STR, TIME

from .conftest import at, log_from_timeline, parse_timeline

# Alice calls in; the app answers her, plays a prompt, dials Bob into a bridge; Alice presses
# 1 2 #; Bob hangs up from his phone; the app then hangs Alice up.
BRIDGED = """
# t(s)   type                  channel state fields
0.000    ChannelCreated        alice   Ring  caller=100
0.100    StasisStart           alice   Ring  caller=100 args=support
2.000    ChannelStateChange    alice   Up    caller=100
2.100    PlaybackStarted       -       -     playback=p1 pstate=playing target=channel:alice
4.000    PlaybackFinished      -       -     playback=p1 pstate=done target=channel:alice
3.000    ChannelCreated        bob     Down  exten=2000
3.001    Dial                  bob     Down  exten=2000 peer=bob dialstatus=
3.500    Dial                  bob     Ring  exten=2000 peer=bob dialstatus=RINGING
5.000    ChannelStateChange    bob     Up    exten=2000
5.000    Dial                  bob     Up    exten=2000 peer=bob dialstatus=ANSWER
5.001    StasisStart           bob     Up    exten=2000
5.100    ChannelEnteredBridge  alice   Up    caller=100 bridge=b1
5.100    ChannelEnteredBridge  bob     Up    exten=2000 bridge=b1
6.000    ChannelDtmfReceived   alice   Up    caller=100 digit=1 duration_ms=100
6.400    ChannelDtmfReceived   alice   Up    caller=100 digit=2 duration_ms=90
7.000    ChannelDtmfReceived   alice   Up    caller=100 digit=# duration_ms=110
20.000   ChannelHangupRequest  bob     Up    exten=2000 cause=16
20.000   ChannelLeftBridge     bob     Up    exten=2000 bridge=b1
20.001   StasisEnd             bob     Up    exten=2000
20.010   ChannelDestroyed      bob     Up    exten=2000 cause=16 cause_txt=Normal_Clearing
20.500   ChannelHangupRequest  alice   Up    caller=100 cause=32 soft=true
20.500   ChannelLeftBridge     alice   Up    caller=100 bridge=b1
20.501   StasisEnd             alice   Up    caller=100
20.502   ChannelDestroyed      alice   Up    caller=100 cause=16 cause_txt=Normal_Clearing
"""

# An outbound call that rings out: nobody answers, Asterisk gives up after 30 s.
RING_OUT = """
0.000    ChannelCreated        carol   Down  exten=3000
0.001    Dial                  carol   Down  exten=3000 peer=carol dialstatus=
0.500    Dial                  carol   Ring  exten=3000 peer=carol dialstatus=RINGING
30.000   Dial                  carol   Ring  exten=3000 peer=carol dialstatus=NOANSWER
30.001   ChannelDestroyed      carol   Ring  exten=3000 cause=19 cause_txt=No_Answer
"""


def _td(seconds):
    return pd.Timedelta(seconds=seconds) if seconds is not None else pd.NaT


def _expected_calls(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in ("created", "answered", "stasis_start", "stasis_end", "hangup_request", "ended"):
        df[col] = pd.Series([at(v) if v is not None else pd.NaT for v in df[col]], dtype=TIME)
    for col in ("ring_time", "talk_time", "duration", "bridged_time"):
        df[col] = pd.Series([_td(v) for v in df[col]], dtype=DELTA)
    for col in ("cause", "request_cause"):
        df[col] = df[col].astype("Int64")
    for col in ("channel_id", "channel_name", "application", "caller_number", "caller_name", "context",
                "exten", "cause_txt", "hangup_by", "dialstatus"):
        df[col] = df[col].astype(STR)
    df["events"] = df["events"].astype("int64")
    return df


def test_calls_of_a_bridged_call_are_what_a_cdr_user_expects():
    calls = log_from_timeline(BRIDGED).calls()
    expected = _expected_calls([
        dict(channel_id="alice", channel_name="PJSIP/alice-00000001", application="hello",
             caller_number="100", caller_name="100", context="ARI-test", exten="1000",
             created=0.0, answered=2.0, stasis_start=0.1, stasis_end=20.501, hangup_request=20.5,
             ended=20.502, ring_time=2.0, talk_time=18.502, duration=20.502, cause=16,
             cause_txt="Normal Clearing", hangup_by="app", request_cause=32, dialstatus=None,
             bridges=["b1"], bridged_time=15.4, args=["support"], events=11),
        dict(channel_id="bob", channel_name="PJSIP/bob-00000001", application="hello",
             caller_number="", caller_name="", context="ARI-test", exten="2000",
             created=3.0, answered=5.0, stasis_start=5.001, stasis_end=20.001, hangup_request=20.0,
             ended=20.01, ring_time=2.0, talk_time=15.01, duration=17.01, cause=16,
             cause_txt="Normal Clearing", hangup_by="channel", request_cause=16, dialstatus="ANSWER",
             bridges=["b1"], bridged_time=14.9, args=[], events=11),
    ])
    expected.loc[1, "args"] = None  # bob's StasisStart had no args field in the drawing
    pdt.assert_frame_equal(calls, expected[calls.columns.tolist()])


def test_a_call_nobody_answers_rings_until_it_ends():
    calls = log_from_timeline(RING_OUT).calls()
    row = calls.iloc[0]
    assert pd.isna(row["answered"]) and pd.isna(row["talk_time"])
    assert row["ring_time"] == pd.Timedelta(seconds=30.001) == row["duration"]
    assert row["cause"] == 19 and row["cause_txt"] == "No Answer"
    assert row["dialstatus"] == "NOANSWER"
    assert pd.isna(row["hangup_by"])  # no hangup request was seen: unknown, not guessed


def test_bridges_are_membership_intervals():
    got = log_from_timeline(BRIDGED).bridges()
    expected = pd.DataFrame({
        "bridge_id": pd.Series(["b1", "b1"], dtype=STR),
        "bridge_type": pd.Series(["mixing", "mixing"], dtype=STR),
        "bridge_class": pd.Series(["stasis", "stasis"], dtype=STR),
        "channel_id": pd.Series(["alice", "bob"], dtype=STR),
        "channel_name": pd.Series(["PJSIP/alice-00000001", "PJSIP/bob-00000001"], dtype=STR),
        "entered": pd.Series([at(5.1), at(5.1)], dtype=TIME),
        "left": pd.Series([at(20.5), at(20.0)], dtype=TIME),
        "duration": pd.Series([_td(15.4), _td(14.9)], dtype=DELTA),
    })
    pdt.assert_frame_equal(got, expected)


def test_a_stay_without_left_closes_when_the_channel_is_destroyed_or_stays_open():
    log = log_from_timeline("""
        0.0  ChannelEnteredBridge  a  Up  bridge=b1
        1.0  ChannelEnteredBridge  b  Up  bridge=b1
        4.0  ChannelDestroyed      a  Up  cause=16
    """)
    got = log.bridges()
    assert got["left"].tolist() == [at(4.0), pd.NaT]
    assert got["duration"].iloc[0] == pd.Timedelta(seconds=4)


def test_dtmf_per_channel_and_per_press():
    log = log_from_timeline(BRIDGED)
    per_channel = log.dtmf()
    expected = pd.DataFrame({
        "channel_id": pd.Series(["alice"], dtype=STR),
        "channel_name": pd.Series(["PJSIP/alice-00000001"], dtype=STR),
        "digits": pd.Series(["12#"], dtype=STR),
        "presses": pd.Series([3], dtype="int64"),
        "first": pd.Series([at(6.0)], dtype=TIME),
        "last": pd.Series([at(7.0)], dtype=TIME),
    })
    pdt.assert_frame_equal(per_channel, expected)
    presses = log.dtmf(per="digit")
    assert presses["digit"].tolist() == ["1", "2", "#"]
    assert presses["duration_ms"].tolist() == [100, 90, 110]
    assert presses["gap"].iloc[1:].tolist() == [pd.Timedelta(milliseconds=400), pd.Timedelta(milliseconds=600)]
    assert pd.isna(presses["gap"].iloc[0])


def test_out_of_order_arrival_gives_the_same_analysis():
    ordered = log_from_timeline(BRIDGED)
    events = parse_timeline(BRIDGED)
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    log = EventLog()
    for i, (ev, _recv) in enumerate(shuffled):
        log.append(ev, events[0][1] + i * 0.01)  # arrival order is the shuffled order
    assert not log.df["time"].is_monotonic_increasing  # the frame keeps arrival order
    pdt.assert_frame_equal(log.calls(), ordered.calls())
    pdt.assert_frame_equal(log.bridges(), ordered.bridges())
    pdt.assert_frame_equal(log.dtmf(), ordered.dtmf())
    pdt.assert_frame_equal(log.playbacks(), ordered.playbacks())


def test_the_same_message_seen_by_two_apps_counts_once():
    one = log_from_timeline(BRIDGED)
    both = EventLog()
    for ev, recv in parse_timeline(BRIDGED):
        both.append(ev, recv)
        both.append(dict(ev, application="watcher"), recv + 0.0001)
    pdt.assert_frame_equal(both.bridges(), one.bridges())
    pdt.assert_frame_equal(both.dtmf(), one.dtmf())
    pdt.assert_frame_equal(both.playbacks(), one.playbacks())
    cols = [c for c in one.calls().columns if c != "events"]
    pdt.assert_frame_equal(both.calls()[cols], one.calls()[cols])


def test_playbacks_and_recordings_from_a_drawing():
    log = log_from_timeline("""
        0.0  PlaybackStarted     -  -  playback=p1 pstate=playing target=bridge:b1 media=sound:hello
        1.0  PlaybackContinuing  -  -  playback=p1 pstate=continuing target=bridge:b1 media=sound:hello
        1.0  PlaybackStarted     -  -  playback=p1 pstate=playing target=bridge:b1 media=digits:12
        2.5  PlaybackFinished    -  -  playback=p1 pstate=done target=bridge:b1 media=digits:12
        3.0  RecordingStarted    -  -  rec=msg1 rstate=recording target=channel:alice
        5.9  RecordingFinished   -  -  rec=msg1 rstate=done target=channel:alice duration=2
    """)
    pb = log.playbacks().iloc[0]
    assert pb["target_type"] == "bridge" and pb["target_id"] == "b1"
    assert pb["media"] == ["sound:hello", "digits:12"] and pb["starts"] == 2
    assert pb["state"] == "done" and pb["duration"] == pd.Timedelta(seconds=2.5)
    rec = log.recordings()
    assert rec[["recording_name", "target_uri", "format", "state"]].iloc[0].tolist() == \
        ["msg1", "channel:alice", "wav", "done"]
    assert rec["started"].iloc[0] == at(3.0) and rec["finished"].iloc[0] == at(5.9)
    assert rec["duration"].iloc[0] == pd.Timedelta(seconds=2)


def test_summary_counts_calls_and_answer_rate():
    log = EventLog()
    for ev, recv in parse_timeline(BRIDGED) + parse_timeline(RING_OUT):
        log.append(ev, recv)
    s = log.summary()
    assert s.events == len(log) == 29
    assert s.calls == 3 and s.answered == 2 and abs(s.answer_rate - 2 / 3) < 1e-12
    assert s.counts["ChannelDestroyed"] == 3
    assert s.calls_per_minute.tolist() == [3]
    assert s.hangup_by.to_dict() == {"app": 1, "channel": 1}
    assert "3 calls" in repr(s) and "<table" in s._repr_html_()


# ------------------------------------------------------------------ the recorded real Asterisk
def test_real_bridge_scenario_gives_two_calls_with_the_right_bridge_stays(scenario_log):
    log = scenario_log("c_bridge")
    calls = log.calls()
    assert calls["channel_id"].tolist() == ["br-a", "br-b"]
    assert calls["bridges"].tolist() == [["6d40fc8e-80c4-4b55-99b4-b90f32967d4b", "hold-1"]] * 2
    assert calls["hangup_by"].tolist() == ["app", "app"]
    mixing = "6d40fc8e-80c4-4b55-99b4-b90f32967d4b"

    def t(s):
        return pd.Timestamp(f"2026-11-26T03:25:{s}", tz="UTC").as_unit("us")

    expected = pd.DataFrame({
        "bridge_id": pd.Series([mixing, mixing, mixing, "hold-1", "hold-1"], dtype=STR),
        "bridge_type": pd.Series(["mixing"] * 3 + ["holding"] * 2, dtype=STR),
        "bridge_class": pd.Series(["stasis"] * 5, dtype=STR),
        "channel_id": pd.Series(["br-a", "br-b", "br-a", "br-a", "br-b"], dtype=STR),
        "channel_name": pd.Series(["Local/3000@ARI-test-00000007;1", "Local/3000@ARI-test-00000008;1",
                                   "Local/3000@ARI-test-00000007;1", "Local/3000@ARI-test-00000007;1",
                                   "Local/3000@ARI-test-00000008;1"], dtype=STR),
        # br-a is added again while in the bridge (Asterisk: Left then Entered), then removed
        "entered": pd.Series([t("34.015"), t("34.015"), t("39.463"), t("41.275"), t("41.276")], dtype=TIME),
        "left": pd.Series([t("39.463"), t("40.069"), t("39.464"), t("42.686"), t("42.687")], dtype=TIME),
    })
    expected["duration"] = (expected["left"] - expected["entered"]).astype(DELTA)
    pdt.assert_frame_equal(log.bridges(), expected)
    # the watcher socket saw the same stays (fan-out duplicates collapse)
    both = scenario_log("c_bridge", ws=None)
    pdt.assert_frame_equal(both.bridges(), expected)


def test_real_originate_scenario_hangup_causes(scenario_log):
    calls = scenario_log("a_originate").calls().set_index("channel_id")
    assert list(calls.index) == ["1795663503.0", "1795663503.1", "mychan-a1", "mychan-o1",
                                 "mychan-c1", "mychan-h1"]
    # DELETE ?reason=busy shows in ChannelDestroyed as 17 "User busy"; the request itself is
    # the soft-hangup flag 32 whatever the reason
    assert calls["cause"].to_dict() == {"1795663503.0": 16, "1795663503.1": 16, "mychan-a1": 17,
                                        "mychan-o1": 16, "mychan-c1": 16, "mychan-h1": 17}
    assert calls.loc["mychan-a1", "cause_txt"] == "User busy"
    assert calls.loc["1795663503.0", "hangup_by"] == "app"
    # the ;2 half of Local/1000 entered Stasis too; the app hung up its partner, so its own first
    # hangup request is the non-soft 16 from the other half
    assert calls.loc["1795663503.1", "hangup_by"] == "channel"
    assert (calls["request_cause"].drop("1795663503.1") == 32).all()
    assert calls.loc["1795663503.0", "args"] == ["arg1", "arg2"]
    assert calls.loc["1795663503.0", "caller_name"] == "Alice"
    # created with /channels/create, dialled 0.6 s later: that is its ring time
    assert calls.loc["mychan-c1", "ring_time"] == pd.Timedelta(milliseconds=608)
    assert calls["answered"].notna().all() and calls["talk_time"].notna().all()
    every = scenario_log("a_originate").calls(all_channels=True)
    # plus the dialplan ;2 halves that never entered Stasis (mychan-c1 was created alone)
    assert set(every["channel_id"]) - set(calls.index) == {"mychan-a2", "mychan-o1;2", "mychan-h1;2"}


def test_real_playback_scenario(scenario_log):
    pb = scenario_log("b_playback").playbacks()
    assert len(pb) == 8
    assert pb["state"].tolist() == ["done", "done", "done", "done", "done", "failed", "playing", "failed"]
    assert pb["starts"].tolist() == [1, 2, 3, 1, 1, 1, 1, 1]  # unpause and the playlist restart
    assert pb.loc[2, "media"] == ["sound:hello-world", "digits:12", "number:7"]
    # bogus:thing never finishes (Asterisk sends no PlaybackFinished for an unsupported scheme)
    bogus = pb[pb["media_uri"] == "bogus:thing"].iloc[0]
    assert pd.isna(bogus["finished"]) and pd.isna(bogus["duration"])
    assert (pb["target_uri"] == "channel:pb-chan").all()


def test_real_load_scenario_fifty_calls(scenario_log):
    log = scenario_log("i_load")
    calls = log.calls()
    assert len(calls) == 50 and calls["answered"].notna().all() and calls["ended"].notna().all()
    assert set(calls["hangup_by"]) == {"app"}
    s = log.summary()
    assert s.events == 750 and s.calls == 50 and s.answer_rate == 1.0


def test_real_subscribe_all_scenario_has_dialplan_calls_too(scenario_log):
    calls = scenario_log("h2_subscribe_all", ws=None).calls()
    assert set(calls["channel_id"]) == {"all-1", "all-3"}
    dialplan_only = calls.set_index("channel_id").loc["all-1"]
    assert pd.isna(dialplan_only["stasis_start"]) and pd.notna(dialplan_only["ended"])
