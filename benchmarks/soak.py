"""Soak: client + bounded EventLog + EventLogView against the simulator at a steady event rate.

Why: a notebook session lasts hours. This runs the simulator in its own process (the CLI,
``python -m ari_notebook sim``), asks it over the fault-injection control path for a steady
stream of ``ChannelUserevent`` events, and watches this process (the "kernel" side): memory
must stay flat because the log keeps at most ``--max-events`` in memory and spills the rest to
disk, and nothing may be dropped (events the simulator delivered == events the log holds).

    python benchmarks/soak.py                       # 1,000 events/s for 180 s
    python benchmarks/soak.py --seconds 30 --rate 2000

Prints: events sent (simulator's count), events logged (memory + spilled), events seen by a
``'*'`` handler, peak RSS in the first and the last tenth of the run, loop lag p50/p99/max
(how late a 10 ms timer fires: what a user's widget clicks would wait), and the spill file size.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

from ari_notebook.client import Client
from ari_notebook.events import EventLog
from ari_notebook.widgets import EventLogView

APP = "soak"


async def start_simulator() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ari_notebook", "sim", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, match.group(1)


async def lag_monitor(samples: list[float], stop: asyncio.Event, spikes: list[tuple], log: EventLog,
                      started: float, interval: float = 0.01) -> None:
    """How late a 10 ms timer fires; spikes over 50 ms are kept with whether the log spilled meanwhile."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        spilled = log.spilled
        t0 = loop.time()
        await asyncio.sleep(interval)
        lag = max(0.0, loop.time() - t0 - interval) * 1000.0
        samples.append(lag)
        if lag > 50:
            spikes.append((time.monotonic() - started, lag, log.spilled != spilled))


async def rss_monitor(trace: list[tuple[float, int]], stop: asyncio.Event, started: float) -> None:
    me = psutil.Process(os.getpid())
    while not stop.is_set():
        trace.append((time.monotonic() - started, me.memory_info().rss))
        await asyncio.sleep(0.5)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def soak(seconds: float, rate: float, max_events: int, rows: int) -> int:
    proc, url = await start_simulator()
    spill_dir = Path(tempfile.mkdtemp(prefix="ari-soak-"))
    auth = {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}
    client = await Client.connect(url, "asterisk", "asterisk")
    log = EventLog(client, max_events=max_events, spill_path=spill_dir / "events.jsonl")
    view = EventLogView(log, rows=rows, rate=4)
    seen = {"n": 0}

    def count(_event: dict) -> None:
        seen["n"] += 1

    client.on_event("ChannelUserevent", count)
    await client.start(apps=APP)
    stop = asyncio.Event()
    lags: list[float] = []
    rss: list[tuple[float, int]] = []
    started = time.monotonic()
    spikes: list[tuple] = []
    monitors = [asyncio.create_task(lag_monitor(lags, stop, spikes, log, started)),
                asyncio.create_task(rss_monitor(rss, stop, started))]
    sent = None
    try:
        async with aiohttp.ClientSession(headers=auth) as http:
            async with http.post(f"{url}/_sim/faults/generate",
                                 json={"rate": rate, "seconds": seconds, "app": APP}) as r:
                r.raise_for_status()
            progress = time.monotonic()
            while True:
                await asyncio.sleep(1.0)
                async with http.get(f"{url}/_sim/faults") as r:
                    gen = (await r.json())["generators"][-1]
                if time.monotonic() - progress >= 30:
                    progress = time.monotonic()
                    print(f"  t={time.monotonic() - started:6.1f}s sent={gen['sent']:>8} "
                          f"logged={len(log) + log.spilled:>8} rss={rss[-1][1] / 2**20:7.1f} MiB", flush=True)
                if gen["done"]:
                    sent, skipped = gen["sent"], gen["skipped"]
                    break
            deadline = time.monotonic() + 10
            while seen["n"] < sent and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # the last frames still on the way
        duration = time.monotonic() - started
        stop.set()
        await asyncio.gather(*monitors)
        log.flush()  # the spill is written on a background thread: wait until it is on disk
        logged = len(log) + log.spilled
        spill_size = (spill_dir / "events.jsonl").stat().st_size if (spill_dir / "events.jsonl").exists() else 0
        tenth = max(1.0, duration / 10)
        first = [b for t, b in rss if t <= tenth]
        last = [b for t, b in rss if t >= duration - tenth]
        print(f"soak: {rate:.0f} events/s for {seconds:.0f} s (run took {duration:.1f} s), "
              f"EventLog max_events={max_events}, EventLogView rows={rows}")
        print(f"events sent (simulator):   {sent}")
        print(f"events skipped (no app):   {skipped}")
        print(f"events logged (EventLog):  {logged}  ({len(log)} in memory, {log.spilled} spilled, "
              f"spill file {spill_size / 2**20:.1f} MiB)")
        print(f"events seen by a handler:  {seen['n']}")
        print(f"dropped:                   {sent - logged}")
        print(f"peak RSS first tenth:      {max(first) / 2**20:.1f} MiB")
        print(f"peak RSS last tenth:       {max(last) / 2**20:.1f} MiB")
        print(f"RSS growth (last-first):   {(max(last) - max(first)) / 2**20:+.1f} MiB")
        print(f"loop lag p50/p99/max:      {statistics.median(lags):.2f} / {pct(lags, 0.99):.2f} / "
              f"{max(lags):.2f} ms ({len(lags)} samples)")
        print(f"view refreshes:            {view.throttle.refreshes} (errors {view.throttle.errors})")
        during_spill = sum(1 for _, _, spilled in spikes if spilled)
        worst = ", ".join(f"{lag:.0f} ms at {t:.0f} s{' (spill)' if sp else ''}"
                          for t, lag, sp in sorted(spikes, key=lambda x: -x[1])[:5])
        print(f"lag spikes > 50 ms:        {len(spikes)} ({during_spill} during a spill to disk); worst: {worst or '-'}")
        print(f"machine load (1/5 min):    {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} on {os.cpu_count()} CPUs")
        return 0 if sent == logged == seen["n"] and skipped == 0 else 1
    finally:
        stop.set()
        view.close()
        await client.close()
        log.clear()
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="duration (default %(default)s)")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second (default %(default)s)")
    parser.add_argument("--max-events", type=int, default=20_000,
                        help="events the log keeps in memory before spilling (default %(default)s)")
    parser.add_argument("--rows", type=int, default=40, help="EventLogView rows (default %(default)s)")
    args = parser.parse_args()
    return asyncio.run(soak(args.seconds, args.rate, args.max_events, args.rows))


if __name__ == "__main__":
    raise SystemExit(main())
