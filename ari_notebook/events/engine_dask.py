"""The Dask engine of ``Dataset``: ``dask.dataframe`` over the files, on a ``distributed`` cluster.

Why ``events.analysis`` per partition: the analysis is per object (a channel, a playback, a
bridge), so every partition that holds all the rows of its objects runs the very pandas
functions of ``events.analysis`` where it lies. The files are server-days, so nearly every object
lies in one file; only the rows of objects seen in more than one partition (a call across
midnight, a log saved in two pieces) are shuffled together first. Which those are is found in a
first pass over the key columns alone: the distinct 64-bit hashes of each partition's keys, a
hash seen in two partitions marks a crossing object (a collision only sends a few more rows
through the shuffle, never a wrong answer). Shuffling the whole month instead moved every row
across the cluster and was the engine's cost. Three facts of a
call come from other objects' rows and are joined in afterwards: its ``Dial`` status (rows of
the calling channel), its stays in bridges (closed by the bridge's destruction too), and the
time it was bridged (an open stay ends when the channel does).

It runs on the current ``distributed.Client`` (a ``LocalCluster`` or a real cluster), else on
Dask's threads in this process. An input partition is at most ``PARTITION_ROWS`` rows of one row
group of a file, so a worker's memory is bounded by that, not by a server-day nor by the row
groups another writer chose; workers read the files themselves, so on a real cluster the dataset
must be on storage every worker sees.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from . import analysis
from .dask_progress import compute
from .engine_common import (FREQS, columns_for_reading, finish_calls, finish_dtmf, finish_playbacks,
                      summary_from)
from .engine_pandas import typed_frame
from .frames import STR

if TYPE_CHECKING:
    import dask.dataframe as dd

    from .dataset import Dataset

KEY = ["asterisk_id"]
_LEG_COLUMNS = ["seq", "asterisk_id", "type", "time", "received_at", "channel_id", "channel_name",
                "application", "caller_number", "caller_name", "context", "exten", "channel_created",
                "channel_state", "cause", "cause_txt", "soft", "args", "peer_id", "dialstatus"]
_BRIDGE_COLUMNS = ["seq", "asterisk_id", "type", "time", "received_at", "channel_id", "channel_name",
                   "bridge_id", "bridge_type", "bridge_class"]
_DTMF_COLUMNS = ["seq", "asterisk_id", "type", "time", "received_at", "channel_id", "channel_name",
                 "digit", "duration_ms"]
_PLAYBACK_COLUMNS = ["seq", "asterisk_id", "type", "time", "received_at", "playback_id", "playback_state",
                     "media_uri", "target_uri"]


#: rows of one input partition: with 256k-row partitions the 100 M-event month took workers of
#: 768 MiB past their limit (the nanny restarted them again and again); with these, none was
PARTITION_ROWS = 131_072


def _slices(path: str, server: str) -> list[tuple[str, str, int, int, int]]:
    """The input partitions of one file: (path, server, row group, first row, rows)."""
    meta = pq.ParquetFile(path).metadata
    return [(path, server, group, first, min(PARTITION_ROWS, rows - first))
            for group in range(meta.num_row_groups) for rows in [meta.row_group(group).num_rows]
            for first in range(0, max(rows, 1), PARTITION_ROWS)]


def _read(item: tuple[str, str, int, int, int], columns: list[str]) -> pd.DataFrame:
    """Rows ``first`` .. ``first + rows`` of one row group as a light frame: the columns asked
    for, text as pyarrow strings. Decoded a batch at a time, so the rest of a big row group is
    never held."""
    import pyarrow as pa

    path, server, group, first, rows = item
    pf = pq.ParquetFile(path)
    names = set(pf.schema_arrow.names)
    wanted = [c for c in columns if c != "asterisk_id" and c in names]
    pieces, at = [], 0
    for batch in pf.iter_batches(batch_size=PARTITION_ROWS, row_groups=[group], columns=wanted):
        lo, hi = max(first - at, 0), min(first + rows - at, batch.num_rows)
        if lo < hi:
            pieces.append(batch.slice(lo, hi - lo))
        at += batch.num_rows
        if at >= first + rows:
            break
    schema = pf.schema_arrow
    table = pa.Table.from_batches(pieces, schema=pa.schema([schema.field(c) for c in wanted]))
    df = table.to_pandas(types_mapper=_light_types)
    df.insert(0, "asterisk_id", pd.array([server] * len(df), dtype=_STR))
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series([None] * len(df), dtype=_EMPTY.get(c, _STR))
    return _light(df[columns])


_STR = STR


def _light_types(t: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_dictionary(t) or pa.types.is_string(t):
        return _STR
    return None


_EMPTY = {"seq": "int64", "time": "datetime64[us, UTC]", "received_at": "datetime64[us, UTC]",
          "channel_created": "datetime64[us, UTC]", "priority": "Int64", "duration_ms": "Int64",
          "cause": "Int64", "soft": "boolean", "args": object}


def _light(df: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes for every partition (a file where a column is all null included)."""
    for c in df.columns:
        want = _EMPTY.get(c, _STR)
        if c == "args":
            df[c] = df[c].astype(object)
        elif str(df[c].dtype) != str(pd.Series([], dtype=want).dtype):
            df[c] = df[c].astype(want)
    return df


