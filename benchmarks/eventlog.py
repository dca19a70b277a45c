"""EventLog speed and memory, measured against baselines in the same run.

    .venv/bin/python benchmarks/eventlog.py                # the issue's sizes (1,000,000 events)
    .venv/bin/python benchmarks/eventlog.py --quick        # 100,000 events, a smoke run
    .venv/bin/python benchmarks/eventlog.py --only progress --rounds 7   # progress on/off alone
    .venv/bin/python benchmarks/eventlog.py --only progress --counted --progress-events 200000 --rounds 1
                                                # the same as instructions counted by valgrind

Prints one table:

* ingest: the client's real message-loop body (``Client._on_text``: orjson decode, then
  dispatch to listeners and handlers) with ``client.log`` attached, vs the floor of decoding
  the same messages with the standard ``json`` module alone. Target >= 0.8x. The client is
  built offline from the real api-docs (no socket), so only the loop itself is timed.
* load: ``EventLog.load`` of a plain JSONL file of raw ARI events (one per line, as other
  tools write them) vs ``json.loads`` over the same lines. Target >= 0.5x.
* progress: ``save`` and ``EventLog.load`` (JSONL, Parquet, a partitioned dataset) of
  ``--progress-events`` events (1,000,000 by default: seconds of work, where a bar matters and
  where a 2% difference is above the timer's noise) with a progress bar forced on (a tqdm text bar on stderr, redrawn as the work goes) vs
  ``progress=False``, the same log and files; the median of per-round on/off ratios (each
  round times both back to back). Target: on/off <= 1.02. On a busy shared machine that
  ratio carries a few percent of noise either way, so the CPU time spent inside progress
  reporting itself (every ``update`` and the closing redraw, tqdm's drawing included; one
  update per 1 MiB read, 8192 lines or 65536 rows; the bar is made inside the first update
  that finds it due, so making it is counted too) is also measured, as a share of the operation.
* ``to_dataframe()`` time and peak memory for N realistic events (target <= 3 s for 1,000,000),
  the memory a stored event costs next to its JSON size, and ``calls()`` time.

Events are the recorded real-Asterisk scenarios (``../shared/ari-traces``), expanded with new
channel/bridge/playback ids and shifted times, so calls overlap as on a busy server. Times are
CPU times, best of several interleaved rounds (this machine is shared; a minimum of CPU time
is the least noisy); to_dataframe and calls are single CPU-time measurements.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import psutil

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("ARI_TRACES", REPO.parent / "shared" / "ari-traces"))
SCENARIOS = ("a_originate", "b_playback", "c_bridge", "i_load", "h2_subscribe_all")
TS = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000)"')


# ---------------------------------------------------------------------------------- events
def _templates() -> list[tuple[list[str], list[str], list[str]]]:
    """Per scenario: event JSON texts, ids to rename, and the distinct timestamps."""
    out = []
    for name in SCENARIOS:
        path = TRACES / "scenarios" / f"{name}.jsonl"
        if not path.is_file():
            sys.exit(f"traces not found at {TRACES}; set ARI_TRACES")
        texts, ids = [], set()
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("kind") != "event":
                continue
            ev = rec["event"]
            texts.append(orjson.dumps(ev).decode())
            for key in ("channel", "peer", "caller", "bridge", "playback", "recording"):
                obj = ev.get(key)
                if isinstance(obj, dict):
                    for attr in ("id", "name"):
                        if isinstance(obj.get(attr), str) and obj[attr]:
                            ids.add(obj[attr])
        stamps = sorted(set(TS.findall("\n".join(texts))))
        # longest first so "br-a;2" is renamed before "br-a"
        out.append((texts, sorted(ids, key=len, reverse=True), stamps))
    return out


def realistic_events(n: int, calls_per_second: float = 20.0) -> list[tuple[str, float]]:
    """``n`` (JSON text, receive time) pairs, in arrival (timestamp) order.

    Each copy of a scenario gets its own ids and starts ``1/calls_per_second`` after the
    previous one, so many calls overlap and their events interleave.
    """
    fmt = "%Y-%m-%dT%H:%M:%S.%f"
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    base = datetime(2026, 12, 1, 9, 0, 0, tzinfo=timezone.utc)
    prepared = []
    for texts, ids, stamps in _templates():
        id_re = re.compile("|".join(re.escape(i) for i in ids))
        times = [datetime.strptime(s[:-5], fmt).replace(tzinfo=timezone.utc) for s in stamps]
        prepared.append(("\n".join(texts), id_re, stamps, times))
    out: list[tuple[str, int, str, float]] = []
    rep = 0
    while len(out) < n:
        block, id_re, stamps, times = prepared[rep % len(prepared)]
        suffix = f"-r{rep}"
        block = id_re.sub(lambda m: m.group(0) + suffix, block)
        shift = base + timedelta(seconds=rep / calls_per_second) - times[0]
        mapping = {}
        for s, t in zip(stamps, times):
            t = t + shift
            mapping[s] = (t.strftime(fmt)[:-3] + "+0000", (t - epoch).total_seconds())
        block = TS.sub(lambda m: f'"{mapping[m.group(1)][0]}"', block)
        new_epoch = {v[0]: v[1] for v in mapping.values()}
        for i, text in enumerate(block.split("\n")):
            stamp = TS.search(text)
            key = stamp.group(1) if stamp else ""
            out.append((key, rep * 10_000 + i, text, new_epoch.get(key, 0.0)))
        rep += 1
    out.sort()
    return [(text, t + 0.0004) for _, _, text, t in out[:n]]


def cached_events(n: int) -> list[tuple[str, float]]:
    """``realistic_events(n)``, kept in ``benchmarks/results/`` (git-ignored) for the next run."""
    path = REPO / "benchmarks" / "results" / f"events-{n}.tsv"
    if path.is_file():
        out = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                recv, text = line.rstrip("\n").split("\t", 1)
                out.append((text, float(recv)))
        if len(out) == n:
            return out
    out = realistic_events(n)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(f"{recv!r}\t{text}\n" for text, recv in out)
    return out


# ---------------------------------------------------------------------------------- helpers
def offline_client():
    """A real ``Client`` built from the recorded api-docs, never connected."""
    from ari_notebook.client import Client
    from ari_notebook.client.transport import MockTransport, mock_response
    from ari_notebook.spec import parse_spec

    docs = TRACES / "api-docs"
    listing = json.loads((docs / "resources.json").read_text())
    decls = {p.stem: json.loads(p.read_text()) for p in docs.glob("*.json") if p.stem != "resources"}
    spec = parse_spec(listing, decls)
    offline = MockTransport(lambda request: mock_response(503))
    return Client(None, None, spec, offline, ssl=None, heartbeat=None, reconnect_base=0.5,
                  reconnect_max=30.0, timeout=None)


def best(rounds: int, *fns):
    """Best (minimum) CPU seconds of each function over interleaved rounds.

    CPU time of this process, not wall time: on a shared machine other processes' load
    stretches wall time unevenly between the baseline and the measured loop."""
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            gc.collect()
            t = time.process_time()
            fn()
            times[i].append(time.process_time() - t)
    return [min(t) for t in times]


class PeakRss:
    """Samples this process's RSS every 2 ms; ``peak - start`` is the extra memory used."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.start = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.end = self.proc.memory_info().rss


