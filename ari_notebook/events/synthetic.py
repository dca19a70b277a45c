"""A synthetic month of calls: a realistic partitioned event dataset of any size, fast.

Why: benchmarks, tests and teaching need months of traffic from several servers, and nobody
has that lying around. ``write_month(root, events=N)`` writes a hive-partitioned Parquet dataset
(``date=YYYY-MM-DD/asterisk_id=<id>/…parquet``, the schema of ``storage.write_dataset`` minus
``raw``) that ``Dataset(root)`` reads with pandas, DuckDB or Dask::

    from ari_notebook.events import synthetic, Dataset
    info = synthetic.write_month("month", events=1_000_000)   # 30 days x 5 servers
    Dataset("month").calls(engine="duckdb")

The call mix is written as code below (nothing is read at run time); each kind of call is the
event sequence a real Asterisk 23 sent for it in the recorded traces (event order, states,
``Dial`` statuses, soft hangup flags, Q.850 causes, ``ChannelVarset STASISSTATUS`` around
Stasis, the ``;2`` half of a Local channel):

=====================  ===================================================================
ivr                    an inbound call enters Stasis ringing, the app answers, plays a
                       prompt, the caller keys 1-4 DTMF digits and hangs up (cause 16)
bridged                the app dials a second phone (``Dial`` "" then ANSWER), bridges the
                       two; either side hangs up, the app hangs up the other (soft 32) and
                       destroys the empty bridge
no_answer              the dialled phone rings out (``Dial`` NOANSWER, cause 19); the app
                       hangs up the caller
busy                   the dialled phone is busy (``Dial`` BUSY, cause 17)
abandoned              the caller hangs up while still ringing in Stasis, never answered
failed_playback        the prompt's sound file is missing (``PlaybackFinished`` failed),
                       the app hangs up
local_originate        the app originates a Local channel (both halves, 15 events as in the
                       traces' load test) and hangs it up later
congestion             a trunk failure: the dialled leg fails with cause 34 or 38
=====================  ===================================================================

A call that enters Stasis from the dialplan is held by the app only while in Stasis, so (as on
Asterisk 23) it has no ``STASISSTATUS`` and nothing after its ``StasisEnd``: no
``ChannelDestroyed`` and no Q.850 cause; the legs the app dials or originates have both.

Traffic follows a working-day profile (busy 9-17 UTC, quiet at night, lighter at weekends);
servers differ in load, and one server (the third) has a bad hour each afternoon when trunk
failures spike: something for an analyst to find. Times are Asterisk's millisecond timestamps;
``received_at`` follows by a small per-call latency, and ``seq`` numbers each server's events in
arrival order. The ``raw`` column is left empty (typed columns only: a month of raw JSON would
be ~20x larger); ``json_bytes_per_event`` estimates that size from a sample.

Everything is generated column-wise with numpy and pyarrow (one array per event of a call
script, for every call of that kind at once), one server-day at a time, so memory stays flat
and the write rate is tens of millions of events a minute on one core.
"""

from __future__ import annotations

import binascii
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: default fleet: five servers (Asterisk ``entity_id``s are MAC-style) and their systemnames
SERVERS = ("02:fc:00:00:00:01", "02:fc:00:00:00:02", "02:fc:00:00:00:03",
           "02:fc:00:00:00:04", "02:fc:00:00:00:05")
SERVER_LOAD = (1.0, 0.8, 1.2, 0.6, 0.4)  # relative call volume per server (cycled)
BAD_SERVER = 2  # index of the server with a failing trunk each afternoon
BAD_HOURS = (14, 15)  # UTC hours when its trunk fails
APP = "ivr"

#: calls per hour of a working day (UTC), relative
_HOURLY = np.array([1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 19, 18, 15, 17, 19, 18, 15, 10, 6, 4, 3, 2, 2, 1], float)
_WEEKEND = 0.35

#: the call mix: kind -> share of calls
MIX = {"ivr": 0.30, "bridged": 0.30, "no_answer": 0.10, "busy": 0.05, "abandoned": 0.08,
       "failed_playback": 0.04, "local_originate": 0.10, "congestion": 0.03}

_CAUSE_TXT = {16: "Normal Clearing", 17: "User busy", 19: "User alerting, no answer",
              34: "Circuit/channel congestion", 38: "Network out of order", 0: "Unknown"}
_FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
          "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Zed"]
_MEDIA = ["sound:ivr-welcome", "sound:ivr-menu", "sound:hello-world", "sound:tt-monkeys",
          "sound:queue-thankyou", "sound:vm-goodbye"]

#: Arrow types of the written columns (categorical text is dictionary-encoded, as in
#: ``storage.arrow_schema``; ``date``/``asterisk_id`` live in the directory names)
_TEXT = pa.dictionary(pa.int32(), pa.string())
_TS = pa.timestamp("us", tz="UTC")


@dataclass
class MonthInfo:
    """What ``write_month`` wrote: sizes, time taken and the write rate."""

    root: Path
    events: int
    calls: int
    files: int
    bytes: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")


# ---------------------------------------------------------------------------------- text helpers
def _hex(data: bytes, width: int, n: int) -> pa.Array:
    """``n`` hex strings of ``width`` characters from ``data`` (C speed: no Python per item)."""
    buf = pa.py_buffer(binascii.hexlify(data))
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, buf]).cast(pa.binary()).cast(pa.string())


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    text = _hex(rng.bytes(16 * n), 32, n)
    parts = [pc.utf8_slice_codeunits(text, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return pc.binary_join_element_wise(*parts, "-")


def _counters_hex(counters: np.ndarray) -> pa.Array:
    """Asterisk's 8-hex-digit channel name suffix (``PJSIP/alice-0000001f``)."""
    return _hex(counters.astype(">u4").tobytes(), 8, len(counters))


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _str(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


# ---------------------------------------------------------------------------------- call scripts
class _Script:
    """Events of ``n`` calls of one kind, added step by step (each ``add`` is one event per call).

    A step names the event type, its time (an int64 array of epoch microseconds, one per call)
    and the fields it carries; fields are scalars or arrays of length ``n``.
    """

    def __init__(self, n: int, server: str) -> None:
        self.n = n
        self.server = server
        self.cols: dict[str, list] = {}
        self.count = 0

    def leg(self, **fields: Any) -> dict:
        return fields

    def add(self, etype: str, when: np.ndarray, leg: dict | None = None, **fields: Any) -> None:
        row = {"type": etype, "time": when, "application": APP}
        if leg is not None:
            for k in ("channel_id", "channel_name", "caller_number", "caller_name", "connected_number",
                      "context", "exten", "priority", "channel_created"):
                if k in leg:
                    row[k] = leg[k]
            row["channel_state"] = leg.get("state", "Up")
        row.update(fields)
        self.count += 1
        for k, v in row.items():
            self.cols.setdefault(k, []).append((self.count - 1, v))

    def table(self, latency_us: np.ndarray) -> pa.Table:
        """All events of the script as one table (step-major), with ``received_at``."""
        steps = self.count
        n = self.n
        out: dict[str, pa.Array] = {}
        for name, typ in _COLUMN_TYPES.items():
            if name == "received_at":
                continue
            values = self.cols.get(name)
            if values is None:
                continue
            chunks = []
            given = dict(values)
            for s in range(steps):
                chunks.append(_column(given.get(s), n, typ))
            out[name] = pa.chunked_array(chunks, type=_plain(typ)).combine_chunks()
        when = out["time"].cast(pa.int64()).to_numpy()
        step = np.repeat(np.arange(steps, dtype=np.int64), n)
        out["received_at"] = pa.array(when + np.tile(latency_us, steps) + step, type=pa.int64()).cast(_TS)
        return pa.table(out)


def _plain(typ: pa.DataType) -> pa.DataType:
    return pa.string() if pa.types.is_dictionary(typ) else typ


def _column(value: Any, n: int, typ: pa.DataType) -> pa.Array:
    typ = _plain(typ)
    if value is None:
        return pa.nulls(n, type=typ)
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        return value if value.type == typ else value.cast(typ)
    if isinstance(value, np.ndarray):
        if pa.types.is_timestamp(typ):
            return pa.array(value.astype(np.int64), type=pa.int64()).cast(typ)
        return pa.array(value, type=typ)
    if isinstance(value, list):  # a list value (args) repeated
        return pa.array([value] * n, type=typ)
    return pa.repeat(pa.scalar(value, type=typ), n)


_COLUMN_TYPES: dict[str, pa.DataType] = {
    "seq": pa.int64(), "time": _TS, "received_at": _TS, "type": _TEXT, "application": _TEXT,
    "channel_id": _TEXT, "channel_name": _TEXT, "channel_state": _TEXT, "caller_number": _TEXT,
    "caller_name": _TEXT, "connected_number": _TEXT, "context": _TEXT, "exten": _TEXT,
    "priority": pa.int64(), "channel_created": _TS, "bridge_id": _TEXT, "bridge_type": _TEXT,
    "bridge_class": _TEXT, "playback_id": _TEXT, "playback_state": _TEXT, "media_uri": _TEXT,
    "target_uri": _TEXT, "recording_name": _TEXT, "recording_state": _TEXT, "digit": _TEXT,
    "duration_ms": pa.int64(), "cause": pa.int64(), "cause_txt": _TEXT, "soft": pa.bool_(),
    "variable": _TEXT, "value": pa.string(), "args": pa.list_(pa.string()), "endpoint": _TEXT,
    "peer_id": _TEXT, "dialstatus": _TEXT, "raw": pa.string(),
}


def file_schema() -> pa.Schema:
    """The columns of each written file: ``storage.arrow_schema`` without the partition key,
    text as plain strings (Parquet dictionary-encodes them on disk all the same, and encoding
    them in memory first would cost a third of the generator's time)."""
    from .storage import arrow_schema

    schema = arrow_schema()
    schema = schema.remove(schema.get_field_index("asterisk_id"))
    for i, f in enumerate(schema):
        if pa.types.is_dictionary(f.type):
            schema = schema.set(i, pa.field(f.name, pa.string()))
    return schema


class _Day:
    """Random draws and id makers shared by every call script of one server-day."""

    def __init__(self, rng: np.random.Generator, server: str, system: str, counter: list[int]) -> None:
        self.rng = rng
        self.server = server
        self.system = system
        self.counter = counter  # [next channel number]: running per server, as in Asterisk

    def ms(self, lo: float, hi: float, n: int) -> np.ndarray:
        """Random durations in whole milliseconds, as microseconds."""
        return self.rng.integers(int(lo * 1000), int(hi * 1000) + 1, n).astype(np.int64) * 1000

    def exp_ms(self, mean_s: float, lo_s: float, n: int) -> np.ndarray:
        return (np.maximum(self.rng.exponential(mean_s, n), lo_s) * 1000).astype(np.int64) * 1000

    def phone(self, created: np.ndarray, tech: str, pool: list[str], *, state: str,
              number: pa.Array | None = None, context: str = "from-phones", exten: str | None = None) -> dict:
        """A phone channel leg: id ``<system>-<epoch>.<n>``, name ``PJSIP/<peer>-<8 hex>``."""
        n = len(created)
        start = self.counter[0]
        nums = np.arange(start, start + n, dtype=np.int64)
        self.counter[0] += n
        secs = created // 1_000_000
        cid = _join(pa.repeat(pa.scalar(self.system + "-"), n), _str(secs), pa.repeat(pa.scalar("."), n), _str(nums))
        who = pa.array(pool).take(pa.array(self.rng.integers(0, len(pool), n)))
        name = _join(pa.repeat(pa.scalar(tech + "/"), n), who, pa.repeat(pa.scalar("-"), n), _counters_hex(nums))
        if number is None:
            number = _join(pa.repeat(pa.scalar("+3312"), n), _str(self.rng.integers(1_000_000, 9_999_999, n)))
        cname = pa.array(_FIRST).take(pa.array(self.rng.integers(0, len(_FIRST), n)))
        return {"channel_id": cid, "channel_name": name, "caller_number": number, "caller_name": cname,
                "connected_number": "", "context": context, "exten": exten if exten is not None else "s",
                "priority": 1, "channel_created": created, "state": state}


def _varset(s: _Script, when: np.ndarray, leg: dict, value: str) -> None:
    s.add("ChannelVarset", when, leg, variable="STASISSTATUS", value=value)


def _stasis_in(s: _Script, t: np.ndarray, leg: dict) -> None:
    if leg.get("held"):  # STASISSTATUS only for channels the app holds beyond Stasis
        _varset(s, t, leg, "")
    s.add("StasisStart", t, leg, args=[])


def _stasis_out(s: _Script, t: np.ndarray, leg: dict) -> None:
    s.add("StasisEnd", t, leg)
    if leg.get("held"):
        _varset(s, t, leg, "SUCCESS")


def _destroyed(s: _Script, t: np.ndarray, leg: dict, cause: int) -> np.ndarray:
    """``ChannelDestroyed``: heard only for a channel the app holds beyond Stasis (one it
    originated); a call from the dialplan says nothing after its ``StasisEnd``."""
    if leg.get("held"):
        s.add("ChannelDestroyed", t + 1000, leg, cause=cause, cause_txt=_CAUSE_TXT[cause])
    return t + 1000


def _hangup_by_phone(s: _Script, t: np.ndarray, leg: dict, cause: int = 16) -> np.ndarray:
    """The phone hangs up: a non-soft request, the app sees StasisEnd, then the channel dies."""
    s.add("ChannelHangupRequest", t, leg, cause=cause, soft=None)
    _stasis_out(s, t, leg)
    return _destroyed(s, t, leg, cause)


def _hangup_by_app(s: _Script, t: np.ndarray, leg: dict, cause: int = 16) -> np.ndarray:
    """``DELETE /channels/{id}``: soft request with flag 32, then StasisEnd and destroy."""
    s.add("ChannelHangupRequest", t, leg, cause=32, soft=True)
    _stasis_out(s, t, leg)
    return _destroyed(s, t, leg, cause)


def _inbound(d: _Day, s: _Script, t0: np.ndarray) -> tuple[dict, np.ndarray]:
    """An outside caller reaches the IVR number and enters Stasis, ringing."""
    n = len(t0)
    caller = d.phone(t0, "PJSIP", ["trunk-a", "trunk-b"], state="Ring", exten="5000", context="from-trunk")
    _stasis_in(s, t0 + 2000, caller)
    return caller, t0 + 2000 + d.ms(0.0, 0.02, n)


def _answer(s: _Script, t: np.ndarray, leg: dict) -> dict:
    up = dict(leg, state="Up")
    s.add("ChannelStateChange", t, up)
    return up


def _play(d: _Day, s: _Script, t: np.ndarray, leg: dict, *, state: str = "done",
          seconds: tuple[float, float] = (2.0, 12.0)) -> np.ndarray:
    n = len(t)
    pid = _uuids(d.rng, n)
    media = pa.array(_MEDIA).take(pa.array(d.rng.integers(0, len(_MEDIA), n)))
    target = _join(pa.repeat(pa.scalar("channel:"), n), leg["channel_id"])
    common = {"playback_id": pid, "media_uri": media, "target_uri": target}
    s.add("PlaybackStarted", t + 1000, playback_state="playing", **common)
    end = t + 1000 + (d.ms(*seconds, n) if state == "done" else d.ms(0.001, 0.005, n))
    s.add("PlaybackFinished", end, playback_state=state, **common)
    return end


def _dtmf(d: _Day, s: _Script, t: np.ndarray, leg: dict, presses: int) -> np.ndarray:
    n = len(t)
    for _ in range(presses):
        t = t + d.ms(0.4, 3.0, n)
        digit = pa.array(list("0123456789*#")).take(pa.array(d.rng.choice(12, n, p=_DIGIT_P)))
        s.add("ChannelDtmfReceived", t, leg, digit=digit, duration_ms=d.rng.integers(80, 240, n))
    return t


_DIGIT_P = np.array([6, 14, 14, 12, 8, 6, 5, 4, 4, 8, 3, 16], float)
_DIGIT_P /= _DIGIT_P.sum()


def _dial(d: _Day, s: _Script, t: np.ndarray, status: str, ring: np.ndarray,
          cause: int | None = None) -> tuple[dict, np.ndarray]:
    """The app originates a phone for ``caller``: Dial "" while it rings, then ``status``."""
    n = len(t)
    callee = d.phone(t, "PJSIP", [f"ext{e}" for e in range(100, 160)], state="Down",
                     number=_join(pa.repeat(pa.scalar("1"), n), _str(d.rng.integers(100, 160, n))),
                     context="from-internal")
    callee["held"] = True  # the app originated it
    s.add("Dial", t, callee, peer_id=callee["channel_id"], dialstatus="")
    ringing = dict(callee, state="Ringing")
    s.add("ChannelStateChange", t + 30_000, ringing)
    t = t + 30_000 + ring
    if status == "ANSWER":
        up = dict(callee, state="Up")
        s.add("ChannelStateChange", t, up)
        s.add("Dial", t, up, peer_id=callee["channel_id"], dialstatus="ANSWER")
        _stasis_in(s, t, up)
        return up, t
    s.add("Dial", t, ringing, peer_id=callee["channel_id"], dialstatus=status)
    s.add("ChannelHangupRequest", t, ringing, cause=cause, soft=None)
    return ringing, _destroyed(s, t, ringing, cause)


def _ivr(d: _Day, s: _Script, t0: np.ndarray, presses: int) -> None:
    caller, t = _inbound(d, s, t0)
    caller = _answer(s, t, caller)
    t = _play(d, s, t, caller)
    t = _dtmf(d, s, t, caller, presses)
    _hangup_by_phone(s, t + d.exp_ms(20, 1, len(t)), caller)


def _bridged(d: _Day, s: _Script, t0: np.ndarray, caller_hangs_up: bool) -> None:
    n = len(t0)
    caller, t = _inbound(d, s, t0)
    caller = _answer(s, t, caller)
    t = _play(d, s, t, caller, seconds=(1.0, 4.0))
    callee, t = _dial(d, s, t, "ANSWER", d.exp_ms(6, 1, n))
    bridge = {"bridge_id": _uuids(d.rng, n), "bridge_type": "mixing", "bridge_class": "stasis"}
    s.add("ChannelEnteredBridge", t + 1000, caller, **bridge)
    s.add("ChannelEnteredBridge", t + 2000, callee, **bridge)
    t = t + 2000 + d.exp_ms(180, 5, n)
    first, second = (caller, callee) if caller_hangs_up else (callee, caller)
    s.add("ChannelHangupRequest", t, first, cause=16, soft=None)
    s.add("ChannelLeftBridge", t, first, **bridge)
    _stasis_out(s, t, first)
    _destroyed(s, t, first, 16)
    t = t + 3000
    s.add("ChannelLeftBridge", t, second, **bridge)
    s.add("BridgeDestroyed", t, **bridge)
    _hangup_by_app(s, t + 1000, second)


def _failed_call(d: _Day, s: _Script, t0: np.ndarray, status: str, cause: int) -> None:
    n = len(t0)
    caller, t = _inbound(d, s, t0)
    caller = _answer(s, t, caller)
    ring = d.ms(15, 30, n) if status == "NOANSWER" else d.ms(0.2, 2.0, n)
    _, t = _dial(d, s, t, status, ring, cause)
    t = _play(d, s, t, caller, seconds=(1.0, 3.0))
    _hangup_by_app(s, t + d.ms(0.1, 1.0, n), caller, 16)


def _abandoned(d: _Day, s: _Script, t0: np.ndarray) -> None:
    caller, t = _inbound(d, s, t0)
    _hangup_by_phone(s, t + d.exp_ms(8, 1, len(t)), caller)


def _failed_playback(d: _Day, s: _Script, t0: np.ndarray) -> None:
    caller, t = _inbound(d, s, t0)
    caller = _answer(s, t, caller)
    t = _play(d, s, t, caller, state="failed")
    _hangup_by_app(s, t + d.ms(0.5, 2.0, len(t)), caller)


def _local_originate(d: _Day, s: _Script, t0: np.ndarray) -> None:
    """``POST /channels?endpoint=Local/3000@...&app=ivr``, then ``DELETE``: the traces' 15 events."""
    n = len(t0)
    start = d.counter[0]
    nums = np.arange(start, start + n, dtype=np.int64)
    d.counter[0] += n
    secs = t0 // 1_000_000
    base = _join(pa.repeat(pa.scalar(d.system + "-"), n), _str(secs), pa.repeat(pa.scalar("."), n), _str(nums))
    name = _join(pa.repeat(pa.scalar("Local/3000@outbound-"), n), _counters_hex(nums))
    common = {"caller_number": "", "caller_name": "", "connected_number": "", "exten": "3000",
              "priority": 1, "channel_created": t0}
    one = {"channel_id": base, "channel_name": _join(name, pa.repeat(pa.scalar(";1"), n)),
           "context": "outbound", "state": "Down", "held": True, **common}
    two = {"channel_id": _join(base, pa.repeat(pa.scalar(";2"), n)),
           "channel_name": _join(name, pa.repeat(pa.scalar(";2"), n)), "context": "outbound",
           "state": "Ring", "held": True, **common}
    s.add("Dial", t0, one, peer_id=one["channel_id"], dialstatus="")
    s.add("ChannelDialplan", t0, two)
    two_up, one_up = dict(two, state="Up"), dict(one, state="Up")
    s.add("ChannelStateChange", t0, two_up)
    s.add("ChannelStateChange", t0, one_up)
    s.add("Dial", t0, one_up, peer_id=one["channel_id"], dialstatus="ANSWER")
    _stasis_in(s, t0 + 1000, one_up)
    s.add("ChannelDialplan", t0 + 1000, two_up)
    t = t0 + 1000 + d.exp_ms(40, 2, n)
    s.add("ChannelHangupRequest", t, one_up, cause=32, soft=True)
    _stasis_out(s, t, one_up)
    s.add("ChannelHangupRequest", t, two_up, cause=16, soft=None)
    s.add("ChannelDestroyed", t + 1000, one_up, cause=16, cause_txt=_CAUSE_TXT[16])
    s.add("ChannelHangupRequest", t + 1000, two_up, cause=16, soft=True)
    s.add("ChannelDestroyed", t + 2000, two_up, cause=16, cause_txt=_CAUSE_TXT[16])


#: kind -> (how many variants, builder(day, script, start times, variant))
_KINDS: dict[str, tuple[int, Callable[[_Day, _Script, np.ndarray, int], None]]] = {
    "ivr": (4, lambda d, s, t, v: _ivr(d, s, t, v + 1)),
    "bridged": (2, lambda d, s, t, v: _bridged(d, s, t, caller_hangs_up=v == 0)),
    "no_answer": (1, lambda d, s, t, v: _failed_call(d, s, t, "NOANSWER", 19)),
    "busy": (1, lambda d, s, t, v: _failed_call(d, s, t, "BUSY", 17)),
    "abandoned": (1, lambda d, s, t, v: _abandoned(d, s, t)),
    "failed_playback": (1, lambda d, s, t, v: _failed_playback(d, s, t)),
    "local_originate": (1, lambda d, s, t, v: _local_originate(d, s, t)),
    "congestion": (2, lambda d, s, t, v: _failed_call(d, s, t, "CONGESTION", (34, 38)[v])),
}


def _events_per_call() -> float:
    """Mean events of one call in the mix (measured by building one call of each variant)."""
    total = 0.0
    for kind, share in MIX.items():
        variants, build = _KINDS[kind]
        sizes = []
        for v in range(variants):
            s = _Script(1, "x")
            build(_Day(np.random.default_rng(0), "x", "x", [0]), s, np.array([0], np.int64), v)
            sizes.append(s.count)
        total += share * float(np.mean(sizes))
    return total


# ---------------------------------------------------------------------------------- one server-day
def _starts(rng: np.random.Generator, day: date, n: int) -> np.ndarray:
    """Call start times over a day, shaped by the hourly profile (epoch microseconds, ms steps)."""
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1_000_000
    hours = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    ms = rng.integers(0, 3_600_000, n)
    return np.sort(midnight + hours.astype(np.int64) * 3_600_000_000 + ms * 1000)


def _server_day(rng: np.random.Generator, day: date, server: str, system: str, calls: int,
                counter: list[int], bad: bool) -> tuple[pa.Table, int]:
    d = _Day(rng, server, system, counter)
    t0 = _starts(rng, day, calls)
    kinds = list(MIX)
    p = np.array([MIX[k] for k in kinds])
    hour = (t0 // 3_600_000_000) % 24
    pick = rng.choice(len(kinds), calls, p=p / p.sum())
    if bad:  # the failing trunk: a third of the afternoon's calls die with congestion
        broken = np.isin(hour, BAD_HOURS) & (rng.random(calls) < 0.33)
        pick[broken] = kinds.index("congestion")
    tables = []
    for i, kind in enumerate(kinds):
        starts = t0[pick == i]
        if not len(starts):
            continue
        variants, build = _KINDS[kind]
        which = rng.integers(0, variants, len(starts))
        for v in range(variants):
            sub = starts[which == v]
            if not len(sub):
                continue
            s = _Script(len(sub), server)
            build(d, s, sub, v)
            latency = rng.integers(200, 3000, len(sub)).astype(np.int64)
            tables.append(s.table(latency))
    if not tables:
        return _empty_table(), calls
    return pa.concat_tables(tables, promote_options="default"), calls


def _empty_table() -> pa.Table:
    return pa.table({"time": pa.array([], _TS), "received_at": pa.array([], _TS)})


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with exactly the file schema's columns (absent ones null), in its order."""
    cols = []
    n = table.num_rows
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            cols.append(col.cast(f.type) if col.type != f.type else col)
        else:
            cols.append(pa.nulls(n, type=f.type))
    return pa.Table.from_arrays(cols, schema=schema)


# ---------------------------------------------------------------------------------- the month
def write_month(root: str | os.PathLike, *, events: int = 1_000_000, days: int = 30,
                servers: int | tuple[str, ...] = 5, start: date | str = date(2026, 11, 1),
                seed: int = 0, progress: Any = None, overwrite: bool = False) -> MonthInfo:
    """Write about ``events`` events of ``days`` days of calls on ``servers`` servers to ``root``.

    ``servers`` is a count (ids from ``SERVERS``, then ``02:fc:00:00:01:NN``) or the ids.
    The same arguments always write the same events (``seed``). ``root`` must not hold a
    dataset already unless ``overwrite=True`` (it is then replaced). Each file is written under
    a temporary name and renamed, and an interrupted run (Ctrl-C, Interrupt Kernel) removes
    what it wrote, so a month is whole or absent. ``progress`` goes to ``progress_bar``
    (``True``/``False`` force it on/off; default: a bar when it takes more than a second).
    """
    if events < 0 or days < 1:
        raise ValueError(f"write_month needs events >= 0 and days >= 1, got events={events}, days={days}")
    ids = _server_ids(servers)
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{root} is not empty; pass overwrite=True to replace it")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    first = date.fromisoformat(start) if isinstance(start, str) else start
    weights = np.array([SERVER_LOAD[i % len(SERVER_LOAD)] for i in range(len(ids))])
    day_weight = np.array([_WEEKEND if (first + timedelta(k)).weekday() >= 5 else 1.0 for k in range(days)])
    per_call = _events_per_call()
    total_calls = events / per_call
    share = np.outer(day_weight / day_weight.sum(), weights / weights.sum())  # [day, server]
    schema = file_schema()
    t_start = time.perf_counter()
    try:
        with _progress(events, progress) as bar:
            written_events, written_calls, files, size = _write_days(
                root, ids, first, days, seed, total_calls, share, schema, bar)
    except BaseException:  # interrupted (or failed): no half month left behind
        shutil.rmtree(root, ignore_errors=True)
        raise
    return MonthInfo(root, written_events, written_calls, files, size, time.perf_counter() - t_start)


def _write_days(root: Path, ids: tuple[str, ...], first: date, days: int, seed: int, total_calls: float,
                share: np.ndarray, schema: pa.Schema, bar: Any) -> tuple[int, int, int, int]:
    """Generate and write every server-day; calls still up at midnight go to the next day."""
    written_events = written_calls = files = size = 0
    counters = {sid: [1] for sid in ids}
    carry: dict[str, pa.Table | None] = {sid: None for sid in ids}
    seqs = {sid: 0 for sid in ids}
    for k in range(days + 1):
        day = first + timedelta(k)
        for j, sid in enumerate(ids):
            system = f"pbx{j + 1}"
            if k < days:
                rng = np.random.default_rng([seed, j, k])
                ncalls = int(round(total_calls * share[k, j]))
                table, made = _server_day(rng, day, sid, system, ncalls, counters[sid], j == BAD_SERVER)
                written_calls += made
                parts = [t for t in (carry[sid], _conform(table, schema)) if t is not None and t.num_rows]
            else:  # the day after the month: events of calls still up at midnight
                parts = [t for t in (carry[sid],) if t is not None and t.num_rows]
            if not parts:
                continue
            table = pa.concat_tables(parts).sort_by([("received_at", "ascending")])
            next_midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(1)
            # the day of an event is that of its time, as ``storage.write_dataset`` files it
            late = pc.greater_equal(table.column("time"), pa.scalar(next_midnight, _TS))
            carry[sid] = table.filter(late) if k < days else None
            today = table.filter(pc.invert(late)) if k < days else table
            if not today.num_rows:
                continue
            n = today.num_rows
            seq = pa.array(np.arange(seqs[sid], seqs[sid] + n, dtype=np.int64))
            seqs[sid] += n
            today = today.set_column(schema.get_field_index("seq"), "seq", seq)
            size += _write_file(root, day.isoformat(), sid, today)
            files += 1
            written_events += n
            bar.update(n)
    return written_events, written_calls, files, size


def _server_ids(servers: int | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(servers, int):
        if servers < 1:
            raise ValueError(f"servers must be at least 1, got {servers}")
        extra = tuple(f"02:fc:00:00:01:{i:02x}" for i in range(max(0, servers - len(SERVERS))))
        return (SERVERS + extra)[:servers]
    ids = tuple(servers)
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(f"servers must be distinct ids, got {servers!r}")
    return ids


def partition_dir(root: Path, day: str, server: str) -> Path:
    """Where a server-day lives: hive-style, the id URI-escaped as pyarrow writes it."""
    from .storage import hive_segment

    return root / hive_segment("date", day) / hive_segment("asterisk_id", server)


def _write_file(root: Path, day: str, server: str, table: pa.Table) -> int:
    folder = partition_dir(root, day, server)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"events-{uuid.uuid4().hex[:12]}-0.parquet"
    tmp = folder / f".{final.name}.tmp"
    pq.write_table(table, tmp, compression="zstd", row_group_size=256_000)
    os.replace(tmp, final)
    return final.stat().st_size


def _progress(total: int, progress: Any):
    from ..progress import progress_bar

    return progress_bar(total, desc="Writing a synthetic month", unit="events", progress=progress)


# ---------------------------------------------------------------------------------- as ARI JSON
def _ari_time(ts: Any) -> str | None:
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def ari_event(row: dict, server: str) -> dict:
    """The ARI event a dataset row stands for (a row of ``pyarrow.Table.to_pylist()``), shaped
    as Asterisk 23 sends it: what the ``raw`` column would hold. Used to measure the size of a
    month as JSON, and to replay a sample of a month in an ``EventLog``."""
    event: dict[str, Any] = {"type": row["type"], "timestamp": _ari_time(row["time"])}
    if row.get("channel_id") is not None:
        snapshot = {
            "id": row["channel_id"], "name": row["channel_name"], "state": row["channel_state"],
            "protocol_id": "", "caller": {"name": row["caller_name"] or "", "number": row["caller_number"] or ""},
            "connected": {"name": "", "number": row["connected_number"] or ""}, "accountcode": "",
            "dialplan": {"context": row["context"], "exten": row["exten"], "priority": row["priority"],
                         "app_name": "Stasis", "app_data": APP},
            "creationtime": _ari_time(row["channel_created"]), "language": "en"}
        if row["type"] == "Dial":
            event["peer"] = snapshot
            event["dialstatus"] = row["dialstatus"]
            event["dialstring"] = row["exten"]
            event["forwarded"] = ""
        else:
            event["channel"] = snapshot
    for key in ("cause", "cause_txt", "soft", "variable", "value", "digit", "duration_ms", "args"):
        if row.get(key) is not None:
            event[key] = row[key]
    if row.get("playback_id") is not None:
        event["playback"] = {"id": row["playback_id"], "media_uri": row["media_uri"],
                             "target_uri": row["target_uri"], "language": "en", "state": row["playback_state"]}
    if row.get("bridge_id") is not None:
        event["bridge"] = {"id": row["bridge_id"], "technology": "simple_bridge", "bridge_type": row["bridge_type"],
                           "bridge_class": row["bridge_class"], "creator": "Stasis", "name": "",
                           "channels": [row["channel_id"]] if row.get("channel_id") else [],
                           "creationtime": _ari_time(row["time"]), "video_mode": "talker"}
    event["asterisk_id"] = server
    event["application"] = row["application"]
    return event


def json_bytes_per_event(root: str | os.PathLike, *, sample: int = 20_000) -> float:
    """Mean size of an event of the dataset at ``root`` as ARI JSON (one line of a JSONL log),
    measured on up to ``sample`` events of its first file."""
    import orjson

    from .dataset import Dataset

    first = Dataset(root).partitions().iloc[0]
    table = pq.read_table(first["path"]).slice(0, sample)
    rows = table.to_pylist()
    size = sum(len(orjson.dumps(ari_event(r, first["asterisk_id"]))) + 1 for r in rows)
    return size / max(1, len(rows))
