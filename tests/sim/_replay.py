"""Replay a recorded real-Asterisk scenario (``../shared/ari-traces/scenarios/*.jsonl``) against the
simulator and compare what comes back. The one replayer every conformance test uses.

Why a replayer: the traces are the ground truth. Every request is sent again (same method,
URL, body, headers, credentials; raw HTTP probes byte for byte) and every WebSocket is opened
and closed as it was. The simulator runs on a manual clock: before each step the clock moves
by the gap the recording shows, so Answer's 500 ms, a playback or a 600 s Wait play out exactly,
in milliseconds. Requests go out with plain aiohttp (one ClientSession per WebSocket, as the
traces README advises), never with our own client. Requests the recording fired together
(the load test) are sent concurrently.

No step waits a fixed time for the server (that made the comparison flaky on a loaded
machine): after each step every open socket is *synced* — a ``RESTRequest`` ping goes out
on it and the replayer waits for its ``RESTResponse``. The simulator queues a socket's
messages in order and queues events synchronously (a request's events before its response,
the clock's events inside ``advance``), so when the answer arrives every earlier event has
too. The sync answers are left out of the compared events. A closed socket is waited for
until the server has let go of it (its app is unregistered), again a condition, not a delay.

Ids that Asterisk chose (``1795663503.0``, playback UUIDs) are mapped to the simulator's ids
through the responses, so later requests that use them hit the same objects; objects in
events are named by the request that created them (``R12``, ``R12;2``) on both sides.

What is compared (each difference is one readable line, so a failing test says what to fix):

* responses (``compare_responses``): status; an error's whole body (so its ``message``);
  a success body's shape (keys recursively, value types, list lengths and the set of item
  shapes; a list the recording truncated is compared on its kept items' key paths); an
  expected empty or text body; the headers that carry behaviour (``WWW-Authenticate``,
  ``Allow``, CORS), ``Content-Type``, ``Server``/``Cache-Control``, ``Location`` presence;
  raw probes' status; every WebSocket upgrade (opened, or refused with which status);
* events (``compare_events``), per socket: counts per type; per object (channel, bridge,
  playback, recording, endpoint, device...) the sequence of events with their telling details
  (variable=value, cause, state, app...); for each matched pair the set of fields,
  recursively. Across objects the order is free (Asterisk's threads interleave them
  differently each run). A Local ``;2`` half may show one more ``ChannelDialplan`` than
  the recording (Asterisk sends it once or twice depending on when the app subscribed).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from ari_notebook.sim import Simulator

PASSWORDS = {"asterisk": "asterisk", "viewer": "viewer"}
WRONG_PASSWORD_LABELS = {"wrong password"}
BEHAVIOUR_HEADERS = ("WWW-Authenticate", "Allow", "Access-Control-Allow-Origin",
                     "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
                     "Access-Control-Allow-Headers")
UNCOUNTED_LISTS = ("/ari/sounds",)  # the catalogue's size depends on the installed sound packs
SEQ = re.compile(r"-[0-9a-f]{8}(?=;|$)")
SYNC_ID = "replay-sync"
RESTART_NOTE = "issuing: asterisk -rx 'core restart now'"  # j_reconnect restarts the recorded Asterisk
SYNC_TIMEOUT = 30.0  # seconds; only a broken simulator gets near it


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
    upgrades: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)  # ws: (sim, Asterisk)
    raw: list[tuple[dict, int, int | None]] = field(default_factory=list)  # (request, sim status, Asterisk)
    sim: Any = None
    log: list = field(default_factory=list)
    ids: Any = None  # the IdMap: recorded ids -> the simulator's


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization: Basic`` value."""
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _auth_header(req: dict) -> dict[str, str]:
    user = req.get("auth")
    if not user:
        return {}
    password = "wrong" if req.get("label") in WRONG_PASSWORD_LABELS else PASSWORDS.get(user, user)
    return {"Authorization": basic_auth(user, password)}


