"""The columnar, append-only event store behind ``EventLog``: a few microseconds per event.

Why this shape: a DataFrame append per event is quadratic, and a list of decoded dicts costs
about seven times the JSON it came from. So each event is kept as

* its raw JSON text (``str``; the lossless record, ~1x its JSON size),
* its receive time (a C ``double`` in an ``array``), and
* five small integer *codes*, one per group of fields (head = type/app/server, timestamp,
  channel identity, channel state/priority, and the rest: bridge, playback, recording and
  the scalars). A code indexes a
  dictionary of the distinct tuples seen so far, so the fields a DataFrame needs are extracted
  once, at append time, and repeated values (the same channel in ten events) are stored once.

``frames.build_frame`` turns the codes into typed columns in vectorised numpy/pyarrow work,
decoding only the distinct tuples, which is what keeps a million-event frame to a second or so.
"""

from __future__ import annotations

import operator
from array import array
from typing import Any, Iterable

import numpy as np
import orjson

_dumps = orjson.dumps
_EMPTY: dict = {}

#: field groups and the fields of their tuples (the frame's column names)
HEAD_FIELDS = ("type", "application", "asterisk_id")
CHANNEL_FIELDS = ("channel_id", "channel_name", "caller_number", "caller_name", "connected_number",
                  "context", "exten", "channel_created")
STATE_FIELDS = ("channel_state", "priority")
EXTRA_FIELDS = ("bridge_id", "bridge_type", "bridge_class",
                "playback_id", "playback_state", "media_uri", "playback_target",
                "recording_name", "recording_state", "recording_target",
                "digit", "duration_ms", "cause", "cause_txt", "soft", "variable", "value", "args",
                "endpoint", "peer_id", "dialstatus")
GROUPS = ("head", "time", "channel", "state", "extra")
GROUP_FIELDS = {"head": HEAD_FIELDS, "time": ("time",), "channel": CHANNEL_FIELDS,
                "state": STATE_FIELDS, "extra": EXTRA_FIELDS}
_X = {name: i for i, name in enumerate(EXTRA_FIELDS)}
_NO_EXTRA = (None,) * len(EXTRA_FIELDS)

# Event types whose extra fields are known from the events.json models: (kind, most keys).
# Kind 0 = nothing beyond head and channel; other kinds pick a few scalars. An event with more
# keys than its model allows (a newer Asterisk) takes the generic path, so nothing is missed.
_MSG = 4  # type, timestamp, application, asterisk_id
_KINDS = {
    "ChannelCreated": (0, _MSG + 1), "ChannelStateChange": (0, _MSG + 1),
    "ChannelConnectedLine": (0, _MSG + 1), "StasisEnd": (0, _MSG + 1),
    "ChannelUnhold": (0, _MSG + 1), "ChannelToneDetected": (0, _MSG + 1),
    "ChannelTalkingStarted": (0, _MSG + 1), "ChannelHold": (0, _MSG + 2),
    "ChannelTalkingFinished": (0, _MSG + 2), "ChannelCallerId": (0, _MSG + 3),
    "ChannelDialplan": (0, _MSG + 3), "DeviceStateChanged": (0, _MSG + 1),
    "ApplicationReplaced": (0, _MSG), "ApplicationRegistered": (0, _MSG),
    "ApplicationUnregistered": (0, _MSG),
    "ChannelVarset": (1, _MSG + 3), "ChannelDtmfReceived": (2, _MSG + 3),
    "ChannelHangupRequest": (3, _MSG + 4), "ChannelDestroyed": (4, _MSG + 4),
    "StasisStart": (5, _MSG + 3),
}
# which EXTRA_FIELDS the short keys of kinds 1-5 fill
_KIND_FIELDS = {1: ("variable", "value"), 2: ("digit", "duration_ms"), 3: ("cause", "soft"),
                4: ("cause", "cause_txt"), 5: ("args",)}


def _hashable(value: Any) -> Any:
    """A JSON value as something hashable: lists become tuples, objects their JSON text."""
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return _dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


