"""What every dataset engine (pandas, DuckDB, Dask) shares: which columns to read, and how a
partial result becomes the frame ``analysis`` would give (dtypes, order, derived columns).

Why its own module: ``dataset.Dataset`` picks an engine and the engines use these helpers;
kept here, neither imports the other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import analysis
from .analysis import DELTA, CALL_COLUMNS, PLAYBACK_COLUMNS
from .frames import COLUMNS, STR, TIME

FREQS = {"minute": "min", "hour": "h", "day": "D"}
#: dtmf per channel columns (as ``analysis.dtmf``)
DTMF_COLUMNS = ["channel_id", "channel_name", "digits", "presses", "first", "last"]
RATE_COLUMNS = ["asterisk_id", "period", "calls", "answered", "answer_rate"]
CAUSE_COLUMNS = ["asterisk_id", "cause", "cause_txt", "calls"]


def sorted_by(df: pd.DataFrame, by: list[str], key: str) -> pd.DataFrame:
    return df.sort_values([*by, "asterisk_id", key], kind="stable", na_position="last").reset_index(drop=True)


def by_count(s: pd.Series) -> pd.Series:
    if not len(s):
        return s
    frame = pd.DataFrame({"k": s.index.astype(object), "n": s.to_numpy()})
    frame = frame.sort_values(["n", "k"], ascending=[False, True], kind="stable")
    return pd.Series(frame["n"].to_numpy(dtype="int64"), index=pd.Index(frame["k"].to_numpy(), name=s.index.name,
                                                                          dtype=object), name=s.name)


def _text(col: pd.Series) -> pd.Series:
    return col.astype(object).where(col.notna(), None).astype(STR)


def _times(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, utc=True).astype(TIME)


def finish_calls(legs: pd.DataFrame, all_channels: bool) -> pd.DataFrame:
    """Call legs from an engine (facts per server and channel) as ``analysis.calls`` shapes them.

    ``legs`` has every column of ``CALL_COLUMNS`` except the three durations, ``hangup_by``
    and ``bridges`` may be missing for a channel that never entered a bridge.
    """
    out = legs.copy()
    if not all_channels:
        name = out["channel_name"].astype(object).fillna("")
        local_half = name.str.startswith("Local/") & name.str.endswith(";2")
        out = out[~(local_half & out["stasis_start"].isna()).to_numpy()]
    out = out.reset_index(drop=True)
    for col in ("created", "answered", "stasis_start", "stasis_end", "hangup_request", "ended"):
        out[col] = _times(out[col])
    ring_end = out["answered"].fillna(out["ended"])
    out["ring_time"] = (ring_end - out["created"]).astype(DELTA)
    out["talk_time"] = (out["ended"] - out["answered"]).astype(DELTA)
    out["duration"] = (out["ended"] - out["created"]).astype(DELTA)
    out["bridged_time"] = pd.to_timedelta(out["bridged_time"]).astype(DELTA)
    if "request_soft" in out.columns:  # engines that give the first request's flag, not who
        soft = out["request_soft"].astype(object).where(out["request_soft"].notna(), False).astype(bool).to_numpy()
        cause = pd.array(out["request_cause"], dtype="Int64")
        flag = np.array([analysis.SOFT_HANGUP_BY.get(c, "system") if c is not pd.NA else "system" for c in cause],
                        dtype=object)
        by = np.where(soft, flag, "channel")
        out["hangup_by"] = np.where(out["hangup_request"].notna().to_numpy(), by, None)
    for col in ("asterisk_id", "channel_id", "channel_name", "application", "caller_number", "caller_name",
                "context", "exten", "cause_txt", "hangup_by", "dialstatus"):
        out[col] = _text(out[col])
    for col in ("cause", "request_cause"):
        out[col] = pd.array(out[col], dtype="Int64")
    out["events"] = out["events"].astype("int64")
    out["bridges"] = [list(b) if isinstance(b, (list, tuple, np.ndarray)) else [] for b in out["bridges"]]
    out["args"] = [list(a) if isinstance(a, (list, tuple, np.ndarray)) else None for a in out["args"]]
    out["args"] = out["args"].astype(object)
    return out[["asterisk_id", *CALL_COLUMNS]]


def finish_dtmf(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in ("asterisk_id", "channel_id", "channel_name", "digits"):
        out[col] = _text(out[col])
    out["presses"] = out["presses"].astype("int64")
    for col in ("first", "last"):
        out[col] = _times(out[col])
    return out[["asterisk_id", *DTMF_COLUMNS]]


def finish_playbacks(df: pd.DataFrame) -> pd.DataFrame:
    """Engine rows (per playback) with the columns ``analysis.playbacks`` derives, same way."""
    out = df.copy()
    target = out["target_uri"].astype(object).fillna("")
    out["target_type"] = target.str.partition(":")[0].replace("", None)
    out["target_id"] = target.str.partition(":")[2].replace("", None)
    for col in ("started", "finished"):
        out[col] = _times(out[col])
    out["duration"] = (out["finished"] - out["started"]).astype(DELTA)
    out["starts"] = out["starts"].fillna(0).astype("int64")
    for col in ("asterisk_id", "playback_id", "target_uri", "target_type", "target_id", "media_uri", "state"):
        out[col] = _text(out[col])
    out["media"] = [list(m) if isinstance(m, (list, tuple, np.ndarray)) else [] for m in out["media"]]
    return out[["asterisk_id", *PLAYBACK_COLUMNS]]


def rates_dtypes(out: pd.DataFrame) -> pd.DataFrame:
    out = out[RATE_COLUMNS].copy()
    out["asterisk_id"] = _text(out["asterisk_id"])
    out["period"] = _times(out["period"])
    out["calls"] = out["calls"].astype("int64")
    out["answered"] = out["answered"].astype("int64")
    out["answer_rate"] = out["answered"] / out["calls"]
    return out


def causes_dtypes(out: pd.DataFrame) -> pd.DataFrame:
    out = out[CAUSE_COLUMNS].copy()
    out["asterisk_id"] = _text(out["asterisk_id"])
    out["cause"] = pd.array(out["cause"], dtype="Int64")
    out["cause_txt"] = _text(out["cause_txt"])
    out["calls"] = out["calls"].astype("int64")
    return out


def rates_from_calls(calls: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Per-server calls/answered per period, from a calls frame (the pandas and Dask way)."""
    period = calls["created"].dt.floor(FREQS[freq])
    frame = pd.DataFrame({"asterisk_id": calls["asterisk_id"].astype(object), "period": period,
                          "answered": calls["answered"].notna().astype("int64")})
    g = frame.dropna(subset=["period"]).groupby(["asterisk_id", "period"], sort=True)
    out = g.agg(calls=("answered", "size"), answered=("answered", "sum")).reset_index()
    out["answer_rate"] = out["answered"] / out["calls"]
    return out