def _rel(url: str) -> str:
    """``http://127.0.0.1:8088/ari/x?y=1`` -> ``/ari/x?y=1`` (encoding untouched)."""
    return re.sub(r"^[a-z]+://[^/]+", "", url)


def normalised_name(name: str) -> str:
    """``Local/3000@ARI-test-00000017;1`` -> ``Local/3000@ARI-test;1`` (counters differ per run)."""
    return SEQ.sub("", name)


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
        elif isinstance(trace_body, list) and isinstance(sim_body, list):
            # listed objects (GET /channels): pair them by normalised name, in name order
            def by_name(items: list) -> dict[str, list]:
                out: dict[str, list] = {}
                for item in items:
                    if isinstance(item, dict) and "name" in item and "id" in item:
                        out.setdefault(normalised_name(str(item["name"])), []).append(item)
                return out
            sim_groups = by_name(sim_body)
            for name, items in by_name(trace_body).items():
                pairs = zip(sorted(items, key=lambda i: i["name"]),
                            sorted(sim_groups.get(name, []), key=lambda i: i["name"]))
                for a, b in pairs:
                    if a["id"] != b["id"]:
                        self.ids.setdefault(a["id"], b["id"])

    def rewrite(self, text: str) -> str:
        for t in sorted(self.ids, key=len, reverse=True):
            text = re.sub(rf"(?<![\w.\-]){re.escape(t)}(?![\w\-]|\.\d)", self.ids[t], text)
        return text