def mb(x: float) -> str:
    return f"{x / 1e6:,.0f} MB"


# ---------------------------------------------------------------------------------- benchmarks
def bench_ingest(msgs: list[str], rounds: int) -> dict:
    client = offline_client()
    log = client.log  # attached through client.add_listener, as in a notebook
    on_text = client.hub.on_text
    handled = []
    client.on_event("StasisStart", lambda ev: handled.append(1))  # a handler, as an app has
    loads = json.loads

    def floor():
        for m in msgs:
            loads(m)

    def with_log():
        log.clear()
        for m in msgs:
            on_text(m)

    def without_log():
        log.pause()
        for m in msgs:
            on_text(m)
        log.resume()

    t_floor, t_log, t_nolog = best(rounds, floor, with_log, without_log)
    assert len(log) == len(msgs), "every message must land in the log"
    n = len(msgs)
    return {"n": n, "floor_s": t_floor, "log_s": t_log, "nolog_s": t_nolog,
            "floor_rate": n / t_floor, "log_rate": n / t_log, "nolog_rate": n / t_nolog,
            "ratio": t_floor / t_log, "ratio_nolog": t_floor / t_nolog}


def bench_load(msgs: list[str], rounds: int) -> dict:
    from ari_notebook.events import EventLog

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "raw.jsonl"
        path.write_text("\n".join(msgs) + "\n")

        def floor():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    json.loads(line)

        def load():
            log = EventLog.load(path)
            assert len(log) == len(msgs)

        t_floor, t_load = best(rounds, floor, load)
    n = len(msgs)
    return {"n": n, "floor_s": t_floor, "load_s": t_load, "floor_rate": n / t_floor,
            "load_rate": n / t_load, "ratio": t_floor / t_load}


