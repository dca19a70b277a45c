"""Storage: JSONL and Parquet round trips, plain event files, partitioned datasets, spilling."""

from __future__ import annotations

import json

import orjson
import pandas as pd
import pandas.testing as pdt
import pyarrow.dataset as pds
import pytest

from ari_notebook.events import EventLog

from .conftest import EPOCH0, log_from_timeline, parse_timeline
from .test_analysis import BRIDGED, RING_OUT


def _assert_same_log(a: EventLog, b: EventLog) -> None:
    pdt.assert_frame_equal(a.df, b.df)
    pdt.assert_frame_equal(a.calls(), b.calls())
    pdt.assert_frame_equal(a.bridges(), b.bridges())
    pdt.assert_frame_equal(a.requests, b.requests)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_save_load_gives_identical_frames(tmp_path, call_log, suffix):
    log = call_log("bridge", ws=None)
    log.append({"type": "SomethingNew", "weird": {"deep": [1, {"x": None}]}, "timestamp": "bad"}, EPOCH0)
    path = log.save(tmp_path / f"log{suffix}")
    back = EventLog.load(path)
    _assert_same_log(log, back)
    # every request of the call: 10 made by tests/_simcalls.py, 31 in the recorded c_bridge
    assert len(back.requests) == {"sim-calls": 10, "ast23-calls": 31}[call_log.source]


def test_jsonl_is_one_record_per_line_and_append_friendly(tmp_path):
    first = log_from_timeline(BRIDGED)
    second = log_from_timeline(RING_OUT)
    path = tmp_path / "day.jsonl"
    first.save(path)
    second.save(path, append=True)
    lines = path.read_text().splitlines()
    assert len(lines) == len(first) + len(second)
    rec = json.loads(lines[0])
    assert set(rec) == {"received_at", "event"} and rec["event"]["type"] == "ChannelCreated"
    both = EventLog.load(path)
    assert len(both) == len(first) + len(second)
    assert both.calls()["channel_id"].tolist() == ["alice", "carol", "bob"]  # by creation time


def test_load_reads_a_plain_file_of_raw_ari_events(tmp_path):
    events = [ev for ev, _ in parse_timeline(BRIDGED)]
    path = tmp_path / "raw.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n\n")  # json.dumps spacing, a blank line
    log = EventLog.load(path)
    assert len(log) == len(events)
    assert log.df["received_at"].isna().all()  # receive times are unknown in such a file
    assert [orjson.loads(r) for r in log.df["raw"]] == events
    pdt.assert_frame_equal(log.calls(), log_from_timeline(BRIDGED).calls())


def test_load_reads_a_recorded_trace_with_its_requests(traces_dir):
    log = EventLog.load(traces_dir / "scenarios" / "b_playback.jsonl")
    assert len(log) == 35
    req = log.requests
    assert len(req) > 0 and req["status"].notna().all()
    bad = req[req["status"] >= 400]
    assert "Playback not found" in set(bad["error"])


def test_load_names_a_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "StasisStart"}\nnot json\n')
    with pytest.raises(ValueError, match="line 2 is not JSON"):
        EventLog.load(path)
    path.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match="line 1 is neither an ARI event"):
        EventLog.load(path)
    with pytest.raises(FileNotFoundError):
        EventLog.load(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match=".jsonl or .parquet"):
        log_from_timeline(BRIDGED).save(tmp_path / "log.csv")


