"""The columnar, append-only event store behind ``EventLog``: a few microseconds per event.

Why this shape: a DataFrame append per event is quadratic, and a list of decoded dicts costs
about seven times the JSON it came from. So each event is kept as

* its raw JSON text (``str``; the lossless record, ~1x its JSON size),
* its receive time (a C ``double`` in an ``array``), and
* four small integer *codes*, one per group of fields: head (type, app, server, channel
  state and dialplan priority), timestamp, channel identity, and the rest (bridge, playback,
  recording and the scalars). A code indexes a
  dictionary of the distinct tuples seen so far, so the fields a DataFrame needs are extracted
  once, at append time, and repeated values (the same channel in ten events) are stored once.

``frames.build_frame`` turns the codes into typed columns in vectorised numpy/pyarrow work,
decoding only the distinct tuples, which is what keeps a million-event frame to a second or so.
"""

from __future__ import annotations

import operator
from array import array
from typing import Any, Callable, Iterable

import numpy as np
import orjson

_dumps = orjson.dumps
_EMPTY: dict = {}

#: field groups and the fields of their tuples (the frame's column names)
HEAD_FIELDS = ("type", "application", "asterisk_id", "channel_state", "priority")
CHANNEL_FIELDS = ("channel_id", "channel_name", "caller_number", "caller_name", "connected_number",
                  "context", "exten", "channel_created")
EXTRA_FIELDS = ("bridge_id", "bridge_type", "bridge_class",
                "playback_id", "playback_state", "media_uri", "playback_target",
                "recording_name", "recording_state", "recording_target",
                "digit", "duration_ms", "cause", "cause_txt", "soft", "variable", "value", "args",
                "endpoint", "peer_id", "dialstatus")