class _Socket:
    """One replayed events WebSocket: its own session, a reader, and the sync handshake."""

    def __init__(self, label: str, events: list[dict]) -> None:
        self.label = label
        self.session = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task | None = None
        self.events = events
        self.syncs = 0
        self.waiting: dict[bytes, asyncio.Future] = {}

    async def read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.PONG:
                fut = self.waiting.pop(bytes(msg.data), None)
                if fut is not None and not fut.done():
                    fut.set_result(None)
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            self.events.append(json.loads(msg.data))

    async def sync(self) -> None:
        """Return once every message the server queued for this socket so far has arrived.

        A WebSocket ping, not a RESTRequest: an app's event filter may drop RESTResponse (as
        Asterisk does), but the server answers a ping in order after what it already sent."""
        if self.ws is None or self.ws.closed or self.reader is None or self.reader.done():
            return
        self.syncs += 1
        token = f"{SYNC_ID}-{self.syncs}".encode()
        fut = asyncio.get_running_loop().create_future()
        self.waiting[token] = fut
        await self.ws.ping(token)
        done, _ = await asyncio.wait({fut, self.reader}, timeout=SYNC_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if fut not in done and not self.reader.done():
            raise AssertionError(f"ws {self.label}: no answer to the sync ping within {SYNC_TIMEOUT} s")

    async def send(self, rec: dict, ids: "IdMap") -> None:
        """A ``ws_send`` line: the JSON message (ids mapped to the simulator's) or the raw text."""
        if self.ws is None or self.ws.closed:
            return
        if "message" in rec:
            await self.ws.send_str(ids.rewrite(json.dumps(rec["message"])))
        else:
            await self.ws.send_str(rec.get("text", ""))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
        await self.session.close()


async def _until(condition, what: str) -> None:
    """Yield to the loop until ``condition()`` holds (a state check, not a guessed delay)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SYNC_TIMEOUT
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"replay: {what} did not happen within {SYNC_TIMEOUT} s")
        await asyncio.sleep(0.001)


async def replay(records: list[dict], **sim_options: Any) -> Replay:
    """Run the scenario's requests and sockets against a fresh simulator (manual clock)."""
    out = Replay(records)
    responses = {r["id"]: r for r in records if r["kind"] == "response"}
    ws_results: dict[str, dict] = {}
    for r in records:
        if r["kind"] == "event":
            out.trace_events.setdefault(r["ws"], []).append(r["event"])
        elif r["kind"] == "ws" and r.get("action") in ("open", "handshake_failed"):
            ws_results.setdefault(r["ws"], r)
    sim = await Simulator.start(clock="manual", **sim_options)
    out.sim = sim
    sockets: dict[str, _Socket] = {}
    ids = IdMap()
    out.ids = ids
    http = aiohttp.ClientSession()
    now = records[0]["t"] if records else 0.0
    pending: list[asyncio.Task] = []

    async def sync() -> None:
        for sock in list(sockets.values()):
            await sock.sync()

    async def advance_to(t: float) -> None:
        nonlocal now
        if pending:
            await asyncio.gather(*pending)
            pending.clear()
        await sync()  # what the previous step caused has arrived
        learn_rest_ids()
        if t > now:
            sim.advance(t - now)
            now = t
            await sync()  # what the clock released has arrived

    def learn_rest_ids() -> None:
        """Ids created over REST-over-WebSocket (an originate's RESTResponse) map like HTTP ones."""
        for trace_answer, sim_answer in rest_pairs(out):
            if sim_answer is not None:
                    ids.learn(_body_json(trace_answer), _body_json(sim_answer))

    async def connect(rec: dict) -> None:
        label = rec["ws"]
        sock = _Socket(label, out.sim_events.setdefault(label, []))
        status: int | None
        try:
            sock.ws = await sock.session.ws_connect(sim.url + _rel(rec["url"]), headers=rec.get("headers") or {},
                                                    autoping=False)  # the sync reads its own pongs
            status = 101
            sock.reader = asyncio.create_task(sock.read())
            sockets[label] = sock
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
            await sock.session.close()
        result = ws_results.get(label)
        expected = None if result is None else (101 if result["action"] == "open" else result.get("status"))
        out.upgrades[label] = (status, expected)

    async def close(label: str) -> None:
        sock = sockets.pop(label, None)
        if sock is None:
            return
        held = len(sim.http.sockets)
        await sock.close()
        # the server lets go (unregisters the socket's apps) once it has read the close frame
        await _until(lambda: len(sim.http.sockets) < held, f"the server releasing socket {label}")

    async def restart() -> None:
        """``core restart now``: the simulator restarts (every channel hung up, sockets dropped)."""
        await sim.restart(keep_state=False)
        for label, sock in list(sockets.items()):
            if sock.reader is not None:
                await sock.reader  # the server closed it
            await sock.session.close()
            del sockets[label]

    async def send(ex: Exchange) -> None:
        req = ex.request
        url = sim.url + ids.rewrite(_rel(req["url"]))
        headers = dict(req.get("headers") or {})
        headers.update(_auth_header(req))
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
        if ex.trace is not None and "body" in ex.trace:
            ids.learn(ex.trace["body"], ex.body)

    async def send_raw(rec: dict) -> None:
        base = urlsplit(sim.url)
        reader, writer = await asyncio.open_connection(base.hostname, base.port)
        try:
            writer.write(rec["raw"].replace("Host: 127.0.0.1:8088", f"Host: {base.netloc}").encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), SYNC_TIMEOUT)
        finally:
            writer.close()
        expected = responses.get(rec["id"])
        out.raw.append((rec, int(head.split(b" ", 2)[1]), None if expected is None else expected["status"]))

    try:
        for rec in records:
            kind = rec["kind"]
            if kind == "ws" and rec.get("action") == "connect":
                await advance_to(rec["t"])
                await connect(rec)
            elif kind == "ws" and rec.get("action") == "client_close":
                await advance_to(rec["t"])
                await close(rec["ws"])
            elif kind == "note" and str(rec.get("text", "")).startswith(RESTART_NOTE):
                await advance_to(rec["t"])
                await restart()
            elif kind == "ws_send":
                await advance_to(rec["t"])
                if rec["ws"] in sockets:
                    await sockets[rec["ws"]].send(rec, ids)
            elif kind == "request" and "raw" in rec:
                await advance_to(rec["t"])
                await send_raw(rec)
            elif kind == "request":
                await advance_to(rec["t"])
                ex = Exchange(rec["id"], rec, responses.get(rec["id"]))
                out.exchanges.append(ex)
                nxt = _next_record(records, rec)
                if nxt is not None and nxt["kind"] == "request":  # fired together (load test): keep concurrency
                    pending.append(asyncio.create_task(send(ex)))
                else:
                    await send(ex)
        if records:
            await advance_to(records[-1]["t"])
    finally:
        for task in pending:
            task.cancel()
        for label in list(sockets):
            await close(label)
        await http.close()
        out.log = list(sim.log)
        out.sim = None
        await sim.stop()
    return out


