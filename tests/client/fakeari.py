"""A small loopback ARI server for client tests: the api-docs it is given (the simulator's or a
real Asterisk 23's), a few operations answered with real-looking bodies, and an events WebSocket
the test can push into or drop.

Not the simulator: it exists so the client can be tested on its own; it answers only what the
tests use, with the status codes and bodies recorded from a real Asterisk (traces README).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from pathlib import Path

import orjson
from aiohttp import WSMsgType, web

USERS = {"asterisk": ("asterisk", True), "viewer": ("viewer", False)}


def ari_time() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}+0000"


class FakeAri:
    def __init__(self, api_docs: Path, *, rest_over_ws: bool = True, strip_rest_models: bool = False) -> None:
        self.docs = {p.name: p.read_bytes() for p in api_docs.glob("*.json")}
        if strip_rest_models:
            events = json.loads(self.docs["events.json"])
            for name in ("RESTRequest", "RESTResponse"):
                events["models"].pop(name, None)
            self.docs["events.json"] = json.dumps(events).encode()
        self.rest_over_ws = rest_over_ws
        self.sockets: list[tuple[web.WebSocketResponse, list[str]]] = []
        self.upgrade_peers: list[tuple] = []
        self.upgrade_auth: list[str] = []
        self.upgrade_queries: list[dict] = []
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.channels: dict[str, dict] = {}
        self.bridges: dict[str, dict] = {}
        self.playbacks: dict[str, dict] = {}
        self.ids = itertools.count(1)
        self.refuse_upgrades_with: int | None = None
        self.rest_ws_requests = 0
        self.answer_pings = True  # False: a half-dead server that never answers a ping
        self.runner: web.AppRunner | None = None
        self.port = 0
        for i in range(20):
            self._new_channel(f"seed-{i}", "Up")

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0, ssl_context=None) -> "FakeAri":
        app = web.Application(middlewares=[self._auth])
        r = app.router
        r.add_get("/ari/api-docs/{name}", self.api_docs)
        r.add_get("/ari/events", self.events)
        r.add_get("/ari/asterisk/info", self.info)
        r.add_get("/ari/asterisk/ping", self.ping)
        r.add_get("/ari/channels", self.list_channels)
        r.add_post("/ari/channels", self.originate)
        r.add_get("/ari/channels/{id}", self.get_channel)
        r.add_delete("/ari/channels/{id}", self.hangup)
        r.add_post("/ari/channels/{id}/answer", self.answer)
        r.add_post("/ari/channels/{id}/variable", self.set_var)
        r.add_post("/ari/bridges", self.create_bridge)
        r.add_post("/ari/bridges/{id}/addChannel", self.add_channel)
        r.add_post("/ari/channels/{id}/play", self.play)
        r.add_post("/ari/playbacks/{id}/control", self.control)
        r.add_get("/ari/recordings/stored/{name}/file", self.stored_file)
        r.add_get("/ari/sounds/{id}", self.sound)
        r.add_post("/ari/applications/{app}/subscription", self.subscribe)
        r.add_delete("/ari/applications/{app}/subscription", self.subscribe)
        r.add_put("/ari/applications/{app}/eventFilter", self.event_filter)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        self.scheme = "https" if ssl_context is not None else "http"
        site = web.TCPSite(self.runner, "127.0.0.1", port, ssl_context=ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"{getattr(self, 'scheme', 'http')}://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        await self.drop()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def restart(self, pause: float = 0.2) -> None:
        """Go away completely (sockets dropped, port closed), then come back on the same port."""
        port = self.port
        await self.stop()
        await asyncio.sleep(pause)
        await self.start(port)

    async def drop(self) -> None:
        """Drop every events socket without a close frame (like an Asterisk restart)."""
        for ws, _ in list(self.sockets):
            transport = ws._req.transport if ws._req is not None else None
            if transport is not None:
                transport.abort()
        self.sockets.clear()

    # ------------------------------------------------------------------ events
    async def push(self, event: dict, app: str | None = None) -> int:
        """Send an event to every socket (of ``app``); returns how many got it."""
        sent = 0
        for ws, apps in list(self.sockets):
            if app is not None and app not in apps:
                continue
            ev = dict(event)
            ev.setdefault("application", apps[0])
            ev.setdefault("timestamp", ari_time())
            ev.setdefault("asterisk_id", "02:fc:00:00:00:01")
            try:
                await ws.send_str(orjson.dumps(ev).decode())
                sent += 1
            except (ConnectionError, RuntimeError):
                pass
        return sent

    async def wait_sockets(self, n: int = 1, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sockets) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} events sockets, have {len(self.sockets)}")
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ helpers
    @web.middleware
    async def _auth(self, request: web.Request, handler):
        body = await request.read()
        self.requests.append((request.method, request.path, dict(request.query), body))
        user = self._user(request)
        if user is None:
            return web.json_response({"message": "Authentication required"}, status=401,
                                     headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'})
        if request.method != "GET" and not USERS[user][1]:
            return web.json_response({"message": "Write access denied"}, status=403)
        return await handler(request)

    @staticmethod
    def _user(request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, pwd = base64.b64decode(header[6:]).decode().partition(":")
        elif "api_key" in request.query:
            user, _, pwd = request.query["api_key"].partition(":")
        else:
            return None
        known = USERS.get(user)
        return user if known and known[0] == pwd else None

    def _new_channel(self, cid: str, state: str = "Down", name: str | None = None) -> dict:
        ch = {"id": cid, "name": name or f"Local/1000@ARI-test-{cid};1", "state": state, "protocol_id": "",
              "caller": {"name": "", "number": ""}, "connected": {"name": "", "number": ""},
              "accountcode": "", "dialplan": {"context": "ARI-test", "exten": "1000", "priority": 1,
                                              "app_name": "", "app_data": ""},
              "creationtime": ari_time(), "language": "en"}
        self.channels[cid] = ch
        return ch

    def _params(self, request: web.Request, body: bytes) -> dict:
        params = dict(request.query)
        if body:
            data = orjson.loads(body)
            if isinstance(data, dict):
                params.update(data)
        return params

    # ------------------------------------------------------------------ handlers
    async def api_docs(self, request: web.Request):
        name = request.match_info["name"]
        if name not in self.docs:
            return web.json_response({"message": "Resource not found"}, status=404)
        return web.Response(body=self.docs[name], content_type="application/json")

    async def info(self, request):
        return web.json_response({"build": {"os": "Linux", "options": "OPTIONAL_API"},
                                  "system": {"version": "23.4.1", "entity_id": "02:fc:00:00:00:01"},
                                  "config": {"default_language": "en", "name": ""},
                                  "status": {"startup_time": ari_time(), "last_reload_time": ari_time()}})

    async def ping(self, request):
        return web.json_response({"asterisk_id": "02:fc:00:00:00:01", "ping": "pong", "timestamp": ari_time()})

    async def list_channels(self, request):
        return web.json_response(list(self.channels.values()))

    async def originate(self, request):
        params = self._params(request, await request.read())
        endpoint = params.get("endpoint")
        if not endpoint:
            return web.json_response({"message": "Endpoint must be specified"}, status=400)
        if endpoint.startswith("Bogus/"):
            return web.json_response({"error": "Allocation failed"}, status=500)
        cid = params.get("channelId") or f"1795663503.{next(self.ids)}"
        ch = self._new_channel(cid, "Down", f"{endpoint}-00000000;1")
        app = params.get("app")
        if app:
            async def later():
                await asyncio.sleep(0.01)
                ch["state"] = "Up"
                await self.push({"type": "StasisStart", "args": [], "channel": dict(ch)}, app)
            asyncio.get_running_loop().create_task(later())
        return web.json_response(ch)

    async def get_channel(self, request):
        ch = self.channels.get(request.match_info["id"])
        if ch is None:
            return web.json_response({"message": "Channel not found"}, status=404)
        return web.json_response(ch)

    async def hangup(self, request):
        ch = self.channels.pop(request.match_info["id"], None)
        if ch is None:
            return web.json_response({"message": "Channel not found"}, status=404)
        await self.push({"type": "ChannelHangupRequest", "cause": 32, "soft": True, "channel": ch})
        await self.push({"type": "StasisEnd", "channel": ch})
        await self.push({"type": "ChannelDestroyed", "cause": 16, "cause_txt": "Normal Clearing", "channel": ch})
        return web.Response(status=204)

    async def answer(self, request):
        ch = self.channels.get(request.match_info["id"])
        if ch is None:
            return web.json_response({"message": "Channel not found"}, status=404)
        ch["state"] = "Up"
        return web.Response(status=204)

    async def set_var(self, request):
        params = self._params(request, await request.read())
        if "variable" not in params:
            return web.json_response({"message": "Variable name is required"}, status=400)
        return web.Response(status=204)

    async def create_bridge(self, request):
        params = self._params(request, await request.read())
        bid = params.get("bridgeId") or f"bridge-{next(self.ids)}"
        br = {"id": bid, "technology": "simple_bridge", "bridge_type": params.get("type", "mixing"),
              "bridge_class": "stasis", "creator": "Stasis", "name": params.get("name", ""),
              "channels": [], "creationtime": ari_time(), "video_mode": "none"}
        self.bridges[bid] = br
        return web.json_response(br)

    async def add_channel(self, request):
        params = self._params(request, await request.read())
        br = self.bridges.get(request.match_info["id"])
        if br is None:
            return web.json_response({"message": "Bridge not found"}, status=404)
        if "channel" not in params:
            return web.json_response({"message": "Missing parameter channel"}, status=400)
        for cid in str(params["channel"]).split(","):
            if cid not in self.channels:
                return web.json_response({"message": "Channel not found"}, status=400)
            br["channels"].append(cid)
        return web.Response(status=204)

    async def play(self, request):
        params = self._params(request, await request.read())
        ch = self.channels.get(request.match_info["id"])
        if ch is None:
            return web.json_response({"message": "Channel not found"}, status=404)
        pid = params.get("playbackId") or f"pb-{next(self.ids)}"
        pb = {"id": pid, "media_uri": params.get("media", ""), "target_uri": f"channel:{ch['id']}",
              "language": "en", "state": "queued"}
        self.playbacks[pid] = pb
        return web.json_response(pb, status=201, headers={"Location": f"/ari/playbacks/{pid}"})

    async def control(self, request):
        params = self._params(request, await request.read())
        pb = self.playbacks.get(request.match_info["id"])
        if pb is None:
            return web.json_response({"message": "Playback not found"}, status=404)
        pb["state"] = {"pause": "paused", "unpause": "playing"}.get(params.get("operation"), pb["state"])
        return web.Response(status=204)

    async def stored_file(self, request):
        if request.match_info["name"] != "greeting":
            return web.json_response({"message": "Recording not found"}, status=404)
        return web.Response(body=b"RIFF\x00\x01WAVEfmt ", content_type="audio/wav")

    async def sound(self, request):
        return web.json_response({"id": request.match_info["id"], "text": "Hello world",
                                  "formats": [{"language": "en", "format": "gsm"}]})

    def _application(self, app: str) -> dict:
        return {"name": app, "channel_ids": [], "bridge_ids": [], "endpoint_ids": [], "device_names": [],
                "events_allowed": [], "events_disallowed": []}

    async def subscribe(self, request):
        app = request.match_info["app"]
        if not any(app in apps for _, apps in self.sockets):
            return web.json_response({"message": "Application not found"}, status=404)
        if "eventSource" not in request.query:
            return web.json_response({"message": "Missing parameter eventSource"}, status=400)
        return web.json_response(self._application(app))

    async def event_filter(self, request):
        app = request.match_info["app"]
        if not any(app in apps for _, apps in self.sockets):
            return web.json_response({"message": "Application not found"}, status=404)
        return web.json_response(self._application(app))

    async def events(self, request: web.Request):
        if self.refuse_upgrades_with is not None:
            return web.json_response({"message": "refused"}, status=self.refuse_upgrades_with)
        app = request.query.get("app", "")
        if not app:
            return web.Response(status=400, text="<html><p>HTTP request is missing param: [app]</p></html>",
                                content_type="text/html")
        self.upgrade_peers.append(request.transport.get_extra_info("peername"))
        self.upgrade_auth.append("header" if "Authorization" in request.headers else "query")
        self.upgrade_queries.append(dict(request.query))
        ws = web.WebSocketResponse(autoping=self.answer_pings)
        await ws.prepare(request)
        apps = app.split(",")
        entry = (ws, apps)
        self.sockets.append(entry)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and self.rest_over_ws:
                    await self._rest_request(ws, orjson.loads(msg.data), apps[0])
        finally:
            if entry in self.sockets:
                self.sockets.remove(entry)
        return ws

    async def _rest_request(self, ws, req: dict, app: str) -> None:
        if req.get("type") != "RESTRequest":
            return
        self.rest_ws_requests += 1
        if req["uri"].split("?")[0] == "asterisk/info":
            status, body = 200, (await self.info(None)).body
        elif req["uri"].split("?")[0] == "asterisk/ping":
            status, body = 200, (await self.ping(None)).body
        elif req["uri"].startswith("channels/") and req["method"] == "GET":
            ch = self.channels.get(req["uri"].split("/")[1])
            status, body = (200, orjson.dumps(ch)) if ch else (404, b'{"message":"Channel not found"}')
        elif req["uri"] == "channels" and req["method"] == "GET":
            status, body = 200, orjson.dumps(list(self.channels.values()))
        else:
            status, body = 404, b'{"message":"Resource not found"}'
        reply = {"type": "RESTResponse", "transaction_id": req.get("transaction_id", ""),
                 "request_id": req.get("request_id", ""), "status_code": status,
                 "reason_phrase": "OK" if status < 400 else "Not Found", "uri": req["uri"],
                 "content_type": "application/json", "message_body": body.decode(),
                 "application": app, "timestamp": ari_time()}
        await ws.send_str(orjson.dumps(reply).decode())