GROUPS = ("head", "time", "channel", "extra")
GROUP_FIELDS = {"head": HEAD_FIELDS, "time": ("time",), "channel": CHANNEL_FIELDS, "extra": EXTRA_FIELDS}
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
        # Every container below is created once and only ever changed in place (clear and
        # take_oldest included), because the append closure holds them directly.
        self.raw: list[str] = []
        self.removed = 0  # events taken out by take_oldest
        self.received = array("d")
        self.dicts = {g: _Dict(_expand if g == "extra" else None) for g in GROUPS}
        self.codes = {g: array("i") for g in GROUPS}
        self._head_kinds: list = []  # _KINDS entry of each head tuple's type
        self._matches: dict = {}  # matching_codes results, per query
        # remembered for counts(): codes of the head group counted so far
        self._counted = 0
        self._head_counts = np.zeros(0, dtype=np.int64)
        self.append = self._make_append()

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def appended(self) -> int:
        """Events ever appended since the store was created or cleared (also the ones removed)."""
        return len(self.raw) + self.removed

    # ------------------------------------------------------------------ append
    def _make_append(self) -> Callable[..., None]:
        """The hot path of the whole log, as a closure over the store's containers.

        A closure rather than a method: its variables are cells, not attribute look-ups, and
        the client calls it directly for every event, so every saved step counts.
        """
        d, c = self.dicts, self.codes
        hd, td, cd, xd = d["head"], d["time"], d["channel"], d["extra"]
        hidx, tidx, cidx, xidx = hd.index, td.index, cd.index, xd.index
        happ, tapp, capp, xapp = c["head"].append, c["time"].append, c["channel"].append, c["extra"].append
        rapp, recvapp = self.raw.append, self.received.append
        head_kinds = self._head_kinds
        kinds_get = _KINDS.get
        parts = _CHANNEL_PARTS

        def append(event: dict, received_at: float, raw: str | None = None, _clean: bool = False) -> None:
            """Store one event (a dict as decoded from ARI JSON) received at ``received_at``
            (epoch seconds); ``raw`` is its JSON text when the caller has it (a file, the
            WebSocket message). Text spread over lines (a server with ``pretty=yes``) is
            encoded again, so every stored event stays one JSONL line."""
            if raw is None or "\n" in raw:
                try:
                    raw = _dumps(event).decode()
                except TypeError:  # not JSON-serialisable (only for events made in Python)
                    raw = _dumps(event, default=repr).decode()
            if received_at.__class__ is not float:
                received_at = float("nan") if received_at is None else float(received_at)
            try:
                # every code is computed before anything is appended, so an error half way
                # through leaves the arrays consistent
                get = event.get
                etype = get("type")
                ch = get("channel")
                if ch is None and etype == "Dial":
                    ch = get("caller") or get("peer")
                if ch.__class__ is dict:
                    # who the channel is (changes rarely); its state and priority go in the head
                    try:  # ARI's Channel model requires every field: one C call on the fast path
                        cid, cname, cstate, caller, connected, dp, created = parts(ch)
                        key = (cid, cname, caller["number"], caller["name"], connected["number"],
                               dp["context"], dp["exten"], created)
                        head = (etype, get("application"), get("asterisk_id"), cstate, dp["priority"])
                    except (KeyError, TypeError):
                        key, state = _channel_key(ch)
                        head = (etype, get("application"), get("asterisk_id"), *state)
                    cc = cidx.get(key)
                    if cc is None:
                        cc = cd.code(key)
                else:
                    cc = -1
                    head = (etype, get("application"), get("asterisk_id"), None, None)
                h = hidx.get(head)
                if h is None:
                    h = hd.code(head)
                    head_kinds.append(kinds_get(etype))
                ts = get("timestamp")
                t = tidx.get(ts)
                if t is None:
                    t = td.code(ts)

                kind = head_kinds[h]
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
                    x = xd.code(key)
            except TypeError:
                if _clean:
                    raise
                # an unhashable value where a scalar was expected (a future event type):
                # extract from a hashable copy; the raw JSON keeps the event as it came
                append(_sanitised(event), received_at, raw, True)
                return
            recvapp(received_at)
            happ(h)
            tapp(t)
            capp(cc)
            xapp(x)
            rapp(raw)

        return append

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
        for head, k in zip(self.dicts["head"].values, self._head_counts):
            etype = head[0]
            if k:
                key = etype if isinstance(etype, str) else str(etype)
                out[key] = out.get(key, 0) + int(k)
        return out

    def matching_codes(self, group: str, pos: int, wanted: Iterable[Any]) -> np.ndarray:
        """Codes of ``group`` whose tuple has a value in ``wanted`` at position ``pos``.

        Remembered per query and extended over the tuples added since (dictionaries only
        grow between clears), so a live view asking every refresh pays for new tuples only.
        """
        wanted = frozenset(wanted)
        values = self.dicts[group].values
        key = (group, pos, wanted)
        seen, found = self._matches.get(key, (0, []))
        if seen > len(values):  # the dictionary was rebuilt (clear, spill): start over
            seen, found = 0, []
        if seen < len(values):
            found = found + [i for i in range(seen, len(values)) if values[i][pos] in wanted]
            if len(self._matches) > 64:
                self._matches.clear()
            self._matches[key] = (len(values), found)
        return np.array(found, dtype=np.int32)

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
        """Remove and return the ``k`` oldest events (raw JSON, receive times); compacts the
        codes and drops dictionary entries no longer used, all in place."""
        k = min(k, len(self.raw))
        raw = self.raw[:k]
        recv = self.received_np()[:k].copy()
        del self.raw[:k]
        del self.received[:k]
        self.removed += k
        for g in GROUPS:
            rest = np.frombuffer(self.codes[g], dtype=np.int32)[k:].copy()
            self._recode(g, rest)
        self._head_kinds[:] = [_KINDS.get(v[0]) for v in self.dicts["head"].values]
        self._matches.clear()
        self._counted = 0
        self._head_counts = np.zeros(0, dtype=np.int64)
        return raw, recv

    def _recode(self, group: str, codes: np.ndarray) -> None:
        """Keep only the dictionary entries still used by ``codes`` (memory stays bounded)."""
        old = self.dicts[group]
        used = np.unique(codes[codes >= 0]) if len(codes) else np.zeros(0, np.int32)
        remap = np.full(len(old.values) + 1, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        values = [old.values[i] for i in used.tolist()]
        index = {key: int(remap[code]) for key, code in old.index.items() if remap[code] >= 0}
        fresh = remap[codes] if len(codes) else codes  # -1 indexes the trailing -1
        old.values[:] = values
        old.index.clear()
        old.index.update(index)
        arr = self.codes[group]
        del arr[:]
        arr.frombytes(fresh.astype(np.int32).tobytes())

    # ------------------------------------------------------------------ undoing a partial load
    def mark(self) -> tuple:
        """Where the store ends now, for ``rollback`` (events and dictionary sizes)."""
        return len(self.raw), self.removed, {g: len(self.dicts[g].values) for g in GROUPS}

    def rollback(self, mark: tuple) -> None:
        """Drop everything appended since ``mark`` (a load that was interrupted), in place.

        Each container is cut to its own length at the mark, so an append stopped half way
        (some arrays one longer than others, a dictionary key without its tuple) is undone too.
        Only valid while nothing was taken out (``take_oldest``/``clear``) since the mark.
        """
        n, removed, sizes = mark
        if self.removed != removed:
            raise RuntimeError("cannot roll the event store back: events were taken out since the mark")
        del self.raw[n:]
        del self.received[n:]
        for g in GROUPS:
            del self.codes[g][n:]
            d, size = self.dicts[g], sizes[g]
            del d.values[size:]
            for key in [k for k, code in d.index.items() if code >= size]:
                del d.index[key]
        del self._head_kinds[sizes["head"]:]
        self._matches.clear()
        self._counted = 0
        self._head_counts = np.zeros(0, dtype=np.int64)

    def clear(self) -> None:
        """Forget everything, in place (the append closure stays valid)."""
        self.raw.clear()
        del self.received[:]
        for g in GROUPS:
            self.dicts[g].index.clear()
            self.dicts[g].values.clear()
            del self.codes[g][:]
        self._head_kinds.clear()
        self._matches.clear()
        self.removed = 0
        self._counted = 0
        self._head_counts = np.zeros(0, dtype=np.int64)


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