def test_partitioned_dataset_reads_back_everywhere(tmp_path, scenario_log):
    import duckdb

    root = tmp_path / "events"
    a = scenario_log("a_originate")
    b = scenario_log("c_bridge", ws=None)
    moved = EventLog()  # a second server on another day
    for ev, recv in parse_timeline(RING_OUT):
        moved.append(dict(ev, asterisk_id="aa:bb:cc:dd:ee:ff"), recv)
    for log in (a, b, moved):
        assert log.save_dataset(root)
    dirs = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*"))
    assert dirs == ["date=2026-11-25/asterisk_id=aa%3Abb%3Acc%3Add%3Aee%3Aff",
                    "date=2026-11-26/asterisk_id=02%3Afc%3A00%3A00%3A00%3A01"]
    total = len(a) + len(b) + len(moved)

    by_pandas = pd.read_parquet(root)
    assert len(by_pandas) == total
    assert by_pandas["asterisk_id"].astype(str).value_counts().to_dict() == {
        "02:fc:00:00:00:01": len(a) + len(b), "aa:bb:cc:dd:ee:ff": len(moved)}
    table = pds.dataset(root, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == total
    con = duckdb.connect()
    rows = con.execute(
        f"select asterisk_id, type, count(*) from read_parquet('{root}/**/*.parquet', hive_partitioning=true) "
        "group by all order by all").fetchall()
    expected = pd.concat([x.df for x in (a, b, moved)]).groupby(
        [pd.concat([x.df for x in (a, b, moved)])["asterisk_id"].astype(str),
         pd.concat([x.df for x in (a, b, moved)])["type"].astype(str)]).size()
    assert {(r[0], r[1]): r[2] for r in rows} == expected.to_dict()
    back = EventLog.load(root)
    assert len(back) == total
    assert back.calls()["channel_id"].nunique() == a.calls()["channel_id"].nunique() + 2 + 1


@pytest.mark.parametrize("spill_name", ["spill.jsonl", "spill.parquet"])
def test_max_events_spills_to_disk_and_nothing_is_lost(tmp_path, call_log, spill_name):
    full = call_log("bridge", requests=False)
    log = EventLog(max_events=20, spill_path=tmp_path / spill_name)
    for i in range(len(full)):
        log.append(full[i], float(full.df["received_at"].iloc[i].timestamp()))
    assert len(log) <= 20 and log.spilled == len(full) - len(log) > 0
    assert log.df.index[0] == log.spilled  # seq numbers survive spilling
    assert log.counts() == log.df["type"].astype(str).value_counts().to_dict()  # memory only
    assert log.newest(1)[0] == full[len(full) - 1]
    assert [e["type"] for e in log.tail(3)] == [full[i]["type"] for i in range(len(full) - 3, len(full))]
    everything = log.to_dataframe(include_spilled=True)
    pdt.assert_frame_equal(everything, full.df)
    path = log.save(tmp_path / "all.jsonl")
    pdt.assert_frame_equal(EventLog.load(path).df, full.df)
    log.clear()
    assert log.spilled == 0 and len(log.to_dataframe(include_spilled=True)) == 0
    log.append(full[0], 1.0)
    assert len(log.to_dataframe(include_spilled=True)) == 1  # old spill data is not this log's any more


def test_default_spill_file_is_temporary(tmp_path):
    log = EventLog(max_events=4)
    for ev, recv in parse_timeline(BRIDGED):
        log.append(ev, recv)
    path = log.spill_path
    log.flush()  # the spill is written on a background thread
    assert path is not None and path.exists() and log.spilled + len(log) == 24
    log.clear()
    assert not path.exists()


def test_max_events_must_be_positive():
    with pytest.raises(ValueError, match="max_events"):
        EventLog(max_events=0)


def test_pandas_reads_the_parquet_file_as_the_same_typed_frame(tmp_path, call_log):
    log = call_log("bridge")
    path = log.save(tmp_path / "bridge.parquet")
    back = pd.read_parquet(path).set_index("seq")
    df = log.df
    assert list(back.columns) == list(df.columns)
    for col in df.columns:
        if col == "raw":  # our frame shares the stored text (object); Parquet gives it as str
            assert back[col].tolist() == df[col].tolist()
            continue
        if isinstance(df[col].dtype, pd.CategoricalDtype) and len(df[col].cat.categories) == 0:
            assert back[col].isna().all() and isinstance(back[col].dtype, pd.CategoricalDtype)
            continue
        pdt.assert_series_equal(back[col], df[col], check_index_type=False)
