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

Every question takes ``progress=`` (``None``: the package's setting, see ``ari_notebook.progress``):
DuckDB shows its own progress, Dask counts finished tasks (partitions on a cluster), pandas the
bytes read. Ctrl-C / Interrupt Kernel stops the question and leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote

import pandas as pd

from . import analysis
from .engine_common import FREQS, by_count, causes_dtypes, rates_dtypes, sorted_by

ENGINES = ("duckdb", "dask", "pandas")
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
            if servers is not None or dates is not None:
                raise ValueError(f"{self.root} has no files for servers={servers!r}, dates={dates!r} "
                                 f"(it has servers {Dataset(self.root).servers()})")
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
    def count(self, *, engine: str = "duckdb", progress: bool | None = None) -> int:
        """How many events."""
        return int(self._engine(engine, progress).count())

    def events(self, *, server: str | None = None, progress: bool | None = None) -> pd.DataFrame:
        """The event frame (``EventLog.df`` dtypes, index ``seq``) of one server, in memory."""
        servers = self.servers()
        if server is None:
            if len(servers) != 1:
                raise ValueError(f"events() needs server=<id>: the dataset has {len(servers)} servers")
            server = servers[0]
        from . import engine_pandas

        return engine_pandas.event_frame(self.where(servers=[server]), progress=progress)

    def calls(self, *, engine: str = "duckdb", all_channels: bool = False,
              progress: bool | None = None) -> pd.DataFrame:
        """``analysis.calls`` for every server: one row per call leg, ``asterisk_id`` first."""
        return sorted_by(self._engine(engine, progress).calls(all_channels=all_channels), ["created"], "channel_id")

    def dtmf(self, *, engine: str = "duckdb", progress: bool | None = None) -> pd.DataFrame:
        """``analysis.dtmf(per="channel")`` for every server, ``asterisk_id`` first."""
        return sorted_by(self._engine(engine, progress).dtmf(), ["first"], "channel_id")

    def playbacks(self, *, engine: str = "duckdb", progress: bool | None = None) -> pd.DataFrame:
        """``analysis.playbacks`` for every server, ``asterisk_id`` first."""
        return sorted_by(self._engine(engine, progress).playbacks(), ["started"], "playback_id")

    def rates(self, freq: str = "hour", *, engine: str = "duckdb",
              progress: bool | None = None) -> pd.DataFrame:
        """Calls and answered calls per ``freq`` (minute, hour, day) of ``created``, per server.

        Computed inside the engine from the same call legs as ``calls()`` (so a month never
        becomes a pandas frame of calls); ``answer_rate`` is answered / calls.
        """
        if freq not in FREQS:
            raise ValueError(f"freq must be one of {sorted(FREQS)}, got {freq!r}")
        out = self._engine(engine, progress).rates(freq)
        out = out.sort_values(["period", "asterisk_id"], kind="stable").reset_index(drop=True)
        return rates_dtypes(out)

    def causes(self, *, engine: str = "duckdb", progress: bool | None = None) -> pd.DataFrame:
        """How many call legs ended with each cause, per server (``ChannelDestroyed`` cause)."""
        out = self._engine(engine, progress).causes()
        out = out.sort_values(["asterisk_id", "calls", "cause"], ascending=[True, False, True],
                              kind="stable", na_position="last").reset_index(drop=True)
        return causes_dtypes(out)

    def summary(self, *, engine: str = "duckdb", progress: bool | None = None) -> analysis.Summary:
        """``analysis.summary`` of the whole dataset (calls as in ``calls()``).

        ``counts`` and ``hangup_by`` are ordered by count, then name (``value_counts`` leaves
        ties in no particular order); ``extra["servers"]`` is the number of servers.
        """
        s = self._engine(engine, progress).summary()
        s.counts = by_count(s.counts)
        s.hangup_by = by_count(s.hangup_by)
        s.extra["servers"] = len(self.servers())
        return s

    def _engine(self, engine: str, progress: bool | None) -> Any:
        if engine == "duckdb":
            from .engine_duckdb import DuckEngine

            return DuckEngine(self, progress=progress)
        if engine == "dask":
            from .engine_dask import DaskEngine

            return DaskEngine(self, progress=progress)
        if engine == "pandas":
            from .engine_pandas import PandasEngine

            return PandasEngine(self, progress=progress)
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


# ---------------------------------------------------------------------------------- shared finishing
