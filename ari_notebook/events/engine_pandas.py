"""The pandas engine of ``Dataset``: load each server into memory and run ``events.analysis``.

Why it exists: it is the reference. The other engines are checked against it, and for a small
dataset it is the simplest thing that works. Each server is analysed on its own (Asterisk's
channel ids are unique per server only), then the frames are stacked with ``asterisk_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import analysis
from .engine_common import (causes_from_calls, columns_for_reading, rates_from_calls, summary_from)
from .frames import COLUMNS, STR, TIME

if TYPE_CHECKING:
    from .dataset import Dataset


def event_frame(ds: "Dataset", *, progress: bool | None = None) -> pd.DataFrame:
    """Every event of ``ds`` as one event frame (``EventLog.df`` dtypes), index ``seq``, in seq order."""
    from ..progress import progress_bar

    parts = ds.partitions()
    tables = []
    with progress_bar(int(parts["bytes"].sum()), desc="Reading dataset", unit="B", progress=progress) as bar:
        for row in parts.itertuples():
            pf = pq.ParquetFile(row.path)
            names = set(pf.schema_arrow.names)
            table = pf.read(columns=[c for c in columns_for_reading() if c in names and c != "asterisk_id"])
            table = table.append_column("asterisk_id", pa.array([row.asterisk_id] * table.num_rows, pa.string()))
            tables.append(table)
            bar.update(row.bytes)
    return _frame(tables)


def _frame(tables: list[pa.Table]) -> pd.DataFrame:
    if tables:  # each file on its own: files of different writers may type text differently
        df = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
    else:
        df = pd.DataFrame({"seq": pd.Series([], dtype="int64")})
    return typed_frame(df)


def _typed_already(col: pd.Series, dtype: Any) -> bool:
    """Whether ``col`` already has the frame's dtype (text read as pyarrow strings, times,
    nullable integers): converting it again would only cost memory and time."""
    if dtype == "category" or dtype is object:
        return False
    return col.dtype == dtype or str(col.dtype) == str(dtype)


def typed_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Columns read from a dataset (any subset, ``seq`` included) as an event frame: every
    column of ``COLUMNS`` with its dtype (absent ones missing), index ``seq``, in seq order."""
    df = df.reset_index(drop=True)
    out = {}
    for name, dtype in COLUMNS.items():
        col = df[name] if name in df.columns else pd.Series([None] * len(df), dtype=object)
        col = col.reset_index(drop=True)
        if _typed_already(col, dtype):  # read as it is kept: no trip through Python objects
            out[name] = col
        elif dtype == "category":
            # pyarrow text is categorised as it is; anything else by way of Python objects
            values = col if col.dtype == STR else col.astype(object).where(col.notna(), None)
            cats = sorted(v for v in values.dropna().unique())
            out[name] = pd.Categorical(values, categories=pd.Index(cats, dtype=STR))
        elif dtype is TIME:
            out[name] = pd.to_datetime(col, utc=True).astype(TIME)
        elif dtype is STR:
            out[name] = col.astype(object).where(col.notna(), None).astype(STR)
        elif dtype == "Int64" or dtype == "boolean":
            out[name] = pd.array(col.astype(object).where(col.notna(), None), dtype=dtype)
        elif name == "args":
            out[name] = pd.Series([list(a) if isinstance(a, (list, tuple, np.ndarray)) else None
                                   for a in col], dtype=object)
        else:  # raw: not read
            out[name] = pd.Series([None] * len(df), dtype=object)
    frame = pd.DataFrame(out)
    frame.index = pd.Index(df["seq"].to_numpy(dtype="int64"), name="seq")
    return frame.sort_index(kind="stable")


class PandasEngine:
    """Analysis in memory, server by server (``events.analysis`` unchanged)."""

    def __init__(self, ds: "Dataset", *, progress: bool | None = None) -> None:
        self.ds = ds
        self.progress = progress

    def _per_server(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for server in self.ds.servers():
            yield server, event_frame(self.ds.where(servers=[server]), progress=self.progress)

    @staticmethod
    def _tag(frame: pd.DataFrame, server: str) -> pd.DataFrame:
        frame.insert(0, "asterisk_id", pd.array([server] * len(frame), dtype=STR))
        return frame

    def count(self) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.ds.files())

    def calls(self, *, all_channels: bool = False) -> pd.DataFrame:
        return pd.concat([self._tag(analysis.calls(df, all_channels=all_channels), s)
                          for s, df in self._per_server()], ignore_index=True)

    def dtmf(self) -> pd.DataFrame:
        return pd.concat([self._tag(analysis.dtmf(df), s) for s, df in self._per_server()], ignore_index=True)

    def playbacks(self) -> pd.DataFrame:
        return pd.concat([self._tag(analysis.playbacks(df), s) for s, df in self._per_server()],
                         ignore_index=True)

    def rates(self, freq: str) -> pd.DataFrame:
        return rates_from_calls(self.calls(), freq)

    def causes(self) -> pd.DataFrame:
        return causes_from_calls(self.calls())

    def summary(self) -> analysis.Summary:
        frames = dict(self._per_server())
        calls = pd.concat([self._tag(analysis.calls(df), s) for s, df in frames.items()], ignore_index=True)
        whole = pd.concat(list(frames.values()), ignore_index=True) if frames else None
        # ``analysis.summary`` of the stacked events, with the per-server calls frame
        s = analysis.summary(whole, call_frame=calls)
        return summary_from(s.events, s.first, s.last, s.counts, s.gaps, calls)