def _body_json(answer: dict) -> Any:
    """A RESTResponse's ``message_body`` parsed (it is JSON text), or None."""
    text = answer.get("message_body")
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def rest_pairs(run: Replay) -> list[tuple[dict, dict | None]]:
    """Each recorded RESTResponse with the simulator's answer to the same request: same socket,
    same ``request_id`` and ``transaction_id``, n-th of its kind (None when it never came)."""
    pairs = []
    for socket, trace in run.trace_events.items():
        got: dict[tuple, list[dict]] = {}
        for e in run.sim_events.get(socket, []):
            if e.get("type") == "RESTResponse":
                got.setdefault((e.get("request_id"), e.get("transaction_id")), []).append(e)
        seen: Counter = Counter()
        for e in trace:
            if e.get("type") != "RESTResponse":
                continue
            key = (e.get("request_id"), e.get("transaction_id"))
            answers = got.get(key, [])
            pairs.append((e, answers[seen[key]] if seen[key] < len(answers) else None))
            seen[key] += 1
    return pairs


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


def labels_for(run: Replay, side: str) -> Labels:
    labels = Labels()
    for ex in run.exchanges:
        body = (ex.trace or {}).get("body") if side == "trace" else ex.body
        label = f"R{ex.index}"
        if isinstance(body, dict):
            labels.learn(label, body)
    for trace_answer, sim_answer in rest_pairs(run):  # objects created over REST-over-WebSocket
        answer = trace_answer if side == "trace" else sim_answer
        if answer is not None:
            labels.learn(f"W{trace_answer.get('request_id')}", _body_json(answer))
    return labels


