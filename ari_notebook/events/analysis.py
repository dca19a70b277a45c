"""Analysis frames over the event frame: calls, bridges, DTMF, playbacks, recordings, summary.

Why these shapes: they answer what a CDR user asks (who called whom, how long it rang, how
long they talked, who hung up) from the events an ARI application saw. Every function takes
the event frame (``EventLog.df``) and returns a new frame; nothing here mutates the log.

Conventions shared by every function:

* Event time is Asterisk's ``timestamp`` (receive time when it has none). Rows are ordered by
  that time, then arrival, so events that arrived out of order are put back in order.
* The same Asterisk message delivered to several applications (a ``subscribeAll`` watcher
  next to the app; or the duplicates Asterisk sends for bridge playbacks) is counted once:
  rows equal in type, time and object are collapsed before analysis.
* A missing value means "not seen in this log" (for example ``ended`` of a live channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd

from .frames import STR, TIME

DELTA = "timedelta64[us]"

#: ``ChannelHangupRequest.cause`` with ``soft: true`` is a soft-hangup flag, not a Q.850
#: cause (Asterisk's AST_SOFTHANGUP_*): 32 = explicit (ARI DELETE /channels, AMI Hangup),
#: 4 = shutdown (core restart/stop), 8 = absolute timeout.
SOFT_HANGUP_BY = {32: "app", 4: "shutdown", 8: "timeout"}


def _when(df: pd.DataFrame) -> pd.Series:
    return df["time"].fillna(df["received_at"])


def _ordered(df: pd.DataFrame) -> pd.DataFrame:
    """Rows with a ``when`` column, sorted by it and then arrival order (stable)."""
    out = df.assign(when=_when(df), _seq=df.index.to_numpy())
    if not out["when"].is_monotonic_increasing or out["when"].isna().any():
        out = out.sort_values(["when", "_seq"], kind="stable", na_position="last")
    return out


def _dedupe(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Collapse the same message seen by several apps (and Asterisk's own duplicates)."""
    if len(df) < 2:
        return df
    return df.drop_duplicates(subset=["type", "when", *keys], keep="first")


