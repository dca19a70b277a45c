"""Client benchmark: ari_notebook's client vs raw aiohttp vs aioari 0.10.2, in one process,
against one local server (the embedded simulator, or ``--url`` for a real Asterisk), peers
interleaved round by round so drift in machine load hits every peer alike.

    .venv/bin/python benchmarks/client.py            # simulator on a free loopback port
    .venv/bin/python benchmarks/client.py --url http://127.0.0.1:8088 --user asterisk --password asterisk

Figures (ratios are against baselines measured in the same run):
* median / p95 latency of GET /ari/asterisk/info and GET /ari/channels (20 channels): raw
  aiohttp (``session.get`` + ``resp.json()``), the client over HTTP, the client with
  ``transport="websocket"``, aioari. Target: client <= 1.1x raw.
* time to connect: raw concurrent GET of resources.json + all 11 declarations vs
  ``Client.connect`` (spec load) and ``Client.connect(apps=...)`` (spec load + events
  WebSocket, against the same GETs with raw aiohttp's events WebSocket opened beside them),
  and aioari.connect (spec only). Target: <= 1.15x raw.
* the client's own WebSocket message loop offline (``EventsHub.on_text``: decode with the
  standard library's scanner + dispatch to a '*' handler) on 100,000 recorded real-Asterisk
  events vs ``json.loads`` alone, and aioari's loop body (``json.loads`` + ``process_ws``);
  ``orjson.loads`` alone for reference (what the loop uses once an EventLog is attached).
  Target: >= 1.0x the json.loads floor.
* RSS of a fresh process after import + connect + events WebSocket, for each client
  (subprocesses, interleaved, median of ``--rss-rounds``). Target: client <= aioari.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import aiohttp
import orjson

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("ARI_TRACES", REPO.parent / "shared" / "ari-traces"))
DECLS = ("asterisk", "endpoints", "channels", "bridges", "recordings", "sounds", "playbacks",
         "deviceStates", "mailboxes", "events", "applications")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def recorded_events(n: int) -> list[str]:
    """n raw event messages, cycling through every event the real Asterisk sent in the traces."""
    events = []
    for path in sorted((TRACES / "scenarios").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("kind") == "event":
                events.append(json.dumps(rec["event"], separators=(",", ":")))
    if not events:
        raise SystemExit(f"no recorded events under {TRACES}/scenarios (set ARI_TRACES)")
    return [events[i % len(events)] for i in range(n)]


async def timed(fn) -> float:
    t0 = time.perf_counter()
    await fn()
    return (time.perf_counter() - t0) * 1000.0


async def interleave(peers: dict, rounds: int, warmup: int) -> dict[str, list[float]]:
    out = {name: [] for name in peers}
    names = list(peers)
    for i in range(warmup + rounds):
        order = names[i % len(names):] + names[:i % len(names)]  # rotate who goes first
        for name in order:
            ms = await timed(peers[name])
            if i >= warmup:
                out[name].append(ms)
    return out


# ---------------------------------------------------------------------------------------------
async def request_latency(url: str, user: str, password: str, rounds: int) -> list[tuple]:
    import aioari

    from ari_notebook.client import Client

    auth = {"Authorization": aiohttp.BasicAuth(user, password).encode()}
    raw = aiohttp.ClientSession(headers=auth)
    ours = await Client.connect(url, user, password)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_ws = await Client.connect(url, user, password, transport="websocket")
    aio = await aioari.connect(url + "/", user, password)
    rows = []
    try:
        for label, path, op in (("GET /ari/asterisk/info", "/ari/asterisk/info", "getInfo"),
                                ("GET /ari/channels", "/ari/channels", "list")):
            target = url + path
            resource = "asterisk" if op == "getInfo" else "channels"

            async def raw_call():
                async with raw.get(target) as resp:
                    await resp.json()

            peers = {
                "raw aiohttp": raw_call,
                "client (http)": getattr(ours.resources[resource], op),
                "aioari 0.10.2": getattr(getattr(aio, resource), op),
            }
            if ours_ws.transport == "websocket":
                peers["client (websocket)"] = getattr(ours_ws.resources[resource], op)
            result = await interleave(peers, rounds, warmup=max(20, rounds // 10))
            base = statistics.median(result["raw aiohttp"])
            for name, values in result.items():
                med = statistics.median(values)
                rows.append((label, name, med, pct(values, 0.95), med / base))
    finally:
        await raw.close()
        await ours.close()
        await ours_ws.close()
        await aio.close()
    return rows


async def connect_time(url: str, user: str, password: str, rounds: int) -> list[tuple]:
    import aioari

    from ari_notebook.client import Client

    auth = {"Authorization": aiohttp.BasicAuth(user, password).encode()}

    async def raw_fetch():
        async with aiohttp.ClientSession(headers=auth) as s:
            async def get(name):
                async with s.get(f"{url}/ari/api-docs/{name}.json") as resp:
                    return await resp.json()
            await asyncio.gather(*(get(n) for n in ("resources",) + DECLS))

    async def raw_fetch_ws():  # the same GETs and the events WebSocket, side by side
        async with aiohttp.ClientSession(headers=auth) as s:
            async def get(name):
                async with s.get(f"{url}/ari/api-docs/{name}.json") as resp:
                    return await resp.json()

            async def events():
                ws = await s.ws_connect(url.replace("http", "ws", 1) + "/ari/events?app=bench-connect")
                await ws.close()
            await asyncio.gather(*(get(n) for n in ("resources",) + DECLS), events())

    async def ours_spec():
        c = await Client.connect(url, user, password)
        await c.close()

    async def ours_cold():
        from ari_notebook.client import specload as client_module
        client_module._SPEC_CACHE.clear()  # a first connect in a fresh process parses the docs
        client_module._RESOURCE_CACHE.clear()
        c = await Client.connect(url, user, password)
        await c.close()

    async def ours_ws():
        c = await Client.connect(url, user, password, apps="bench-connect")
        await c.close()

    async def ours_ws_cold():
        from ari_notebook.client import specload as client_module
        client_module._SPEC_CACHE.clear()
        client_module._RESOURCE_CACHE.clear()
        c = await Client.connect(url, user, password, apps="bench-connect")
        await c.close()

    async def aio_spec():
        c = await aioari.connect(url + "/", user, password)
        await c.close()

    peers = {"raw concurrent GET of api-docs": raw_fetch,
             "raw GETs + events WebSocket": raw_fetch_ws, "client: spec (reconnect)": ours_spec,
             "client: spec (first connect)": ours_cold,
             "client: spec + WebSocket (reconnect)": ours_ws,
             "client: spec + WebSocket (first)": ours_ws_cold, "aioari 0.10.2: spec": aio_spec}
    result = await interleave(peers, rounds, warmup=3)
    base = statistics.median(result["raw concurrent GET of api-docs"])
    base_ws = statistics.median(result["raw GETs + events WebSocket"])  # for the rows with a socket
    return [(name, statistics.median(v), pct(v, 0.95),
             statistics.median(v) / (base_ws if "WebSocket" in name and not name.startswith("raw") else base))
            for name, v in result.items()]


def message_loop(n: int, repeats: int = 5) -> list[tuple]:
    """Each loop timed ``repeats`` times, loops interleaved, best time kept (least disturbed)."""
    import aioari

    from ari_notebook.client.events_hub import EventsHub

    msgs = recorded_events(n)

    def json_floor():
        loads = json.loads
        for m in msgs:
            loads(m)

    def orjson_alone():
        loads = orjson.loads
        for m in msgs:
            loads(m)

    # the client's own loop body (the reader calls EventsHub.on_text once per message), with a
    # '*' handler; built without a server since the loop is measured offline
    hub = EventsHub(None, None)
    counted = [0]

    def star(event):
        counted[0] += 1
    hub.dispatcher.on("*", star)

    def ours():
        on_text = hub.on_text
        for m in msgs:
            on_text(m)

    aio = aioari.Client.__new__(aioari.Client)
    aio.event_listeners = {}
    aio.exception_handler = lambda ex: None
    aio.on_event("*", lambda ev: None)

    async def aio_loop():  # aioari's __run body: json.loads, then await process_ws
        for m in msgs:
            await aio.process_ws(json.loads(m))

    def aio_run():
        asyncio.run(aio_loop())

    loops = {"json.loads alone (floor)": json_floor, "orjson.loads alone": orjson_alone,
             "client: decode + dispatch to '*'": ours, "aioari 0.10.2: json.loads + process_ws": aio_run}
    best = {name: float("inf") for name in loops}
    for _ in range(repeats):
        for name, fn in loops.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    assert counted[0] == repeats * n, counted[0]
    floor_rate = n / best["json.loads alone (floor)"]
    return [(name, n / t, (n / t) / floor_rate) for name, t in best.items()]


RSS_SCRIPT = r"""
import asyncio, sys, psutil, warnings
warnings.simplefilter("ignore")
url, user, password, which = sys.argv[1:5]
async def main():
    if which == "client":
        from ari_notebook.client import Client
        c = await Client.connect(url, user, password, apps="bench-rss")
    elif which == "aioari":
        import aioari
        c = await aioari.connect(url + "/", user, password)
        await c.swagger.events.eventWebsocket(app="bench-rss")
    else:
        import aiohttp
        c = aiohttp.ClientSession(headers={"Authorization": aiohttp.BasicAuth(user, password).encode()})
        async with c.get(url + "/ari/asterisk/info") as r:
            await r.json()
        await c.ws_connect(url + "/ari/events", params={"app": "bench-rss"})
    print(psutil.Process().memory_info().rss)
    await c.close()
