"""Bounded logs write their spill on a background thread: nothing lost, order kept, the
listener only hands the batch over, and clear()/close() are well-defined for writes in flight."""

from __future__ import annotations

import threading

import orjson
import pytest

from ari_notebook.events import EventLog, log as log_module
from ari_notebook.events.dispatch import Dispatcher
from ari_notebook.events.spill import THREAD_PREFIX, SpillError

from .conftest import EPOCH0


def _event(i: int) -> dict:
    return {"type": "ChannelVarset", "variable": "N", "value": str(i), "application": "t",
            "timestamp": "2026-11-25T10:00:00.000+0000"}


class GatedWrites:
    """Stands in for ``storage.write_jsonl``: records which thread writes, and waits for a gate
    so a test can look at the log while a spill is still in flight."""

    def __init__(self, real):
        self.real = real
        self.gate = threading.Event()
        self.threads: list[threading.Thread] = []
        self.started = threading.Event()

    def __call__(self, *args, **kwargs):
        self.threads.append(threading.current_thread())
        self.started.set()
        assert self.gate.wait(10), "test never opened the gate"
        return self.real(*args, **kwargs)


@pytest.fixture
def gated(monkeypatch):
    writes = GatedWrites(log_module.storage.write_jsonl)
    monkeypatch.setattr(log_module.storage, "write_jsonl", writes)
    yield writes
    writes.gate.set()  # never leave a writer thread waiting


def _alive(threads: list[threading.Thread]) -> list[threading.Thread]:
    """Which of this test's writer threads still run (other tests' logs may have their own)."""
    return [t for t in set(threads) if t.is_alive()]


@pytest.mark.parametrize("name", ["spill.jsonl", "spill.parquet"])
def test_many_spills_lose_nothing_and_keep_order(tmp_path, name):
    log = EventLog(max_events=40, spill_path=tmp_path / name)
    for i in range(1000):
        log.append(_event(i), EPOCH0 + i)
    assert len(log) <= 40 and log.spilled + len(log) == 1000
    df = log.to_dataframe(include_spilled=True)
    assert df["value"].tolist() == [str(i) for i in range(1000)]
    assert df.index.tolist() == list(range(1000))
    back = EventLog.load(log.save(tmp_path / "all.jsonl"))
    assert [e["value"] for e in back] == [str(i) for i in range(1000)]
    log.close()


def test_the_listener_hands_the_spill_to_another_thread(tmp_path, gated):
    dispatcher = Dispatcher()
    log = EventLog(dispatcher, max_events=8, spill_path=tmp_path / "spill.jsonl")
    for i in range(9):  # the 9th event makes the log spill
        dispatcher.dispatch(_event(i), EPOCH0 + i)
    # the dispatch returned although the write cannot finish yet: it is not on this thread
    assert gated.started.wait(5)
    assert not gated.gate.is_set()
    assert log.spilled == 3 and len(log) == 6  # a quarter of max_events (and the one over) left memory
    assert len(dispatcher.errors) == 0
    for i in range(9, 20):  # more events (and spills) queue up behind the blocked write
        dispatcher.dispatch(_event(i), EPOCH0 + i)
    assert gated.threads and all(t is not threading.current_thread() for t in gated.threads)
    assert all(t.name.startswith(THREAD_PREFIX) for t in gated.threads)
    assert not (tmp_path / "spill.jsonl").exists()  # nothing on disk yet
    # reading with spilled events waits for the writes in flight and sees every event, in order
    threading.Timer(0.05, gated.gate.set).start()
    df = log.to_dataframe(include_spilled=True)
    assert df["value"].tolist() == [str(i) for i in range(20)]
    log.close()


def test_save_includes_spills_still_in_flight(tmp_path, gated):
    log = EventLog(max_events=4, spill_path=tmp_path / "spill.jsonl")
    for i in range(30):
        log.append(_event(i), EPOCH0 + i)
    assert gated.started.wait(5) and not gated.gate.is_set()
    threading.Timer(0.05, gated.gate.set).start()
    path = log.save(tmp_path / "all.jsonl")
    assert [e["value"] for e in EventLog.load(path)] == [str(i) for i in range(30)]
    log.close()


def test_clear_finishes_writes_in_flight_then_forgets_them(tmp_path, gated):
    spill = tmp_path / "spill.jsonl"
    log = EventLog(max_events=4, spill_path=spill)
    for i in range(10):
        log.append(_event(i), EPOCH0 + i)
    assert gated.started.wait(5) and not gated.gate.is_set()
    spilled = log.spilled
    threading.Timer(0.05, gated.gate.set).start()
    log.clear()
    # the batches in flight were written whole (your file keeps them), and are no longer this log's
    on_disk = [orjson.loads(line)["event"]["value"] for line in spill.read_bytes().splitlines()]
    assert on_disk == [str(i) for i in range(spilled)]
    assert log.spilled == 0 and len(log) == 0 and gated.threads and not _alive(gated.threads)
    log.append(_event(99), EPOCH0)
    assert log.to_dataframe(include_spilled=True)["value"].tolist() == ["99"]


def test_clear_deletes_a_temporary_spill_after_its_writes_finish(gated):
    log = EventLog(max_events=4)
    for i in range(10):
        log.append(_event(i), EPOCH0 + i)
    assert gated.started.wait(5)
    path = log.spill_path
    threading.Timer(0.05, gated.gate.set).start()
    log.clear()
    assert not path.exists()  # not re-created by a write that was still in flight


def test_close_finishes_writes_and_ends_the_thread(tmp_path, gated):
    dispatcher = Dispatcher()
    log = EventLog(dispatcher, max_events=4, spill_path=tmp_path / "spill.jsonl")
    for i in range(10):
        dispatcher.dispatch(_event(i), EPOCH0 + i)
    assert gated.started.wait(5) and _alive(gated.threads)
    assert all(t.name.startswith(THREAD_PREFIX) for t in gated.threads)
    threading.Timer(0.05, gated.gate.set).start()
    log.close()
    assert not _alive(gated.threads)
    lines = (tmp_path / "spill.jsonl").read_bytes().splitlines()
    assert len(lines) == log.spilled and log.spilled + len(log) == 10
    dispatcher.dispatch(_event(10), EPOCH0)  # closed: detached
    assert log.spilled + len(log) == 10
    assert log.to_dataframe(include_spilled=True)["value"].tolist() == [str(i) for i in range(10)]


def test_a_failed_spill_write_is_reported_and_keeps_events_in_memory(tmp_path, monkeypatch, caplog):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log_module.storage, "write_jsonl", disk_full)
    spill = tmp_path / "spill.jsonl"
    log = EventLog(max_events=4, spill_path=spill)
    for i in range(5):
        log.append(_event(i), EPOCH0 + i)
    with pytest.raises(SpillError, match="No space left on device") as info:
        log.flush()
    assert str(spill) in str(info.value)
    assert "No space left" in caplog.text
    # later events stay in memory instead of going to a file with a hole in it
    for i in range(5, 20):
        log.append(_event(i), EPOCH0 + i)
    kept = [e["value"] for batch in log._writer.unwritten() for e in map(orjson.loads, batch[2])]
    assert kept + [e["value"] for e in log] == [str(i) for i in range(20)]
    with pytest.raises(SpillError):
        log.to_dataframe(include_spilled=True)
    log.clear()  # forgetting everything is always possible
    assert len(log) == 0 and log.spilled == 0