def bench_progress(events: list[tuple[str, float]], rounds: int) -> dict:
    """CPU seconds of each save and load with progress on and off, and their ratios."""
    from ari_notebook.events import EventLog

    log = EventLog()
    append, loads = log.append, orjson.loads
    for text, recv in events:
        append(loads(text), recv)
    out: dict = {"n": len(events)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind, name in (("jsonl", "log.jsonl"), ("parquet", "log.parquet"), ("dataset", "ds")):
            def save(on: bool, kind=kind, name=name) -> None:
                target = tmp / f"{'on' if on else 'off'}-{name}"
                if kind == "dataset":
                    shutil.rmtree(target, ignore_errors=True)
                    log.save_dataset(target, progress=on)
                else:
                    log.save(target, progress=on)

            def load(on: bool, name=name) -> None:
                back = EventLog.load(tmp / f"{'on' if on else 'off'}-{name}", progress=on)
                assert len(back) == len(log)

            save_off, save_on, save_ratio = paired(rounds, lambda: save(False), lambda: save(True))
            load_off, load_on, load_ratio = paired(rounds, lambda: load(False), lambda: load(True))
            out[kind] = {"save_off_s": save_off, "save_on_s": save_on, "save_ratio": save_ratio,
                         "load_off_s": load_off, "load_on_s": load_on, "load_ratio": load_ratio}
            for op, fn in (("save", save), ("load", load)):
                with InBar() as inside:
                    t = time.process_time()
                    fn(True)
                    whole = time.process_time() - t
                out[kind][op + "_in_bar_s"] = inside.spent
                out[kind][op + "_updates"] = inside.updates
                out[kind][op + "_share"] = inside.spent / whole
    return out


def paired(rounds: int, off, on) -> tuple[float, float, float]:
    """(best off, best on, median of the per-round on/off ratios): each round times both,
    back to back, in alternating order, so the machine's drift (other processes, page cache)
    hits both sides of a ratio alike."""
    offs, ons, ratios = [], [], []
    for i in range(rounds):
        pair = (off, on) if i % 2 == 0 else (on, off)
        t = best(1, *pair)
        t_off, t_on = (t[0], t[1]) if i % 2 == 0 else (t[1], t[0])
        offs.append(t_off)
        ons.append(t_on)
        ratios.append(t_on / t_off)
    return min(offs), min(ons), statistics.median(ratios)


_NAMES = {"jsonl": "log.jsonl", "parquet": "log.parquet", "dataset": "ds"}


def progress_child(kind: str, op: str, mode: str, folder: str) -> dict:
    """One save or load (``mode`` "on" or "off"; "none": only what comes before it), alone in
    a fresh interpreter: its CPU and wall seconds.

    Why a fresh process per sample: in one long process the same load, same code, same
    progress setting, varied by 12% in its best CPU time between rounds (heap, allocator
    pools and caches carried from the rounds before), which buries a 2% question. tqdm is
    imported before the clock starts, in both modes: a session pays that once, not per save.
    ``BENCH_PROGRESS_INTERVAL`` sets the seconds between redraws (see ``bench_progress_counted``)."""
    import tqdm.std  # noqa: F401  (imported in both modes: a kernel imports it once, not per save)

    from ari_notebook import progress
    from ari_notebook.events import EventLog

    if "BENCH_PROGRESS_INTERVAL" in os.environ:
        progress.MIN_INTERVAL = float(os.environ["BENCH_PROGRESS_INTERVAL"])
    on = mode == "on"
    source = Path(folder) / f"source-{_NAMES[kind]}"
    log = EventLog.load(Path(folder) / f"source-{_NAMES['parquet']}", progress=False) if op == "save" else None
    target = Path(folder) / f"out-{os.getpid()}-{_NAMES[kind]}"
    # the same operation once on a few events first, progress off: what it imports lazily and
    # sets up once per process is then outside the measure in every mode ("none" included)
    small = EventLog.load(Path(folder) / f"small-{_NAMES[kind]}", progress=False)
    if op == "save":
        warm = Path(folder) / f"warm-{os.getpid()}-{_NAMES[kind]}"
        small.save_dataset(warm, progress=False) if kind == "dataset" else small.save(warm, progress=False)
        shutil.rmtree(warm, ignore_errors=True)
        warm.unlink(missing_ok=True)
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    if mode == "none":
        pass
    elif op == "load":
        back = EventLog.load(source, progress=on)
    elif kind == "dataset":
        log.save_dataset(target, progress=on)
    else:
        log.save(target, progress=on)
    out = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    if op == "load" and mode != "none":
        out["events"] = len(back)
    shutil.rmtree(target, ignore_errors=True)
    target.unlink(missing_ok=True)
    return out


def run_progress_child(kind: str, op: str, mode: str, folder: str, *, counted: bool = False,
                       interval: float | None = None) -> dict:
    """``progress_child`` in a new interpreter; ``counted``: under valgrind's cachegrind, and
    ``instructions`` added (every thread's, the interpreter's start included)."""
    cmd = [sys.executable, __file__, "--progress-child", kind, op, mode, folder]
    env = dict(os.environ, PYTHONHASHSEED="0")
    if interval is not None:
        env["BENCH_PROGRESS_INTERVAL"] = repr(interval)
    out_file = Path(folder) / f"cachegrind-{kind}-{op}-{mode}.out"
    if counted:
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out_file}", *cmd]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"{kind} {op} {mode} sample failed:\n{res.stderr[-3000:]}")
    got = json.loads(res.stdout.strip().splitlines()[-1])
    if counted:
        summary = re.search(r"^summary: (\d+)", out_file.read_text(), re.M)
        out_file.unlink()
        got["instructions"] = int(summary.group(1))
    return got