def _key_hashes(keys: pd.DataFrame) -> np.ndarray:
    """The distinct 64-bit hashes of one partition's object keys."""
    return np.unique(pd.util.hash_pandas_object(keys, index=False).to_numpy())


def _seen_twice(hashes: list[np.ndarray]) -> np.ndarray:
    """The (sorted) hashes found in more than one partition: objects whose rows are spread.
    Each partition's hashes are distinct, so after one sort a hash equal to its neighbour was
    in two partitions. Sorted in place and ``hashes`` emptied as they are joined: a month has
    tens of millions of channels, and this runs in the client's process."""
    if not hashes:
        return np.array([], dtype="uint64")
    every = np.concatenate(hashes)
    hashes.clear()
    every.sort()
    return np.unique(every[1:][every[1:] == every[:-1]])


def _rows_of_keys(pdf: pd.DataFrame, on: list[str], crossing: np.ndarray, inside: bool) -> pd.DataFrame:
    """The rows whose key is (``inside``) or is not among the ``crossing`` hashes."""
    if not len(crossing):
        return pdf if not inside else pdf.iloc[:0]
    hit = np.isin(pd.util.hash_pandas_object(pdf[on], index=False).to_numpy(), crossing)
    return pdf[hit if inside else ~hit]


def _by_server(pdf: pd.DataFrame, fn) -> pd.DataFrame:
    """``fn(event frame)`` for each server in a partition, tagged with its ``asterisk_id``."""
    outs = []
    servers = pdf["asterisk_id"].unique()
    # a partition is rows of one server's file: no need to split it (and copy it)
    groups = [(servers[0], pdf)] if len(servers) == 1 else pdf.groupby("asterisk_id", sort=True, observed=True)
    for server, part in groups:
        frame = typed_frame(part.drop(columns="asterisk_id").reset_index(drop=True))
        out = fn(frame)
        out.insert(0, "asterisk_id", pd.array([server] * len(out), dtype=_STR))
        outs.append(out)
    if not outs:
        empty = fn(typed_frame(pdf.drop(columns="asterisk_id").iloc[:0]))
        empty.insert(0, "asterisk_id", pd.array([], dtype=_STR))
        return empty
    return pd.concat(outs, ignore_index=True)


def _legs(frame: pd.DataFrame) -> pd.DataFrame:
    """``analysis.calls`` of a channel's own rows (dialstatus and bridges are replaced later)."""
    out = analysis.calls(frame, all_channels=True)
    return out.drop(columns=["dialstatus", "bridges", "bridged_time", "ring_time", "talk_time", "duration"])


