"""Helpers for EventLog tests: scenarios drawn as text timelines, and the recorded real ones.

A timeline is one event per line (``#`` starts a comment line, `` # `` an inline one)::

    # t(s)   type                  channel  state  fields
    0.000    ChannelCreated        alice    Ring   caller=100
    1.250    ChannelEnteredBridge  alice    Up     bridge=b1

``channel`` and ``state`` may be ``-``; ``fields`` are ``key=value`` pairs: ``bridge``,
``bridge_type``, ``playback``, ``pstate``, ``media``, ``target``, ``rec``, ``rstate``,
``digit``, ``duration_ms``, ``cause``, ``cause_txt``, ``soft``, ``variable``, ``value``,
``args`` (comma list), ``peer`` (Dial), ``dialstatus``, ``app``, ``caller``, ``exten``,
``recv`` (receive time offset if it differs from ``t``), ``duration`` (recordings).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import CALL_SOURCES, RECORDED_CALLS, REPO, TRACES, load_scenario

T0 = pd.Timestamp("2026-11-25T10:00:00", tz="UTC")
EPOCH0 = T0.timestamp()
AST_ID = "02:fc:00:00:00:01"
OUTPUT = REPO / "test-output" / "events"


def ari_time(offset: float) -> str:
    """An ARI timestamp ``offset`` seconds after T0: ``2026-11-25T10:00:01.250+0000``."""
    t = T0 + pd.Timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+0000"


def at(offset: float) -> pd.Timestamp:
    """The tz-aware time ``offset`` seconds after T0, at millisecond precision like ARI."""
    return (T0 + pd.Timedelta(milliseconds=round(offset * 1000))).as_unit("us")


def channel(cid: str, state: str, *, created: float = 0.0, caller: str = "", exten: str = "1000",
            name: str | None = None) -> dict:
    return {"id": cid, "name": name or f"PJSIP/{cid}-00000001", "state": state, "protocol_id": "",
            "caller": {"name": caller.title(), "number": caller}, "connected": {"name": "", "number": ""},
            "accountcode": "", "dialplan": {"context": "ARI-test", "exten": exten, "priority": 1,
                                             "app_name": "Stasis", "app_data": "hello"},
            "creationtime": ari_time(created), "language": "en"}


def parse_timeline(text: str, created: dict[str, float] | None = None) -> list[tuple[dict, float]]:
    """(event, received_at epoch seconds) for every line of a drawn timeline."""
    out = []
    created = dict(created or {})
    for line in text.strip().splitlines():
        line = line.split(" # ", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        t, etype, cid, state = float(parts[0]), parts[1], parts[2], parts[3]
        kv = dict(p.split("=", 1) for p in parts[4:])
        ev: dict = {"type": etype, "timestamp": ari_time(t), "asterisk_id": AST_ID,
                    "application": kv.pop("app", "hello")}
        if cid != "-":
            created.setdefault(cid, t)
            ch = channel(cid, state, created=created[cid], caller=kv.pop("caller", ""),
                         exten=kv.pop("exten", "1000"))
            if etype == "Dial":
                ev["peer"] = ch
            else:
                ev["channel"] = ch
        if "bridge" in kv:
            bid = kv.pop("bridge")
            ev["bridge"] = {"id": bid, "technology": "simple_bridge", "bridge_type": kv.pop("bridge_type", "mixing"),
                            "bridge_class": "stasis", "creator": "Stasis", "name": "", "channels": [],
                            "creationtime": ari_time(0), "video_mode": "talker"}
        if "playback" in kv:
            ev["playback"] = {"id": kv.pop("playback"), "media_uri": kv.pop("media", "sound:hello-world"),
                              "target_uri": kv.pop("target"), "language": "en", "state": kv.pop("pstate")}
        if "rec" in kv:
            rec = {"name": kv.pop("rec"), "format": "wav", "target_uri": kv.pop("target"), "state": kv.pop("rstate")}
            if "duration" in kv:
                rec["duration"] = int(kv.pop("duration"))
            ev["recording"] = rec
        for key in ("cause", "duration_ms"):
            if key in kv:
                ev[key] = int(kv.pop(key))
        if "soft" in kv:
            ev["soft"] = kv.pop("soft") == "true"
        if "args" in kv:
            ev["args"] = kv.pop("args").split(",")
        if "peer" in kv:
            kv.pop("peer")
        recv = EPOCH0 + float(kv.pop("recv", t))
        for key, value in kv.items():
            ev[key] = value.replace("_", " ") if key == "cause_txt" else value
        out.append((ev, recv))
    return out


def log_from_timeline(text: str, **options):
    from ari_notebook.events import EventLog

    log = EventLog(**options)
    for ev, recv in parse_timeline(text):
        log.append(ev, recv)
    return log


def scenario_records(traces_dir: Path, name: str, ws: str | None = "ws") -> tuple[list[tuple[dict, float]], list[dict]]:
    """A recorded scenario as (event, received_at) from one WebSocket (``ws`` label; None: all)
    and the request records a client would have reported for its requests."""
    records = load_scenario(traces_dir, name)
    wall0 = next(r["wall_clock"] - r["t"] for r in records if "wall_clock" in r)
    events = [(r["event"], wall0 + r["t"]) for r in records
              if r["kind"] == "event" and (ws is None or r.get("ws") == ws)]
    pending: dict = {}
    requests = []
    for r in records:
        if r["kind"] == "request" and "method" in r:
            pending[r["id"]] = {"time": wall0 + r["t"], "operation": None, "method": r["method"],
                                "path": r["path"], "status": None, "elapsed_ms": None, "error": None,
                                "object_id": None}
        elif r["kind"] == "response" and r.get("id") in pending:
            req = pending.pop(r["id"])
            req["status"] = r.get("status")
            req["elapsed_ms"] = r.get("elapsed_ms")
            if isinstance(r.get("body"), dict) and r.get("status", 0) >= 400:
                req["error"] = r["body"].get("message")
            elif isinstance(r.get("body"), dict) and isinstance(r["body"].get("id"), str):
                req["object_id"] = r["body"]["id"]  # as the client reports it: the object answered
            requests.append(req)
    return events, requests


@pytest.fixture
def scenario_log(traces_dir):
    """``scenario_log(name, ws="ws")``: an EventLog of a recorded real-Asterisk scenario."""
    from ari_notebook.events import EventLog

    def make(name: str, ws: str | None = "ws", requests: bool = True) -> EventLog:
        events, reqs = scenario_records(traces_dir, name, ws)
        return _log_of(events, reqs if requests else ())

    return make


@pytest.fixture(params=CALL_SOURCES)
def call_log(request):
    """``call_log(name, ws="ws", requests=True)``: an EventLog of one call of ``tests/_simcalls.py``
    ("originate", "playback", "bridge") with its requests: made on the simulator ([sim-calls]),
    or (with the traces) the matching recorded scenario ([ast23-calls]; ``ws=None``: every
    socket of the recording). ``call_log.source`` says which."""
    from ari_notebook.events import EventLog

    def make(name: str, ws: str | None = "ws", requests: bool = True) -> EventLog:
        if request.param == "simulator":
            call = request.getfixturevalue("sim_calls")[name]
            events, reqs = list(zip(call.events, call.received)), call.requests
        else:
            events, reqs = scenario_records(TRACES, RECORDED_CALLS[name], ws)
        return _log_of(events, reqs if requests else ())

    make.source = "sim-calls" if request.param == "simulator" else "ast23-calls"
    return make


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave pictures for a person to look at (``test-output/events``, git-ignored)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


def _log_of(events, requests):
    """An EventLog holding ``events`` ((event, received_at) pairs) and request records."""
    from ari_notebook.events import EventLog

    log = EventLog()
    for ev, recv in events:
        log.append(ev, recv)
    for rec in requests:
        log.add_request(rec)
    return log


@pytest.fixture
async def live():
    """(simulator, client) with the client's log attached and its reader running for 'hello'."""
    pytest.importorskip("ari_notebook.sim")
    from ari_notebook.client import Client
    from ari_notebook.sim import Simulator

    sim = await Simulator.start(port=0)
    try:
        client = await Client.connect(sim.url, sim.username, sim.password)
        try:
            client.log  # noqa: B018  attached before the first event
            await client.start(apps="hello")
            yield sim, client
        finally:
            await client.close()
    finally:
        await sim.stop()
