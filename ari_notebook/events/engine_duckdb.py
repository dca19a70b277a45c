"""The DuckDB engine of ``Dataset``: the analysis as SQL over the Parquet files.

Why SQL: DuckDB streams the files, runs the aggregations in parallel and spills to a temporary
directory when a month does not fit in ``memory_limit``, so nothing is loaded into pandas but
the answer. Per-object questions (call legs, DTMF, playbacks) run over a few files at a time:
DuckDB does not spill a GROUP BY on string keys far enough (see ``EVENTS_PER_MB``). Each query restates a function of ``events.analysis`` (the reference; the tests
compare them): "first X of a channel" is ``first(X ORDER BY w, seq)`` over the rows that
``analysis`` would look at, ``w`` being the event time (receive time when it has none), nulls
last, ``seq`` breaking ties as the log's index does.

Progress and Ctrl-C: each statement runs on a worker thread while the calling thread draws
DuckDB's own progress (``query_progress``) and waits. A thread blocked in ``execute`` only sees
Ctrl-C when the statement ends (minutes on a month); the waiting thread sees it at once,
interrupts the connection and re-raises, and the spill folder is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent import futures
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

import pandas as pd

from ..progress import Progress, progress_bar
from . import analysis
from .engine_common import finish_calls, finish_dtmf, finish_playbacks, summary_from

if TYPE_CHECKING:
    import duckdb

    from .dataset import Dataset

#: DuckDB's settings for a query: memory it may use before spilling, and its threads
MEMORY_LIMIT = os.environ.get("ARI_NOTEBOOK_DUCKDB_MEMORY", "1GB")
ORDER = "w NULLS LAST, seq"
POLL = 0.2  # seconds between two readings of DuckDB's progress
#: statements ``_calls_view`` runs (each is a step of a question's bar)
CALLS_STEPS = 6

_EVENTS = """
CREATE OR REPLACE TEMP VIEW {name} AS
SELECT *, coalesce("time", received_at) AS w
FROM read_parquet({files}, hive_partitioning = false, filename = true, union_by_name = true)
JOIN partitions USING (filename)
"""

# one row per (server, channel): the facts of ``analysis.calls`` that come from its own events.
# "first X in the log's order" is ``arg_min(X, k)``, k = (time, seq) with a missing time last:
# plain aggregates that spill, where ``first(X ORDER BY ...)`` kept every row of a group in
# memory. ``arg_min`` skips rows where X is NULL (the "first non-null X"); ``arg_min_null`` takes
# the first row's X even when NULL (the cause of the first hangup request). The first time of
# something is ``min(w)``. ``{source}`` is the events read, ``{where}`` narrows them.
ROW_KEY = "{'w': coalesce(w, 'infinity'::TIMESTAMPTZ), 's': seq}"
_LEGS = """
SELECT asterisk_id, channel_id,
  count(*) AS events,
  arg_min(channel_name, k) AS channel_name,
  coalesce(arg_min(application, k) FILTER (type = 'StasisStart'), arg_min(application, k)) AS application,
  coalesce(arg_min(caller_number, k) FILTER (caller_number <> ''), arg_min(caller_number, k)) AS caller_number,
  coalesce(arg_min(caller_name, k) FILTER (caller_name <> ''), arg_min(caller_name, k)) AS caller_name,
  arg_min(context, k) AS context,
  arg_min(exten, k) AS exten,
  coalesce(arg_min(channel_created, k), min(w)) AS created,
  min(w) FILTER (channel_state = 'Up') AS answered,
  min(w) FILTER (type = 'StasisStart') AS stasis_start,
  max(w) FILTER (type = 'StasisEnd') AS stasis_end,
  min(w) FILTER (type = 'ChannelHangupRequest') AS hangup_request,
  arg_min_null(cause, k) FILTER (type = 'ChannelHangupRequest') AS request_cause,
  arg_min_null(soft, k) FILTER (type = 'ChannelHangupRequest') AS request_soft,
  min(w) FILTER (type = 'ChannelDestroyed') AS destroyed,
  arg_min_null(cause, k) FILTER (type = 'ChannelDestroyed') AS cause,
  arg_min_null(cause_txt, k) FILTER (type = 'ChannelDestroyed') AS cause_txt,
  arg_min(args, k) FILTER (type = 'StasisStart') AS args