def causes_from_calls(calls: pd.DataFrame) -> pd.DataFrame:
    ended = calls[calls["ended"].notna()]
    frame = pd.DataFrame({"asterisk_id": ended["asterisk_id"].astype(object),
                          "cause": ended["cause"].astype("float64"),
                          "cause_txt": ended["cause_txt"].astype(object)})
    out = frame.groupby(["asterisk_id", "cause", "cause_txt"], dropna=False, sort=True).size()
    out = out.rename("calls").reset_index()
    out["cause"] = pd.array(out["cause"].round(), dtype="Int64")
    return out


def summary_from(events: int, first: Any, last: Any, counts: pd.Series, gaps: int,
                 calls: pd.DataFrame | None = None, *, per_minute: pd.Series | None = None,
                 stats: dict | None = None) -> analysis.Summary:
    """A ``Summary`` from event aggregates and either a calls frame or call aggregates.

    The call figures (answered, rates, means, hangup_by) follow ``analysis.summary``; an
    engine that never materialises calls passes ``stats`` (``calls``, ``answered``, sums and
    counts of ring/talk time in microseconds, ``hangup_by`` counts) and ``per_minute``.
    """
    if calls is not None:
        n = len(calls)
        answered = int(calls["answered"].notna().sum())
        per_minute = calls.groupby(calls["created"].dt.floor("min")).size() if n else pd.Series([], dtype="int64")
        ring = calls["ring_time"].mean() if calls["ring_time"].notna().any() else None
        talk = calls["talk_time"].mean() if calls["talk_time"].notna().any() else None
        hangup_by = calls["hangup_by"].value_counts() if n else pd.Series([], dtype="int64")
    else:
        assert stats is not None and per_minute is not None
        n, answered = int(stats["calls"]), int(stats["answered"])
        ring = _mean_delta(stats["ring_sum"], stats["ring_n"])
        talk = _mean_delta(stats["talk_sum"], stats["talk_n"])
        hangup_by = stats["hangup_by"].rename("count").rename_axis("hangup_by")
    per_minute.index.name = "minute"
    per_minute.name = "calls"
    counts.index.name = "type"
    counts.name = "events"
    return analysis.Summary(
        events=int(events), first=first if events else None, last=last if events else None,
        counts=counts, calls=n, answered=answered, answer_rate=answered / n if n else float("nan"),
        calls_per_minute=per_minute, mean_ring_time=ring, mean_talk_time=talk, hangup_by=hangup_by,
        gaps=int(gaps))


def _mean_delta(total_us: Any, count: Any) -> pd.Timedelta | None:
    """The mean of ``count`` durations summing to ``total_us``, as pandas' ``Series.mean`` of
    ``timedelta64[us]`` computes it: float64 sum / count, truncated to whole microseconds
    (exact while the sum is below 2**53 us, 285 years of calls)."""
    if not count:
        return None
    return pd.Timedelta(np.timedelta64(np.int64(float(total_us) / float(count)), "us"))


def columns_for_reading() -> list[str]:
    """Every column an engine reads (``raw`` never: analysis does not need the JSON)."""
    return ["seq", *[c for c in COLUMNS if c != "raw"]]