def _source_files(events: list[tuple[str, float]], folder: str) -> None:
    """The log of ``events`` saved as every kind, for the children to load (or to save from)."""
    from ari_notebook.events import EventLog

    log = EventLog()
    append, loads = log.append, orjson.loads
    for text, recv in events:
        append(loads(text), recv)
    small = EventLog()
    for text, recv in events[:100]:
        small.append(loads(text), recv)
    for prefix, which in (("source", log), ("small", small)):
        which.save(Path(folder) / f"{prefix}-{_NAMES['jsonl']}", progress=False)
        which.save(Path(folder) / f"{prefix}-{_NAMES['parquet']}", progress=False)
        which.save_dataset(Path(folder) / f"{prefix}-{_NAMES['dataset']}", progress=False)


def bench_progress_counted(events: list[tuple[str, float]], rounds: int, unstretched: bool = False) -> dict:
    """Instructions executed by each save and load with progress on and off, counted by
    valgrind (cachegrind): a count does not move with the machine's load as times do.

    Each sample is a fresh process; a third kind of sample ("none") runs everything but the
    operation (interpreter start, imports, loading the log a save writes), and its count is
    taken off both sides. Under valgrind the work runs tens of times slower while the bar
    redraws on the clock (every ``MIN_INTERVAL`` s), so the redraw interval is stretched by the
    same factor (valgrind's wall time over a native run's): the bar redraws as often per unit
    of work as it does natively. ``unstretched`` also reports the ratio without that (many
    more redraws than a real run makes: an upper bound) when asked for."""
    from ari_notebook import progress

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    out: dict = {"n": len(events), "rounds": rounds, "tool": "valgrind --tool=cachegrind --cache-sim=no"}
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        _source_files(events, tmp)
        setup = {op: [] for op in ("save", "load")}
        samples: dict = {(k, op): [] for k in _NAMES for op in ("save", "load")}
        for i in range(rounds):
            for op in setup:
                setup[op].append(run_progress_child("jsonl", op, "none", tmp, counted=True)["instructions"])
                print(f"  round {i + 1}/{rounds}: before a {op}: {setup[op][-1]:,} instructions", flush=True)
            for (kind, op), got in samples.items():
                native = min(run_progress_child(kind, op, "off", tmp)["wall"] for _ in range(3))
                off = run_progress_child(kind, op, "off", tmp, counted=True)
                stretch = off["wall"] / native
                on = run_progress_child(kind, op, "on", tmp, counted=True,
                                        interval=progress.MIN_INTERVAL * stretch)
                got.append({"off": off["instructions"], "on": on["instructions"], "stretch": stretch,
                             "native_wall_s": native})
                if unstretched:
                    got[-1]["on_unstretched"] = run_progress_child(kind, op, "on", tmp, counted=True)["instructions"]
                base_count = statistics.median(setup[op])
                print(f"  round {i + 1}/{rounds}: {op} {kind}: {off['instructions'] - base_count:,.0f} instructions "
                      f"off, {on['instructions'] - base_count:,.0f} on = "
                      f"{(on['instructions'] - base_count) / (off['instructions'] - base_count):.4f}x", flush=True)
        for op, counts in setup.items():
            out[f"{op}_setup_instructions"] = counts
        for (kind, op), got in samples.items():
            base_count = statistics.median(setup[op])
            ratios = [(g["on"] - base_count) / (g["off"] - base_count) for g in got]
            raw = [(g["on_unstretched"] - base_count) / (g["off"] - base_count) for g in got if "on_unstretched" in g]
            out.setdefault(kind, {})[op] = {
                "ratio": max(ratios), "ratios": ratios, "unstretched_ratios": raw,
                "off_instructions": [g["off"] - base_count for g in got],
                "on_instructions": [g["on"] - base_count for g in got],
                "stretch": [g["stretch"] for g in got], "native_wall_s": [g["native_wall_s"] for g in got]}
    return out