FROM (SELECT *, """ + ROW_KEY + """ AS k FROM {source} WHERE channel_id IS NOT NULL AND {where})
GROUP BY asterisk_id, channel_id
"""
#: DuckDB does not spill a GROUP BY on string keys (channel ids) far enough to aggregate a month
#: in ``memory_limit`` (measured: the legs of 2 M events needed over 600 MB, their DTMF and
#: playbacks over 50 MB), so each per-object question runs a few files at a time, about this
#: many events per MB of the limit (half of what fitted)
EVENTS_PER_MB = 1500
_CHANNEL_KEY = "hash(asterisk_id, channel_id)"
_PLAYBACK_KEY = "hash(asterisk_id, playback_id)"

# a channel the app held only while in Stasis (from the dialplan, a snoop) gets no
# ChannelDestroyed: it ends at the StasisEnd that follows its hangup request
_ENDED = """
CREATE OR REPLACE TABLE legs AS
SELECT * EXCLUDE (destroyed),
  coalesce(destroyed, CASE WHEN stasis_end >= hangup_request THEN stasis_end END) AS ended
FROM legs_raw
"""

# last non-empty Dial status with the channel as peer (Dial rows of channels, as analysis reads them)
_DIAL = f"""
CREATE OR REPLACE TABLE dials AS
SELECT asterisk_id, peer_id AS channel_id, arg_max(dialstatus, {ROW_KEY}) AS dialstatus
FROM events
WHERE type = 'Dial' AND channel_id IS NOT NULL AND peer_id IS NOT NULL
  AND dialstatus IS NOT NULL AND dialstatus <> ''
