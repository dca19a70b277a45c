"""Files for event logs: JSONL (lossless, append-friendly), Parquet, and partitioned datasets.

Formats written here:

* **JSONL**, one record per line: ``{"received_at": <epoch s or null>, "event": <raw event>}``
  or ``{"request": {...}}``. The event's raw JSON is written verbatim (never re-encoded), so
  saving is lossless and a file can be appended to by several sessions.
* **Parquet**: the typed event frame (every column, ``raw`` included) plus ``seq``; request
  records ride in the file's key-value metadata under ``ari_notebook.requests``.
* **Parquet dataset**: the same columns partitioned hive-style by ``date`` (UTC day of the
  event) and ``asterisk_id``, readable unchanged by pandas, pyarrow.dataset, DuckDB, Dask or
  Spark. Each save adds uniquely named files, so many servers and days can share one root.

Files read here: all of the above, a plain file of raw ARI events one per line (as other tools
write them; receive times are then missing), and the ari-traces recorder's JSONL (records of
kind ``event``, ``request`` and ``response``; other kinds are harness notes and are skipped).

Long reads and writes report progress (``ari_notebook.progress``; ``progress=`` switches it)
per chunk, and a write that stops half way (an error, Ctrl-C, Interrupt Kernel) leaves no
partial file: a new file is written under a temporary name beside it and renamed when
complete, an append is cut back to the old end, a dataset's new files appear only together.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq

from ..progress import progress_bar
from .frames import COLUMNS

REQUESTS_KEY = b"ari_notebook.requests"
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log")
_PREFIX = '{"received_at":'
_EVENT_KEY = ',"event":'
READ_CHUNK = 1 << 20      # bytes of JSONL read (and progress reported) at a time
WRITE_CHUNK = 8192        # JSONL lines written at a time
ROWS_CHUNK = 65536        # Parquet rows written or loaded at a time


class Sink:
    """Where loaded records go: ``event(event, received_at, raw)`` and ``request(record)``."""

    def event(self, event: dict, received_at: float, raw: str | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def request(self, record: dict) -> None:  # pragma: no cover
        raise NotImplementedError


# ---------------------------------------------------------------------------------- JSONL
def event_line(raw: str, received_at: float) -> str:
    """One JSONL line for a stored event (its raw JSON embedded verbatim)."""
    recv = "null" if received_at != received_at else repr(float(received_at))  # NaN -> null
    return f"{_PREFIX}{recv}{_EVENT_KEY}{raw}}}\n"


def request_line(record: dict) -> str:
    return orjson.dumps({"request": record}, default=str).decode() + "\n"


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary name beside ``path`` to write to: renamed over ``path`` when the block ends,
    deleted when it raises (an interrupt included), so ``path`` is complete or untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def undoable_append(path: str | os.PathLike) -> Iterator[Path]:
    """Appending to ``path``: when the block raises, the file is cut back to where it ended
    (or removed if it did not exist), so no half-written record is left at its end."""
    path = Path(path)
    size = path.stat().st_size if path.exists() else None
    try:
        yield path
    except BaseException:
        if size is None:
            path.unlink(missing_ok=True)
        else:
            os.truncate(path, size)
        raise


def write_jsonl(path: str | os.PathLike, lines: Iterable[str], *, append: bool = False,
                total: int | None = None, progress: bool | None = None,
                desc: str = "Saving events") -> int:
    """Write ``lines`` (already newline-terminated) to ``path``; returns how many were written.

    All or nothing: a new file is written under a temporary name and renamed, an append is
    cut back on failure. ``total`` (lines expected) sizes the progress bar.
    """
    with (undoable_append(path) if append else atomic_path(path)) as target, \
            progress_bar(total, desc=desc, unit="ev", progress=progress) as bar:
        n = 0
        with open(target, "a" if append else "x", encoding="utf-8", newline="\n") as fh:
            buf: list[str] = []
            for line in lines:
                buf.append(line)
                if len(buf) >= WRITE_CHUNK:
                    fh.write("".join(buf))
                    n += len(buf)
                    bar.update(len(buf))
                    buf.clear()
            fh.write("".join(buf))
            n += len(buf)
            bar.update(len(buf))
    return n


def read_jsonl(path: str | os.PathLike, sink: Sink, *, start: int = 0,
               progress: bool | None = None, desc: str = "Loading events") -> None:
    """Feed every record of a JSONL file (any of the formats in the module doc) to ``sink``.

    ``start`` is a byte offset (a spill file read from where this log began writing).
    Raises ``ValueError`` naming the line for a line that is not JSON or not a known record.
    Progress is reported in bytes, a chunk (``READ_CHUNK``) at a time.
    """
    with open(path, "rb") as fh, \
            progress_bar(os.fstat(fh.fileno()).st_size - start, desc=desc, unit="B", progress=progress) as bar:
        if start:
            fh.seek(start)
        _read_jsonl_lines(path, fh, sink, bar)


def _read_jsonl_lines(path: str | os.PathLike, fh: Any, sink: Sink, bar: Any) -> None:
    loads = orjson.loads
    emit = sink.event
    pairs: dict[Any, dict] = {}
    wall0: float | None = None
    lineno = 0
    for chunk in iter(lambda: fh.readlines(READ_CHUNK), []):
        bar.update(sum(map(len, chunk)))  # also where a stop request (progress.stop_when) lands
        for lineno, line in enumerate(chunk, lineno + 1):
            text = line.decode("utf-8").strip()
            if not text:
                continue
            if text.startswith(_PREFIX):  # our own format: slice the raw event out unparsed
                cut = text.find(_EVENT_KEY, len(_PREFIX))
                if cut > 0 and text.endswith("}"):
                    raw = text[cut + len(_EVENT_KEY):-1]
                    recv_text = text[len(_PREFIX):cut]
                    try:
                        event = loads(raw)
                        recv = float("nan") if recv_text == "null" else float(recv_text)
                    except (orjson.JSONDecodeError, ValueError):
                        pass  # not ours after all: fall through to the general parser
                    else:
                        if isinstance(event, dict):
                            emit(event, recv, raw)
                            continue
            try:
                record = loads(text)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {lineno} is not JSON: {exc}") from exc
            if not isinstance(record, dict):
                raise ValueError(f"{path}: line {lineno} is not a JSON object")
            if "type" in record:  # a plain ARI event
                emit(record, float("nan"), text)
            elif isinstance(record.get("event"), dict) and "kind" not in record:
                recv = record.get("received_at")
                emit(record["event"], float("nan") if recv is None else float(recv), None)
            elif isinstance(record.get("request"), dict):
                sink.request(record["request"])
            elif "kind" in record:  # the ari-traces recorder
                if wall0 is None and "wall_clock" in record and "t" in record:
                    wall0 = float(record["wall_clock"]) - float(record["t"])
                when = (wall0 + float(record["t"])) if wall0 is not None and "t" in record else float("nan")
                kind = record["kind"]
                if kind == "event" and isinstance(record.get("event"), dict):
                    emit(record["event"], when, None)
                elif kind == "request" and "method" in record:
                    pairs[record.get("id")] = {"time": when, "operation": record.get("label"),
                                               "method": record["method"], "path": record.get("path"),
                                               "status": None, "elapsed_ms": None, "error": None,
                                               "object_id": None}
                elif kind == "response" and record.get("id") in pairs:
                    req = pairs.pop(record["id"])
                    req["status"] = record.get("status")
                    req["elapsed_ms"] = record.get("elapsed_ms")
                    body = record.get("body")
                    if isinstance(body, dict) and isinstance(record.get("status"), int) and record["status"] >= 400:
                        req["error"] = body.get("message") or body.get("error")
                    elif isinstance(body, dict) and isinstance(body.get("id"), str):
                        req["object_id"] = body["id"]  # the object answered (what an originate made)
                    sink.request(req)
            else:
                raise ValueError(f"{path}: line {lineno} is neither an ARI event (no 'type') "
                                 "nor an event-log record")
    for req in pairs.values():  # requests whose response never came (transport errors)
        req["error"] = req["error"] or "no response recorded"
        sink.request(req)


# ---------------------------------------------------------------------------------- Parquet
def arrow_schema(extra: tuple[str, ...] = ()) -> pa.Schema:
    """The one Arrow schema of a saved event frame, so every file of a dataset agrees
    (a log without ``StasisStart`` must not write ``args`` as a null column)."""
    from .frames import STR, TIME

    fields = [pa.field(name, pa.string()) for name in extra]
    fields.append(pa.field("seq", pa.int64()))
    for name, dtype in COLUMNS.items():
        if dtype is TIME:
            t = pa.timestamp("us", tz="UTC")
        elif dtype == "category":
            t = pa.dictionary(pa.int32(), pa.string())
        elif dtype is STR or name == "raw":
            t = pa.string()
        elif dtype == "Int64":
            t = pa.int64()
        elif dtype == "boolean":
            t = pa.bool_()
        elif name == "args":
            t = pa.list_(pa.string())
        else:  # pragma: no cover - COLUMNS only has the dtypes above
            raise AssertionError(name)
        fields.append(pa.field(name, t))
    return pa.schema(fields)


def frame_to_table(df: pd.DataFrame, requests: list[dict] | None = None) -> pa.Table:
    """The event frame as an Arrow table (``seq`` a column), requests in the metadata."""
    table = pa.Table.from_pandas(df.reset_index(), schema=arrow_schema(), preserve_index=False)
    if requests is not None:
        meta = dict(table.schema.metadata or {})
        meta[REQUESTS_KEY] = orjson.dumps(requests, default=str)
        table = table.replace_schema_metadata(meta)
    return table


def write_parquet(path: str | os.PathLike, df: pd.DataFrame, requests: list[dict], *,
                  progress: bool | None = None, desc: str = "Saving events") -> None:
    """One Parquet file of the frame, written ``ROWS_CHUNK`` rows at a time (progress, and a
    prompt stop) under a temporary name, renamed when complete."""
    table = frame_to_table(df, requests)
    with atomic_path(path) as tmp, progress_bar(table.num_rows, desc=desc, unit="ev", progress=progress) as bar:
        with pq.ParquetWriter(tmp, table.schema, compression="zstd") as writer:
            for offset in range(0, table.num_rows, ROWS_CHUNK):
                piece = table.slice(offset, ROWS_CHUNK)
                writer.write_table(piece, row_group_size=ROWS_CHUNK)
                bar.update(piece.num_rows)


def _date_column(df: pd.DataFrame) -> pd.Series:
    when = df["time"].fillna(df["received_at"])
    return when.dt.strftime("%Y-%m-%d").fillna("unknown").astype(str)


def write_dataset(root: str | os.PathLike, df: pd.DataFrame,
                  partition_by: tuple[str, ...] = ("date", "asterisk_id"), *,
                  progress: bool | None = None, desc: str = "Saving dataset") -> list[str]:
    """Add ``df`` to a hive-partitioned Parquet dataset under ``root``; returns the files written.

    The files (one per partition) are written into a hidden staging folder under ``root``
    (readers skip names starting with ``.``) a slice of rows at a time, then moved into their
    partitions; if anything stops the write, the files already moved are taken out again and
    the staging folder removed, so the dataset gains all of this log or none of it.
    """
    out = df.reset_index()
    if "date" in partition_by:
        out.insert(0, "date", _date_column(df).to_numpy())
    for col in partition_by:
        if col not in out.columns:
            raise ValueError(f"cannot partition by {col!r}: not a column of the event frame")
        out[col] = out[col].astype(object).where(out[col].notna(), "unknown").astype(str)
    extra = tuple(c for c in partition_by if c not in COLUMNS and c != "seq")
    schema_all = arrow_schema(extra)
    for col in partition_by:
        if col not in extra:  # a frame column used as a partition key is written as text
            i = schema_all.get_field_index(col)
            schema_all = schema_all.set(i, pa.field(col, pa.string()))
    table = pa.Table.from_pandas(out[schema_all.names], schema=schema_all, preserve_index=False)
    data = table.drop_columns(list(partition_by))  # the partition's values are in its path
    parts = out.groupby(list(partition_by), sort=True).indices
    root = Path(root)
    save_id = uuid.uuid4().hex[:12]
    staging = root / f".staging-{save_id}"
    staged: list[str] = []
    moved: list[Path] = []
    made: list[Path] = [] if root.exists() else [root]  # folders this save creates
    # each partition's file written here with pq.ParquetWriter, not by pyarrow.dataset's
    # writer: that one keeps work on Arrow's threads after it returns, and a process that
    # exits just then aborts ("terminate called without an active exception"; apache/arrow
    # #36980; 5 of 40 short scripts that saved a dataset aborted so here)
    try:
        with progress_bar(table.num_rows, desc=desc, unit="ev", progress=progress) as bar:
            for values, rows in parts.items():
                values = values if isinstance(values, tuple) else (values,)
                folder = staging.joinpath(*(hive_segment(c, v) for c, v in zip(partition_by, values)))
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"events-{save_id}-0.parquet"
                staged.append(str(path))
                part = data.take(rows)
                with pq.ParquetWriter(path, part.schema, compression="zstd") as writer:
                    for offset in range(0, part.num_rows, ROWS_CHUNK):
                        piece = part.slice(offset, ROWS_CHUNK)
                        writer.write_table(piece, row_group_size=ROWS_CHUNK)
                        bar.update(piece.num_rows)
        for name in staged:
            final = root / Path(name).relative_to(staging)
            made.extend(reversed([d for d in final.relative_to(root).parents if not (root / d).exists()]))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, final)
            moved.append(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for path in moved:
            path.unlink(missing_ok=True)
        for folder in reversed(made):  # deepest first; only the ones this save made, if empty
            with suppress(OSError):
                (root / folder).rmdir()
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return [str(p) for p in moved]


def hive_segment(column: str, value: str) -> str:
    """One folder name of a hive-partitioned path, the value URI-escaped as pyarrow writes it
    (``asterisk_id=02%3Afc%3A00%3A00%3A00%3A01``)."""
    return f"{column}={quote(value, safe='')}"


def _feed_table(table: pa.Table, sink: Sink, bar: Any) -> None:
    """Every row of ``table`` (``raw``, ``received_at``) to ``sink``, ``ROWS_CHUNK`` at a time."""
    for offset in range(0, table.num_rows, ROWS_CHUNK):
        piece = table.slice(offset, ROWS_CHUNK)
        _feed_rows(piece, sink)
        bar.update(piece.num_rows)


def _feed_rows(table: pa.Table, sink: Sink) -> None:
    raws = table.column("raw").to_pylist()
    recv = table.column("received_at")
    if pa.types.is_timestamp(recv.type):
        secs = recv.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy(zero_copy_only=False)
        mask = recv.is_null().to_numpy(zero_copy_only=False)
        recv_s = np.where(mask, np.nan, secs / 1e6)
    else:
        recv_s = recv.to_numpy(zero_copy_only=False).astype(float)
    loads = orjson.loads
    emit = sink.event
    for raw, r in zip(raws, recv_s.tolist()):
        if raw is None:
            raise ValueError("a Parquet event row has no raw JSON; it cannot be loaded losslessly")
        emit(loads(raw), r, raw)


def read_parquet(path: str | os.PathLike, sink: Sink, *, progress: bool | None = None,
                 desc: str = "Loading events") -> None:
    """Load a Parquet file or dataset directory written by ``write_parquet``/``write_dataset``
    (progress in events, reported per ``ROWS_CHUNK`` rows fed)."""
    path = Path(path)
    if path.is_dir():
        dataset = pds.dataset(str(path), format="parquet", partitioning="hive")
        names = set(dataset.schema.names)
        cols = [c for c in ("seq", "received_at", "time", "raw") if c in names]
        with progress_bar(dataset.count_rows(), desc=desc, unit="ev", progress=progress) as bar:
            table = dataset.to_table(columns=cols)
            keys = [(c, "ascending") for c in ("received_at", "time", "seq") if c in names]
            if keys:
                table = table.sort_by(keys)
            _feed_table(table, sink, bar)
        return
    pf = pq.ParquetFile(path)
    meta = pf.schema_arrow.metadata or {}
    names = set(pf.schema_arrow.names)
    if "raw" not in names:
        raise ValueError(f"{path}: no 'raw' column; not an event log written by ari_notebook")
    with progress_bar(pf.metadata.num_rows, desc=desc, unit="ev", progress=progress) as bar:
        table = pf.read(columns=[c for c in ("seq", "received_at", "raw") if c in names])
        if "seq" in names:
            table = table.sort_by([("seq", "ascending")])
        _feed_table(table, sink, bar)
    if REQUESTS_KEY in meta:
        for rec in orjson.loads(meta[REQUESTS_KEY]):
            sink.request(rec)


def spill_parts(directory: Path, start_part: int) -> Iterator[Path]:
    """Parquet spill files of one log, in order."""
    if not directory.is_dir():
        return iter(())
    parts = sorted(p for p in directory.glob("spill-*.parquet") if int(p.stem.split("-")[1]) >= start_part)
    return iter(parts)

