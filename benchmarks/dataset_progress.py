"""Benchmark: what progress costs a DuckDB ``Dataset`` question (issue 15: negligible).

``Dataset.rates("day")`` on a synthetic dataset, in one process, the modes taking turns so the
machine's drift hits them alike:

* baseline: DuckDB's progress tracking off (``enable_progress_bar`` not set) and no bar;
* as shipped in a pipe: tracking on, polled every 0.2 s, no bar drawn (``progress=False``);
* with a text bar drawn (``progress=True``, stderr to /dev/null).

Target: each median within 1.02x of the baseline's. Run: ``python benchmarks/dataset_progress.py
--events 1_000_000 --rounds 5``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


class Untracked:
    """A DuckDB connection that ignores the engine's ``SET enable_progress_bar ...``."""

    def __init__(self, con) -> None:
        self.con = con

    def execute(self, sql: str, *args):
        if sql.startswith("SET enable_progress_bar"):
            return self.con
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.con, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    import duckdb

    from ari_notebook.events import synthetic
    from ari_notebook.events.dataset import Dataset

    root = Path(tempfile.mkdtemp(prefix="ari-progress-")) / "ds"
    real_connect = duckdb.connect
    try:
        synthetic.write_month(root, events=args.events, days=3, servers=3, seed=7, progress=False)
        ds = Dataset(root)
        modes = {"tracking off, no bar (baseline)": (False, False), "tracking on, no bar": (True, False),
                 "tracking on, bar drawn": (True, True)}
        times: dict[str, list[float]] = {m: [] for m in modes}
        ds.rates("day", progress=False)  # warm the file cache
        stderr, sys.stderr = sys.stderr, open(os.devnull, "w")
        try:
            for _ in range(args.rounds):
                for mode, (tracking, bar) in modes.items():
                    duckdb.connect = real_connect if tracking else (lambda *a, **k: Untracked(real_connect(*a, **k)))
                    start = time.perf_counter()
                    ds.rates("day", progress=bar)
                    times[mode].append(time.perf_counter() - start)
        finally:
            sys.stderr.close()
            sys.stderr = stderr
            duckdb.connect = real_connect
        base = statistics.median(times["tracking off, no bar (baseline)"])
        print(f"DuckDB rates('day') over {ds.count():,} events, {args.rounds} rounds, medians:")
        for mode, ts in times.items():
            med = statistics.median(ts)
            print(f"  {mode:34s} {med:7.3f} s  ratio {med / base:.3f}  runs {[round(t, 2) for t in ts]}")
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