def _first_by(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    sub = df[[key, col]].dropna()
    return sub.groupby(key, sort=False, observed=True)[col].first()


def _first_rows(df: pd.DataFrame, key: str, cols: list[str]) -> pd.DataFrame:
    """The first row per ``key`` (whole rows: unlike ``groupby.first`` it never mixes rows)."""
    return df.drop_duplicates(key, keep="first").set_index(key)[cols]


# ---------------------------------------------------------------------------------- calls
CALL_COLUMNS = ["channel_id", "channel_name", "application", "caller_number", "caller_name",
                "context", "exten", "created", "answered", "stasis_start", "stasis_end",
                "hangup_request", "ended", "ring_time", "talk_time", "duration", "cause",
                "cause_txt", "hangup_by", "request_cause", "dialstatus", "bridges",
                "bridged_time", "args", "events"]


def calls(df: pd.DataFrame, *, all_channels: bool = False) -> pd.DataFrame:
    """One row per call leg (channel), with the facts a CDR user expects.

    =================  =========================================================================
    created            the channel's ``creationtime`` (Asterisk stamps it on every event)
    answered           first event showing the channel ``Up`` (NaT: never answered)
    stasis_start/end   first ``StasisStart`` / last ``StasisEnd``: the time the app had it
    hangup_request     first ``ChannelHangupRequest``; ``request_cause`` its cause
    ended              ``ChannelDestroyed``; for a channel the app only held while it was in
                       Stasis (a call from the dialplan, a snoop), Asterisk sends none: the
                       ``StasisEnd`` that follows its hangup request (NaT: still up, or the log
                       stopped first)
    ring_time          answered - created; for a call never answered, ended - created
    talk_time          ended - answered (CDR ``billsec``); duration = ended - created
    cause, cause_txt   from ``ChannelDestroyed``: the Q.850 cause the call ended with
    hangup_by          who hung up, from the first hangup request: ``app`` (soft, cause 32: an
                       ARI/AMI hangup), ``shutdown`` (soft 4), ``timeout`` (soft 8), ``system``
                       (other soft flags), ``channel`` (not soft: the phone/far end, or for a
                       Local half, its partner); missing when no request was seen
    dialstatus         last non-empty ``Dial`` status with this channel as peer (ANSWER, BUSY...)
    caller_*, exten    first non-empty caller id; dialplan context/extension the call started on
    bridges            bridge ids visited, in order; bridged_time the total time in them
    args               ``StasisStart`` arguments; events how many events mention the channel
    =================  =========================================================================

    By default the ``;2`` half of a Local channel that never entered Stasis is left out: it is
    the dialplan leg of a Local channel the app originated, not a call of its own (its facts
    are still in ``df``); ``all_channels=True`` keeps every channel. Rows are ordered by
    ``created``.
    """
    cols = ["type", "time", "received_at", "channel_id", "channel_name", "application",
            "caller_number", "caller_name", "context", "exten", "channel_created", "channel_state",
            "cause", "cause_txt", "soft", "args", "peer_id", "dialstatus"]
    ev = _ordered(df.loc[df["channel_id"].notna(), cols])
    if ev.empty:
        return _empty_calls()
    # one integer key per channel: every groupby below is then on plain ints
    codes, ids = pd.factorize(ev["channel_id"])
    ev["k"] = codes
    ids = pd.Index(ids, name="channel_id")
    etype = ev["type"]
    key = "k"

    def firsts(mask, columns):
        return _first_rows(ev.loc[mask, ["k", *columns]], key, columns)

    g = ev.groupby(key, sort=False)
    out = pd.DataFrame(index=pd.RangeIndex(len(ids), name=key))
    out["events"] = g.size().astype("int64")
    out["channel_name"] = _first_by(ev, key, "channel_name")
    is_start = etype == "StasisStart"
    out["application"] = _first_by(ev.loc[is_start, ["k", "application"]], key, "application").reindex(out.index)
    out["application"] = out["application"].astype(object).fillna(_first_by(ev, key, "application").astype(object))
    for col in ("caller_number", "caller_name"):
        nonempty = ev.loc[ev[col].notna() & (ev[col] != ""), ["k", col]]
        first = _first_by(nonempty, key, col).reindex(out.index).astype(object)
        out[col] = first.fillna(_first_by(ev, key, col).astype(object))
    out["context"] = _first_by(ev, key, "context").astype(object)
    out["exten"] = _first_by(ev, key, "exten").astype(object)
    out["created"] = _first_by(ev, key, "channel_created").reindex(out.index).fillna(g["when"].first())
    out["answered"] = firsts(ev["channel_state"] == "Up", ["when"])["when"]
    out["stasis_start"] = firsts(is_start, ["when"])["when"]
    ends = ev.loc[etype == "StasisEnd", ["k", "when"]]
    out["stasis_end"] = ends.groupby(key, sort=False)["when"].last()
    first_req = firsts(etype == "ChannelHangupRequest", ["when", "cause", "soft"])
    out["hangup_request"] = first_req["when"]
    destroyed = firsts(etype == "ChannelDestroyed", ["when", "cause", "cause_txt"])
    # an app hears ChannelDestroyed only for channels it holds beyond Stasis (it originated or
    # subscribed to them): for a call that came in through the dialplan, the StasisEnd after the
    # hangup request is the last word, and the channel is gone within milliseconds of it
    let_go = out["stasis_end"].where(out["stasis_end"] >= first_req["when"].reindex(out.index))
    out["ended"] = destroyed["when"].reindex(out.index).fillna(let_go)
    out["cause"] = destroyed["cause"].reindex(out.index).astype("Int64")
    out["cause_txt"] = destroyed["cause_txt"].reindex(out.index).astype(object)
    out["request_cause"] = first_req["cause"].reindex(out.index).astype("Int64")
    soft = first_req["soft"].reindex(out.index).fillna(False).to_numpy(dtype=bool)
    flag = out["request_cause"].map(lambda c: SOFT_HANGUP_BY.get(c, "system") if pd.notna(c) else "system")
    by = np.where(soft, flag.to_numpy(dtype=object), "channel")
    out["hangup_by"] = np.where(out["hangup_request"].notna().to_numpy(), by, None)
    dial = ev.loc[(etype == "Dial") & ev["peer_id"].notna() & ev["dialstatus"].notna()
                  & (ev["dialstatus"] != ""), ["peer_id", "dialstatus"]]
    last_status = dial.groupby("peer_id", sort=False, observed=True)["dialstatus"].last().astype(object)
    out["dialstatus"] = last_status.reindex(ids).to_numpy()
    args = ev.loc[is_start & ev["args"].notna(), ["k", "args"]].drop_duplicates(key).set_index(key)["args"]
    out["args"] = args.reindex(out.index)
    out.index = ids
    intervals = bridges(df)
    if len(intervals):
        iv = intervals.assign(left=intervals["left"].fillna(intervals["channel_id"].map(out["ended"])))
        iv = iv.assign(span=iv["left"] - iv["entered"])
        visited = iv.groupby("channel_id", sort=False)["bridge_id"].agg(lambda s: list(dict.fromkeys(s)))
        visited_map = visited.to_dict()
        out["bridges"] = [visited_map.get(cid, []) for cid in out.index]
        out["bridged_time"] = iv.groupby("channel_id", sort=False)["span"].sum(min_count=1).reindex(out.index)
    else:
        out["bridges"] = [[] for _ in range(len(out))]
        out["bridged_time"] = pd.Series(pd.NaT, index=out.index, dtype=DELTA)

    if not all_channels:
        name = out["channel_name"].astype(object).fillna("")
        local_half = name.str.startswith("Local/") & name.str.endswith(";2")
        out = out[~(local_half & out["stasis_start"].isna())]

    out = out.reset_index()
    for col in ("created", "answered", "stasis_start", "stasis_end", "hangup_request", "ended"):
        out[col] = out[col].astype(TIME)
    ring_end = out["answered"].fillna(out["ended"])
    out["ring_time"] = (ring_end - out["created"]).astype(DELTA)
    out["talk_time"] = (out["ended"] - out["answered"]).astype(DELTA)
    out["duration"] = (out["ended"] - out["created"]).astype(DELTA)
    out["bridged_time"] = pd.to_timedelta(out["bridged_time"]).astype(DELTA)
    for col in ("channel_id", "channel_name", "application", "caller_number", "caller_name", "context",
                "exten", "cause_txt", "hangup_by", "dialstatus"):
        out[col] = out[col].astype(object).where(out[col].notna(), None).astype(STR)
    out["args"] = out["args"].astype(object).where(out["args"].notna(), None)
    out = out[CALL_COLUMNS].sort_values(["created", "channel_id"], kind="stable").reset_index(drop=True)
    return out


def _empty_calls() -> pd.DataFrame:
    dtypes = {c: STR for c in CALL_COLUMNS}
    dtypes.update({c: TIME for c in ("created", "answered", "stasis_start", "stasis_end",
                                     "hangup_request", "ended")})
    dtypes.update({c: DELTA for c in ("ring_time", "talk_time", "duration", "bridged_time")})
    dtypes.update({"cause": "Int64", "request_cause": "Int64", "bridges": object, "args": object,
                   "events": "int64"})
    return pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in CALL_COLUMNS})