def _dial_status(pdf: pd.DataFrame) -> pd.DataFrame:
    """The last Dial status per peer, in event order."""
    when = pdf["time"].fillna(pdf["received_at"])
    ordered = pdf.assign(_w=when).sort_values(["_w", "seq"], kind="stable", na_position="last")
    out = ordered.groupby(["asterisk_id", "peer_id"], sort=False, observed=True)["dialstatus"].last()
    return _keys(out.reset_index().rename(columns={"peer_id": "channel_id"}))


def _keys(df: pd.DataFrame) -> pd.DataFrame:
    """Join keys as one text dtype on both sides of every merge."""
    return df.astype({"asterisk_id": STR, "channel_id": STR})


def _stays(frame: pd.DataFrame) -> pd.DataFrame:
    return analysis.bridges(frame)[["channel_id", "bridge_id", "entered", "left"]]


def _bridge_totals(pdf: pd.DataFrame) -> pd.DataFrame:
    """Per channel: bridges visited (in order of stays) and the time spent in them."""
    iv = pdf.assign(left=pdf["left"].fillna(pdf["ended"]))
    iv = iv.assign(span=iv["left"] - iv["entered"])
    iv = iv.sort_values(["asterisk_id", "entered", "bridge_id", "channel_id"], kind="stable")
    g = iv.groupby(["asterisk_id", "channel_id"], sort=False, observed=True)
    out = pd.DataFrame({
        "bridges": g["bridge_id"].agg(lambda s: list(dict.fromkeys(s))),
        "bridged_time": g["span"].sum(min_count=1),
    })
    return _keys(out.reset_index())


