"""Long event-log work shows progress and stops cleanly: a bar in a kernel, none in a pipe; an
interrupted load leaves the log as it was; an interrupted save leaves no partial file; a
cancelled load or replay leaves the client running. No timing: interrupts are raised at a
chosen chunk (or a chosen event) of the work."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading

import nbformat
import orjson
import pandas.testing as pdt
import pytest

from ari_notebook import progress
from ari_notebook.events import EventLog, storage

from .conftest import parse_timeline
from .test_analysis import BRIDGED

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def busy_events(copies: int) -> list[tuple[dict, float]]:
    """``copies`` overlapping calls like BRIDGED (own channel, bridge and playback ids)."""
    base = [(orjson.dumps(ev).decode(), recv) for ev, recv in parse_timeline(BRIDGED)]
    out = []
    for i in range(copies):
        for text, recv in base:
            text = (text.replace('"alice', f'"alice-{i}').replace('"bob', f'"bob-{i}')
                    .replace('"b1"', f'"b1-{i}"').replace('"p1"', f'"p1-{i}"'))
            out.append((orjson.loads(text), recv + 2.0 * i))
    return out


def busy_log(copies: int = 60) -> EventLog:
    log = EventLog()
    for ev, recv in busy_events(copies):
        log.append(ev, recv)
    for i in range(5):
        log.add_request({"time": 1.0 + i, "operation": "channels.answer", "method": "POST",
                         "path": f"/channels/alice-{i}/answer", "status": 204, "elapsed_ms": 1.5})
    return log


def snapshot(log: EventLog) -> dict:
    """Everything a user can see of a log."""
    return {"len": len(log), "df": log.df.copy(), "calls": log.calls().copy(), "counts": log.counts(),
            "requests": log.requests.copy(), "tail": log.tail(5), "repr": repr(log)}


def assert_same(before: dict, after: dict) -> None:
    for key in ("len", "counts", "tail", "repr"):
        assert before[key] == after[key], key
    for key in ("df", "calls", "requests"):
        pdt.assert_frame_equal(before[key], after[key])


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few dozen events, so a small log takes many progress steps."""
    monkeypatch.setattr(storage, "READ_CHUNK", 4096)
    monkeypatch.setattr(storage, "WRITE_CHUNK", 50)
    monkeypatch.setattr(storage, "ROWS_CHUNK", 50)


@pytest.fixture
def interrupt_at(monkeypatch):
    """``interrupt_at(k)``: the k-th progress update of the work raises KeyboardInterrupt, as
    Ctrl-C / Interrupt Kernel would between two chunks."""
    def arm(k: int) -> list[int]:
        calls = [0]
        real = progress.Progress.update

        def update(self, n=1):
            calls[0] += 1
            if calls[0] == k:
                raise KeyboardInterrupt
            real(self, n)

        monkeypatch.setattr(progress.Progress, "update", update)
        return calls
    return arm


def _save(log: EventLog, path, kind: str):
    if kind == "dataset":
        return log.save_dataset(path)
    return log.save(path)


FORMATS = [("log.jsonl", "jsonl"), ("log.parquet", "parquet"), ("ds", "dataset")]


# ---------------------------------------------------------------------------------- interrupted loads
@pytest.mark.parametrize("name,kind", FORMATS)
def test_interrupted_load_leaves_the_log_as_it_was(tmp_path, small_chunks, interrupt_at, name, kind):
    source = tmp_path / name
    _save(busy_log(), source, kind)
    log = busy_log(3)  # a log with its own events and requests, loaded into
    before = snapshot(log)
    version = log.version
    calls = interrupt_at(3)
    with pytest.raises(KeyboardInterrupt):
        log.load_into(source)
    assert calls[0] == 3, "the load went through several chunks before the interrupt"
    assert_same(before, snapshot(log))
    assert log.version > version  # views refresh, but find what they had
    # and the log works on as if the load had never started
    interrupt_at(10**9)
    log.load_into(source)
    expected = busy_log(3).load_into(source)
    pdt.assert_frame_equal(log.df, expected.df)
    pdt.assert_frame_equal(log.calls(), expected.calls())


