"""Replay a recorded real-Asterisk scenario against the simulator and compare what comes back.

The simulator runs on a manual clock: before each request the clock moves by the gap the
recording shows, so Answer's 500 ms, a 1.4 s playback or a 600 s Wait play out exactly, in
milliseconds. Requests go out with plain aiohttp (one ClientSession per WebSocket, as the
traces README advises), never with our own client.

What is compared, per scenario:
* every response: status, the error ``message`` (or the whole error body), and the shape of a
  success body (keys, recursively, and list lengths), ids and times aside;
* per WebSocket: event counts per type; per object (channel, bridge, playback, device) the
  sequence of events with their telling details (variable=value, cause, state, app...), where
  a Local ``;2`` half may show extra ``ChannelDialplan`` events (Asterisk sends them once or
  twice depending on when the app subscribed); and for each matched pair of events the set of
  fields, recursively.

Objects are named by the request that created them (``R12``, ``R12;2``), so ids that Asterisk
chose (``1795663503.0``, playback UUIDs) and the ones the simulator chose line up.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from ari_notebook.sim import Simulator

PASSWORDS = {"asterisk": "asterisk", "viewer": "viewer"}
SEQ = re.compile(r"-[0-9a-f]{8}(?=;|$)")


# ---- running ---------------------------------------------------------------------------------

@dataclass
class Exchange:
    index: int
    request: dict
    trace: dict | None
    status: int = 0
    body: Any = None
    headers: dict = field(default_factory=dict)


@dataclass
class Replay:
    records: list[dict]
    exchanges: list[Exchange] = field(default_factory=list)
    trace_events: dict[str, list[dict]] = field(default_factory=dict)
    sim_events: dict[str, list[dict]] = field(default_factory=dict)
    sim: Any = None
    log: list = field(default_factory=list)


def _auth_header(user: str | None) -> dict[str, str]:
    if not user:
        return {}
    return {"Authorization": aiohttp.encode_basic_auth(user, PASSWORDS.get(user, user))}


def _rel(url: str) -> str:
    """``http://127.0.0.1:8088/ari/x?y=1`` -> ``/ari/x?y=1`` (encoding untouched)."""
    return re.sub(r"^[a-z]+://[^/]+", "", url)


class IdMap:
    """Trace ids -> simulator ids, learned from responses, so later requests can name them."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def learn(self, trace_body: Any, sim_body: Any) -> None:
        if isinstance(trace_body, dict) and isinstance(sim_body, dict):
            t, s = trace_body.get("id"), sim_body.get("id")
            if isinstance(t, str) and isinstance(s, str) and t != s:
                self.ids[t] = s
                tn, sn = trace_body.get("name"), sim_body.get("name")
                if isinstance(tn, str) and isinstance(sn, str) and tn.endswith(";1"):
                    self.ids[tn[:-1] + "2"] = sn[:-1] + "2"

    def rewrite(self, text: str) -> str:
        for t in sorted(self.ids, key=len, reverse=True):
            text = re.sub(rf"(?<![\w.\-]){re.escape(t)}(?![\w\-]|\.\d)", self.ids[t], text)
        return text


async def replay(records: list[dict], **sim_options: Any) -> Replay:
    """Run the scenario's requests and sockets against a fresh simulator (manual clock)."""
    out = Replay(records)
    responses = {r["id"]: r for r in records if r["kind"] == "response"}
    for r in records:
        if r["kind"] == "event":
            out.trace_events.setdefault(r["ws"], []).append(r["event"])
    sim = await Simulator.start(clock="manual", **sim_options)
    out.sim = sim
    sockets: dict[str, tuple[aiohttp.ClientSession, Any, asyncio.Task]] = {}
    ids = IdMap()
    http = aiohttp.ClientSession()
    now = records[0]["t"] if records else 0.0
    pending: list[asyncio.Task] = []

    async def settle() -> None:
        for _ in range(3):
            await asyncio.sleep(0.005)

    async def advance_to(t: float) -> None:
        nonlocal now
        if pending:
            await asyncio.gather(*pending)
            pending.clear()
        if t > now:
            sim.advance(t - now)
            now = t
        await settle()

    async def reader(label: str, ws: Any) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                out.sim_events.setdefault(label, []).append(json.loads(msg.data))

    async def send(ex: Exchange) -> None:
        req = ex.request
        url = sim.url + ids.rewrite(_rel(req["url"]))
        headers = dict(req.get("headers") or {})
        headers.update(_auth_header(req.get("auth")))
        kwargs: dict[str, Any] = {}
        if "body" in req:
            kwargs["data"] = json.dumps(req["body"]).encode()
            headers.setdefault("Content-Type", "application/json")
        elif "raw_body" in req:
            kwargs["data"] = req["raw_body"].encode()
        async with http.request(req["method"], URL(url, encoded=True), headers=headers, **kwargs) as resp:
            ex.status = resp.status
            ex.headers = dict(resp.headers)
            text = await resp.text()
            ex.body = json.loads(text) if text and resp.content_type == "application/json" else (text or None)
        if ex.trace is not None:
            ids.learn(ex.trace.get("body"), ex.body)

    try:
        for rec in records:
            kind = rec["kind"]
            if kind == "ws" and rec.get("action") == "connect":
                await advance_to(rec["t"])
                session = aiohttp.ClientSession()
                path = _rel(rec["url"])
                ws = await session.ws_connect(sim.url + path, headers=rec.get("headers") or {})
                sockets[rec["ws"]] = (session, ws, asyncio.create_task(reader(rec["ws"], ws)))
            elif kind == "ws" and rec.get("action") == "client_close":
                await advance_to(rec["t"])
                session, ws, task = sockets.pop(rec["ws"])
                await ws.close()
                await task
                await session.close()
            elif kind == "request" and "raw" not in rec:
                await advance_to(rec["t"])
                ex = Exchange(rec["id"], rec, responses.get(rec["id"]))
                out.exchanges.append(ex)
                nxt = _next_record(records, rec)
                if nxt is not None and nxt["kind"] == "request":  # fired together (load test): keep concurrency
                    pending.append(asyncio.create_task(send(ex)))
                else:
                    await send(ex)
        await advance_to(records[-1]["t"])
        await asyncio.sleep(0.05)
    finally:
        for session, ws, task in sockets.values():
            await ws.close()
            await task
            await session.close()
        await http.close()
        out.log = list(sim.log)
        out.sim = None
        await sim.stop()
    return out