# ---------------------------------------------------------------------------------- bridges
BRIDGE_COLUMNS = ["bridge_id", "bridge_type", "bridge_class", "channel_id", "channel_name",
                  "entered", "left", "duration"]


def bridges(df: pd.DataFrame) -> pd.DataFrame:
    """One row per stay of a channel in a bridge: entered, left, duration.

    A stay opens at ``ChannelEnteredBridge`` and closes at the matching ``ChannelLeftBridge``;
    if that never comes it closes when the channel is destroyed or the bridge is destroyed,
    else ``left`` is NaT (still in the bridge when the log ends). Adding a channel that is
    already in the bridge makes Asterisk send Left then Entered: that is two stays.
    """
    cols = ["type", "time", "received_at", "channel_id", "channel_name", "bridge_id", "bridge_type",
            "bridge_class"]
    entered = df["type"] == "ChannelEnteredBridge"
    if not entered.any():
        return _empty_bridges()
    members = df.loc[entered, "channel_id"].dropna().unique()
    keep = df["type"].isin(("ChannelEnteredBridge", "ChannelLeftBridge", "BridgeDestroyed"))
    keep |= (df["type"] == "ChannelDestroyed") & df["channel_id"].isin(members)
    ev = _dedupe(_ordered(df.loc[keep, cols]), ["channel_id", "bridge_id"])
    open_: dict[tuple[str, str], dict] = {}
    rows: list[dict] = []
    for etype, when, cid, cname, bid, btype, bclass in zip(
            ev["type"].astype(object), ev["when"], ev["channel_id"].astype(object),
            ev["channel_name"].astype(object), ev["bridge_id"].astype(object),
            ev["bridge_type"].astype(object), ev["bridge_class"].astype(object)):
        if etype == "ChannelEnteredBridge":
            if (cid, bid) not in open_:
                row = {"bridge_id": bid, "bridge_type": btype, "bridge_class": bclass,
                       "channel_id": cid, "channel_name": cname, "entered": when, "left": pd.NaT}
                open_[(cid, bid)] = row
                rows.append(row)
        elif etype == "ChannelLeftBridge":
            row = open_.pop((cid, bid), None)
            if row is not None:
                row["left"] = when
        elif etype == "ChannelDestroyed":
            for k in [k for k in open_ if k[0] == cid]:
                open_.pop(k)["left"] = when
        elif etype == "BridgeDestroyed":
            for k in [k for k in open_ if k[1] == bid]:
                open_.pop(k)["left"] = when
    out = pd.DataFrame(rows, columns=BRIDGE_COLUMNS[:-1])
    for col in ("entered", "left"):
        out[col] = pd.to_datetime(out[col], utc=True).astype(TIME)
    out["duration"] = (out["left"] - out["entered"]).astype(DELTA)
    for col in ("bridge_id", "bridge_type", "bridge_class", "channel_id", "channel_name"):
        out[col] = out[col].astype(STR)
    return out.sort_values(["entered", "bridge_id", "channel_id"], kind="stable").reset_index(drop=True)


