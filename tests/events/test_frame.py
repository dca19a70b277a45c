"""The tidy event frame: typed columns, missing values, unknown types, and the cheap live views."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pandas.testing as pdt
import pytest

from ari_notebook.events import COLUMNS, EventLog
from ari_notebook.events.frames import STR, TIME

from .conftest import AST_ID, EPOCH0, at, log_from_timeline, parse_timeline

CALL = """
# t(s)  type                  channel  state  fields
0.000   ChannelCreated        alice    Ring   caller=100
0.010   StasisStart           alice    Ring   caller=100 args=queue,7
1.000   ChannelStateChange    alice    Up     caller=100
1.500   ChannelDtmfReceived   alice    Up     caller=100 digit=4 duration_ms=120
2.000   ChannelVarset         alice    Up     caller=100 variable=FOO value=bar
3.000   ChannelHangupRequest  alice    Up     caller=100 cause=16
3.001   StasisEnd             alice    Up     caller=100
3.002   ChannelDestroyed      alice    Up     caller=100 cause=16 cause_txt=Normal_Clearing
"""


def test_every_column_is_there_with_its_dtype():
    df = log_from_timeline(CALL).df
    assert list(df.columns) == list(COLUMNS)
    assert df.index.name == "seq" and list(df.index) == list(range(8))
    assert isinstance(df["type"].dtype, pd.CategoricalDtype)
    assert df["time"].dtype == TIME and df["received_at"].dtype == TIME
    assert str(df["time"].dt.tz) == "UTC"
    for col in ("priority", "duration_ms", "cause"):
        assert df[col].dtype == "Int64"
    assert df["soft"].dtype == "boolean"
    assert isinstance(df["channel_id"].dtype, pd.CategoricalDtype)  # ids repeat: 4 bytes a row
    assert df["value"].dtype == STR


def test_rows_carry_the_fields_of_their_events_and_missing_values_elsewhere():
    df = log_from_timeline(CALL).df
    got = df[["time", "type", "channel_id", "channel_state", "caller_number", "digit", "duration_ms",
              "cause", "cause_txt", "variable", "value"]].reset_index(drop=True)
    for col in ("type", "channel_id", "channel_state", "caller_number", "digit", "cause_txt", "variable"):
        assert isinstance(got[col].dtype, pd.CategoricalDtype)
        got[col] = got[col].astype(STR)
    na = None
    expected = pd.DataFrame({
        "time": pd.Series([at(t) for t in (0, 0.01, 1, 1.5, 2, 3, 3.001, 3.002)], dtype=TIME),
        "type": ["ChannelCreated", "StasisStart", "ChannelStateChange", "ChannelDtmfReceived",
                 "ChannelVarset", "ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"],
        "channel_id": pd.Series(["alice"] * 8, dtype=STR),
        "channel_state": ["Ring", "Ring", "Up", "Up", "Up", "Up", "Up", "Up"],
        "caller_number": ["100"] * 8,
        "digit": [np.nan, np.nan, np.nan, "4", np.nan, np.nan, np.nan, np.nan],
        "duration_ms": pd.array([na, na, na, 120, na, na, na, na], dtype="Int64"),
        "cause": pd.array([na, na, na, na, na, 16, na, 16], dtype="Int64"),
        "cause_txt": [np.nan] * 7 + ["Normal Clearing"],
        "variable": [np.nan] * 4 + ["FOO"] + [np.nan] * 3,
        "value": pd.Series([na] * 4 + ["bar"] + [na] * 3, dtype=STR),
    })
    pdt.assert_frame_equal(got, expected)
    assert df["args"].iloc[1] == ["queue", "7"] and df["args"].iloc[0] is None
    assert df["received_at"].iloc[3] == pd.Timestamp(EPOCH0 + 1.5, unit="s", tz="UTC")
    assert df["channel_created"].iloc[7] == at(0)
    assert df["application"].astype(object).unique().tolist() == ["hello"]
    assert df["asterisk_id"].astype(object).unique().tolist() == [AST_ID]
    assert orjson.loads(df["raw"].iloc[3])["digit"] == "4"


def test_dial_rows_describe_the_peer():
    log = EventLog()
    peer = {"id": "bob", "name": "PJSIP/bob-1", "state": "Ring"}
    log.append({"type": "Dial", "timestamp": "2026-11-25T10:00:00.000+0000", "dialstatus": "RINGING",
                "peer": peer, "dialstring": "bob", "application": "hello"}, EPOCH0)
    row = log.df.iloc[0]
    assert row["channel_id"] == "bob" and row["peer_id"] == "bob" and row["dialstatus"] == "RINGING"
    assert pd.isna(row["bridge_id"]) and pd.isna(row["cause"])


def test_unknown_and_future_event_types_land_with_their_raw_json():
    log = EventLog()
    future = {"type": "ChannelQuantumLeap", "timestamp": "2026-11-25T10:00:00.500+0000",
              "application": "hello", "channel": {"id": "c1", "state": "Up", "flux": [1, 2]},
              "universe": {"id": 42, "nested": [{"a": None}]}, "cause": "not a number",
              "args": [{"odd": True}], "value": 7}
    log.append(future, EPOCH0)
    log.append({"no_type_at_all": True}, EPOCH0 + 1)
    df = log.df
    assert df["type"].astype(object).tolist() == ["ChannelQuantumLeap", np.nan]
    assert df["channel_id"].iloc[0] == "c1"
    assert pd.isna(df["cause"].iloc[0])  # a non-integer cause is missing, not an error
    assert df["value"].iloc[0] == "7"      # text columns show what was sent, as text
    assert orjson.loads(df["raw"].iloc[0]) == future
    assert orjson.loads(df["raw"].iloc[1]) == {"no_type_at_all": True}
    assert pd.isna(df["time"].iloc[1])
    assert log.counts() == {"ChannelQuantumLeap": 1, "None": 1}


def test_gap_marker_is_kept_as_an_event():
    log = EventLog()
    gap = {"type": "EventStreamGap", "application": "hello", "timestamp": "2026-11-25T10:00:05.000+0000",
           "disconnected_at": "2026-11-25T10:00:03.000+0000", "reconnected_at": "2026-11-25T10:00:05.000+0000",
           "reason": "closed by the server (code 1006)"}
    log.append(gap, EPOCH0 + 5)
    row = log.df.iloc[0]
    assert row["type"] == "EventStreamGap" and row["time"] == at(5)
    assert orjson.loads(row["raw"])["reason"].startswith("closed by the server")
    assert log.summary().gaps == 1


def test_an_empty_log_has_every_column():
    df = EventLog().df
    assert list(df.columns) == list(COLUMNS) and len(df) == 0


def test_frame_is_cached_until_the_log_changes():
    log = log_from_timeline(CALL)
    first = log.df
    assert log.df is first
    v = log.version
    log.append({"type": "StasisEnd", "timestamp": "2026-11-25T10:00:09.000+0000"}, EPOCH0 + 9)
    assert log.version == v + 1
    assert log.df is not first and len(log.df) == 9


def test_pause_resume_clear_and_version():
    log = log_from_timeline(CALL)
    v = log.version
    log.pause()
    assert log.paused
    for ev, recv in parse_timeline(CALL):
        log.append(ev, recv)
    assert len(log) == 8 and log.skipped == 8 and log.version > v
    log.resume()
    log.append({"type": "X"}, EPOCH0)
    assert len(log) == 9
    v = log.version
    log.clear()
    assert len(log) == 0 and log.version > v and log.counts() == {} and len(log.df) == 0


def test_tail_counts_and_indexing_are_cheap_views():
    log = log_from_timeline(CALL)
    assert [e["type"] for e in log.tail(2)] == ["StasisEnd", "ChannelDestroyed"]
    assert log.tail(0) == [] and len(log.tail(100)) == 8
    assert log[0]["type"] == "ChannelCreated" and log[-1]["type"] == "ChannelDestroyed"
    assert log.counts() == {"ChannelCreated": 1, "StasisStart": 1, "ChannelStateChange": 1,
                            "ChannelDtmfReceived": 1, "ChannelVarset": 1, "ChannelHangupRequest": 1,
                            "StasisEnd": 1, "ChannelDestroyed": 1}
    log.append({"type": "ChannelVarset", "channel": {"id": "x"}}, EPOCH0)
    assert log.counts()["ChannelVarset"] == 2  # incremental counting sees the new event


def test_newest_filters_scan_backwards():
    text = "\n".join(f"{i * 0.1:.3f}  ChannelVarset  c{i % 3}  Up  variable=V value={i}" for i in range(30))
    text += "\n3.100 ChannelEnteredBridge c1 Up bridge=b9\n3.200 StasisStart c2 Up app=other"
    log = log_from_timeline(text)
    got = log.newest(3, type="ChannelVarset", channel="c1")
    assert [e["value"] for e in got] == ["28", "25", "22"]  # newest first
    assert [e["type"] for e in log.newest(5, bridge="b9")] == ["ChannelEnteredBridge"]
    assert [e["channel"]["id"] for e in log.newest(5, app="other")] == ["c2"]
    assert len(log.newest(100, channel="PJSIP/c0-00000001")) == 10  # by name too
    assert log.newest(3, type="Nothing") == []
    assert [e["type"] for e in log.newest(2)] == ["StasisStart", "ChannelEnteredBridge"]


def test_newest_channel_filter_includes_dial_events_for_the_peer():
    log = EventLog()
    log.append({"type": "Dial", "caller": {"id": "alice"}, "peer": {"id": "bob"}, "dialstatus": ""}, EPOCH0)
    log.append({"type": "ChannelStateChange", "channel": {"id": "bob", "state": "Up"}}, EPOCH0 + 1)
    assert [e["type"] for e in log.newest(5, channel="bob")] == ["ChannelStateChange", "Dial"]


def test_log_attaches_to_a_client_tap_and_records_requests():
    from ari_notebook.events.dispatch import Dispatcher

    class FakeClient:
        def __init__(self):
            self.dispatcher = Dispatcher()
            self.request_listeners = []

        def add_listener(self, fn):
            return self.dispatcher.add_listener(fn)

        def add_request_listener(self, fn):
            self.request_listeners.append(fn)

            class H:
                def remove(h):
                    self.request_listeners.remove(fn)
            return H()

    client = FakeClient()
    log = EventLog(client)
    client.dispatcher.dispatch({"type": "StasisStart", "channel": {"id": "a"}}, EPOCH0)
    for fn in client.request_listeners:
        fn({"time": EPOCH0, "operation": "channels.answer", "method": "POST", "path": "/ari/channels/a/answer",
            "status": 204, "elapsed_ms": 1.5, "error": None})
    assert len(log) == 1 and log.df["received_at"].iloc[0] == pd.Timestamp(EPOCH0, unit="s", tz="UTC")
    req = log.requests
    assert req[["operation", "status"]].iloc[0].tolist() == ["channels.answer", 204]
    log.pause()
    client.dispatcher.dispatch({"type": "ChannelVarset"}, EPOCH0)
    assert len(log) == 1 and log.skipped == 1
    log.resume()
    client.dispatcher.dispatch({"type": "ChannelVarset"}, EPOCH0)
    assert len(log) == 2
    log.detach()
    client.dispatcher.dispatch({"type": "StasisEnd"}, EPOCH0)
    assert len(log) == 2 and client.request_listeners == []


def test_a_bounded_log_attached_to_a_client_spills(tmp_path):
    from ari_notebook.events.dispatch import Dispatcher

    dispatcher = Dispatcher()
    log = EventLog(dispatcher, max_events=10, spill_path=tmp_path / "spill.jsonl")
    for i in range(25):
        dispatcher.dispatch({"type": "ChannelVarset", "value": str(i)}, EPOCH0 + i)
    assert len(log) <= 10 and log.spilled + len(log) == 25
    assert log.to_dataframe(include_spilled=True)["value"].tolist() == [str(i) for i in range(25)]


def test_attaching_to_something_without_a_tap_names_the_problem():
    from ari_notebook import ConfigurationError

    with pytest.raises(ConfigurationError, match="add_listener"):
        EventLog(object())