def test_interrupt_inside_an_append_is_undone_too(tmp_path, monkeypatch):
    """An interrupt can land anywhere, even half way through storing one event (after new
    dictionary entries were made for it): the log still ends exactly as it was."""
    source = busy_log(20).save(tmp_path / "log.jsonl")
    log = busy_log(2)
    before = snapshot(log)
    real_loads = orjson.loads
    seen = [0]

    class Exploding(dict):
        def get(self, key, default=None):
            if key == "timestamp":  # after the head and channel codes were made
                raise KeyboardInterrupt
            return super().get(key, default)

    def loads(text):
        value = real_loads(text)
        seen[0] += 1
        return Exploding(value) if seen[0] == 150 else value

    monkeypatch.setattr(storage.orjson, "loads", loads)
    with pytest.raises(KeyboardInterrupt):
        log.load_into(source)
    monkeypatch.undo()
    assert seen[0] == 150
    assert_same(before, snapshot(log))
    store = log._store
    assert {len(store.raw), len(store.received)} | {len(c) for c in store.codes.values()} == {len(log)}
    log.load_into(source)
    pdt.assert_frame_equal(log.calls(), busy_log(2).load_into(source).calls())


def test_a_failed_load_is_undone_like_an_interrupted_one(tmp_path):
    path = tmp_path / "broken.jsonl"
    good = busy_log(5).save(tmp_path / "good.jsonl").read_text()
    path.write_text(good + "this is not json\n")
    log = busy_log(2)
    before = snapshot(log)
    with pytest.raises(ValueError, match=r"line \d+ is not JSON"):
        log.load_into(path)
    assert_same(before, snapshot(log))


# ---------------------------------------------------------------------------------- interrupted saves
@pytest.mark.parametrize("name,kind", FORMATS)
def test_interrupted_save_leaves_no_partial_file(tmp_path, small_chunks, interrupt_at, name, kind):
    log = busy_log()
    out = tmp_path / "out"
    out.mkdir()
    calls = interrupt_at(3)
    with pytest.raises(KeyboardInterrupt):
        _save(log, out / name, kind)
    assert calls[0] == 3
    assert list(out.iterdir()) == []  # no file, no temporary, no empty dataset folder
    interrupt_at(10**9)
    _save(log, out / name, kind)
    pdt.assert_frame_equal(EventLog.load(out / name).calls(), log.calls())


