"""Three small calls made on the simulator, and the events its app socket received: the event
data the widget view-model tests run on when no recording of a real Asterisk is at hand.

``originate``: Local/1000 with a caller id (both halves reach Stasis), a variable set, hung up
busy; then Local/3000 answered into Stasis and hung up. ``playback``: sound:hello-world played
to the end. ``bridge``: two channels in a mixing bridge, removed, the bridge destroyed. Each
call ends when every channel its events named is destroyed. Plain aiohttp (no ``Client``): the
data is what the simulator sent, not what our client made of it. Besides the events, each call
keeps when each event arrived and a record of each request, as a client reports it
(``EventLog.add_request``), so an EventLog can be built from it like from a recording.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp

APP = "hello"


class _Socket:
    """The app's events WebSocket, read into a list by a task."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url
        self.events: list[dict] = []
        self.received: list[float] = []   # epoch seconds, one per event
        self.requests: list[dict] = []    # what a client reports per request

    async def __aenter__(self) -> "_Socket":
        self.ws = await self.http.ws_connect(self.url.replace("http", "ws", 1) + f"/ari/events?app={APP}")
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for msg in self.ws:
            self.events.append(json.loads(msg.data))
            self.received.append(time.time())

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()
        await self.reader

    def count(self, etype: str, **where) -> int:
        return sum(1 for e in self.events if e["type"] == etype
                   and all(e.get(k, {}).get("id") == v for k, v in where.items()))

    async def until(self, predicate, what: str, timeout: float = 20.0) -> None:
        async def poll():
            while not predicate():
                await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(poll(), timeout)
        except asyncio.TimeoutError:
            types = [e["type"] for e in self.events]
            raise AssertionError(f"simulator call: no {what} within {timeout}s; events: {types}") from None

    async def all_destroyed(self) -> None:
        """Every channel any event named is destroyed (the ;2 halves of Local channels too)."""
        def done():
            named = {e[k]["id"] for e in self.events for k in ("channel", "peer") if k in e}
            gone = {e["channel"]["id"] for e in self.events if e["type"] == "ChannelDestroyed"}
            return named and named <= gone
        await self.until(done, "ChannelDestroyed for every channel")


async def _call(sock, http, url, method, path, **params) -> dict | None:
    sent, t0 = time.time(), time.perf_counter()
    async with http.request(method, url + "/ari" + path, params=params) as r:
        assert r.status < 300, f"{method} {path} {params}: {r.status} {await r.text()}"
        body = await r.json() if r.status != 204 else None
    sock.requests.append({"time": sent, "operation": None, "method": method, "path": "/ari" + path,
                          "status": r.status, "elapsed_ms": (time.perf_counter() - t0) * 1000, "error": None,
                          "object_id": body.get("id") if isinstance(body, dict) else None})
    return body


async def _originate(sock, http, url):
    first = await _call(sock, http, url, "POST", "/channels", endpoint="Local/1000@ARI-test", app=APP,
                        callerId="Alice <100>")
    await sock.until(lambda: sock.count("StasisStart") == 2, "StasisStart of both Local/1000 halves")
    await _call(sock, http, url, "POST", f"/channels/{first['id']}/variable", variable="MOOD", value="happy")
    await sock.until(lambda: sock.count("ChannelVarset", channel=first["id"]) >= 1, "ChannelVarset")
    await _call(sock, http, url, "DELETE", f"/channels/{first['id']}", reason="busy")
    await _call(sock, http, url, "POST", "/channels", endpoint="Local/3000@ARI-test", app=APP, channelId="calls-o3")
    await sock.until(lambda: sock.count("StasisStart", channel="calls-o3") == 1, "StasisStart of calls-o3")
    await _call(sock, http, url, "DELETE", "/channels/calls-o3")


async def _playback(sock, http, url):
    await _call(sock, http, url, "POST", "/channels", endpoint="Local/3000@ARI-test", app=APP, channelId="calls-pb")
    await sock.until(lambda: sock.count("StasisStart", channel="calls-pb") == 1, "StasisStart")
    await _call(sock, http, url, "POST", "/channels/calls-pb/play", media="sound:hello-world", playbackId="calls-pb-1")
    await sock.until(lambda: sock.count("PlaybackFinished", playback="calls-pb-1") == 1, "PlaybackFinished")
    await _call(sock, http, url, "DELETE", "/channels/calls-pb")


async def _bridge(sock, http, url):
    for cid in ("calls-br-a", "calls-br-b"):
        await _call(sock, http, url, "POST", "/channels", endpoint="Local/3000@ARI-test", app=APP, channelId=cid)
    await sock.until(lambda: sock.count("StasisStart") == 2, "StasisStart of both channels")
    await _call(sock, http, url, "POST", "/bridges", type="mixing", bridgeId="calls-bridge")
    for cid in ("calls-br-a", "calls-br-b"):
        await _call(sock, http, url, "POST", "/bridges/calls-bridge/addChannel", channel=cid)
    await sock.until(lambda: sock.count("ChannelEnteredBridge") == 2, "both channels in the bridge")
    for cid in ("calls-br-a", "calls-br-b"):
        await _call(sock, http, url, "POST", "/bridges/calls-bridge/removeChannel", channel=cid)
    await sock.until(lambda: sock.count("ChannelLeftBridge") == 2, "both channels out of the bridge")
    await _call(sock, http, url, "DELETE", "/bridges/calls-bridge")
    for cid in ("calls-br-a", "calls-br-b"):
        await _call(sock, http, url, "DELETE", f"/channels/{cid}")


CALLS = {"originate": _originate, "playback": _playback, "bridge": _bridge}


async def _record() -> dict[str, _Socket]:
    from ari_notebook.sim import Simulator

    sim = await Simulator.start(port=0, clock_speed=50.0)
    try:
        auth = {"Authorization": aiohttp.encode_basic_auth(sim.username, sim.password)}
        out = {}
        async with aiohttp.ClientSession(headers=auth) as http:
            for name, call in CALLS.items():
                async with _Socket(http, sim.url) as sock:
                    await call(sock, http, sim.url)
                    await sock.all_destroyed()
                out[name] = sock
        return out
    finally:
        await sim.stop()


def record_simulator_calls() -> dict[str, "_Socket"]:
    """{call name: its socket (``events``, ``received``, ``requests``)}, made on a loop of its
    own (so any test, sync or async, may ask for it)."""
    with ThreadPoolExecutor(1, thread_name_prefix="simcalls") as pool:
        return pool.submit(asyncio.run, _record()).result(120)