def bench_progress_fresh(events: list[tuple[str, float]], rounds: int) -> dict:
    """Each save and load, progress on and off, every sample in its own process (see
    ``progress_child``), on and off alternating first; files on tmpfs where there is one, so
    disk writeback is not in the figure. Per operation: the median of the per-round on/off
    ratios of CPU time (and of wall time), and their spread."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    out: dict = {"n": len(events), "rounds": rounds, "folder": base or tempfile.gettempdir()}
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        _source_files(events, tmp)
        samples: dict = {(k, op): {True: [], False: []} for k in _NAMES for op in ("save", "load")}
        for i in range(rounds):
            for (kind, op), got in samples.items():
                for on in ((False, True) if i % 2 == 0 else (True, False)):
                    got[on].append(run_progress_child(kind, op, "on" if on else "off", tmp))
            print(f"  round {i + 1}/{rounds}", flush=True)
        for (kind, op), got in samples.items():
            if op == "load":
                assert all(s["events"] == len(events) for s in got[True] + got[False])
            row = out.setdefault(kind, {})
            for clock in ("cpu", "wall"):
                ratios = [a[clock] / b[clock] for a, b in zip(got[True], got[False])]
                row[f"{op}_{clock}_ratio"] = statistics.median(ratios)
                row[f"{op}_{clock}_ratios"] = sorted(ratios)
                row[f"{op}_{clock}_off_s"] = statistics.median(s[clock] for s in got[False])
                row[f"{op}_{clock}_on_s"] = statistics.median(s[clock] for s in got[True])
    return out


class InBar:
    """CPU seconds spent inside progress reporting (``Progress.update`` and ``close``, tqdm's
    drawing included) while installed: the cost of progress measured directly, free of the
    run-to-run noise that a shared machine puts on a whole save or load."""

    def __init__(self) -> None:
        from ari_notebook import progress

        self.cls = progress.Progress
        self.spent = 0.0
        self.updates = 0

    def __enter__(self) -> "InBar":
        self.real = self.cls.update, self.cls.close
        real_update, real_close = self.real

        def update(bar, n=1):
            t = time.process_time()
            try:
                real_update(bar, n)
            finally:
                self.spent += time.process_time() - t
                self.updates += 1

        def close(bar, **kw):
            t = time.process_time()
            try:
                real_close(bar, **kw)
            finally:
                self.spent += time.process_time() - t

        self.cls.update, self.cls.close = update, close
        return self

    def __exit__(self, *exc) -> None:
        self.cls.update, self.cls.close = self.real


def bench_frames(events: list[tuple[str, float]]) -> dict:
    from ari_notebook.events import EventLog

    json_bytes = sum(len(t.encode()) for t, _ in events)
    # memory a stored event costs: traced Python allocations while storing a sample
    sample = events[:100_000]
    gc.collect()
    tracemalloc.start()
    probe = EventLog()
    for text, recv in sample:
        probe.append(orjson.loads(text), recv)
    gc.collect()
    stored = tracemalloc.get_traced_memory()[0] / len(sample)
    tracemalloc.stop()
    del probe
    sample_json = sum(len(t.encode()) for t, _ in sample) / len(sample)
    gc.collect()
    log = EventLog()
    append, loads = log.append, orjson.loads
    for text, recv in events:
        append(loads(text), recv)
    gc.collect()
    with PeakRss() as mem:
        t = time.process_time()
        df = log.to_dataframe()
        t_df = time.process_time() - t
    frame_bytes = int(df.memory_usage(deep=False).sum())
    t = time.process_time()
    calls = log.calls()
    t_calls = time.process_time() - t
    t = time.perf_counter()
    log.newest(50, type="ChannelDtmfReceived")  # a rare type: scans far back
    t_newest_rare = time.perf_counter() - t
    t = time.perf_counter()
    log.newest(50, type="ChannelVarset")
    t_newest = time.perf_counter() - t
    some_channel = log[len(log) // 2].get("channel", {}).get("id", "none")
    t = time.perf_counter()
    log.newest(50, channel=some_channel)
    t_chan_first = time.perf_counter() - t
    log.append({"type": "ChannelVarset", "channel": {"id": some_channel}}, 0.0)
    t = time.perf_counter()
    log.newest(50, channel=some_channel)
    t_chan_again = time.perf_counter() - t
    t = time.perf_counter()
    log.counts()
    t_counts = time.perf_counter() - t
    n = len(events)
    return {"n": n, "to_dataframe_s": t_df, "peak_extra": mem.peak - mem.start,
            "frame_bytes": frame_bytes, "calls_s": t_calls, "calls": len(calls),
            "json_per_event": json_bytes / n, "stored_per_event": stored, "sample_json_per_event": sample_json,
            "newest_s": t_newest, "newest_rare_s": t_newest_rare, "counts_s": t_counts,
            "newest_channel_first_s": t_chan_first, "newest_channel_again_s": t_chan_again}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="events for to_dataframe/calls")
    ap.add_argument("--ingest", type=int, default=200_000, help="messages for the ingest and load rates")
    ap.add_argument("--progress-events", type=int, default=1_000_000,
                    help="events saved and loaded with progress on and off")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=("all", "progress"), default="all",
                    help="'progress': only the progress on/off measurement")
    ap.add_argument("--quick", action="store_true", help="100,000 events, 50,000 messages, 3 rounds")
    ap.add_argument("--fresh", action="store_true",
                    help="with --only progress: every save and load in a fresh process (see progress_child)")
    ap.add_argument("--counted", action="store_true",
                    help="with --only progress: instructions counted under valgrind (see bench_progress_counted)")
    ap.add_argument("--unstretched", action="store_true",
                    help="with --counted: also count with the bar redrawn on valgrind's slow clock")
    ap.add_argument("--progress-child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.progress_child:
        print(json.dumps(progress_child(*args.progress_child)))
        return
    if args.quick:
        args.events, args.ingest, args.progress_events, args.rounds = 100_000, 50_000, 100_000, 3
    only_progress = args.only == "progress"

    t = time.perf_counter()
    events = cached_events(args.progress_events if only_progress
                           else max(args.events, args.ingest, args.progress_events))
    print(f"{len(events):,} realistic events ready in {time.perf_counter() - t:.1f} s", flush=True)
    if only_progress and args.counted:
        counted = bench_progress_counted(events[: args.progress_events], args.rounds, args.unstretched)
        rows = [(f"{op} {kind}, {counted['n']:,} events, instructions: progress on/off",
                 f"{statistics.median(c['on_instructions']) / 1e9:.3f}/{statistics.median(c['off_instructions']) / 1e9:.3f} G",
                 f"{c['ratio']:.4f}x",
                 "target <= 1.02 " + ("OK" if c["ratio"] <= 1.02 else "MISSED")
                 + "; every round " + " ".join(f"{r:.4f}" for r in c["ratios"])
                 + "".join(f"; unstretched {r:.4f}" for r in c["unstretched_ratios"]))
                for kind in _NAMES for op in ("save", "load") for c in [counted[kind][op]]]
        print_table(rows)
        save_results({"progress_counted": counted}, "eventlog-progress-counted.json")
        return
    if only_progress and args.fresh:
        fresh = bench_progress_fresh(events[: args.progress_events], args.rounds)
        rows = [(f"{op} {kind}, {fresh['n']:,} events, fresh processes: progress on/off",
                 f"{fresh[kind][f'{op}_cpu_on_s']:.2f}/{fresh[kind][f'{op}_cpu_off_s']:.2f} s CPU",
                 f"{fresh[kind][f'{op}_cpu_ratio']:.3f}x",
                 "target <= 1.02 " + ("OK" if fresh[kind][f"{op}_cpu_ratio"] <= 1.02 else "MISSED")
                 + f"; wall {fresh[kind][f'{op}_wall_ratio']:.3f}x; CPU ratios "
                 + " ".join(f"{r:.3f}" for r in fresh[kind][f"{op}_cpu_ratios"]))
                for kind in _NAMES for op in ("save", "load")]
        print_table(rows)
        save_results({"progress_fresh": fresh}, "eventlog-progress-fresh.json")
        return
    pg = bench_progress(events[: args.progress_events], args.rounds)
    print("progress measured", flush=True)
    progress_rows = [
        (f"{op} {kind}, {pg['n']:,} events: progress on/off",
         f"{pg[kind][op + '_on_s']:.2f}/{pg[kind][op + '_off_s']:.2f} s",
         f"{pg[kind][op + '_ratio']:.3f}x", "target <= 1.02 " + ("OK" if pg[kind][op + "_ratio"] <= 1.02 else "MISSED")
         + f"; in the bar {pg[kind][op + '_in_bar_s'] * 1000:.1f} ms, {pg[kind][op + '_updates']} updates"
         + f" = {pg[kind][op + '_share'] * 100:.3f}%")
        for kind in ("jsonl", "parquet", "dataset") for op in ("save", "load")]
    if only_progress:
        print_table(progress_rows)
        save_results({"progress": pg}, "eventlog-progress.json")
        return

    msgs = [text for text, _ in events[: args.ingest]]
    ing = bench_ingest(msgs, args.rounds)
    print("ingest measured", flush=True)
    ld = bench_load(msgs, args.rounds)
    print("load measured", flush=True)
    fr = bench_frames(events[: args.events])
    del events

    rows = [
        ("ingest: json.loads floor", f"{ing['floor_rate']:,.0f} ev/s", "baseline", ""),
        ("ingest: Client._on_text + EventLog", f"{ing['log_rate']:,.0f} ev/s", f"{ing['ratio']:.2f}x floor",
         "target >= 0.8x " + ("OK" if ing["ratio"] >= 0.8 else "MISSED")),
        ("ingest: Client._on_text, log paused", f"{ing['nolog_rate']:,.0f} ev/s", f"{ing['ratio_nolog']:.2f}x floor",
         "(aioari's loop, no log: 0.6x)"),
        ("load: json.loads over the lines", f"{ld['floor_rate']:,.0f} ev/s", "baseline", ""),
        ("load: EventLog.load(plain .jsonl)", f"{ld['load_rate']:,.0f} ev/s", f"{ld['ratio']:.2f}x floor",
         "target >= 0.5x " + ("OK" if ld["ratio"] >= 0.5 else "MISSED")),
        *progress_rows,
        (f"to_dataframe(), {fr['n']:,} events", f"{fr['to_dataframe_s']:.2f} s",
         f"peak +{mb(fr['peak_extra'])}",
         ("target <= 3 s " + ("OK" if fr["to_dataframe_s"] <= 3 else "MISSED")) if fr["n"] >= 1_000_000 else ""),
        ("  frame size (without raw text)", mb(fr["frame_bytes"]), "", "raw column shares the stored text"),
        ("memory per stored event", f"{fr['stored_per_event']:,.0f} B",
         f"{fr['stored_per_event'] / fr['sample_json_per_event']:.2f}x JSON",
         f"JSON {fr['sample_json_per_event']:,.0f} B/event (tracemalloc, 100k events)"),
        (f"calls(), {fr['calls']:,} calls", f"{fr['calls_s']:.2f} s", "", ""),
        ("newest(50, common type)", f"{fr['newest_s'] * 1000:.1f} ms", "", "live-view filter"),
        ("newest(50, rare type)", f"{fr['newest_rare_s'] * 1000:.1f} ms", "", "scans the whole log"),
        ("newest(50, channel=id)", f"{fr['newest_channel_first_s'] * 1000:.1f} ms",
         f"then {fr['newest_channel_again_s'] * 1000:.1f} ms", "first call, then after one more event"),
        ("counts()", f"{fr['counts_s'] * 1000:.1f} ms", "", "first call; later calls are incremental"),
    ]
    print_table(rows)
    save_results({"ingest": ing, "load": ld, "progress": pg, "frames": fr}, "eventlog.json")


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    print(f"{'measure':<{w[0]}}  {'value':>{w[1]}}  {'vs':<{w[2]}}  note")
    print("-" * (sum(w) + 12))
    for r in rows:
        print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")


def save_results(results: dict, name: str) -> None:
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