def _empty_bridges() -> pd.DataFrame:
    dtypes = {c: STR for c in BRIDGE_COLUMNS}
    dtypes.update({"entered": TIME, "left": TIME, "duration": DELTA})
    return pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in BRIDGE_COLUMNS})


# ---------------------------------------------------------------------------------- DTMF
def dtmf(df: pd.DataFrame, *, per: str = "channel") -> pd.DataFrame:
    """DTMF received (``ChannelDtmfReceived``), per channel or per key press.

    ``per="channel"``: one row per channel: ``digits`` (every digit in order, joined, as a
    caller would type it), ``presses``, ``first``/``last`` press time.
    ``per="digit"``: one row per press: ``time``, ``digit``, ``duration_ms`` and ``gap``
    (time since the previous press on that channel).
    Note that with Local channels the digits sent to one half arrive on the other half.
    """
    if per not in ("channel", "digit"):
        raise ValueError(f"per must be 'channel' or 'digit', got {per!r}")
    sub = df[df["type"] == "ChannelDtmfReceived"]
    ev = _dedupe(_ordered(sub), ["channel_id", "digit"]) if len(sub) else sub.assign(when=pd.Series([], dtype=TIME))
    presses = pd.DataFrame({
        "channel_id": ev["channel_id"].astype(STR).to_numpy(),
        "channel_name": ev["channel_name"].astype(STR).to_numpy(),
        "time": ev["when"].astype(TIME).to_numpy(),
        "digit": ev["digit"].astype(object).where(ev["digit"].notna(), None).astype(STR).to_numpy(),
        "duration_ms": ev["duration_ms"].astype("Int64").to_numpy(),
    })
    presses["channel_id"] = presses["channel_id"].astype(STR)
    presses["channel_name"] = presses["channel_name"].astype(STR)
    presses["digit"] = presses["digit"].astype(STR)
    presses["time"] = presses["time"].astype(TIME)
    presses["duration_ms"] = presses["duration_ms"].astype("Int64")
    if per == "digit":
        presses["gap"] = presses.groupby("channel_id", sort=False)["time"].diff().astype(DELTA)
        return presses
    if presses.empty:
        return pd.DataFrame({"channel_id": pd.Series([], dtype=STR), "channel_name": pd.Series([], dtype=STR),
                             "digits": pd.Series([], dtype=STR), "presses": pd.Series([], dtype="int64"),
                             "first": pd.Series([], dtype=TIME), "last": pd.Series([], dtype=TIME)})
    g = presses.groupby("channel_id", sort=False)
    out = pd.DataFrame({
        "channel_name": g["channel_name"].first(),
        "digits": g["digit"].agg(lambda s: "".join(s.dropna())),
        "presses": g.size().astype("int64"),
        "first": g["time"].min(),
        "last": g["time"].max(),
    }).reset_index()
    out["channel_id"] = out["channel_id"].astype(STR)
    out["channel_name"] = out["channel_name"].astype(STR)
    out["digits"] = out["digits"].astype(STR)
    return out.sort_values(["first", "channel_id"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------- playbacks
PLAYBACK_COLUMNS = ["playback_id", "target_uri", "target_type", "target_id", "media_uri", "media",
                    "started", "finished", "state", "duration", "starts"]


def playbacks(df: pd.DataFrame) -> pd.DataFrame:
    """One row per playback: target, media, started, finished, final state, duration.

    ``media`` lists every media URI played, in order (a playlist moves on with
    ``PlaybackContinuing``); ``starts`` counts ``PlaybackStarted`` (an unpause sends another).
    ``state`` is the last state seen: ``done`` (finished or stopped: Asterisk never says
    "stopped"), ``failed`` (missing file, hangup during playback), or ``playing`` with
    ``finished`` NaT when no ``PlaybackFinished`` came (Asterisk sends none for an
    unsupported URI scheme such as ``bogus:thing``).
    """
    sub = df[df["type"].isin(("PlaybackStarted", "PlaybackContinuing", "PlaybackFinished"))
             & df["playback_id"].notna()]
    if sub.empty:
        return _empty_playbacks()
    ev = _dedupe(_ordered(sub), ["playback_id", "playback_state", "media_uri"])
    g = ev.groupby("playback_id", sort=False, observed=True)
    started = ev[ev["type"] == "PlaybackStarted"].groupby("playback_id", sort=False, observed=True)
    finished = ev[ev["type"] == "PlaybackFinished"].groupby("playback_id", sort=False, observed=True)["when"].first()
    out = pd.DataFrame({
        "target_uri": g["target_uri"].first(),
        "media_uri": g["media_uri"].first().astype(object),
        "media": g["media_uri"].agg(lambda s: list(dict.fromkeys(s.dropna().astype(str)))),
        "started": started["when"].first(),
        "finished": finished,
        "state": g["playback_state"].last().astype(object),
        "starts": started.size(),
    })
    out.index.name = "playback_id"
    out = out.reset_index()
    target = out["target_uri"].astype(object).fillna("")
    out["target_type"] = target.str.partition(":")[0].replace("", None)
    out["target_id"] = target.str.partition(":")[2].replace("", None)
    for col in ("started", "finished"):
        out[col] = pd.to_datetime(out[col], utc=True).astype(TIME)
    out["duration"] = (out["finished"] - out["started"]).astype(DELTA)
    out["starts"] = out["starts"].fillna(0).astype("int64")
    for col in ("playback_id", "target_uri", "target_type", "target_id", "media_uri", "state"):
        out[col] = out[col].astype(object).where(out[col].notna(), None).astype(STR)
    return out[PLAYBACK_COLUMNS].sort_values(["started", "playback_id"], kind="stable").reset_index(drop=True)


def _empty_playbacks() -> pd.DataFrame:
    dtypes = {c: STR for c in PLAYBACK_COLUMNS}
    dtypes.update({"media": object, "started": TIME, "finished": TIME, "duration": DELTA, "starts": "int64"})
    return pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in PLAYBACK_COLUMNS})