def _lists_kept(method):
    """Run ``method`` with Dask's text conversion off: it would turn ``args`` (lists) into text;
    text columns are pyarrow strings already."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        import dask

        with dask.config.set({"dataframe.convert-string": False}):
            return method(self, *args, **kwargs)

    return run



def meta_of(frame: Any) -> pd.DataFrame:
    """The empty pandas frame a dask collection stands for (its ``meta``), through dask's
    public ``make_meta`` rather than the private ``_meta`` attribute."""
    from dask.dataframe.utils import make_meta

    return make_meta(frame)

class DaskEngine:
    """Each question as a Dask graph over the dataset's files (see the module docstring)."""

    def __init__(self, ds: "Dataset", *, progress: bool | None = None) -> None:
        self.ds = ds
        self.progress = progress
        parts = ds.partitions()
        self.items = [item for path, server in zip(parts["path"], parts["asterisk_id"])
                      for item in _slices(path, server)]

    def frame(self, columns: list[str]) -> "dd.DataFrame":
        import dask.dataframe as dd

        meta = _read(self.items[0], columns).iloc[:0]
        return dd.from_map(_read, self.items, columns=columns, meta=meta, enforce_metadata=False)

    @property
    def npartitions(self) -> int:
        return max(1, len(self.items))

    @property
    def method(self) -> str | None:
        """Task-based shuffles for a few partitions (no set-up cost); else Dask's default
        (peer-to-peer on a distributed cluster, which streams through disk)."""
        return "tasks" if self.npartitions <= 16 else None

    def _shuffle(self, df: "dd.DataFrame", on: list[str]) -> "dd.DataFrame":
        return df.shuffle(on=on, npartitions=self.npartitions, shuffle_method=self.method)

    def _merge(self, left: "dd.DataFrame", right: "dd.DataFrame", how: str) -> "dd.DataFrame":
        return left.merge(right, on=["asterisk_id", "channel_id"], how=how, shuffle_method=self.method)

    def _per_object(self, df: "dd.DataFrame", on: list[str], fn) -> "dd.DataFrame":
        """``fn`` per server on every object's rows together (see the module docstring)."""
        return self._per_key(df, on, functools.partial(_by_server, fn=fn))

    def _per_key(self, df: "dd.DataFrame", on: list[str], fn) -> "dd.DataFrame":
        """``fn(partition)`` where every key of ``on`` has all its rows in the partition: in
        place for keys of one partition, after a shuffle of the few rows of the others."""
        import dask
        import dask.dataframe as dd

        meta = fn(meta_of(df))
        hashes = list(compute(*[dask.delayed(_key_hashes)(part) for part in df[on].to_delayed()],
                              desc=f"Dask: which {on[-1]}s span partitions", progress=self.progress))
        crossing = _seen_twice(hashes)
        if not len(crossing):
            return df.map_partitions(_rows_of_keys, on, crossing, False, meta=meta_of(df)).map_partitions(fn, meta=meta)
        # one key in the graph, fetched once per worker: passed as a plain array it would be
        # copied into every task's spec (a month crosses ~100k objects: 800 kB a task)
        shared = dask.delayed(crossing, pure=True)
        local = df.map_partitions(_rows_of_keys, on, shared, False, meta=meta_of(df))
        local = local.map_partitions(fn, meta=meta)
        rest = df.map_partitions(_rows_of_keys, on, shared, True, meta=meta_of(df))
        parts = max(1, self.npartitions // 16)
        rest = rest.shuffle(on=on, npartitions=parts, shuffle_method="tasks").map_partitions(fn, meta=meta)
        return dd.concat([local, rest])

    def count(self) -> int:
        return sum(rows for *_, rows in self.items)

    # ------------------------------------------------------------------ calls
    def legs(self) -> "dd.DataFrame":
        ev = self.frame(_LEG_COLUMNS)
        return self._per_object(ev[ev["channel_id"].notnull()], ["asterisk_id", "channel_id"], _legs)

    def _full_calls(self, legs: "dd.DataFrame") -> "dd.DataFrame":
        ev = self.frame(_LEG_COLUMNS)
        dial = ev[(ev["type"] == "Dial") & ev["channel_id"].notnull() & ev["peer_id"].notnull()
                  & ev["dialstatus"].notnull() & (ev["dialstatus"] != "")]
        dial = dial[["asterisk_id", "peer_id", "time", "received_at", "seq", "dialstatus"]]
        statuses = self._per_key(dial, ["asterisk_id", "peer_id"], _dial_status)

        bev = self.frame(_BRIDGE_COLUMNS)
        members = bev[(bev["type"] == "ChannelEnteredBridge") & bev["channel_id"].notnull()]
        members = members[["asterisk_id", "channel_id", "bridge_id"]].drop_duplicates()
        destroyed = self._merge(bev[bev["type"] == "ChannelDestroyed"].drop(columns="bridge_id"), members,
                                "inner")[_BRIDGE_COLUMNS]
        others = bev[bev["type"].isin(["ChannelEnteredBridge", "ChannelLeftBridge", "BridgeDestroyed"])]
        import dask.dataframe as dd

        stays = self._per_object(dd.concat([others, destroyed]), ["asterisk_id", "bridge_id"], _stays)
        ended = legs[["asterisk_id", "channel_id", "ended"]]
        spans = self._merge(stays, ended, "left")
        totals = self._shuffle(spans, ["asterisk_id", "channel_id"]).map_partitions(
            _bridge_totals, meta=_bridge_totals(meta_of(spans)))
        return self._merge(self._merge(legs, statuses, "left"), totals, "left")

    @_lists_kept
    def calls(self, *, all_channels: bool = False) -> pd.DataFrame:
        legs, = compute(self._full_calls(self.legs()), desc="Dask calls", progress=self.progress)
        return finish_calls(legs, all_channels=all_channels)

    def _finished_legs(self) -> "dd.DataFrame":
        """Call legs (no dialstatus or bridges: rates, causes and summary do not need them)."""
        legs = self.legs()
        legs = legs.assign(dialstatus=None, bridges=None, bridged_time=np.timedelta64("NaT", "us"))
        meta = finish_calls(meta_of(legs), all_channels=False)
        return legs.map_partitions(finish_calls, False, meta=meta)

    @_lists_kept
    def rates(self, freq: str) -> pd.DataFrame:
        calls = self._finished_legs()
        frame = calls[["asterisk_id", "created", "answered"]].dropna(subset=["created"])
        frame = frame.assign(period=frame["created"].dt.floor(FREQS[freq]),
                             answered=frame["answered"].notnull().astype("int64"), calls=1)
        # split_out=1: the answer is small (servers x periods), so a tree of partial sums, not
        # the shuffle Dask picks for several keys
        per = frame.groupby(["asterisk_id", "period"], observed=True)[["calls", "answered"]]
        out, = compute(per.sum(split_out=1),
                       desc="Dask rates", progress=self.progress)
        out = out.reset_index()
        out["answer_rate"] = out["answered"] / out["calls"]
        return out

    @_lists_kept
    def causes(self) -> pd.DataFrame:
        calls = self._finished_legs()
        ended = calls[calls["ended"].notnull()][["asterisk_id", "cause", "cause_txt"]]
        ended = ended.assign(cause=ended["cause"].astype("float64"), calls=1)
        out = ended.groupby(["asterisk_id", "cause", "cause_txt"], dropna=False, observed=True)["calls"].sum(split_out=1)
        out, = compute(out, desc="Dask causes", progress=self.progress)
        out = out.reset_index()
        out["cause"] = pd.array(out["cause"].round(), dtype="Int64")
        return out

    @_lists_kept
    def summary(self) -> analysis.Summary:
        ev = self.frame(["type", "time", "received_at"])
        when = ev["time"].fillna(ev["received_at"])
        calls = self._finished_legs()
        us = calls[["created", "answered", "hangup_by"]].assign(
            ring_us=calls["ring_time"].astype("int64[pyarrow]"),
            talk_us=calls["talk_time"].astype("int64[pyarrow]"))
        minute = us["created"].dropna().dt.floor("min")
        (events, first, last, counts, gaps, ncalls, answered, ring_sum, ring_n, talk_sum, talk_n,
         hangup_by, per_minute) = compute(
            ev.shape[0], when.min(), when.max(), ev["type"].value_counts(), (ev["type"] == "EventStreamGap").sum(),
            us.shape[0], us["answered"].count(), us["ring_us"].sum(), us["ring_us"].count(),
            us["talk_us"].sum(), us["talk_us"].count(), us["hangup_by"].value_counts(), minute.value_counts(split_out=1),
            desc="Dask summary", progress=self.progress)
        per_minute = per_minute.sort_index().astype("int64")
        per_minute.index = pd.DatetimeIndex(per_minute.index).astype("datetime64[us, UTC]")
        return summary_from(
            events, _ts(first), _ts(last), _plain_counts(counts), gaps, per_minute=per_minute,
            stats={"calls": ncalls, "answered": answered, "ring_sum": ring_sum, "ring_n": ring_n,
                   "talk_sum": talk_sum, "talk_n": talk_n, "hangup_by": _plain_counts(hangup_by)})

    # ------------------------------------------------------------------ dtmf, playbacks
    @_lists_kept
    def dtmf(self) -> pd.DataFrame:
        ev = self.frame(_DTMF_COLUMNS)
        ev = ev[(ev["type"] == "ChannelDtmfReceived") & ev["channel_id"].notnull()]
        out, = compute(self._per_object(ev, ["asterisk_id", "channel_id"], analysis.dtmf),
                       desc="Dask dtmf", progress=self.progress)
        return finish_dtmf(out)

    @_lists_kept
    def playbacks(self) -> pd.DataFrame:
        ev = self.frame(_PLAYBACK_COLUMNS)
        ev = ev[ev["type"].isin(["PlaybackStarted", "PlaybackContinuing", "PlaybackFinished"])
                & ev["playback_id"].notnull()]
        out, = compute(self._per_object(ev, ["asterisk_id", "playback_id"], analysis.playbacks),
                       desc="Dask playbacks", progress=self.progress)
        return finish_playbacks(out.drop(columns=["target_type", "target_id", "duration"]))


def _plain_counts(s: pd.Series) -> pd.Series:
    s = s[s > 0] if len(s) else s
    return pd.Series(s.to_numpy(dtype="int64"), index=pd.Index(s.index.astype(object), dtype=object))


def _ts(value: Any) -> pd.Timestamp | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return pd.Timestamp(value).as_unit("us")
