"""Benchmark: a synthetic month analysed out of core, on DuckDB and on a 2-worker Dask cluster.

What it measures (each engine in a fresh process, so peaks do not mix):

1. the generator's write rate (``synthetic.write_month``: events/s, bytes on disk), and the
   size the same events would have as ARI JSON (measured on a sample, times the count);
2. calls per day per server (``Dataset.rates("day")``: every call leg of the month through
   the ``calls()`` logic, then counted) on DuckDB, and on a ``LocalCluster`` of 2 worker
   processes: wall time, peak RSS of the analysing process, and for Dask the peak of the
   whole cluster (client + workers, sampled every 0.1 s);
3. the baseline in the same run: the pandas engine (everything in memory) on one server-day,
   its peak RSS per million events, extrapolated to the whole month.

Run: ``python benchmarks/dataset.py --events 10_000_000`` (``--root DIR --reuse`` keeps and
reuses a dataset; ``--engines duckdb`` runs one engine). Results print as a table and JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class PeakSampler:
    """Peak RSS of this process and its children together, sampled in a thread."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self._stop.wait(self.every)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss(os.getpid()))


def _self_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------------------------- child runs
def child(engine: str, root: str, workers: int) -> dict:
    """One engine's run (called in a fresh interpreter): calls per day per server."""
    from ari_notebook.events.dataset import Dataset

    ds = Dataset(root)
    if engine == "pandas":  # the in-memory baseline: one server-day only
        ds = ds.where(servers=[ds.servers()[0]], dates=(ds.dates()[1], ds.dates()[1]))
    events = ds.count()
    with PeakSampler() as sampler:
        cluster = client = None
        if engine == "dask":
            from distributed import Client

            from ari_notebook.events import local_cluster

            cluster = local_cluster(workers, memory_limit=os.environ.get("BENCH_DASK_WORKER_MEMORY", "768MiB"))
            client = Client(cluster)
        t0 = time.perf_counter()
        per_day = ds.rates("day", engine=engine)
        seconds = time.perf_counter() - t0
        if client is not None:
            client.close()
            cluster.close()
    return {"engine": engine, "events": events, "seconds": seconds, "calls": int(per_day["calls"].sum()),
            "rows": len(per_day), "process_peak": _self_peak(), "tree_peak": sampler.peak,
            "table": per_day.head(10).to_string()}


def run_child(engine: str, root: Path, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", engine, "--root", str(root),
                          "--workers", str(workers)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{engine} run failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    ap.add_argument("--root", type=Path, default=None, help="dataset folder (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="analyse the dataset already at --root")
    ap.add_argument("--engines", default="duckdb,dask")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, str(args.root), args.workers)))
        return

    from ari_notebook.events import synthetic
    from ari_notebook.events.dataset import Dataset

    temp = args.root is None
    root = Path(tempfile.mkdtemp(prefix="ari-month-")) / "month" if temp else args.root
    results: dict = {"events_asked": args.events, "cpus": os.cpu_count()}
    try:
        if not args.reuse:
            info = synthetic.write_month(root, events=args.events, overwrite=True)
            results["write"] = {"events": info.events, "calls": info.calls, "files": info.files,
                                "bytes": info.bytes, "seconds": info.seconds,
                                "events_per_second": info.events_per_second}
            print(f"generator: {info.events:,} events, {info.calls:,} calls in {info.seconds:.1f} s "
                  f"= {info.events_per_second:,.0f} events/s; {info.bytes / 2**30:.2f} GiB Parquet "
                  f"in {info.files} files", flush=True)
        ds = Dataset(root)
        events = ds.count()
        per_event = synthetic.json_bytes_per_event(root)
        results["dataset"] = {"events": events, "parquet_bytes": int(ds.partitions()["bytes"].sum()),
                              "json_bytes_per_event": per_event, "json_bytes": per_event * events}
        print(f"dataset: {events:,} events, {results['dataset']['parquet_bytes'] / 2**30:.2f} GiB Parquet, "
              f"~{per_event * events / 2**30:.1f} GiB as ARI JSON ({per_event:.0f} B/event)", flush=True)
        runs = []
        for engine in ["pandas", *[e for e in args.engines.split(",") if e]]:
            r = run_child(engine, root, args.workers)
            runs.append(r)
            print(f"{engine:7s} {r['events']:>12,} events  {r['seconds']:8.1f} s  "
                  f"{r['events'] / r['seconds']:>12,.0f} events/s  process peak {r['process_peak'] / 2**30:.2f} GiB  "
                  f"with children {r['tree_peak'] / 2**30:.2f} GiB  ({r['calls']:,} calls, {r['rows']} server-days)",
                  flush=True)
        base = runs[0]
        per_million = base["process_peak"] / (base["events"] / 1e6)
        results["runs"] = runs
        results["pandas_extrapolated_peak"] = per_million * events / 1e6
        print(f"pandas baseline: {per_million / 2**20:.0f} MiB per million events -> "
              f"~{results['pandas_extrapolated_peak'] / 2**30:.1f} GiB for the whole dataset in memory", flush=True)
        print(runs[-1]["table"])
        print(json.dumps({k: v for k, v in results.items()}, default=str))
    finally:
        if temp:
            shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