# ---------------------------------------------------------------------------------- recordings
RECORDING_COLUMNS = ["recording_name", "target_uri", "format", "started", "finished", "state",
                     "duration", "talking_duration", "silence_duration", "cause"]


def recordings(df: pd.DataFrame) -> pd.DataFrame:
    """One row per live recording: target, format, started, finished, final state, lengths.

    ``duration`` (and talking/silence durations when talk detection was on) are the seconds
    Asterisk reports in ``RecordingFinished``; ``state`` is the last seen (``done`` after stop,
    cancel or hangup: Asterisk has no "canceled" state; ``failed`` with ``cause`` from
    ``RecordingFailed``).
    """
    sub = df[df["type"].isin(("RecordingStarted", "RecordingFinished", "RecordingFailed"))
             & df["recording_name"].notna()]
    if sub.empty:
        return _empty_recordings()
    ev = _dedupe(_ordered(sub), ["recording_name", "recording_state"])
    rows: dict[str, dict] = {}
    for etype, when, raw in zip(ev["type"].astype(object), ev["when"], ev["raw"]):
        rec = orjson.loads(raw).get("recording") or {}
        name = rec.get("name")
        row = rows.setdefault(name, {"recording_name": name, "target_uri": rec.get("target_uri"),
                                     "format": rec.get("format"), "started": pd.NaT, "finished": pd.NaT,
                                     "state": None, "duration": None, "talking_duration": None,
                                     "silence_duration": None, "cause": None})
        row["state"] = rec.get("state", row["state"])
        if etype == "RecordingStarted" and pd.isna(row["started"]):
            row["started"] = when
        elif etype in ("RecordingFinished", "RecordingFailed"):
            row["finished"] = when
            for k in ("duration", "talking_duration", "silence_duration"):
                if rec.get(k) is not None:
                    row[k] = rec[k]
            if rec.get("cause"):
                row["cause"] = rec["cause"]
    out = pd.DataFrame(list(rows.values()), columns=RECORDING_COLUMNS)
    for col in ("started", "finished"):
        out[col] = pd.to_datetime(out[col], utc=True).astype(TIME)
    for col in ("duration", "talking_duration", "silence_duration"):
        out[col] = pd.to_timedelta(pd.to_numeric(out[col], errors="coerce"), unit="s").astype(DELTA)
    for col in ("recording_name", "target_uri", "format", "state", "cause"):
        out[col] = out[col].astype(object).where(out[col].notna(), None).astype(STR)
    return out.sort_values(["started", "recording_name"], kind="stable").reset_index(drop=True)