class _Dict:
    """Distinct tuples of one group, in first-seen order, and their codes.

    ``index`` maps a lookup key to a code and ``values[code]`` is the full tuple; for most
    groups the key is the tuple itself, for ``extra`` it may be a short key of a known type
    (``expand`` makes the full tuple).
    """

    __slots__ = ("index", "values", "expand")

    def __init__(self, expand: Any = None) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []
        self.expand = expand

    def code(self, key: Any) -> int:
        code = self.index.get(key)
        if code is None:
            code = self.index[key] = len(self.values)
            self.values.append(key if self.expand is None else self.expand(key))
        return code


class EventStore:
    """Events in arrival order: raw JSON, receive time and per-group codes (see module doc)."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.removed = 0  # events taken out by take_oldest
        self.received = array("d")
        self.dicts = {g: _Dict(_expand if g == "extra" else None) for g in GROUPS}
        self.codes = {g: array("i") for g in GROUPS}
        # remembered for counts(): codes of the head group counted so far
        self._counted = 0
        self._head_counts = np.zeros(0, dtype=np.int64)
        self._bind()

    def _bind(self) -> None:
        """Cache the dictionaries and array appends the hot path uses (after any rebuild)."""
        d, c = self.dicts, self.codes
        self._hot = (d["head"].index, d["time"].index, d["channel"].index, d["state"].index,
                     d["extra"].index, d["head"].code, d["time"].code, d["channel"].code,
                     d["state"].code, d["extra"].code, c["head"].append, c["time"].append,
                     c["channel"].append, c["state"].append, c["extra"].append,
                     self.raw.append, self.received.append)

    def __len__(self) -> int:
        return len(self.raw)

    # ------------------------------------------------------------------ append
    @property
    def appended(self) -> int:
        """Events ever appended since the store was created or cleared (also the ones removed)."""
        return len(self.raw) + self.removed

    def append(self, event: dict, received_at: float, raw: str | None = None, _clean: bool = False) -> None:
        """Store one event (a dict as decoded from ARI JSON): the hot path of the whole log.

        ``raw`` is its JSON text when the caller has it (a file being loaded); otherwise it is
        encoded here. One flat function on purpose: every call layer costs on every event.
        """
        if raw is None:
            try:
                raw = _dumps(event).decode()
            except TypeError:  # not JSON-serialisable (only possible for events made in Python)
                raw = _dumps(event, default=repr).decode()
        if received_at.__class__ is not float:
            received_at = float("nan") if received_at is None else float(received_at)
        try:
            # every code is computed before anything is appended, so an error half way through
            # leaves the arrays consistent
            (hidx, tidx, cidx, sidx, xidx, hcode, tcode, ccode_of, scode_of, xcode,
             happ, tapp, capp, sapp, xapp, rapp, recvapp) = self._hot
            get = event.get
            etype = get("type")
            head = (etype, get("application"), get("asterisk_id"))
            h = hidx.get(head)
            if h is None:
                h = hcode(head)
            ts = get("timestamp")
            t = tidx.get(ts)
            if t is None:
                t = tcode(ts)

            ch = get("channel")
            if ch is None and etype == "Dial":
                ch = get("caller") or get("peer")
            if ch.__class__ is dict:
                # who the channel is (changes rarely) and where it is (state, dialplan priority)
                try:  # every field of ARI's Channel model is required: one C call on the fast path
                    cid, cname, cstate, caller, connected, dp, created = _CHANNEL_PARTS(ch)
                    key = (cid, cname, caller["number"], caller["name"], connected["number"],
                           dp["context"], dp["exten"], created)
                    skey = (cstate, dp["priority"])
                except (KeyError, TypeError):
                    key, skey = _channel_key(ch)
                cc = cidx.get(key)
                if cc is None:
                    cc = ccode_of(key)
                sc = sidx.get(skey)
                if sc is None:
                    sc = scode_of(skey)
            else:
                cc = sc = -1

            kind = _KINDS.get(etype)
            if kind is not None and len(event) <= kind[1]:
                k = kind[0]
                if k == 0:
                    key = None
                elif k == 1:
                    key = (1, get("variable"), get("value"))
                elif k == 2:
                    key = (2, get("digit"), get("duration_ms"))
                elif k == 3:
                    key = (3, get("cause"), get("soft"))
                elif k == 4:
                    key = (4, get("cause"), get("cause_txt"))
                else:
                    args = get("args")
                    key = (5, tuple(args) if args.__class__ is list else args)
            else:
                key = _generic_extra(get)
            x = xidx.get(key)
            if x is None:
                x = xcode(key)

            recvapp(received_at)
            happ(h)
            tapp(t)
            capp(cc)
            sapp(sc)
            xapp(x)
            rapp(raw)

        except TypeError:
            if _clean:
                raise
            # an unhashable value where a scalar was expected (a future event type): extract
            # from a hashable copy; the raw JSON keeps the event exactly as it came
            self.append(_sanitised(event), received_at, raw, True)

    # ------------------------------------------------------------------ reading
    def event(self, i: int) -> dict:
        """The i-th stored event (0 = oldest in memory), decoded again from its raw JSON."""
        return orjson.loads(self.raw[i])

    def tail(self, n: int) -> list[dict]:
        """The newest ``n`` events, oldest first; costs ``n`` decodes."""
        if n <= 0:
            return []
        return [orjson.loads(r) for r in self.raw[-n:]]

    def codes_np(self, group: str) -> np.ndarray:
        """A zero-copy numpy view of one group's codes (valid until the next append)."""
        return np.frombuffer(self.codes[group], dtype=np.int32) if len(self.raw) else np.zeros(0, np.int32)

    def received_np(self) -> np.ndarray:
        return np.frombuffer(self.received, dtype=np.float64) if len(self.raw) else np.zeros(0)

    def counts(self) -> dict[str, int]:
        """Events per type, updated incrementally (cost proportional to new events)."""
        n = len(self.raw)
        if n > self._counted:
            new = np.bincount(self.codes_np("head")[self._counted:n], minlength=len(self.dicts["head"].values))
            old = self._head_counts
            if len(old) < len(new):
                old = np.concatenate([old, np.zeros(len(new) - len(old), np.int64)])
            self._head_counts = old + new
            self._counted = n
        out: dict[str, int] = {}
        for (etype, _app, _ast), k in zip(self.dicts["head"].values, self._head_counts):
            if k:
                key = etype if isinstance(etype, str) else str(etype)
                out[key] = out.get(key, 0) + int(k)
        return out

    def matching_codes(self, group: str, pos: int, wanted: Iterable[Any]) -> np.ndarray:
        """Codes of ``group`` whose tuple has a value in ``wanted`` at position ``pos``."""
        wanted = set(wanted)
        return np.array([i for i, key in enumerate(self.dicts[group].values) if key[pos] in wanted],
                        dtype=np.int32)

    def find_newest(self, n: int, masks: list[tuple[str, np.ndarray]], chunk: int = 4096) -> list[int]:
        """Indices of the newest ``n`` events whose codes are all in the given sets, newest first.

        Scans backwards in vectorised chunks, so the work is proportional to how far back the
        ``n``-th match lies, not to the size of the log.
        """
        found: list[int] = []
        end = len(self.raw)
        arrays = [(self.codes_np(g), codes) for g, codes in masks]
        while end > 0 and len(found) < n:
            start = max(0, end - chunk)
            ok = np.ones(end - start, dtype=bool)
            for arr, codes in arrays:
                ok &= np.isin(arr[start:end], codes)
            hits = np.flatnonzero(ok)[::-1] + start
            found.extend(hits[: n - len(found)].tolist())
            end = start
            chunk = min(chunk * 2, 1 << 20)
        return found

    # ------------------------------------------------------------------ dropping the oldest
    def take_oldest(self, k: int) -> tuple[list[str], np.ndarray]:
        """Remove and return the ``k`` oldest events (raw JSON, receive times); compacts the codes."""
        k = min(k, len(self.raw))
        raw = self.raw[:k]
        recv = self.received_np()[:k].copy()
        del self.raw[:k]
        self.removed += k
        self.received = array("d", self.received_np()[k:].tobytes()) if self.raw else array("d")
        for g in GROUPS:
            rest = self.codes_np(g)[k:] if len(raw) else self.codes_np(g)
            self._recode(g, np.asarray(rest))
        self._counted = 0
        self._head_counts = np.zeros(0, dtype=np.int64)
        self._bind()
        return raw, recv

    def _recode(self, group: str, codes: np.ndarray) -> None:
        """Keep only the dictionary entries still used by ``codes`` (memory stays bounded)."""
        old = self.dicts[group]
        used = np.unique(codes[codes >= 0]) if len(codes) else np.zeros(0, np.int32)
        remap = np.full(len(old.values) + 1, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        new = _Dict(old.expand)
        new.values = [old.values[i] for i in used.tolist()]
        new.index = {key: int(remap[code]) for key, code in old.index.items() if remap[code] >= 0}
        fresh = remap[codes] if len(codes) else codes  # -1 indexes the trailing -1
        self.dicts[group] = new
        self.codes[group] = array("i", fresh.astype(np.int32).tobytes())

    def clear(self) -> None:
        self.__init__()


_CHANNEL_PARTS = operator.itemgetter("id", "name", "state", "caller", "connected", "dialplan", "creationtime")


def _channel_key(ch: dict) -> tuple[tuple, tuple]:
    """The channel and state tuples of a channel object missing some fields (or odd ones)."""
    cg = ch.get
    caller = cg("caller")
    if caller.__class__ is not dict:
        caller = _EMPTY
    connected = cg("connected")
    if connected.__class__ is not dict:
        connected = _EMPTY
    dp = cg("dialplan")
    if dp.__class__ is not dict:
        dp = _EMPTY
    return ((cg("id"), cg("name"), caller.get("number"), caller.get("name"), connected.get("number"),
             dp.get("context"), dp.get("exten"), cg("creationtime")),
            (cg("state"), dp.get("priority")))


def _generic_extra(get) -> tuple:
    """All extra fields of an event of a type without a known model (or with unknown keys)."""
    br = get("bridge")
    if br.__class__ is not dict:
        br = _EMPTY
    pb = get("playback")
    if pb.__class__ is not dict:
        pb = _EMPTY
    rec = get("recording")
    if rec.__class__ is not dict:
        rec = _EMPTY
    args = get("args")
    if args.__class__ is list:
        args = tuple(args)
    ep = get("endpoint")
    if ep is not None:
        ep = f"{ep.get('technology', '')}/{ep.get('resource', '')}" if ep.__class__ is dict else ep
    peer = get("peer")
    peer_id = peer.get("id") if peer.__class__ is dict else None
    return (br.get("id"), br.get("bridge_type"), br.get("bridge_class"),
            pb.get("id"), pb.get("state"), pb.get("media_uri"), pb.get("target_uri"),
            rec.get("name"), rec.get("state"), rec.get("target_uri"),
            get("digit"), get("duration_ms"), get("cause"), get("cause_txt"), get("soft"),
            get("variable"), get("value"), args, ep, peer_id, get("dialstatus"))


def _expand(key: Any) -> tuple:
    """The full EXTRA_FIELDS tuple for a short key (see ``_KIND_FIELDS``)."""
    if key is None:
        return _NO_EXTRA
    if len(key) == len(EXTRA_FIELDS):
        return key
    full = list(_NO_EXTRA)
    for name, value in zip(_KIND_FIELDS[key[0]], key[1:]):
        full[_X[name]] = value
    return tuple(full)


def _sanitised(event: dict) -> dict:
    """A shallow copy whose top-level scalars and known sub-objects are hashable."""
    out = {}
    for k, v in event.items():
        if isinstance(v, dict) and k in ("channel", "caller", "peer", "bridge", "playback",
                                         "recording", "endpoint"):
            out[k] = {kk: (_hashable(vv) if kk not in ("caller", "connected", "dialplan") else
                           ({kkk: _hashable(vvv) for kkk, vvv in vv.items()} if isinstance(vv, dict) else vv))
                      for kk, vv in v.items()}
        else:
            out[k] = _hashable(v)
    return out