def _next_record(records: list[dict], rec: dict) -> dict | None:
    i = records.index(rec)
    for nxt in records[i + 1:]:
        if nxt["kind"] in ("request", "response", "ws"):
            return nxt
    return None


# ---- labelling objects -----------------------------------------------------------------------

class Labels:
    """Names objects by the request that created them, the same way on both sides."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        self.pattern_counts: Counter = Counter()

    def learn(self, label: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            return
        self.by_id.setdefault(body["id"], label)
        name = body.get("name")
        if isinstance(name, str) and name:
            self.by_name.setdefault(name, label)
            if name.endswith(";1"):
                self.by_name.setdefault(name[:-1] + "2", label + ";2")

    def channel(self, chan: dict) -> str:
        cid, name = chan.get("id", ""), chan.get("name", "")
        if cid in self.by_id:
            return self.by_id[cid]
        if name in self.by_name:
            label = self.by_name[name]
            self.by_id[cid] = label
            return label
        label = f"{SEQ.sub('', name)}#{self.pattern_counts[SEQ.sub('', name)]}"
        self.pattern_counts[SEQ.sub("", name)] += 1
        self.by_id[cid] = label
        self.by_name[name] = label
        return label

    def peer_names(self, value: str) -> str:
        parts = []
        for name in filter(None, value.split(",")):
            parts.append(self.by_name.get(name) or SEQ.sub("", name))
        return ",".join(sorted(parts))

    def plain(self, oid: str) -> str:
        return self.by_id.get(oid, oid)


def labels_for(exchanges: list[Exchange], side: str) -> Labels:
    labels = Labels()
    for ex in exchanges:
        body = (ex.trace or {}).get("body") if side == "trace" else ex.body
        label = f"R{ex.index}"
        if isinstance(body, dict):
            labels.learn(label, body)
    return labels


def describe(event: dict, labels: Labels) -> tuple[str, str]:
    """(object, detail) of one event: what per-object order is compared on."""
    etype = event["type"]
    if "playback" in event:
        pb = event["playback"]
        return f"playback:{labels.plain(pb['id'])}", f"{etype}:{pb['state']}:{pb['media_uri']}"
    if etype == "DeviceStateChanged":
        ds = event["device_state"]
        return f"device:{SEQ.sub('', ds['name'])}", f"{etype}:{ds['state']}"
    if etype == "Dial":
        return f"channel:{labels.channel(event['peer'])}", f"{etype}:{event['dialstatus']}"
    if "channel" in event:
        who = f"channel:{labels.channel(event['channel'])}"
        if etype == "ChannelVarset":
            value = event["value"]
            if event["variable"] == "BRIDGEPEER":
                value = labels.peer_names(value)
            return who, f"{etype}:{event['variable']}={value}"
        if etype == "ChannelHangupRequest":
            return who, f"{etype}:{event.get('cause')}:{event.get('soft', False)}"
        if etype == "ChannelDestroyed":
            return who, f"{etype}:{event['cause']}:{event['cause_txt']}"
        if etype == "ChannelDialplan":
            return who, f"{etype}:{event['dialplan_app']}"
        if etype == "ChannelStateChange":
            return who, f"{etype}:{event['channel']['state']}"
        if etype == "StasisStart":
            return who, f"{etype}:{event['args']}"
        if etype in ("ChannelEnteredBridge", "ChannelLeftBridge"):
            return who, f"{etype}:{labels.plain(event['bridge']['id'])}"
        return who, etype
    if "bridge" in event:
        return f"bridge:{labels.plain(event['bridge']['id'])}", etype
    if etype == "ChannelUserevent":
        return f"user:{event['eventname']}", etype
    return f"other:{etype}", etype


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every field name, recursively (``channel.dialplan.app_name``); list items merged."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            out.add(path)
            out |= key_paths(v, path)
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, prefix + "[]")
    return out


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return ["list", len(value), *sorted({json.dumps(shape(v), sort_keys=True) for v in value})]
    if value is None:
        return "null"
    return type(value).__name__


# ---- comparing ------------------------------------------------------------------------------

def compare_responses(run: Replay) -> list[str]:
    problems = []
    for ex in run.exchanges:
        t = ex.trace
        if t is None:
            continue
        where = f"request {ex.index} {ex.request['method']} {ex.request['path']} {ex.request.get('label') or ''}"
        if t["status"] != ex.status:
            problems.append(f"{where}: status {ex.status}, Asterisk {t['status']} ({t.get('body')!r} vs {ex.body!r})")
            continue
        body = t.get("body")
        if t["status"] >= 400:
            if body is not None and body != ex.body:
                problems.append(f"{where}: error body {ex.body!r}, Asterisk {body!r}")
            continue
        if "body_truncated" in t or body is None:
            continue
        if shape(body) != shape(ex.body):
            problems.append(f"{where}: body shape differs:\n  sim   {json.dumps(shape(ex.body))[:600]}\n"
                            f"  trace {json.dumps(shape(body))[:600]}")
        if t["status"] == 201 and ("Location" in t.get("headers", {})) != ("Location" in ex.headers):
            problems.append(f"{where}: Location header presence differs")
    return problems


def compare_events(run: Replay) -> list[str]:
    problems = []
    tl, sl = labels_for(run.exchanges, "trace"), labels_for(run.exchanges, "sim")
    for socket in sorted(set(run.trace_events) | set(run.sim_events)):
        trace = run.trace_events.get(socket, [])
        sim = run.sim_events.get(socket, [])
        tc = Counter(e["type"] for e in trace)
        sc = Counter(e["type"] for e in sim)
        for etype in sorted(set(tc) | set(sc)):
            if etype == "ChannelDialplan":
                if sc[etype] < tc[etype]:
                    problems.append(f"[{socket}] {etype}: {sc[etype]} events, Asterisk sent {tc[etype]}")
            elif tc[etype] != sc[etype]:
                problems.append(f"[{socket}] {etype}: {sc[etype]} events, Asterisk sent {tc[etype]}")
        t_by = _per_object(trace, tl)
        s_by = _per_object(sim, sl)
        for obj in sorted(set(t_by) | set(s_by)):
            problems += _match(socket, obj, t_by.get(obj, []), s_by.get(obj, []))
    return problems


def _per_object(events: list[dict], labels: Labels) -> dict[str, list[tuple[str, dict]]]:
    out: dict[str, list[tuple[str, dict]]] = {}
    for e in events:
        obj, detail = describe(e, labels)
        out.setdefault(obj, []).append((detail, e))
    return out


def _match(socket: str, obj: str, trace: list, sim: list) -> list[str]:
    lenient = obj.endswith(";2")  # a Local ;2 half: ChannelDialplan once or twice
    i = j = 0
    problems: list[str] = []
    while i < len(trace) and j < len(sim):
        if trace[i][0] == sim[j][0]:
            t_keys, s_keys = _fields(trace[i][1]), _fields(sim[j][1])
            if t_keys != s_keys:
                problems.append(f"[{socket}] {obj} {trace[i][0]}: fields differ: only sim {sorted(s_keys - t_keys)}, "
                                f"only Asterisk {sorted(t_keys - s_keys)}")
            i += 1
            j += 1
        elif lenient and sim[j][0].startswith("ChannelDialplan:"):
            j += 1
        else:
            break
    while j < len(sim) and lenient and sim[j][0].startswith("ChannelDialplan:") and i == len(trace):
        j += 1
    if i < len(trace) or j < len(sim):
        problems.append(f"[{socket}] {obj}: event order differs at Asterisk #{i} / sim #{j}:\n"
                        f"  Asterisk {[d for d, _ in trace]}\n  sim      {[d for d, _ in sim]}")
    return problems


def _fields(event: dict) -> set[str]:
    return key_paths(event)
