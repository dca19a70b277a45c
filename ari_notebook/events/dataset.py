"""A partitioned event dataset analysed where it lies: pandas, DuckDB or a Dask cluster.

Why: a month of calls from a fleet does not fit in a notebook's memory, and the analysts who
have one reach for DuckDB or Dask. ``Dataset(root)`` is a directory written by
``EventLog.save_dataset`` or ``synthetic.write_month`` (hive-partitioned Parquet:
``date=YYYY-MM-DD/asterisk_id=<id>/*.parquet``). Its analysis gives the frames of
``events.analysis`` (same columns, dtypes and meaning) plus the server of each row, computed by
one of three engines::

    ds = Dataset("month")                  # or Dataset("month").where(servers=[...], dates=(a, b))
    ds.calls()                             # DuckDB (default): SQL over the files, spills to disk
    ds.calls(engine="dask")                # dask.dataframe on the current distributed Client
    ds.calls(engine="pandas")              # load each server, run events.analysis (small data)
    ds.rates("hour")                       # calls/answered per hour per server, never a calls frame
    ds.causes(); ds.dtmf(); ds.playbacks(); ds.summary()

``engine="dask"`` computes on whatever ``distributed.Client`` is current (a ``LocalCluster``
or a real cluster's scheduler; without one, Dask's threads in this process); the files must
be readable from every worker (a shared filesystem or object store). All engines give equal
frames (``tests/events/test_dataset.py`` compares them), ordered by time, server, id.

A call is identified by its server and channel id (Asterisk ids are only unique per server);
``where(dates=...)`` selects whole partitions, so a call crossing a boundary of the selection
is seen in part. Rows with the same ``when`` are ordered by ``seq`` (each server's arrival
order), as ``events.analysis`` orders them by the log's index.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote

import numpy as np
import pandas as pd

from . import analysis
from .analysis import DELTA, CALL_COLUMNS, PLAYBACK_COLUMNS
from .frames import COLUMNS, STR, TIME

ENGINES = ("duckdb", "dask", "pandas")
FREQS = {"minute": "min", "hour": "h", "day": "D"}
#: dtmf per channel columns (as ``analysis.dtmf``)
DTMF_COLUMNS = ["channel_id", "channel_name", "digits", "presses", "first", "last"]
RATE_COLUMNS = ["asterisk_id", "period", "calls", "answered", "answer_rate"]
CAUSE_COLUMNS = ["asterisk_id", "cause", "cause_txt", "calls"]


class Dataset:
    """A hive-partitioned Parquet event dataset (see the module docstring)."""

    def __init__(self, root: str | os.PathLike, *, servers: Iterable[str] | None = None,
                 dates: tuple[str | None, str | None] | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"no dataset at {self.root}: not a directory")
        self._servers = None if servers is None else tuple(servers)
        self._dates = dates
        if not self.files():
            raise ValueError(f"{self.root} holds no Parquet files under date=.../asterisk_id=... "
                             "(write one with EventLog.save_dataset or synthetic.write_month)")

    def where(self, *, servers: Iterable[str] | None = None,
              dates: tuple[str | None, str | None] | None = None) -> "Dataset":
        """The part of the dataset on ``servers`` between ``dates`` (inclusive ISO days)."""
        return Dataset(self.root, servers=servers if servers is not None else self._servers,
                       dates=dates if dates is not None else self._dates)

    # ------------------------------------------------------------------ what is there
    def partitions(self) -> pd.DataFrame:
        """One row per file: ``date``, ``asterisk_id``, ``path``, ``bytes``."""
        rows = []
        for day_dir in sorted(self.root.glob("date=*")):
            day = unquote(day_dir.name.split("=", 1)[1])
            if self._dates is not None:
                lo, hi = self._dates
                if (lo is not None and day < lo) or (hi is not None and day > hi):
                    continue
            for srv_dir in sorted(day_dir.glob("asterisk_id=*")):
                server = unquote(srv_dir.name.split("=", 1)[1])
                if self._servers is not None and server not in self._servers:
                    continue
                for f in sorted(srv_dir.glob("*.parquet")):
                    rows.append({"date": day, "asterisk_id": server, "path": str(f), "bytes": f.stat().st_size})
        return pd.DataFrame(rows, columns=["date", "asterisk_id", "path", "bytes"])

    def files(self) -> list[str]:
        return self.partitions()["path"].tolist()

    def servers(self) -> list[str]:
        return sorted(self.partitions()["asterisk_id"].unique())

    def dates(self) -> list[str]:
        return sorted(self.partitions()["date"].unique())

    def __repr__(self) -> str:
        p = self.partitions()
        return (f"Dataset({str(self.root)!r}: {len(p)} files, {p['bytes'].sum() / 2**20:.1f} MiB, "
                f"{p['asterisk_id'].nunique()} servers, {p['date'].nunique()} days)")

    # ------------------------------------------------------------------ analysis
    def count(self, *, engine: str = "duckdb") -> int:
        """How many events."""
        return int(self._engine(engine).count())

    def events(self, *, server: str | None = None) -> pd.DataFrame:
        """The event frame (``EventLog.df`` dtypes, index ``seq``) of one server, in memory."""
        servers = self.servers()
        if server is None:
            if len(servers) != 1:
                raise ValueError(f"events() needs server=<id>: the dataset has {len(servers)} servers")
            server = servers[0]
        from . import engine_pandas

        return engine_pandas.event_frame(self.where(servers=[server]))

    def calls(self, *, engine: str = "duckdb", all_channels: bool = False) -> pd.DataFrame:
        """``analysis.calls`` for every server: one row per call leg, ``asterisk_id`` first."""
        return _sorted(self._engine(engine).calls(all_channels=all_channels), ["created"], "channel_id")

    def dtmf(self, *, engine: str = "duckdb") -> pd.DataFrame:
        """``analysis.dtmf(per="channel")`` for every server, ``asterisk_id`` first."""
        return _sorted(self._engine(engine).dtmf(), ["first"], "channel_id")

    def playbacks(self, *, engine: str = "duckdb") -> pd.DataFrame:
        """``analysis.playbacks`` for every server, ``asterisk_id`` first."""
        return _sorted(self._engine(engine).playbacks(), ["started"], "playback_id")

    def rates(self, freq: str = "hour", *, engine: str = "duckdb") -> pd.DataFrame:
        """Calls and answered calls per ``freq`` (minute, hour, day) of ``created``, per server.

        Computed inside the engine from the same call legs as ``calls()`` (so a month never
        becomes a pandas frame of calls); ``answer_rate`` is answered / calls.
        """
        if freq not in FREQS:
            raise ValueError(f"freq must be one of {sorted(FREQS)}, got {freq!r}")
        out = self._engine(engine).rates(freq)
        out = out.sort_values(["period", "asterisk_id"], kind="stable").reset_index(drop=True)
        return _rates_dtypes(out)

    def causes(self, *, engine: str = "duckdb") -> pd.DataFrame:
        """How many call legs ended with each cause, per server (``ChannelDestroyed`` cause)."""
        out = self._engine(engine).causes()
        out = out.sort_values(["asterisk_id", "calls", "cause"], ascending=[True, False, True],
                              kind="stable", na_position="last").reset_index(drop=True)
        return _causes_dtypes(out)

    def summary(self, *, engine: str = "duckdb") -> analysis.Summary:
        """``analysis.summary`` of the whole dataset (calls as in ``calls()``).

        ``counts`` and ``hangup_by`` are ordered by count, then name (``value_counts`` leaves
        ties in no particular order); ``extra["servers"]`` is the number of servers.
        """
        s = self._engine(engine).summary()
        s.counts = _by_count(s.counts)
        s.hangup_by = _by_count(s.hangup_by)
        s.extra["servers"] = len(self.servers())
        return s

    def _engine(self, engine: str) -> Any:
        if engine == "duckdb":
            from .engine_duckdb import DuckEngine

            return DuckEngine(self)
        if engine == "dask":
            from .engine_dask import DaskEngine

            return DaskEngine(self)
        if engine == "pandas":
            from .engine_pandas import PandasEngine

            return PandasEngine(self)
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


# ---------------------------------------------------------------------------------- shared finishing
def _sorted(df: pd.DataFrame, by: list[str], key: str) -> pd.DataFrame:
    return df.sort_values([*by, "asterisk_id", key], kind="stable", na_position="last").reset_index(drop=True)


def _by_count(s: pd.Series) -> pd.Series:
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


def _rates_dtypes(out: pd.DataFrame) -> pd.DataFrame:
    out = out[RATE_COLUMNS].copy()
    out["asterisk_id"] = _text(out["asterisk_id"])
    out["period"] = _times(out["period"])
    out["calls"] = out["calls"].astype("int64")
    out["answered"] = out["answered"].astype("int64")
    out["answer_rate"] = out["answered"] / out["calls"]
    return out


def _causes_dtypes(out: pd.DataFrame) -> pd.DataFrame:
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
