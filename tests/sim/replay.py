"""Replay a recorded real-Asterisk scenario (``../shared/ari-traces/scenarios/*.jsonl``) against the
simulator and compare what comes back.

Why a replayer: the traces are the ground truth. Every request is sent again (same method,
path, query, body, headers, credentials) and every WebSocket is opened and closed as it was,
raw upgrade probes included. The simulator runs on a manual clock moved by the gaps the
recording shows, so dialplan waits play out exactly and nothing depends on the machine's speed. Ids that the
server chose (``1795663593.46``) are mapped to the simulator's ids through the responses, so
later requests that use them (cleanup DELETEs) hit the same objects.

Comparisons (each difference is one readable line, so a failing test says what to fix):

* responses: status, ``message`` text, body shape (the recursive set of keys, values aside;
  lists compared as the union of their items' shapes), and the headers that carry behaviour
  (``WWW-Authenticate``, ``Allow``, CORS, ``Content-Type``, ``Location`` present);
* WebSocket upgrades: opened or refused, with which status;
* events per socket: for each object (channel, bridge, playback, recording, device...) the
  sequence of event types in order, and each event's field set; across objects the order is
  free (Asterisk's threads interleave them differently each run). The ``;2`` half of a Local
  pair may show ``ChannelDialplan`` once more or less (see the traces README).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization: Basic`` value (works with every aiohttp version)."""
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

PASSWORDS = {"asterisk": "asterisk", "viewer": "viewer"}
WRONG_PASSWORD_LABELS = {"wrong password"}
BEHAVIOUR_HEADERS = ("WWW-Authenticate", "Allow", "Access-Control-Allow-Origin",
                     "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
                     "Access-Control-Allow-Headers")
OBJECT_KEYS = ("channel", "peer", "bridge", "playback", "recording", "endpoint", "device_state")
_COUNTER = re.compile(r"-[0-9a-f]{8}(;\d)?$")


