"""Simulator benchmark: channels held in Stasis at once, and call cycles per second, with every
event delivered to one WebSocket client. Plain aiohttp only (no ari_notebook client).

    .venv/bin/python benchmarks/simulator.py                 # 1,000 held, 5 s of cycles
    .venv/bin/python benchmarks/simulator.py --held 200 --seconds 2

Figures:
* held: originate N ``Local/3000@ARI-test`` calls into app ``bench`` (50 requests in flight),
  time until all N ``StasisStart`` arrived, ``GET /channels`` count (2 per pair), then hang
  them all up and time until all N ``StasisEnd`` arrived. Target: N = 1,000.
* cycles: workers each loop originate -> StasisStart -> DELETE -> StasisEnd; cycles per second
  and events per second seen on the socket. Target: >= 500 cycles/s.
* CPU seconds per cycle of the simulator process and of the client (psutil): on a shared,
  busy machine the wall-clock rates follow the load; the CPU cost per cycle does much less.
* baseline, measured in the same run: ``GET /ari/asterisk/ping`` requests/s with the same
  concurrency, the floor any REST-driven cycle pays; cycles are reported as a ratio to it
  (a cycle is two requests plus ~15 events).

For scale: the real Asterisk in the traces put 50 concurrent originates into Stasis in 0.043 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import orjson
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ari_notebook.sim import Simulator  # noqa: E402

AUTH = {"Authorization": aiohttp.encode_basic_auth("asterisk", "asterisk")}


class Socket:
    """One events WebSocket; counts events (all, and StasisStart/StasisEnd by type) and wakes
    waiters per (type, channel id)."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.total = 0
        self.waiters: dict[tuple[str, str], asyncio.Future] = {}
        self.seen: set[tuple[str, str]] = set()

    async def run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        text = aiohttp.WSMsgType.TEXT
        async for msg in ws:
            if msg.type != text:
                continue
            self.total += 1
            data = msg.data
            # only StasisStart/StasisEnd wake a worker: decode just those (a cheap substring test
            # first; the decoded type is what counts)
            if '"StasisStart"' not in data and '"StasisEnd"' not in data:
                continue
            event = orjson.loads(data)
            etype = event["type"]
            self.counts[etype] += 1
            chan = event.get("channel")
            if chan is not None and etype in ("StasisStart", "StasisEnd"):
                key = (etype, chan["id"])
                fut = self.waiters.pop(key, None)
                if fut is not None and not fut.done():
                    fut.set_result(event)
                else:
                    self.seen.add(key)

    def wait(self, etype: str, chan_id: str) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        if (etype, chan_id) in self.seen:
            self.seen.discard((etype, chan_id))
            fut.set_result(None)
        else:
            self.waiters[(etype, chan_id)] = fut
        return fut


async def _bounded(n: int, limit: int, job) -> None:
    sem = asyncio.Semaphore(limit)

    async def one(i: int) -> None:
        async with sem:
            await job(i)

    await asyncio.gather(*(one(i) for i in range(n)))


async def held(sim, http: aiohttp.ClientSession, sock: Socket, n: int) -> dict:
    ari = sim.url + "/ari"
    started = [sock.wait("StasisStart", f"held-{i}") for i in range(n)]
    t0 = time.perf_counter()

    async def originate(i: int) -> None:
        async with http.post(f"{ari}/channels", params={"endpoint": "Local/3000@ARI-test", "app": "bench",
                                                         "channelId": f"held-{i}"}) as r:
            assert r.status == 200, await r.text()

    await _bounded(n, 50, originate)
    t_requests = time.perf_counter() - t0
    await asyncio.wait_for(asyncio.gather(*started), 60)
    t_all_started = time.perf_counter() - t0
    async with http.get(f"{ari}/channels") as r:
        listed = len(await r.json())
    ended = [sock.wait("StasisEnd", f"held-{i}") for i in range(n)]
    t1 = time.perf_counter()

    async def hangup(i: int) -> None:
        async with http.delete(f"{ari}/channels/held-{i}") as r:
            assert r.status == 204, await r.text()

    await _bounded(n, 50, hangup)
    await asyncio.wait_for(asyncio.gather(*ended), 60)
    t_all_ended = time.perf_counter() - t1
    return {"n": n, "requests_s": t_requests, "all_stasis_start_s": t_all_started, "channels_listed": listed,
            "all_stasis_end_s": t_all_ended}


async def cycles(sim, http: aiohttp.ClientSession, sock: Socket, seconds: float, workers: int) -> dict:
    ari = sim.url + "/ari"
    counter = itertools.count()
    done = 0
    events_before = sock.total
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        # URLs built as already-encoded text (no per-request query encoding), and one timeout
        # for the whole run instead of a timer per awaited event: the client's own CPU per
        # cycle is part of what this benchmark reports
        nonlocal done
        originate = f"{ari}/channels?endpoint=Local/3000@ARI-test&app=bench&channelId="
        while time.perf_counter() < deadline:
            cid = f"cyc-{next(counter)}"
            start = sock.wait("StasisStart", cid)
            async with http.post(URL(originate + cid, encoded=True)) as r:
                assert r.status == 200, await r.text()
            await start
            end = sock.wait("StasisEnd", cid)
            async with http.delete(URL(f"{ari}/channels/{cid}", encoded=True)) as r:
                assert r.status == 204, await r.text()
            await end
            done += 1

    t0 = time.perf_counter()
    # a lost event fails the run (TimeoutError) instead of hanging it
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(workers))), seconds + 30)
    elapsed = time.perf_counter() - t0
    return {"cycles": done, "seconds": elapsed, "cycles_per_s": done / elapsed,
            "events_per_s": (sock.total - events_before) / elapsed}