def _empty_recordings() -> pd.DataFrame:
    dtypes = {c: STR for c in RECORDING_COLUMNS}
    dtypes.update({"started": TIME, "finished": TIME, "duration": DELTA, "talking_duration": DELTA,
                   "silence_duration": DELTA})
    return pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in RECORDING_COLUMNS})


# ---------------------------------------------------------------------------------- requests
REQUEST_COLUMNS = ["time", "operation", "method", "path", "status", "elapsed_ms", "error", "object_id"]


def requests_frame(records: list[dict]) -> pd.DataFrame:
    """The request records (``client.add_request_listener``) as a typed frame."""
    out = pd.DataFrame(records, columns=REQUEST_COLUMNS)
    out["time"] = pd.to_datetime(pd.to_numeric(out["time"], errors="coerce"), unit="s", utc=True).astype(TIME)
    out["status"] = pd.to_numeric(out["status"], errors="coerce").astype("Int64")
    out["elapsed_ms"] = pd.to_numeric(out["elapsed_ms"], errors="coerce").astype("float64")
    for col in ("operation", "method", "path", "error", "object_id"):
        out[col] = out[col].astype(object).where(out[col].notna(), None).astype(STR)
    return out


# ---------------------------------------------------------------------------------- summary
@dataclass
class Summary:
    """What happened, at a glance: event counts, calls, answer rate, calls per minute.

    ``answer_rate`` is answered calls / calls (calls as in ``calls()``); ``calls_per_minute``
    counts calls by the UTC minute they were created in; ``mean_ring_time``/``mean_talk_time``
    average over calls where they are known; ``gaps`` counts ``EventStreamGap`` markers (times
    the event stream was down, during which events may be missing).
    """

    events: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    counts: pd.Series
    calls: int
    answered: int
    answer_rate: float
    calls_per_minute: pd.Series
    mean_ring_time: pd.Timedelta | None
    mean_talk_time: pd.Timedelta | None
    hangup_by: pd.Series
    gaps: int
    extra: dict = field(default_factory=dict)

    def to_series(self) -> pd.Series:
        """The scalar figures as one Series."""
        return pd.Series({"events": self.events, "first": self.first, "last": self.last,
                          "calls": self.calls, "answered": self.answered,
                          "answer_rate": self.answer_rate, "mean_ring_time": self.mean_ring_time,
                          "mean_talk_time": self.mean_talk_time, "gaps": self.gaps}, dtype=object)

    def _repr_html_(self) -> str:
        scalars = self.to_series().to_frame("value")._repr_html_()
        counts = self.counts.to_frame("events")._repr_html_()
        cpm = self.calls_per_minute.to_frame("calls")._repr_html_()
        return (f"<div style='display:flex;gap:2em;align-items:flex-start'><div><b>Summary</b>{scalars}</div>"
                f"<div><b>Events by type</b>{counts}</div><div><b>Calls per minute</b>{cpm}</div></div>")

    def __repr__(self) -> str:
        rate = "n/a" if self.answer_rate != self.answer_rate else f"{self.answer_rate:.0%}"
        return (f"Summary({self.events} events, {self.calls} calls, {self.answered} answered "
                f"({rate}), {len(self.counts)} event types, {self.gaps} gaps)")