def shape(value: Any, prefix: str = "") -> set[str]:
    """The recursive key paths of a JSON value (``channel.dialplan.exten``; ``[]`` for list items)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out.add(path)
            out |= shape(item, path)
    elif isinstance(value, list):
        for item in value:
            out |= shape(item, f"{prefix}[]")
    return out


def object_key(event: dict) -> str:
    for key in OBJECT_KEYS:
        obj = event.get(key)
        if isinstance(obj, dict):
            ident = obj.get("id") or obj.get("name") or obj.get("technology", "")
            return f"{key}:{ident}"
    return f"type:{event.get('type')}"


def normalised_name(name: str) -> str:
    """``Local/3000@ARI-test-00000017;1`` -> ``Local/3000@ARI-test;1`` (counters differ per run)."""
    m = _COUNTER.search(name)
    return name[: m.start()] + (m.group(1) or "") if m else name


@dataclass
class Socket:
    label: str
    session: aiohttp.ClientSession
    ws: aiohttp.ClientWebSocketResponse | None = None
    reader: asyncio.Task | None = None
    events: list[dict] = field(default_factory=list)
    status: int | None = None


@dataclass
class Replay:
    """One scenario replayed against one simulator."""

    records: list[dict]
    sim: Any  # a started Simulator with clock="manual"
    differences: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # trace id -> simulator id
    sockets: dict[str, Socket] = field(default_factory=dict)
    trace_events: dict[str, list[dict]] = field(default_factory=dict)
    responses: list[tuple[dict, dict, int, dict, Any]] = field(default_factory=list)
    _closed_events: dict[str, list[dict]] = field(default_factory=dict)  # label -> events received

    # ---- running
    async def run(self, settle: float = 0.3) -> list[str]:
        responses = {r["id"]: r for r in self.records if r.get("kind") == "response"}
        ws_results = {}
        for r in self.records:
            if r.get("kind") == "ws" and r.get("action") in ("open", "handshake_failed"):
                ws_results.setdefault(r["ws"], r)
            if r.get("kind") == "event":
                self.trace_events.setdefault(r["ws"], []).append(r["event"])
        self.base_url = self.sim.url
        last_t = 0.0
        try:
            for rec in self.records:
                kind = rec.get("kind")
                if kind in ("request", "ws"):
                    gap = max(0.0, rec.get("t", last_t) - last_t)
                    last_t = rec.get("t", last_t)
                    if gap:
                        self.sim.advance(gap)
                    for _ in range(2):  # let the server deliver what the clock released
                        await asyncio.sleep(0.003)
                if kind == "ws" and rec.get("action") == "connect":
                    await self._connect(rec, ws_results.get(rec["ws"]))
                elif kind == "ws" and rec.get("action") == "client_close":
                    await self._close(rec["ws"])
                elif kind == "request" and "raw" in rec:
                    await self._raw(rec, responses.get(rec["id"]))
                elif kind == "request":
                    await self._request(rec, responses.get(rec["id"]))
            await asyncio.sleep(settle)
        finally:
            for label in list(self.sockets):
                await self._close(label)
        self._compare_events()
        return self.differences

    def _url(self, trace_url: str) -> str:
        parts = urlsplit(trace_url)
        base = urlsplit(self.base_url)
        scheme = "ws" if parts.scheme in ("ws", "wss") else "http"
        return f"{scheme}://{base.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    async def _connect(self, rec: dict, result: dict | None) -> None:
        label = rec["ws"]
        sock = Socket(label, aiohttp.ClientSession())  # a fresh connection per socket, as recorded
        self.sockets[label] = sock
        try:
            sock.ws = await sock.session.ws_connect(self._url(rec["url"]), headers=rec.get("headers") or {},
                                                    autoping=True)
            sock.status = 101
            sock.reader = asyncio.create_task(self._read(sock))
        except aiohttp.WSServerHandshakeError as exc:
            sock.status = exc.status
        expected = None if result is None else (101 if result["action"] == "open" else result.get("status"))
        if sock.status != expected:
            self.differences.append(f"ws {label}: upgrade answered {sock.status}, Asterisk {expected}")

    async def _read(self, sock: Socket) -> None:
        assert sock.ws is not None
        async for msg in sock.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                sock.events.append(json.loads(msg.data))

    async def _close(self, label: str) -> None:
        sock = self.sockets.pop(label, None)
        if sock is None:
            return
        if sock.ws is not None:
            await sock.ws.close()
        if sock.reader is not None:
            try:
                await asyncio.wait_for(sock.reader, 1.0)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                sock.reader.cancel()
        await sock.session.close()
        self.trace_events.setdefault(label, [])
        self._closed_events.setdefault(label, []).extend(sock.events)

    def _map(self, text: str) -> str:
        return self.ids.get(text, text)

    def _map_path(self, path: str) -> str:
        return "/".join(self._map(seg) for seg in path.split("/"))

    async def _request(self, rec: dict, expected: dict | None) -> None:
        label = rec.get("label") or ""
        headers = dict(rec.get("headers") or {})
        user = rec.get("auth")
        if user is not None:
            password = "wrong" if label in WRONG_PASSWORD_LABELS else PASSWORDS.get(user, "not-a-password")
            headers["Authorization"] = basic_auth(user, password)
        query = rec.get("query") or {}
        pairs = [(k, self._map(str(v))) for k, v in (query.items() if isinstance(query, dict) else query)]
        url = f"{self.base_url}{self._map_path(rec['path'])}"
        kw: dict[str, Any] = {"headers": headers}
        if "body" in rec:
            kw["json"] = rec["body"]
        elif "raw_body" in rec:
            kw["data"] = rec["raw_body"].encode()
        session = aiohttp.ClientSession()
        try:
            async with session.request(rec["method"], url, params=pairs, **kw) as resp:
                raw = await resp.read()
                status, resp_headers = resp.status, resp.headers
        finally:
            await session.close()
        body: Any = None
        ctype = resp_headers.get("Content-Type", "")
        if raw and ctype.startswith("application/json"):
            body = json.loads(raw)
        elif raw:
            body = raw.decode("utf-8", "replace")
        if expected is not None:
            self._compare_response(rec, expected, status, dict(resp_headers), body)

    async def _raw(self, rec: dict, expected: dict | None) -> None:
        base = urlsplit(self.base_url)
        reader, writer = await asyncio.open_connection(base.hostname, base.port)
        text = rec["raw"].replace("Host: 127.0.0.1:8088", f"Host: {base.netloc}")
        writer.write(text.encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        status = int(head.split(b" ", 2)[1])
        writer.close()
        if expected is not None and status != expected["status"]:
            self.differences.append(f"raw {rec.get('label')}: status {status}, Asterisk {expected['status']}")

    # ---- comparing
    def _learn_ids(self, trace_body: Any, sim_body: Any) -> None:
        if isinstance(trace_body, dict) and isinstance(sim_body, dict):
            for key in ("id",):
                a, b = trace_body.get(key), sim_body.get(key)
                if isinstance(a, str) and isinstance(b, str) and a not in self.ids:
                    self.ids[a] = b
        elif isinstance(trace_body, list) and isinstance(sim_body, list):
            def by_name(items: list) -> dict[str, list]:
                out: dict[str, list] = {}
                for item in items:
                    if isinstance(item, dict) and "name" in item and "id" in item:
                        out.setdefault(normalised_name(str(item["name"])), []).append(item)
                return out
            sim_groups = by_name(sim_body)
            for name, items in by_name(trace_body).items():
                for a, b in zip(sorted(items, key=lambda i: i["name"]), sorted(sim_groups.get(name, []),
                                                                                key=lambda i: i["name"])):
                    self.ids.setdefault(a["id"], b["id"])

    def _compare_response(self, rec: dict, expected: dict, status: int, headers: dict, body: Any) -> None:
        what = f"{rec['method']} {rec['path']} {rec.get('query') or ''} ({rec.get('label') or ''})".strip()
        if status != expected["status"]:
            self.differences.append(f"{what}: status {status}, Asterisk {expected['status']} "
                                    f"(body {str(body)[:120]}, Asterisk {str(expected.get('body'))[:120]})")
            return
        self.responses.append((rec, expected, status, headers, body))
        want = expected.get("body")
        if isinstance(want, dict) and "message" in want:
            got = body.get("message") if isinstance(body, dict) else body
            if got != want["message"]:
                self.differences.append(f"{what}: message {got!r}, Asterisk {want['message']!r}")
        if "body" in expected:
            if expected.get("body_truncated") and isinstance(body, list):
                body_for_shape = body[: len(want)]
            else:
                body_for_shape = body
            if shape(body_for_shape) != shape(want) or type(body) is not type(want):
                self.differences.append(f"{what}: body shape differs: extra {sorted(shape(body_for_shape) - shape(want))}, "
                                        f"missing {sorted(shape(want) - shape(body_for_shape))}")
            if isinstance(want, list) and isinstance(body, list) and not expected.get("body_truncated") \
                    and len(want) != len(body) and rec["path"] not in ("/ari/sounds",):
                self.differences.append(f"{what}: {len(body)} items, Asterisk {len(want)}")
            self._learn_ids(want, body)
        elif expected.get("body_empty") and body not in (None, ""):
            self.differences.append(f"{what}: expected an empty body, got {str(body)[:80]}")
        elif "body_text" in expected and body != expected["body_text"]:
            self.differences.append(f"{what}: body {str(body)[:80]!r}, Asterisk {expected['body_text'][:80]!r}")
        want_headers = expected.get("headers") or {}
        for name in BEHAVIOUR_HEADERS:
            if want_headers.get(name) != headers.get(name):
                self.differences.append(f"{what}: header {name} {headers.get(name)!r}, Asterisk "
                                        f"{want_headers.get(name)!r}")
        want_type = (want_headers.get("Content-Type") or "").split(";")[0]
        got_type = (headers.get("Content-Type") or "").split(";")[0]
        if want_type != got_type:
            self.differences.append(f"{what}: Content-Type {got_type!r}, Asterisk {want_type!r}")
        for name in ("Server", "Cache-Control"):
            if headers.get(name) != want_headers.get(name, headers.get(name)):
                self.differences.append(f"{what}: header {name} {headers.get(name)!r}")
        if ("Location" in want_headers) != ("Location" in headers):
            self.differences.append(f"{what}: Location header present {('Location' in headers)}, Asterisk "
                                    f"{'Location' in want_headers}")

    def _group(self, events: list[dict], mapped: bool) -> dict[str, list[dict]]:
        groups: dict[str, list[dict]] = {}
        for e in events:
            key = object_key(e)
            if mapped:
                kind, _, ident = key.partition(":")
                key = f"{kind}:{self.ids.get(ident, ident)}"
            groups.setdefault(key, []).append(e)
        return groups

    def _compare_events(self) -> None:
        for label, trace in self.trace_events.items():
            mine = self._closed_events.get(label, [])
            t_groups, s_groups = self._group(trace, True), self._group(mine, False)
            for key in sorted(set(t_groups) | set(s_groups)):
                want, got = t_groups.get(key, []), s_groups.get(key, [])
                half2 = any(normalised_name(str((e.get("channel") or {}).get("name", ""))).endswith(";2")
                            for e in want + got)
                if half2:  # ChannelDialplan of a ;2 half may come once more or less
                    wd = sum(e["type"] == "ChannelDialplan" for e in want)
                    gd = sum(e["type"] == "ChannelDialplan" for e in got)
                    if abs(wd - gd) > 1:
                        self.differences.append(f"events {label} {key}: {gd} ChannelDialplan, Asterisk {wd}")
                    want = [e for e in want if e["type"] != "ChannelDialplan"]
                    got = [e for e in got if e["type"] != "ChannelDialplan"]
                wt, gt = [e["type"] for e in want], [e["type"] for e in got]
                if wt != gt:
                    self.differences.append(f"events {label} {key}: {gt}, Asterisk {wt}")
                    continue
                for w, g in zip(want, got):
                    if shape(w) != shape(g):
                        self.differences.append(
                            f"events {label} {key} {w['type']}: fields differ: extra {sorted(shape(g) - shape(w))}, "
                            f"missing {sorted(shape(w) - shape(g))}")