def describe(event: dict, labels: Labels) -> tuple[str, str]:
    """(object, detail) of one event: what per-object order is compared on."""
    etype = event["type"]
    if "playback" in event:
        pb = event["playback"]
        return f"playback:{labels.plain(pb['id'])}", f"{etype}:{pb['state']}:{pb['media_uri']}"
    if "recording" in event and isinstance(event["recording"], dict):
        rec = event["recording"]
        return f"recording:{rec.get('name')}", f"{etype}:{rec.get('state')}"
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
    if "endpoint" in event and isinstance(event["endpoint"], dict):
        ep = event["endpoint"]
        return f"endpoint:{ep.get('technology')}/{ep.get('resource')}", f"{etype}:{ep.get('state')}"
    if etype == "RESTResponse":
        return f"rest:{event.get('request_id')}", f"{etype}:{event.get('status_code')}"
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
    """Keys recursively with value types; a list as its length and the set of its items' shapes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return ["list", len(value), *sorted({json.dumps(shape(v), sort_keys=True) for v in value})]
    if value is None:
        return "null"
    return type(value).__name__


# ---- tolerated differences -------------------------------------------------------------------

@dataclass(frozen=True)
class Tolerance:
    """A difference a scenario may show without failing, named with the reason it is allowed.

    ``body`` rewrites a recorded answer body before it is compared (``path`` is the request's,
    or the RESTResponse's ``uri``); ``events`` rewrites one socket's event list, recorded and
    simulated alike, before the per-object comparison."""

    name: str
    reason: str
    body: Callable[[str, Any], Any] | None = None
    events: Callable[[list[dict]], list[dict]] | None = None


def _without_authorship(path: str, body: Any) -> Any:
    if "api-docs/" in path and isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in ("_copyright", "_author", "_svn_revision")}
    return body


API_DOCS_AUTHORSHIP = Tolerance(
    "api-docs authorship notes",
    "Asterisk's api-docs carry its authors' _copyright, _author and _svn_revision notes; the simulator "
    "generates its own api-docs from its route table and does not claim them",
    body=_without_authorship)


def _without_late_bridge_playback_end(events: list[dict]) -> list[dict]:
    gone: set[str] = set()
    out = []
    for e in events:
        if e.get("type") == "BridgeDestroyed":
            gone.add(f"bridge:{(e.get('bridge') or {}).get('id')}")
        if e.get("type") == "PlaybackFinished" and (e.get("playback") or {}).get("target_uri") in gone:
            continue
        out.append(e)
    return out


RACY_BRIDGE_PLAYBACK_END = Tolerance(
    "PlaybackFinished after its bridge was destroyed",
    "racy in Asterisk 23.4.1: destroying a bridge during its own playback gave the app PlaybackFinished "
    "(failed) in 7 of 11 recorded runs and nothing in the others (traces README, scenario l); that the "
    "playback is gone (404) is still compared",
    events=_without_late_bridge_playback_end)


# ---- comparing ------------------------------------------------------------------------------

def compare_responses(run: Replay, tolerate: Iterable[Tolerance] = ()) -> list[str]:
    """Every answer, raw probe and WebSocket upgrade against the recording's (see module doc)."""
    tolerate = tuple(tolerate)
    problems = []
    for label, (got, want) in run.upgrades.items():
        if got != want:
            problems.append(f"ws {label}: upgrade answered {got}, Asterisk {want}")
    for rec, got, want in run.raw:
        if got != want:
            problems.append(f"raw {rec.get('label')}: status {got}, Asterisk {want}")
    for ex in run.exchanges:
        if ex.trace is not None:
            problems += _compare_response(ex, tolerate)
    for trace_answer, sim_answer in rest_pairs(run):
        problems += _compare_rest_response(trace_answer, sim_answer, run.ids, tolerate)
    return problems


def _tolerated_body(path: str, body: Any, tolerate: tuple[Tolerance, ...]) -> Any:
    for tol in tolerate:
        if tol.body is not None:
            body = tol.body(path, body)
    return body


def _compare_rest_response(t: dict, got: dict | None, ids: IdMap | None,
                           tolerate: tuple[Tolerance, ...] = ()) -> list[str]:
    """A RESTResponse event: status, reason, echoed uri and ids, body like an HTTP body."""
    where = f"RESTResponse {t.get('request_id')!r}"
    if got is None:
        return [f"{where}: no answer from the simulator, Asterisk {t['status_code']} {t['reason_phrase']}"]
    problems = []
    want_uri = ids.rewrite(t.get("uri", "")) if ids is not None else t.get("uri")
    for name, want in (("status_code", t.get("status_code")), ("reason_phrase", t.get("reason_phrase")),
                       ("uri", want_uri), ("content_type", t.get("content_type")),
                       ("application", t.get("application"))):
        if got.get(name) != want:
            problems.append(f"{where}: {name} {got.get(name)!r}, Asterisk {want!r}")
    want_body, got_body = _tolerated_body(t.get("uri", ""), _body_json(t), tolerate), _body_json(got)
    if t.get("status_code", 0) >= 400:
        if want_body != got_body:
            problems.append(f"{where}: error body {got_body!r}, Asterisk {want_body!r}")
    elif shape(want_body) != shape(got_body):
        problems.append(f"{where}: body shape differs:\n  sim   {json.dumps(shape(got_body))[:600]}\n"
                        f"  trace {json.dumps(shape(want_body))[:600]}")
    if set(t) != set(got):
        problems.append(f"{where}: fields {sorted(got)}, Asterisk {sorted(t)}")
    return problems


def _compare_response(ex: Exchange, tolerate: tuple[Tolerance, ...] = ()) -> list[str]:
    t, req = ex.trace, ex.request
    where = f"request {ex.index} {req['method']} {req['path']} {req.get('label') or ''}"
    if t["status"] != ex.status:
        return [f"{where}: status {ex.status}, Asterisk {t['status']} ({t.get('body')!r} vs {ex.body!r})"]
    problems = []
    body = _tolerated_body(req["path"], t.get("body"), tolerate)
    if "body" in t and t["status"] >= 400:
        if body != ex.body:
            problems.append(f"{where}: error body {ex.body!r}, Asterisk {body!r}")
    elif "body" in t and t.get("body_truncated") and isinstance(body, list) and isinstance(ex.body, list):
        kept = ex.body[: len(body)]
        if key_paths(kept) != key_paths(body):
            problems.append(f"{where}: body fields differ: only sim {sorted(key_paths(kept) - key_paths(body))}, "
                            f"only Asterisk {sorted(key_paths(body) - key_paths(kept))}")
    elif "body" in t:
        want_shape, got_shape = shape(body), shape(ex.body)
        if req["path"] in UNCOUNTED_LISTS and isinstance(body, list) and isinstance(ex.body, list):
            want_shape, got_shape = want_shape[2:], got_shape[2:]  # item shapes, not the count
        if want_shape != got_shape:
            problems.append(f"{where}: body shape differs:\n  sim   {json.dumps(shape(ex.body))[:600]}\n"
                            f"  trace {json.dumps(shape(body))[:600]}")
    elif t.get("body_empty") and ex.body not in (None, ""):
        problems.append(f"{where}: expected an empty body, got {str(ex.body)[:80]}")
    elif "body_text" in t and ex.body != t["body_text"]:
        problems.append(f"{where}: body {str(ex.body)[:80]!r}, Asterisk {t['body_text'][:80]!r}")
    want_headers = t.get("headers") or {}
    for name in BEHAVIOUR_HEADERS:
        if want_headers.get(name) != ex.headers.get(name):
            problems.append(f"{where}: header {name} {ex.headers.get(name)!r}, Asterisk {want_headers.get(name)!r}")
    want_type = (want_headers.get("Content-Type") or "").split(";")[0]
    got_type = (ex.headers.get("Content-Type") or "").split(";")[0]
    if want_type != got_type:
        problems.append(f"{where}: Content-Type {got_type!r}, Asterisk {want_type!r}")
    for name in ("Server", "Cache-Control"):
        if name in want_headers and ex.headers.get(name) != want_headers[name]:
            problems.append(f"{where}: header {name} {ex.headers.get(name)!r}, Asterisk {want_headers[name]!r}")
    if ("Location" in want_headers) != ("Location" in ex.headers):
        problems.append(f"{where}: Location header present {'Location' in ex.headers}, "
                        f"Asterisk {'Location' in want_headers}")
    return problems


def _tolerated_events(events: list[dict], tolerate: tuple[Tolerance, ...]) -> list[dict]:
    for tol in tolerate:
        if tol.events is not None:
            events = tol.events(events)
    return events


def compare_events(run: Replay, tolerate: Iterable[Tolerance] = ()) -> list[str]:
    tolerate = tuple(tolerate)
    problems = []
    tl, sl = labels_for(run, "trace"), labels_for(run, "sim")
    for socket in sorted(set(run.trace_events) | set(run.sim_events)):
        trace = _tolerated_events(run.trace_events.get(socket, []), tolerate)
        sim = _tolerated_events(run.sim_events.get(socket, []), tolerate)
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
    extra = 0
    problems: list[str] = []
    while i < len(trace) and j < len(sim):
        if trace[i][0] == sim[j][0]:
            t_keys, s_keys = key_paths(trace[i][1]), key_paths(sim[j][1])
            if t_keys != s_keys:
                problems.append(f"[{socket}] {obj} {trace[i][0]}: fields differ: only sim {sorted(s_keys - t_keys)}, "
                                f"only Asterisk {sorted(t_keys - s_keys)}")
            i += 1
            j += 1
        elif lenient and sim[j][0].startswith("ChannelDialplan:"):
            j += 1
            extra += 1
        else:
            break
    while j < len(sim) and lenient and sim[j][0].startswith("ChannelDialplan:") and i == len(trace):
        j += 1
        extra += 1
    if i < len(trace) or j < len(sim):
        problems.append(f"[{socket}] {obj}: event order differs at Asterisk #{i} / sim #{j}:\n"
                        f"  Asterisk {[d for d, _ in trace]}\n  sim      {[d for d, _ in sim]}")
    elif extra > 1:
        problems.append(f"[{socket}] {obj}: {extra} more ChannelDialplan than Asterisk (at most one)")
    return problems


# ---- scoring (how far off a scenario is, for reports; the tests assert on the problem lists) ----

def score(run: Replay, tolerate: Iterable[Tolerance] = ()) -> tuple[int, int]:
    """(checks passed, checks made): one check per answer, upgrade, raw probe and RESTResponse,
    per socket one per event type count and one per object's event sequence."""
    tolerate = tuple(tolerate)
    passed = total = 0

    def tally(problems: list[str]) -> None:
        nonlocal passed, total
        total += 1
        passed += not problems

    for got, want in run.upgrades.values():
        tally([] if got == want else ["x"])
    for _, got, want in run.raw:
        tally([] if got == want else ["x"])
    for ex in run.exchanges:
        if ex.trace is not None:
            tally(_compare_response(ex, tolerate))
    for trace_answer, sim_answer in rest_pairs(run):
        tally(_compare_rest_response(trace_answer, sim_answer, run.ids, tolerate))
    tl, sl = labels_for(run, "trace"), labels_for(run, "sim")
    for socket in set(run.trace_events) | set(run.sim_events):
        trace = _tolerated_events(run.trace_events.get(socket, []), tolerate)
        sim = _tolerated_events(run.sim_events.get(socket, []), tolerate)
        tc, sc = Counter(e["type"] for e in trace), Counter(e["type"] for e in sim)
        for etype in set(tc) | set(sc):
            ok = sc[etype] >= tc[etype] if etype == "ChannelDialplan" else sc[etype] == tc[etype]
            tally([] if ok else ["x"])
        t_by, s_by = _per_object(trace, tl), _per_object(sim, sl)
        for obj in set(t_by) | set(s_by):
            tally(_match(socket, obj, t_by.get(obj, []), s_by.get(obj, [])))
    return passed, total


if __name__ == "__main__":  # python -m tests.sim._replay [scenario ...]: pass rate per scenario
    import os
    import sys
    from pathlib import Path

    traces = Path(os.environ.get("ARI_TRACES", Path(__file__).resolve().parents[3] / "shared" / "ari-traces"))
    names = sys.argv[1:] or sorted(p.stem for p in (traces / "scenarios").glob("*.jsonl"))

    async def main() -> None:
        for name in names:
            path = traces / "scenarios" / f"{name}.jsonl"
            records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            run = await replay(records, **({"endpoints": []} if name in ("g_errors", "h_resources") else {}))
            ok, total = score(run)
            print(f"{name:24s} {ok:4d}/{total:<4d} {100 * ok / max(total, 1):5.1f}%")
            if "-v" in os.environ.get("REPLAY_VERBOSE", ""):
                for p in compare_responses(run) + compare_events(run):
                    print("   ", p)

    asyncio.run(main())