GROUP BY asterisk_id, peer_id
"""

# stays in bridges (``analysis.bridges``): per (channel, bridge) the stream of openers (Entered)
# and closers (its Left, the channel's destruction, the bridge's destruction); an opener counts
# when the stay is closed, i.e. the previous event of the stream is not an opener, and the
# stay ends at the next closer.
_STAYS = f"""
CREATE OR REPLACE TABLE stays AS
WITH members AS (
  SELECT DISTINCT asterisk_id, channel_id FROM events
  WHERE type = 'ChannelEnteredBridge' AND channel_id IS NOT NULL
), bev AS (
  SELECT asterisk_id, type, w, seq, channel_id, bridge_id FROM events
  WHERE type IN ('ChannelEnteredBridge', 'ChannelLeftBridge', 'BridgeDestroyed')
  UNION ALL
  SELECT e.asterisk_id, e.type, e.w, e.seq, e.channel_id, e.bridge_id FROM events e
  JOIN members m ON e.asterisk_id = m.asterisk_id AND e.channel_id = m.channel_id
  WHERE e.type = 'ChannelDestroyed'
), dedup AS (
  SELECT * FROM bev
  QUALIFY row_number() OVER (PARTITION BY asterisk_id, type, w, channel_id, bridge_id ORDER BY {ORDER}) = 1
), pairs AS (
  SELECT DISTINCT asterisk_id, channel_id, bridge_id FROM dedup WHERE type = 'ChannelEnteredBridge'
), stream AS (
  SELECT p.asterisk_id, p.channel_id, p.bridge_id, d.w, d.seq, d.type = 'ChannelEnteredBridge' AS opener
  FROM pairs p JOIN dedup d ON d.asterisk_id = p.asterisk_id AND d.channel_id IS NOT DISTINCT FROM p.channel_id
   AND d.bridge_id = p.bridge_id AND d.type IN ('ChannelEnteredBridge', 'ChannelLeftBridge')
  UNION ALL
  SELECT p.asterisk_id, p.channel_id, p.bridge_id, d.w, d.seq, false
  FROM pairs p JOIN dedup d ON d.asterisk_id = p.asterisk_id AND d.channel_id = p.channel_id
   AND d.type = 'ChannelDestroyed'
  UNION ALL
  SELECT p.asterisk_id, p.channel_id, p.bridge_id, d.w, d.seq, false
  FROM pairs p JOIN dedup d ON d.asterisk_id = p.asterisk_id AND d.bridge_id = p.bridge_id
   AND d.type = 'BridgeDestroyed'
), ranked AS (
  SELECT *, row_number() OVER pair AS rn, lag(opener) OVER pair AS prev_opener
  FROM stream WINDOW pair AS (PARTITION BY asterisk_id, channel_id, bridge_id ORDER BY {ORDER})
), marked AS (
  SELECT *, min(CASE WHEN NOT opener THEN rn END) OVER (
      PARTITION BY asterisk_id, channel_id, bridge_id ORDER BY rn
      ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS closer_rn
  FROM ranked
)
SELECT o.asterisk_id, o.channel_id, o.bridge_id, o.w AS entered, c.w AS "left"
FROM marked o LEFT JOIN ranked c
  ON c.asterisk_id = o.asterisk_id AND c.channel_id IS NOT DISTINCT FROM o.channel_id
 AND c.bridge_id = o.bridge_id AND c.rn = o.closer_rn
WHERE o.opener AND (o.prev_opener IS NULL OR NOT o.prev_opener)
"""

# per channel: bridges visited in order of first stay, time in them (an open stay ends when
# the channel does), as ``analysis.calls`` sums them
_BRIDGED = """
CREATE OR REPLACE TABLE bridged AS
WITH spans AS (
  SELECT s.asterisk_id, s.channel_id, s.bridge_id, s.entered,
         epoch_us(coalesce(s."left", l.ended)) - epoch_us(s.entered) AS span
  FROM stays s LEFT JOIN legs l USING (asterisk_id, channel_id)
), per_bridge AS (
  SELECT asterisk_id, channel_id, bridge_id, min(entered) AS first_entered FROM spans
  GROUP BY ALL
)
SELECT b.asterisk_id, b.channel_id, b.bridges, t.bridged_time FROM (
  SELECT asterisk_id, channel_id,
         list(bridge_id ORDER BY first_entered NULLS LAST, bridge_id) AS bridges
  FROM per_bridge GROUP BY ALL) b
JOIN (SELECT asterisk_id, channel_id, to_microseconds(CAST(sum(span) AS BIGINT)) AS bridged_time
      FROM spans GROUP BY ALL) t
USING (asterisk_id, channel_id)
"""

_CALLS = """
CREATE OR REPLACE TEMP VIEW calls AS
SELECT l.*, d.dialstatus, b.bridges, b.bridged_time
FROM legs l
LEFT JOIN dials d USING (asterisk_id, channel_id)
LEFT JOIN bridged b USING (asterisk_id, channel_id)
WHERE {keep}
"""
_NOT_LOCAL_HALF = ("NOT (coalesce(l.channel_name, '') LIKE 'Local/%' AND coalesce(l.channel_name, '') LIKE '%;2' "
                   "AND l.stasis_start IS NULL)")

_DTMF = f"""
WITH presses AS (
  SELECT asterisk_id, channel_id, channel_name, digit, w, seq FROM {{source}}
  WHERE type = 'ChannelDtmfReceived' AND {{where}}
  QUALIFY row_number() OVER (PARTITION BY asterisk_id, type, w, channel_id, digit ORDER BY {ORDER}) = 1
)
SELECT asterisk_id, channel_id,
  first(channel_name ORDER BY {ORDER}) FILTER (channel_name IS NOT NULL) AS channel_name,
  coalesce(string_agg(digit, '' ORDER BY {ORDER}), '') AS digits,
  count(*) AS presses, min(w) AS first, max(w) AS last
FROM presses WHERE channel_id IS NOT NULL
GROUP BY asterisk_id, channel_id
"""

_PLAYBACKS = f"""
WITH ev AS (
  SELECT asterisk_id, type, w, seq, playback_id, playback_state, media_uri, target_uri FROM {{source}}
  WHERE type IN ('PlaybackStarted', 'PlaybackContinuing', 'PlaybackFinished') AND playback_id IS NOT NULL
    AND {{where}}
  QUALIFY row_number() OVER (PARTITION BY asterisk_id, type, w, playback_id, playback_state, media_uri
                             ORDER BY {ORDER}) = 1
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY asterisk_id, playback_id ORDER BY {ORDER}) AS rn FROM ev
), media AS (
  SELECT asterisk_id, playback_id, list(media_uri ORDER BY pos) AS media FROM (
    SELECT asterisk_id, playback_id, media_uri, min(rn) AS pos FROM ranked
    WHERE media_uri IS NOT NULL GROUP BY ALL) GROUP BY ALL
)
SELECT p.*, m.media FROM (
  SELECT asterisk_id, playback_id,
    first(target_uri ORDER BY rn) FILTER (target_uri IS NOT NULL) AS target_uri,
    first(media_uri ORDER BY rn) FILTER (media_uri IS NOT NULL) AS media_uri,
    first(w ORDER BY rn) FILTER (type = 'PlaybackStarted' AND w IS NOT NULL) AS started,
    first(w ORDER BY rn) FILTER (type = 'PlaybackFinished' AND w IS NOT NULL) AS finished,
    last(playback_state ORDER BY rn) FILTER (playback_state IS NOT NULL) AS state,
    count(*) FILTER (type = 'PlaybackStarted') AS starts
  FROM ranked GROUP BY asterisk_id, playback_id) p