async def ping_baseline(sim, http: aiohttp.ClientSession, seconds: float, workers: int) -> float:
    url = sim.url + "/ari/asterisk/ping"
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            async with http.get(url) as r:
                await r.read()
            count += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return count / (time.perf_counter() - t0)


def core_cycles(seconds: float) -> float:
    """The same cycle through the sans-I/O backend alone (no HTTP, no sockets): the ceiling the
    simulator's own logic sets, events serialised with orjson as the socket would; cycles per
    CPU second of this process."""
    from ari_notebook.sim.web.config import make_config
    from ari_notebook.sim.backend.core import Asterisk, Clock
    from ari_notebook.sim.routing import handle

    ast = Asterisk(clock=Clock(manual=True), config=make_config())
    sent: list[bytes] = []
    ast.register_app("bench", lambda event: sent.append(orjson.dumps(event)))
    done = 0
    # CPU time, not wall time: on a shared machine the wall clock counts other processes' turns
    deadline = time.process_time() + seconds
    t0 = time.process_time()
    while time.process_time() < deadline:
        cid = f"core-{done}"
        handle(ast, "POST", "/channels", [("endpoint", "Local/3000@ARI-test"), ("app", "bench"), ("channelId", cid)])
        ast.clock.advance(0)
        handle(ast, "DELETE", f"/channels/{cid}", [])
        ast.clock.advance(0)
        done += 1
        sent.clear()
    return done / (time.process_time() - t0)


class Remote:
    """A simulator in its own process (as a real server would be), reached by URL."""

    def __init__(self, url: str, pid: int | None = None) -> None:
        self.url = url
        self.pid = pid


def _cpu(pid: int | None) -> float:
    """CPU seconds (user + system) used so far by a process; needs psutil (a test dependency)."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _serve(conn) -> None:
    async def run() -> None:
        async with Simulator.start(port=0) as sim:
            conn.send(sim.url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told to stop

    asyncio.run(run())


async def main(args: argparse.Namespace) -> None:
    core = core_cycles(min(args.seconds, 2.0))
    if args.inprocess:
        async with Simulator.start(port=0) as sim:
            await measure(sim, args, core)
        return
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        url = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
        await measure(Remote(url, proc.pid), args, core)
    finally:
        parent.send("stop")
        proc.join(10)


async def measure(sim, args: argparse.Namespace, core: float) -> None:
    if True:
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(headers=AUTH, connector=connector) as http, \
                aiohttp.ClientSession(headers=AUTH) as ws_session:
            ws = await ws_session.ws_connect(sim.url + "/ari/events?app=bench")
            sock = Socket()
            reader = asyncio.create_task(sock.run(ws))
            baseline = await ping_baseline(sim, http, min(args.seconds, 2.0), args.workers)
            h = await held(sim, http, sock, args.held)
            server_pid = getattr(sim, "pid", None) or os.getpid()
            cpu0_server, cpu0_client = _cpu(server_pid), _cpu(None)
            c = await cycles(sim, http, sock, args.seconds, args.workers)
            server_ms = (_cpu(server_pid) - cpu0_server) / max(c["cycles"], 1) * 1000
            client_ms = (_cpu(None) - cpu0_client) / max(c["cycles"], 1) * 1000
            await ws.close()
            await reader

    rows = [
        ("baseline: GET /asterisk/ping", f"{baseline:,.0f} req/s", f"{args.workers} workers"),
        (f"held in Stasis at once (target 1,000)", f"{h['n']:,}",
         f"GET /channels listed {h['channels_listed']:,} (2 per Local pair)"),
        ("  originate requests done", f"{h['requests_s']:.3f} s", "50 in flight"),
        ("  all StasisStart received", f"{h['all_stasis_start_s']:.3f} s",
         f"{h['n'] / h['all_stasis_start_s']:,.0f} channels/s"),
        ("  all StasisEnd after hangups", f"{h['all_stasis_end_s']:.3f} s", ""),
        ("cycles originate->StasisStart->hangup->StasisEnd", f"{c['cycles_per_s']:,.0f} /s",
         f"target >= 500; {c['cycles']:,} cycles in {c['seconds']:.1f} s"),
        ("  events delivered to the socket", f"{c['events_per_s']:,.0f} /s",
         f"{c['events_per_s'] / max(c['cycles_per_s'], 1e-9):.1f} per cycle"),
        ("  simulator CPU per cycle", f"{server_ms:.2f} ms",
         "load-independent-ish: 1000/this = cycles/s one free core could serve"
         if not args.inprocess else "client and simulator share this process"),
        ("  client CPU per cycle", f"{client_ms:.2f} ms", "the benchmark's own aiohttp client"),
        ("  same cycle in the sans-I/O core alone", f"{core:,.0f} /s", "per CPU second, no HTTP/WebSocket: the logic's ceiling"),
        ("  cycle cost vs ping baseline", f"{baseline / max(c['cycles_per_s'], 1e-9):.1f} pings",
         "a cycle = 2 REST calls + ~15 events"),
    ]
    where = "in this process" if args.inprocess else "in its own process"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"simulator {where}; client: plain aiohttp + orjson; {args.workers} workers; "
          f"machine load average {load:.1f} on {os.cpu_count()} CPUs")
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>14}  notes")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>14}  {note}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--held", type=int, default=1000, help="channels to hold in Stasis at once")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the cycles run")
    parser.add_argument("--workers", type=int, default=32, help="concurrent callers in the cycles run")
    parser.add_argument("--inprocess", action="store_true",
                        help="run the simulator in the benchmark's process (client and server share a core)")
    asyncio.run(main(parser.parse_args()))