@pytest.mark.parametrize("name,kind", FORMATS[:2])
def test_interrupted_overwrite_keeps_the_old_file(tmp_path, small_chunks, interrupt_at, name, kind):
    path = tmp_path / name
    busy_log(2).save(path)
    old = path.read_bytes()
    interrupt_at(3)
    with pytest.raises(KeyboardInterrupt):
        busy_log().save(path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_interrupted_append_is_cut_back(tmp_path, small_chunks, interrupt_at):
    path = busy_log(2).save(tmp_path / "day.jsonl")
    old = path.read_bytes()
    interrupt_at(3)
    with pytest.raises(KeyboardInterrupt):
        busy_log().save(path, append=True)
    assert path.read_bytes() == old


def test_interrupted_dataset_save_adds_nothing_to_an_existing_dataset(tmp_path, small_chunks, interrupt_at):
    root = tmp_path / "ds"
    first = busy_log(4)
    first.save_dataset(root)
    files = sorted(p for p in root.rglob("*"))
    interrupt_at(3)
    with pytest.raises(KeyboardInterrupt):
        busy_log().save_dataset(root)
    assert sorted(p for p in root.rglob("*")) == files
    pdt.assert_frame_equal(EventLog.load(root).calls(), first.calls())


def test_an_interrupt_while_moving_dataset_files_takes_the_moved_ones_out(tmp_path, monkeypatch):
    """The last step of a dataset save moves finished files into their partitions; an
    interrupt half way through that takes back the ones already moved."""
    root = tmp_path / "ds"
    log = busy_log()
    log.save_dataset(root, partition_by=("date", "channel_id"))  # many partitions: many files
    files = sorted(root.rglob("*"))
    real_replace = os.replace
    moved = [0]

    def replace(src, dst):
        if moved[0] == 5:
            raise KeyboardInterrupt
        real_replace(src, dst)
        moved[0] += 1

    monkeypatch.setattr(storage.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        log.save_dataset(root, partition_by=("date", "channel_id"))
    assert moved[0] == 5
    assert sorted(root.rglob("*")) == files
    moved[0] = 0
    with pytest.raises(KeyboardInterrupt):  # a new dataset: not even its folders stay
        log.save_dataset(tmp_path / "new", partition_by=("date", "channel_id"))
    assert moved[0] == 5
    assert not (tmp_path / "new").exists()


def test_progress_counts_every_event_of_a_load_and_a_save(tmp_path, small_chunks, bars):
    seen = bars
    log = busy_log()
    log.save(tmp_path / "a.jsonl", progress=False)
    log.save(tmp_path / "a.parquet", progress=False)
    log.save_dataset(tmp_path / "ds", progress=False)
    EventLog.load(tmp_path / "a.jsonl", progress=False)
    EventLog.load(tmp_path / "a.parquet", progress=False)
    EventLog.load(tmp_path / "ds", progress=False)
    n = len(log)
    size = (tmp_path / "a.jsonl").stat().st_size
    assert [(p.desc, p.n, p.total) for p in seen] == [
        ("Saving events", n + 5, n + 5), ("Saving events", n, n), ("Saving dataset", n, n),
        ("Loading events", size, size), ("Loading events", n, n), ("Loading events", n, n)]


# ---------------------------------------------------------------------------------- where bars show
def test_no_bar_in_a_pipe_and_a_text_bar_when_forced(tmp_path):
    path = busy_log().save(tmp_path / "log.jsonl")
    script = textwrap.dedent(f"""
        import sys
        from ari_notebook import EventLog, progress
        progress.set_delay(0)
        forced = {{"auto": None, "on": True}}[sys.argv[1]]
        log = EventLog.load({str(path)!r}, progress=forced)
        log.save({str(tmp_path / "copy.parquet")!r}, progress=forced)
        print(len(log))
    """)
    env = {k: v for k, v in os.environ.items() if k != progress.ENV_VAR}
    quiet = subprocess.run([sys.executable, "-c", script, "auto"], capture_output=True, text=True,
                           env=env, timeout=120, check=True)
    assert quiet.stdout.strip() == str(len(busy_log())) and quiet.stderr == ""
    loud = subprocess.run([sys.executable, "-c", script, "on"], capture_output=True, text=True,
                          env=env, timeout=120, check=True)
    assert "Loading events: 100%" in loud.stderr and "Saving events: 100%" in loud.stderr


def test_a_kernel_shows_a_widget_bar(tmp_path, monkeypatch):
    """In a real Jupyter kernel (nbclient), a load and a save show tqdm widget bars; the same
    calls with progress=False, or quick ones under the default delay, show nothing."""
    from nbclient import NotebookClient

    for var, sub in (("JUPYTER_RUNTIME_DIR", "rt"), ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipy")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv(progress.ENV_VAR, raising=False)
    busy_log().save(tmp_path / "log.jsonl")
    cells = [
        "from ari_notebook import EventLog, progress\nprogress.set_delay(0)",
        "log = EventLog.load('log.jsonl')\nprint(len(log))",
        "log.save('copy.parquet')\nback = EventLog.load('copy.parquet')",
        "quiet = EventLog.load('log.jsonl', progress=False)\nquiet.save('quiet.jsonl', progress=False)",
        "progress.set_delay(60)\nlater = EventLog.load('log.jsonl')",  # quick: the bar never appears
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    def widgets(cell) -> int:
        return sum(WIDGET_VIEW in out.get("data", {}) for out in cell.outputs)

    def stderr(cell) -> str:
        return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")

    assert [widgets(c) for c in nb.cells] == [0, 1, 2, 0, 0]
    assert all(stderr(c) == "" for c in nb.cells), [stderr(c) for c in nb.cells]
    assert str(len(busy_log())) in "".join(o.get("text", "") for o in nb.cells[1].outputs)
    # the saved widget state holds the finished bar: full, with its label
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    bars = [m["state"] for m in state.values() if m["model_name"] == "FloatProgressModel"]
    assert bars and all(b["value"] == b["max"] and b["bar_style"] == "success" for b in bars)
    labels = [m["state"].get("value", "").replace("\u2007", " ")  # tqdm pads with figure spaces
              for m in state.values() if m["model_name"] == "HTMLModel"]
    assert any("Loading events" in text for text in labels)
    assert any("Saving events" in text for text in labels)


# ---------------------------------------------------------------------------------- cancelled tasks
async def _client_still_works(sim, client) -> None:
    """A request answers and an event arrives through the client's reader."""
    started = client.wait_for("StasisStart", timeout=10)
    cid = await sim.call("PJSIP/alice", "1000", context="ARI-test")
    event = await started
    assert event["channel"]["id"] == cid
    assert (await client.channels.get(channelId=cid)).id == cid


async def test_cancelling_aload_stops_the_worker_and_the_client_runs_on(tmp_path, small_chunks, monkeypatch, live):
    sim, client = live
    path = busy_log().save(tmp_path / "log.jsonl")
    in_progress = threading.Event()
    release = threading.Event()
    updates = [0]
    real = progress.Progress.update

    def update(self, n=1):
        updates[0] += 1
        if updates[0] == 2:       # the worker is half way through the file
            in_progress.set()
            release.wait(30)
        real(self, n)

    monkeypatch.setattr(progress.Progress, "update", update)
    task = asyncio.create_task(EventLog.aload(path))
    assert await asyncio.to_thread(in_progress.wait, 30)
    await _client_still_works(sim, client)  # the loop is free while the worker loads
    task.cancel()
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    # aload waited for its worker, which stopped in the update it was in when cancelled
    assert updates[0] == 2
    await _client_still_works(sim, client)
    monkeypatch.undo()
    done = await EventLog.aload(path)
    assert len(done) == len(busy_log())


async def test_aload_will_not_attach_a_client_from_its_worker_thread(tmp_path, live):
    from ari_notebook import ConfigurationError

    _, client = live
    path = busy_log(2).save(tmp_path / "log.jsonl")
    with pytest.raises(ConfigurationError, match=r"attach it afterwards with log.attach\(client\)"):
        await EventLog.aload(path, client=client)


async def test_cancelling_a_replay_leaves_the_client_running(live):
    sim, client = live
    log = busy_log(100)
    task: asyncio.Task | None = None

    class Target:
        got = 0

        def dispatch(self, event, received_at):
            self.got += 1
            if self.got == 700:
                task.cancel()   # the user cancels while the replay is in full flow

    target = Target()
    task = asyncio.create_task(log.replay(speed=None, into=target, progress=False))
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 700 <= target.got < len(log)
    await _client_still_works(sim, client)


async def test_replay_reports_every_event(bars):
    seen = bars

    class Sink:
        def dispatch(self, event, received_at):
            pass

    log = busy_log(50)
    assert await log.replay(speed=None, into=Sink(), progress=False) == len(log)
    assert [(p.desc, p.n, p.total) for p in seen] == [("Replaying events", len(log), len(log))]