LEFT JOIN media m USING (asterisk_id, playback_id)
"""

# who hung up, from the first hangup request (``analysis.SOFT_HANGUP_BY``)
_HANGUP_BY = ("CREATE TEMP MACRO hangup_by_of(soft, cause, req) AS CASE WHEN req IS NULL THEN NULL "
              "WHEN coalesce(soft, false) THEN CASE cause "
              + " ".join(f"WHEN {k} THEN '{v}'" for k, v in analysis.SOFT_HANGUP_BY.items())
              + " ELSE 'system' END ELSE 'channel' END")

_TRUNC = {"minute": "minute", "hour": "hour", "day": "day"}


class Watched:
    """A question's statements, run one by one on a worker thread while the calling thread
    shows their progress as one bar: ``steps`` statements, each an equal share of 100 %."""

    def __init__(self, con: "duckdb.DuckDBPyConnection", pool: futures.Executor, bar: Progress,
                 steps: int) -> None:
        self.con, self.pool, self.bar, self.steps = con, pool, bar, steps
        self.done = 0

    def execute(self, sql: str) -> "duckdb.DuckDBPyConnection":
        """``con.execute(sql)``, interruptible; the connection holds the (fetched) result."""
        running = self.pool.submit(self.con.execute, sql)
        try:
            while not futures.wait([running], timeout=POLL).done:
                self._show(self.con.query_progress())  # -1 until the statement reports
            running.result()
        except BaseException:  # Ctrl-C, a stop request (Cancelled) or the statement's error
            self.con.interrupt()
            futures.wait([running])  # it stops at DuckDB's next check, within milliseconds
            raise
        self.done += 1
        self._show(0.0)
        return self.con

    def _show(self, percent: float) -> None:
        at = int((self.done + max(percent, 0.0) / 100) * 100 / self.steps)
        if at > self.bar.n:
            self.bar.update(min(at, 100) - self.bar.n)


class DuckEngine:
    """One DuckDB connection per question: the dataset's files as the ``events`` view."""

    def __init__(self, ds: "Dataset", *, progress: bool | None = None) -> None:
        self.ds = ds
        self.progress = progress

    @contextmanager
    def connect(self, question: str, steps: int) -> Iterator[Watched]:
        """A connection with the ``events`` view, spilling to a temporary folder of its own
        (removed afterwards: two queries at once must not share spill files), and a bar
        "DuckDB <question>" over the ``steps`` statements the question runs."""
        import duckdb

        spill = tempfile.mkdtemp(prefix="ari_notebook_duckdb-")
        pool = futures.ThreadPoolExecutor(1, thread_name_prefix="ari_notebook_duckdb")
        con = None
        try:
            # a database file in the spill folder: the month's tables (legs, stays...) can leave
            # memory for disk like any DuckDB table, instead of living in the in-memory catalog
            con = duckdb.connect(os.path.join(spill, "work.duckdb"),
                                 config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill,
                                         "preserve_insertion_order": False})
            # progress is only tracked with the bar on; DuckDB's own printing stays off
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = false")
            con.execute("SET TimeZone = 'UTC'")
            con.execute(_HANGUP_BY)
            parts = self.ds.partitions()
            con.register("partitions_df", pd.DataFrame({"filename": parts["path"],
                                                        "asterisk_id": parts["asterisk_id"]}))
            con.execute("CREATE TEMP TABLE partitions AS SELECT * FROM partitions_df")
            con.unregister("partitions_df")
            con.execute(_EVENTS.format(name="events", files=_sql_list(parts["path"])))
            self._parts = parts
            self._rows: dict[str, int] = {}  # events per file, read once a question
            with progress_bar(100, desc=f"DuckDB {question}", unit="%", progress=self.progress) as bar:
                watched = Watched(con, pool, bar, steps)
                yield watched
                bar.update(100 - bar.n)  # the question is answered (its fetch included)
        finally:
            pool.shutdown(wait=True)
            if con is not None:
                con.close()
            shutil.rmtree(spill, ignore_errors=True)

    def count(self) -> int:
        with self.connect("count", 1) as con:
            return con.execute("SELECT count(*) FROM events").fetchone()[0]

    def _file_groups(self, con: Watched) -> list[list[str]]:
        files = self._parts["path"].tolist()
        unread = [f for f in files if f not in self._rows]
        if unread:  # the footers only; asked again per server and per question part
            self._rows.update(con.con.execute(
                f"SELECT file_name, sum(num_rows) FROM parquet_file_metadata({_sql_list(unread)}) GROUP BY ALL"
            ).fetchall())
        return file_groups(files, [self._rows.get(f, 0) for f in files], EVENTS_PER_MB * _megabytes(con.con))

    def _per_object(self, con: Watched, table: str, select: str, key: str) -> None:
        """``table``: ``select`` (one row per object, ``key`` naming it) run over groups of files
        that fit the memory limit. An object whose events lie in two groups (a call over
        midnight, a log saved in pieces) is computed again over all of its events."""
        groups = self._file_groups(con)
        if len(groups) > 1:  # two statements a group and one for the crossing objects, not one
            con.steps += 2 * len(groups)
        for i, files in enumerate(groups):
            source = "events"
            if len(groups) > 1:
                con.execute(_EVENTS.format(name="some_events", files=_sql_list(files)))
                source = "some_events"
            sql = select.replace("{source}", source).replace("{where}", "true")
            con.execute((f"CREATE OR REPLACE TABLE {table} AS " if i == 0 else f"INSERT INTO {table} ") + sql)
        if len(groups) > 1:
            again = select.replace("{source}", "events").replace("{where}", f"{key} IN (SELECT h FROM crossing)")
            con.execute(f"""
                CREATE OR REPLACE TABLE crossing AS SELECT {key} AS h FROM {table} GROUP BY h HAVING count(*) > 1;
                DELETE FROM {table} WHERE {key} IN (SELECT h FROM crossing);
                INSERT INTO {table} {again}""")

    def _calls_view(self, con: Watched, all_channels: bool) -> None:
        """The ``calls`` view. A dataset larger than memory is worked out one server at a time:
        every key holds the server, so one server's channels, bridges and dials never meet
        another's and no call is cut (the bridge stays of a whole month did not fit in 1 GB)."""
        everything = self._parts
        servers = everything["asterisk_id"].unique().tolist()
        split = len(servers) > 1 and len(self._file_groups(con)) > 1
        if split:  # per server: its events view, the five steps, three copies; then the joins
            con.steps += (len(servers) - 1) * 5 + len(servers) * 4 + 4
        try:
            for i, server in enumerate(servers if split else [None]):
                if split:
                    self._parts = everything[everything["asterisk_id"] == server]
                    con.execute(_EVENTS.format(name="events", files=_sql_list(self._parts["path"])))
                self._per_object(con, "legs_raw", _LEGS, _CHANNEL_KEY)
                for sql in (_ENDED, _DIAL, _STAYS, _BRIDGED):
                    con.execute(sql)
                for table in ("legs", "dials", "bridged") if split else ():
                    con.execute(f"CREATE OR REPLACE TABLE all_{table} AS SELECT * FROM {table}" if i == 0
                                else f"INSERT INTO all_{table} SELECT * FROM {table}")
        finally:
            if split:
                self._parts = everything
                con.execute(_EVENTS.format(name="events", files=_sql_list(everything["path"])))
        for table in ("legs", "dials", "bridged") if split else ():
            con.execute(f"DROP TABLE {table}; ALTER TABLE all_{table} RENAME TO {table}")
        con.execute(_CALLS.format(keep="true" if all_channels else _NOT_LOCAL_HALF))

    def calls(self, *, all_channels: bool = False) -> pd.DataFrame:
        with self.connect("calls", CALLS_STEPS + 1) as con:
            self._calls_view(con, all_channels)
            legs = con.execute("SELECT * FROM calls").df()
        return finish_calls(legs, all_channels=True)  # the filter ran in SQL

    def dtmf(self) -> pd.DataFrame:
        with self.connect("dtmf", 2) as con:
            self._per_object(con, "dtmf", _DTMF, _CHANNEL_KEY)
            return finish_dtmf(con.execute("SELECT * FROM dtmf").df())

    def playbacks(self) -> pd.DataFrame:
        with self.connect("playbacks", 2) as con:
            self._per_object(con, "playbacks", _PLAYBACKS, _PLAYBACK_KEY)
            return finish_playbacks(con.execute("SELECT * FROM playbacks").df())

    def rates(self, freq: str) -> pd.DataFrame:
        with self.connect("rates", CALLS_STEPS + 1) as con:
            self._calls_view(con, False)
            return con.execute(f"""
                SELECT asterisk_id, date_trunc('{_TRUNC[freq]}', created) AS period, count(*) AS calls,
                       count(answered) AS answered, count(answered) / count(*) AS answer_rate
                FROM calls WHERE created IS NOT NULL GROUP BY ALL""").df()

    def causes(self) -> pd.DataFrame:
        with self.connect("causes", CALLS_STEPS + 1) as con:
            self._calls_view(con, False)
            return con.execute("""SELECT asterisk_id, cause, cause_txt, count(*) AS calls
                                  FROM calls WHERE ended IS NOT NULL GROUP BY ALL""").df()

    def summary(self) -> analysis.Summary:
        with self.connect("summary", CALLS_STEPS + 6) as con:
            events, first, last, gaps = con.execute(
                "SELECT count(*), min(w), max(w), count(*) FILTER (type = 'EventStreamGap') FROM events").fetchone()
            counts = con.execute("SELECT type, count(*) AS n FROM events WHERE type IS NOT NULL GROUP BY ALL").df()
            self._calls_view(con, False)
            con.execute("""CREATE TABLE durations AS SELECT hangup_by_of(request_soft, request_cause,
                           hangup_request) AS hangup_by, created, answered,
                           epoch_us(coalesce(answered, ended)) - epoch_us(created) AS ring_us,
                           epoch_us(ended) - epoch_us(answered) AS talk_us FROM calls""")
            stats = con.execute("""SELECT count(*), count(answered), sum(ring_us), count(ring_us),
                                          sum(talk_us), count(talk_us) FROM durations""").fetchone()
            per_minute = con.execute("""SELECT date_trunc('minute', created) AS minute, count(*) AS n
                                        FROM durations WHERE created IS NOT NULL GROUP BY ALL ORDER BY 1""").df()
            hangup = con.execute("""SELECT hangup_by, count(*) AS n FROM durations
                                    WHERE hangup_by IS NOT NULL GROUP BY ALL""").df()
        pm = pd.Series(per_minute["n"].to_numpy(dtype="int64"),
                       index=pd.DatetimeIndex(pd.to_datetime(per_minute["minute"], utc=True)).astype("datetime64[us, UTC]"))
        return summary_from(
            events, _ts(first), _ts(last),
            pd.Series(counts["n"].to_numpy(dtype="int64"), index=pd.Index(counts["type"].to_numpy(), dtype=object)),
            gaps, per_minute=pm,
            stats={"calls": stats[0], "answered": stats[1], "ring_sum": stats[2], "ring_n": stats[3],
                   "talk_sum": stats[4], "talk_n": stats[5],
                   "hangup_by": pd.Series(hangup["n"].to_numpy(dtype="int64"),
                                          index=pd.Index(hangup["hangup_by"].to_numpy(), dtype=object),
                                          name="count")})


def file_groups(files: list[str], rows: list[int], per_group: int) -> list[list[str]]:
    """``files`` in order, cut into runs of at most ``per_group`` rows (a larger file alone)."""
    groups: list[list[str]] = []
    size = 0
    for path, n in zip(files, rows):
        if not groups or size + n > per_group:
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += n
    return groups or [[]]


def _megabytes(con: "duckdb.DuckDBPyConnection") -> float:
    """The connection's memory limit in MB (DuckDB reports it as text, e.g. '953.6 MiB')."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, unit = text.split()
    scale = {"B": 1e-6, "KB": 1e-3, "KiB": 1.024e-3, "MB": 1.0, "MiB": 1.048576, "GB": 1e3, "GiB": 1073.741824,
             "TB": 1e6, "TiB": 1.099511627776e6}[unit]
    return float(number) * scale


def _sql_list(paths) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _ts(value) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value).tz_convert("UTC").as_unit("us")
