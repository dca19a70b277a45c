"""EventLogView under a burst: 2,000 events/s for 30 s while the view is displayed in a kernel.

Measures, inside a real ipykernel (so widget updates really travel as comm messages):
  * the kernel loop's lag (how late a 5 ms timer fires): p50 / p99 / max, target p99 <= 50 ms
  * the view's refreshes per second, target <= 5
  * widget update messages sent to the frontend per second
once with the view displayed and once without any view (the baseline, same run).

    .venv/bin/python benchmarks/widgets.py            # 30 s per phase, in a kernel
    .venv/bin/python benchmarks/widgets.py --seconds 5 --inline   # quick, in this process
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("ARI_TRACES", REPO.parent / "shared" / "ari-traces"))


def sample_events() -> list[dict]:
    """Real event shapes: the a_originate scenario recorded from Asterisk 23 (or a fallback)."""
    path = TRACES / "scenarios" / "a_originate.jsonl"
    if path.is_file():
        out = []
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("kind") == "event":
                out.append(rec["event"])
        if out:
            return out
    return [{"type": "ChannelVarset", "timestamp": "2026-11-26T03:25:03.626+0000", "variable": "X", "value": "1",
             "channel": {"id": "1.0", "name": "Local/1000@ARI-test-00000000;1", "state": "Up"},
             "application": "hello"}]


def _vary(ev: dict, i: int) -> dict:
    """A copy with a fresh channel id per call so the store sees many distinct channels."""
    ev = dict(ev)
    ch = ev.get("channel")
    if isinstance(ch, dict):
        ch = dict(ch)
        ch["id"] = f"{ch.get('id', '')}-{i // 15}"
        ev["channel"] = ch
    return ev


async def phase(with_view: bool, *, rate: int, seconds: float, display=None, type_filter: str = "") -> dict:
    from ari_notebook.events import EventLog

    log = EventLog()
    view = None
    if with_view:
        from ari_notebook.widgets import EventLogView

        view = EventLogView(log)
        view.type_filter.options = [("all types", ""), (type_filter, type_filter)] if type_filter else \
            view.type_filter.options
        view.type_filter.value = type_filter
        if display is not None:
            display(view)
    events = sample_events()
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    stop = loop.time() + seconds
    sent = 0

    async def produce():
        nonlocal sent
        start = loop.time()
        while loop.time() < stop:
            due = int((loop.time() - start) * rate)
            now = time.time()
            while sent < due:
                log.append(_vary(events[sent % len(events)], sent), now)
                sent += 1
            await asyncio.sleep(0.01)

    async def sample():
        while loop.time() < stop:
            t0 = loop.time()
            await asyncio.sleep(0.005)
            lags.append((loop.time() - t0 - 0.005) * 1000)

    cpu0 = time.process_time()
    wall0 = time.time()
    await asyncio.gather(produce(), sample())
    cpu = time.process_time() - cpu0
    name = ("view+filter" if type_filter else "view") if with_view else "baseline"
    result = {"phase": name, "events": sent, "events_per_s": sent / seconds,
              "lag_p50_ms": statistics.median(lags), "lag_p99_ms": _pct(lags, 99), "lag_max_ms": max(lags),
              "cpu_s": cpu, "refreshes_per_s": 0.0, "rows_shown": 0, "wall": [wall0, time.time()]}
    if view is not None:
        result["refreshes_per_s"] = view.throttle.refreshes / seconds
        result["rows_shown"] = len(view.table.options)
        result["refresh_errors"] = view.throttle.errors
        view.close()
    return result


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


async def run_all(rate: int, seconds: float, display=None) -> list[dict]:
    return [await phase(False, rate=rate, seconds=seconds, display=display),
            await phase(True, rate=rate, seconds=seconds, display=display),
            await phase(True, rate=rate, seconds=seconds, display=display, type_filter="StasisStart")]


def table(results: list[dict], comm_rates: dict[str, float] | None = None) -> str:
    head = (f"{'phase':<11} {'events/s':>9} {'lag p50':>8} {'lag p99':>8} {'lag max':>8} {'cpu s':>6} "
            f"{'refresh/s':>9} {'updates/s':>9}")
    lines = [head, "-" * len(head)]
    for r in results:
        upd = "" if comm_rates is None else f"{comm_rates.get(r['phase'], 0):9.1f}"
        lines.append(f"{r['phase']:<11} {r['events_per_s']:9.0f} {r['lag_p50_ms']:8.2f} {r['lag_p99_ms']:8.2f} "
                     f"{r['lag_max_ms']:8.2f} {r['cpu_s']:6.2f} {r['refreshes_per_s']:9.2f} {upd}")
    base = next(r for r in results if r["phase"] == "baseline")
    lines.append("")
    for view in (r for r in results if r["phase"] != "baseline"):
        lines.append(f"{view['phase']}: lag p99 <= 50 ms -> {view['lag_p99_ms']:.2f} ms "
                     f"({'OK' if view['lag_p99_ms'] <= 50 else 'MISSED'}; baseline {base['lag_p99_ms']:.2f} ms, "
                     f"ratio {view['lag_p99_ms'] / max(base['lag_p99_ms'], 1e-9):.2f}x); "
                     f"refreshes/s <= 5 -> {view['refreshes_per_s']:.2f} "
                     f"({'OK' if view['refreshes_per_s'] <= 5 else 'MISSED'}), rows shown {view['rows_shown']}")
    return "\n".join(lines)


KERNEL_CODE = """
import json, runpy
from IPython.display import display
_bench = runpy.run_path({path!r})
_results = await _bench["run_all"]({rate}, {seconds}, display=display)
print("RESULTS " + json.dumps(_results))
"""


def in_kernel(rate: int, seconds: float) -> tuple[list[dict], dict[str, float]]:
    """Run both phases in a fresh ipykernel; count the widget update messages it publishes."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        msg_id = kc.execute(KERNEL_CODE.format(path=str(Path(__file__).resolve()), rate=rate, seconds=seconds))
        results = None
        updates: list[float] = []
        errors = []
        deadline = time.monotonic() + 2 * seconds + 120
        while time.monotonic() < deadline:
            try:
                msg = kc.get_iopub_msg(timeout=5)
            except Exception:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "comm_msg" and content.get("data", {}).get("method") == "update":
                updates.append(time.time())
            elif kind == "stream" and "RESULTS " in content.get("text", ""):
                results = json.loads(content["text"].split("RESULTS ", 1)[1])
            elif kind == "error":
                errors.append("\n".join(content.get("traceback", [])))
            elif kind == "status" and content.get("execution_state") == "idle" and (results or errors):
                break
        if errors:
            raise RuntimeError(errors[0])
        if results is None:
            raise RuntimeError("the kernel did not report results")
        # updates are sent only while a view is displayed: split them by phase time windows
        return results, _split_updates(updates, results, seconds)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _split_updates(times: list[float], results: list[dict], seconds: float) -> dict[str, float]:
    """Widget update messages per second in each phase, by the phase's wall-clock window
    (kernel and this process share the machine's clock; messages arrive within milliseconds)."""
    out = {}
    for r in results:
        lo, hi = r["wall"]
        out[r["phase"]] = sum(1 for t in times if lo <= t <= hi + 0.05) / seconds
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--inline", action="store_true", help="run in this process instead of a kernel")
    args = ap.parse_args()
    if args.inline:
        results = asyncio.run(run_all(args.rate, args.seconds))
        print(table(results))
    else:
        results, comm = in_kernel(args.rate, args.seconds)
        print(table(results, comm))


if __name__ == "__main__":
    sys.exit(main())