asyncio.run(main())
"""


async def rss(url: str, user: str, password: str, rounds: int) -> list[tuple]:
    """Each peer in a fresh subprocess, peers interleaved, ``rounds`` times; the median and range.

    Our package is byte-compiled first: pip compiles an installed package (aioari's ``.pyc``
    exist), but an editable install under PYTHONDONTWRITEBYTECODE would otherwise compile our
    sources in every process, which costs ~0.7 MiB that no installed client pays.
    """
    compileall.compile_dir(str(REPO / "ari_notebook"), quiet=1)
    peers = (("raw", "raw aiohttp (session + events WebSocket)"),
             ("client", "client (spec + events WebSocket)"),
             ("aioari", "aioari 0.10.2 (spec + events WebSocket)"))
    samples: dict[str, list[float]] = {label: [] for _, label in peers}
    for _ in range(rounds):
        for which, label in peers:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", RSS_SCRIPT, url, user, password, which,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 120)
            if proc.returncode != 0:
                raise SystemExit(f"RSS probe for {which} failed:\n{err.decode()[-2000:]}")
            samples[label].append(int(out.decode().strip().splitlines()[-1]) / 2 ** 20)
    return [(label, statistics.median(v), min(v), max(v)) for label, v in samples.items()]


# ---------------------------------------------------------------------------------------------
#: every channel the benchmark makes has an id starting with this; removed again at the end
SEED_PREFIX = "bench-seed-"


async def seed_channels(url: str, user: str, password: str, n: int = 20):
    """20 channels on the server: 10 Local pairs held in Stasis by a WebSocket for app 'bench'.

    Their ids start with SEED_PREFIX, so ``unseed`` removes exactly them: a real server is
    left as it was found (a Local pair to extension 3000 would otherwise stay ten minutes).
    """
    from ari_notebook.client import Client

    c = await Client.connect(url, user, password, apps="bench")
    existing = len(await c.channels.list())
    for i in range(max(0, (n - existing) // 2)):
        await c.channels.originate(endpoint="Local/3000@ARI-test", app="bench", channelId=f"{SEED_PREFIX}{i}")
    for _ in range(100):
        if len(await c.channels.list()) >= n:
            break
        await asyncio.sleep(0.05)
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url")
    parser.add_argument("--user", default="asterisk")
    parser.add_argument("--password", default="asterisk")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--connect-rounds", type=int, default=30)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rss-rounds", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(against_server(args))
    loop_rows = message_loop(args.events)
    print(f"\nMessage loop, offline, {args.events:,} recorded events  target: client >= 1.0x json.loads")
    print(f"  {'loop':40} {'events/s':>12} {'x floor':>8}")
    for name, rate, ratio in loop_rows:
        print(f"  {name:40} {rate:12,.0f} {ratio:8.2f}")


async def against_server(args) -> None:
    sim = None
    url = args.url
    if url is None:
        from ari_notebook.sim import Simulator

        sim = await Simulator.start(port=0)
        url, args.user, args.password = sim.url, sim.username, sim.password
        server = "embedded simulator"
    else:
        server = url
    holder = await seed_channels(url, args.user, args.password)
    try:
        n_channels = len(await holder.channels.list())
        print(f"server: {server}   channels: {n_channels}   python {sys.version.split()[0]}   "
              f"aiohttp {aiohttp.__version__}\n")
        lat = await request_latency(url, args.user, args.password, args.rounds)
        print(f"Request latency ({args.rounds} interleaved rounds)  target: client <= 1.10x raw")
        print(f"  {'request':24} {'peer':22} {'median ms':>10} {'p95 ms':>8} {'x raw':>7}")
        for label, name, med, p95, ratio in lat:
            print(f"  {label:24} {name:22} {med:10.3f} {p95:8.3f} {ratio:7.2f}")
        con = await connect_time(url, args.user, args.password, args.connect_rounds)
        print(f"\nTime to connect ({args.connect_rounds} interleaved rounds)  target: client <= 1.15x raw")
        print(f"  {'peer':38} {'median ms':>10} {'p95 ms':>8} {'x raw':>7}")
        for name, med, p95, ratio in con:
            print(f"  {name:38} {med:10.2f} {p95:8.2f} {ratio:7.2f}")
        print("  (rows with a WebSocket are against raw GETs + events WebSocket, the others against the GETs"
              " alone; aioari opens its WebSocket only in run())")
        rss_rows = await rss(url, args.user, args.password, args.rss_rounds)
    finally:
        from ari_notebook import tidy

        removed = await tidy(holder, SEED_PREFIX)
        print(f"\nremoved the {len(removed['channels'])} seeded channels again")
        await holder.close()
        if sim is not None:
            await sim.stop()
    print(f"\nRSS after import + connect (+ events WebSocket), a fresh process each, median of "
          f"{args.rss_rounds}  target: client <= aioari")
    print(f"  {'peer':40} {'median MiB':>10} {'range':>15}")
    for which, med, low, high in rss_rows:
        print(f"  {which:40} {med:10.2f} {low:7.2f}-{high:.2f}")


if __name__ == "__main__":
    main()