def summary(df: pd.DataFrame, call_frame: pd.DataFrame | None = None) -> Summary:
    """Summarise an event frame (``call_frame`` is ``calls(df)`` when you already have it)."""
    cf = calls(df) if call_frame is None else call_frame
    when = _when(df)
    counts = df["type"].astype(object).value_counts()
    counts.index.name = "type"
    counts.name = "events"
    answered = int(cf["answered"].notna().sum())
    per_minute = cf.groupby(cf["created"].dt.floor("min")).size() if len(cf) else pd.Series([], dtype="int64")
    per_minute.index.name = "minute"
    per_minute.name = "calls"
    return Summary(
        events=len(df),
        first=when.min() if len(df) else None,
        last=when.max() if len(df) else None,
        counts=counts,
        calls=len(cf),
        answered=answered,
        answer_rate=answered / len(cf) if len(cf) else float("nan"),
        calls_per_minute=per_minute,
        mean_ring_time=cf["ring_time"].mean() if cf["ring_time"].notna().any() else None,
        mean_talk_time=cf["talk_time"].mean() if cf["talk_time"].notna().any() else None,
        hangup_by=cf["hangup_by"].value_counts() if len(cf) else pd.Series([], dtype="int64"),
        gaps=int((df["type"] == "EventStreamGap").sum()),
    )
