"""``EventLog``: every event a client receives, in arrival order, as pandas frames on demand.

Why a log object: analysts ask questions after the fact (which calls came in, how long they
rang, who hung up) and trainers replay a session. The log taps the client's raw listener, so
it sees every event (the synthetic ``EventStreamGap`` marker included) before any handler,
with its receive time. Appending costs a few microseconds (see ``store``); frames are built
once on demand and cached until the log changes (``version``).

Long file work (``save``, ``save_dataset``, ``load``, replay) shows a progress bar where someone
can see it (``progress=``; see ``ari_notebook.progress``) and can be interrupted: a load that
stops half way leaves the log as it was, a save leaves no partial file. ``EventLog.aload``
loads on a worker thread, so a client on the same event loop keeps receiving meanwhile.

Bounded logs: with ``max_events`` the oldest events roll to ``spill_path`` on disk (JSONL by
default, or Parquet parts when the path ends in ``.parquet``); nothing is lost, and
``to_dataframe(include_spilled=True)`` (or ``save``) reads them back. The file is written on
a background thread (``spill``), so the client's message loop never waits for the disk.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import orjson
import pandas as pd

from .. import progress as _progress
from .._errors import ConfigurationError
from . import analysis, storage
from .frames import build_frame, concat_frames
from .spill import SpillWriter
from .columnar import EXTRA_FIELDS, EventStore

_REQUEST_KEYS = ("time", "operation", "method", "path", "status", "elapsed_ms", "error", "object_id")


class _Loader(storage.Sink):
    """Feeds loaded records into a log without re-encoding what was read."""

    def __init__(self, log: "EventLog") -> None:
        self._store = log._store
        self._requests = log._requests

    def event(self, event: dict, received_at: float, raw: str | None) -> None:
        self._store.append(event, received_at, raw)

    def request(self, record: dict) -> None:
        self._requests.append(record)


class EventLog:
    """A columnar, append-only log of ARI events (and optionally the requests made).

    ``EventLog(client)`` attaches to ``client`` (its ``add_listener`` and, when present,
    ``add_request_listener`` taps); ``EventLog()`` is a free-standing log to ``append`` to or
    ``load`` into. ``max_events`` bounds the events kept in memory; older ones spill to
    ``spill_path`` (default: a temporary file, see ``spill_path``), a quarter at a time,
    written by a background thread (``flush()`` waits for it; ``close()`` detaches and ends it).

    Frames: ``df``/``to_dataframe()``, ``calls()``, ``bridges()``, ``dtmf()``,
    ``playbacks()``, ``recordings()``, ``summary()``, ``requests``. Live views (cheap, for
    widgets): ``version``, ``len(log)``, ``tail(n)``, ``counts()``, ``newest(n, type=,
    channel=, bridge=, app=)``, ``log[i]``. Plots: ``plot_timeline()``, ``plot_ladder()``,
    ``plot_rate()``. Files: ``save``, ``save_dataset``, ``EventLog.load``. ``replay()``.
    """

    def __init__(self, client: Any = None, *, max_events: int | None = None,
                 spill_path: str | os.PathLike | None = None) -> None:
        if max_events is not None and (not isinstance(max_events, int) or max_events < 1):
            raise ValueError(f"max_events must be a positive int or None, got {max_events!r}")
        self._store = EventStore()
        self._requests: list[dict] = []
        self._client = None
        self._tap: Any = None
        self._handles: list[Any] = []
        self.max_events = max_events
        self._own_spill = spill_path is None and max_events is not None
        self._spill_path: Path | None = Path(spill_path) if spill_path is not None else None
        self._spill_start = 0      # byte offset (JSONL) or first part number (Parquet) of this log
        self._spill_parts = 0
        self._spilled = 0          # events on disk or queued for the writer thread
        self._writer: SpillWriter | None = None
        self._version = 0
        self._paused = False
        self.skipped = 0           #: events that arrived while paused (not recorded)
        self._cache: dict[str, tuple[int, Any]] = {}
        if self._spill_path is not None:
            self._mark_spill_start()
        if client is not None:
            self.attach(client)

    # ------------------------------------------------------------------ client taps
    def attach(self, client: Any) -> "EventLog":
        """Record ``client``'s events (and requests, if it offers ``add_request_listener``)."""
        if self._client is not None:
            raise ConfigurationError("this EventLog is already attached to a client; detach() first")
        if not callable(getattr(client, "add_listener", None)):
            raise ConfigurationError(f"{type(client).__name__} has no add_listener(fn); "
                                     "EventLog needs an ari_notebook Client (or anything with that tap)")
        self._client = client
        if hasattr(client, "json_loads"):
            # this module has loaded orjson already; it decodes the client's events ~2.5x faster
            # than the standard library (which a client alone uses to stay small)
            client.json_loads = orjson.loads
        self._tap = self._add_tap(client)
        add_req = getattr(client, "add_request_listener", None)
        if callable(add_req):
            self._handles.append(add_req(self.add_request))
        return self

    def _add_tap(self, client: Any) -> Any:
        """Listen with the event's JSON text when the tap offers it (``raw=True``: the client
        hands over the WebSocket message, so the log need not encode the event again)."""
        try:
            return client.add_listener(self._listener(), raw=True)
        except TypeError:  # a tap without raw=: fn(event, received_at); the store encodes
            return client.add_listener(self._listener())

    def _listener(self) -> Callable[..., None]:
        """What the client calls for every event: the store's own append when nothing else
        is needed (no call layer in between: this runs for every event), else a wrapper."""
        if self._paused:
            return self._skip
        if self.max_events is not None:
            return self._append_bounded
        return self._store.append

    def _retap(self) -> None:
        if self._tap is not None:
            self._tap.remove()
            self._tap = self._add_tap(self._client)

    def _skip(self, event: dict, received_at: float, raw: str | None = None) -> None:
        self.skipped += 1

    def _append_bounded(self, event: dict, received_at: float, raw: str | None = None) -> None:
        self._store.append(event, received_at, raw)
        if len(self._store) > self.max_events:  # type: ignore[operator]
            self._spill()

    def detach(self) -> None:
        """Stop recording the client (the events recorded so far stay)."""
        if self._tap is not None:
            self._tap.remove()
            self._tap = None
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._client = None

    @property
    def client(self) -> Any:
        return self._client

    # ------------------------------------------------------------------ recording
    def append(self, event: dict, received_at: float | None = None) -> None:
        """Record one event (``received_at`` in epoch seconds; now when omitted)."""
        if self._paused:
            self.skipped += 1
            return
        self._store.append(event, time.time() if received_at is None else received_at)
        if self.max_events is not None and len(self._store) > self.max_events:
            self._spill()

    def add_request(self, record: dict) -> None:
        """Record one request made through the client (the ``add_request_listener`` tap)."""
        if self._paused:
            return
        self._requests.append({k: record.get(k) for k in _REQUEST_KEYS})
        self._version += 1

    def pause(self) -> None:
        """Stop recording until ``resume()``; events arriving meanwhile are counted in ``skipped``."""
        self._paused = True
        self._version += 1
        self._retap()

    def resume(self) -> None:
        self._paused = False
        self._version += 1
        self._retap()

    @property
    def paused(self) -> bool:
        return self._paused

    def clear(self) -> None:
        """Forget every event and request (a spill file given by you is kept on disk, but no
        longer part of this log; a temporary one is deleted).

        Spill writes still in flight are finished first (never cut off half way), then
        forgotten with the rest; a failed spill write is forgotten too.
        """
        self._stop_writer(raise_error=False)
        self._version += self._store.appended + 1  # version never goes back
        self._store.clear()
        self._requests.clear()
        self._cache.clear()
        if self._own_spill and self._spill_path is not None and self._spill_path.exists():
            self._spill_path.unlink()
        self._spilled = 0
        if self._spill_path is not None:
            self._mark_spill_start()
        self.skipped = 0
        self._version += 1

    # ------------------------------------------------------------------ cheap live views
    @property
    def version(self) -> int:
        """Increases on every change (append, request, clear, pause...): views cache on it."""
        return self._version + self._store.appended

    def __len__(self) -> int:
        """Events in memory (``spilled`` more are on disk)."""
        return len(self._store)

    @property
    def spilled(self) -> int:
        """Events rolled to ``spill_path`` because of ``max_events`` (on disk, or handed to
        the writer thread and being written: ``flush()`` waits for those)."""
        return self._spilled

    def flush(self) -> None:
        """Wait until every spilled event is on disk (``SpillError`` if a write failed; the
        events it could not write stay in memory)."""
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        """Detach from the client, finish the spill writes in flight and end the writer
        thread. The log stays readable (and appending starts a new writer if needed)."""
        self.detach()
        self._stop_writer(raise_error=True)

    def _stop_writer(self, *, raise_error: bool) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
        except Exception:
            if raise_error:
                self._writer = writer  # keep the unwritten batches reachable
                raise

    @property
    def spill_path(self) -> Path | None:
        if self._spill_path is None and self.max_events is not None:
            self._spill_path = Path(tempfile.gettempdir()) / f"ari-eventlog-{os.getpid()}-{id(self):x}.jsonl"
            self._mark_spill_start()
        return self._spill_path

    def __getitem__(self, i: int) -> dict:
        """The i-th event in memory as a dict (negative counts from the newest)."""
        return self._store.event(i)

    def __iter__(self):
        for i in range(len(self._store)):
            yield self._store.event(i)

    def tail(self, n: int = 20) -> list[dict]:
        """The newest ``n`` events as dicts, oldest first; costs ``n`` decodes."""
        return self._store.tail(n)

    def counts(self) -> dict[str, int]:
        """Events per type (in memory); incremental, so cheap to call on every refresh."""
        return self._store.counts()

    def newest(self, n: int = 20, *, type: str | Iterable[str] | None = None,
               channel: str | None = None, bridge: str | None = None,
               app: str | None = None, asterisk_id: str | Iterable[str] | None = None) -> list[dict]:
        """The newest ``n`` events matching every given filter, newest first.

        ``type`` one type or several; ``channel`` a channel id or name (also matches a Dial's
        peer); ``bridge`` a bridge id; ``app`` an application name. Scans backwards over the
        stored codes, so the work is proportional to how far back the ``n``-th match lies.
        """
        store = self._store
        masks: list[tuple[str, np.ndarray]] = []
        if type is not None:
            types = {type} if isinstance(type, str) else set(type)
            masks.append(("head", store.matching_codes("head", 0, types)))
        if app is not None:
            masks.append(("head", store.matching_codes("head", 1, {app})))
        if asterisk_id is not None:
            ids = {asterisk_id} if isinstance(asterisk_id, str) else set(asterisk_id)
            masks.append(("head", store.matching_codes("head", 2, ids)))
        if bridge is not None:
            masks.append(("extra", store.matching_codes("extra", 0, {bridge})))
        if channel is not None:
            by_id = store.matching_codes("channel", 0, {channel})
            by_name = store.matching_codes("channel", 1, {channel})
            codes = np.union1d(by_id, by_name)
            peer_codes = store.matching_codes("extra", EXTRA_FIELDS.index("peer_id"), {channel})
            if len(peer_codes):
                # a channel filter also matches Dial events whose peer it is
                idx = sorted(set(store.find_newest(n, masks + [("channel", codes)]))
                             | set(store.find_newest(n, masks + [("extra", peer_codes)])), reverse=True)[:n]
                return [store.event(i) for i in idx]
            masks.append(("channel", codes))
        return [store.event(i) for i in store.find_newest(n, masks)]

    @property
    def requests(self) -> pd.DataFrame:
        """The requests made through the client: time, operation, method, path, status,
        elapsed_ms, error, object_id (one row each, oldest first)."""
        return self._cached("requests", lambda: analysis.requests_frame(self._requests))

    # ------------------------------------------------------------------ frames
    def _cached(self, name: str, build: Callable[[], Any]) -> Any:
        version = self.version
        hit = self._cache.get(name)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = build()
        self._cache[name] = (version, value)
        return value

    def to_dataframe(self, *, include_spilled: bool = False) -> pd.DataFrame:
        """One typed row per event (see ``ari_notebook.events.frames`` for the columns).

        Cached until the log changes; treat it as read-only (copy before editing).
        ``include_spilled`` reads events rolled to disk back in front of those in memory.
        """
        df = self._cached("df", lambda: build_frame(self._store, self._spilled))
        if include_spilled and self._spilled:
            return concat_frames([self._spilled_log().to_dataframe(), df])
        return df

    @property
    def df(self) -> pd.DataFrame:
        """``to_dataframe()``: the events in memory."""
        return self.to_dataframe()

    def calls(self, *, all_channels: bool = False) -> pd.DataFrame:
        """One row per call leg, CDR-style; see ``ari_notebook.events.analysis.calls``."""
        return self._cached(f"calls{all_channels}", lambda: analysis.calls(self.df, all_channels=all_channels))

    def bridges(self) -> pd.DataFrame:
        """Bridge membership intervals; see ``analysis.bridges``."""
        return self._cached("bridges", lambda: analysis.bridges(self.df))

    def dtmf(self, *, per: str = "channel") -> pd.DataFrame:
        """DTMF per channel (digits joined) or per key press; see ``analysis.dtmf``."""
        return self._cached(f"dtmf{per}", lambda: analysis.dtmf(self.df, per=per))

    def playbacks(self) -> pd.DataFrame:
        """One row per playback; see ``analysis.playbacks``."""
        return self._cached("playbacks", lambda: analysis.playbacks(self.df))

    def recordings(self) -> pd.DataFrame:
        """One row per live recording; see ``analysis.recordings``."""
        return self._cached("recordings", lambda: analysis.recordings(self.df))

    def summary(self) -> "analysis.Summary":
        """Counts by type, calls per minute, answer rate...; see ``analysis.summary``."""
        return self._cached("summary", lambda: analysis.summary(self.df, self.calls()))

    # ------------------------------------------------------------------ plots
    def plot_timeline(self, channels: Iterable[str] | None = None, **kwargs: Any):
        """A call timeline, one lane per channel (matplotlib Figure); see ``plots.timeline``."""
        from . import plots
        return plots.timeline(self, channels=channels, **kwargs)

    def plot_ladder(self, channel: str | None = None, **kwargs: Any):
        """A sngrep-style ladder diagram of one call (matplotlib Figure); see ``plots.ladder``."""
        from . import plots
        return plots.ladder(self, channel=channel, **kwargs)

    def plot_rate(self, freq: str = "1s", **kwargs: Any):
        """Events per interval over time (matplotlib Figure); see ``plots.event_rate``."""
        from . import plots
        return plots.event_rate(self, freq=freq, **kwargs)

    # ------------------------------------------------------------------ replay
    async def replay(self, speed: float | None = 10.0, into: Any = None, **kwargs: Any) -> int:
        """Feed the events back through ``into.dispatch`` (default: this log's client) at
        ``speed`` times real time (``None``: as fast as possible); see ``replay.replay``."""
        from .replay import replay
        return await replay(self, self._store, speed=speed, into=into, **kwargs)

    # ------------------------------------------------------------------ storage
    def save(self, path: str | os.PathLike, *, append: bool = False, progress: bool | None = None) -> Path:
        """Write the whole log (spilled events included) to ``path``.

        ``.jsonl``/``.ndjson``: lossless JSONL (``append=True`` adds to an existing file);
        ``.parquet``: one Parquet file of the typed frame. For a partitioned dataset use
        ``save_dataset``. All or nothing: written under a temporary name and renamed (an
        append is cut back), so an interrupted save leaves no partial file. ``progress``:
        see ``ari_notebook.progress``.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in storage.JSONL_SUFFIXES:
            total = self._spilled + len(self._store) + len(self._requests)
            storage.write_jsonl(path, self._jsonl_lines(progress), append=append, total=total,
                                progress=progress)
        elif suffix == ".parquet":
            if append:
                raise ValueError("append=True is for JSONL; a Parquet file is written whole "
                                 "(use save_dataset to add to a dataset)")
            storage.write_parquet(path, self._frame_for_saving(progress), self._requests, progress=progress)
        else:
            raise ValueError(f"don't know how to save {path.name!r}: use a .jsonl or .parquet name "
                             "(or save_dataset(directory))")
        return path

    def save_dataset(self, root: str | os.PathLike,
                     partition_by: tuple[str, ...] = ("date", "asterisk_id"), *,
                     progress: bool | None = None) -> list[str]:
        """Add the log to a hive-partitioned Parquet dataset under ``root`` (``date`` is the
        UTC day of each event); returns the files written (all of them or, if interrupted,
        none). Read it back with ``EventLog.load(root)``, ``pandas.read_parquet(root)``,
        ``pyarrow.dataset`` or DuckDB (``read_parquet('root/**/*.parquet', hive_partitioning=true)``)."""
        return storage.write_dataset(root, self._frame_for_saving(progress), partition_by, progress=progress)

    def _frame_for_saving(self, progress: bool | None) -> pd.DataFrame:
        df = self.to_dataframe()
        if self._spilled:
            return concat_frames([self._spilled_log(progress).to_dataframe(), df])
        return df

    @classmethod
    def load(cls, path: str | os.PathLike, *, progress: bool | None = None, **options: Any) -> "EventLog":
        """A new log with everything in ``path``: our JSONL or Parquet (file or dataset
        directory), a plain file of raw ARI events one per line, or an ari-traces recording.
        ``progress``: see ``ari_notebook.progress``; ``options`` go to ``EventLog(...)``."""
        log = cls(**options)
        log.load_into(path, progress=progress)
        return log

    @classmethod
    async def aload(cls, path: str | os.PathLike, *, progress: bool | None = None, **options: Any) -> "EventLog":
        """``load`` on a worker thread: the event loop (a client's event reader, widgets) keeps
        running meanwhile. Cancelling the awaiting task stops the worker at its next chunk
        and waits for it, so no half-loaded log is left behind."""
        if options.get("client") is not None:
            raise ConfigurationError("EventLog.aload makes a free-standing log (its worker thread must not "
                                     "race a client's events): attach it afterwards with log.attach(client)")
        stop = threading.Event()

        def work() -> "EventLog":
            with _progress.stop_when(stop):
                return cls.load(path, progress=progress, **options)

        job = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            stop.set()
            try:
                await asyncio.wait({job})  # the worker stops at its next progress update
            finally:
                if job.done() and not job.cancelled():
                    job.exception()  # seen: _progress.Cancelled is the expected end
            raise

    def load_into(self, path: str | os.PathLike, *, progress: bool | None = None) -> "EventLog":
        """Append everything in ``path`` to this log (see ``load``). All or nothing: if the
        load fails or is interrupted half way, the log is left exactly as it was."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no event log at {path}")
        sink = _Loader(self)
        mark = self._store.mark()
        requests = len(self._requests)
        try:
            if path.is_dir() or path.suffix.lower() == ".parquet":
                storage.read_parquet(path, sink, progress=progress)
            else:
                storage.read_jsonl(path, sink, progress=progress)
        except BaseException:
            grown = self._store.appended - (mark[0] + mark[1])
            self._store.rollback(mark)
            del self._requests[requests:]
            self._version += max(grown, 0) + 1  # version never goes back
            raise
        self._version += 1
        if self.max_events is not None and len(self._store) > self.max_events:
            self._spill(keep=self.max_events)
        return self

    def _jsonl_lines(self, progress: bool | None = None):
        if self._spilled:
            yield from self._spilled_log(progress)._jsonl_lines()
        line = storage.event_line
        store = self._store
        recv = store.received_np().tolist()
        reqs = sorted(self._requests, key=lambda r: (r.get("time") or 0))
        j = 0
        for raw, r in zip(store.raw, recv):
            while j < len(reqs) and (reqs[j].get("time") or 0) <= r:
                yield storage.request_line(reqs[j])
                j += 1
            yield line(raw, r)
        for rec in reqs[j:]:
            yield storage.request_line(rec)

    # ------------------------------------------------------------------ spilling
    def _mark_spill_start(self) -> None:
        path = self._spill_path
        if path is None:
            return
        if path.suffix.lower() == ".parquet":
            existing = list(storage.spill_parts(path, 0))
            self._spill_parts = self._spill_start = (int(existing[-1].stem.split("-")[1]) + 1) if existing else 0
        else:
            self._spill_start = path.stat().st_size if path.exists() else 0

    def _spill(self, keep: int | None = None) -> None:
        """Move the oldest events to disk, leaving ``keep`` (default 3/4 of ``max_events``)."""
        assert self.max_events is not None
        if keep is None:
            keep = self.max_events - max(1, self.max_events // 4)
        k = len(self._store) - keep
        if k <= 0:
            return
        path = self.spill_path
        assert path is not None
        writer = self._writer
        if writer is None:
            writer = self._writer = SpillWriter(self._write_batch, str(path))
        elif writer.failed:
            return  # the disk failed: keep events in memory rather than lose them (see flush)
        first_seq = self._spilled
        part = None
        if path.suffix.lower() == ".parquet":
            part = path / f"spill-{self._spill_parts:06d}.parquet"
            self._spill_parts += 1
        raw, recv = self._store.take_oldest(k)
        # only the hand-over happens here; the writer thread formats and writes (see spill)
        writer.submit((path, part, raw, recv, first_seq))
        self._spilled += k
        self._cache.clear()
        self._version += 1

    @staticmethod
    def _write_batch(batch: tuple) -> None:
        """On the writer thread: one batch of spilled events to the JSONL file or a Parquet part."""
        path, part, raw, recv, first_seq = batch
        if part is not None:
            store = EventStore()
            for text, r in zip(raw, recv.tolist()):
                store.append(orjson.loads(text), r, text)
            path.mkdir(parents=True, exist_ok=True)
            storage.write_parquet(part, build_frame(store, first_seq), [], progress=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            storage.write_jsonl(path, (storage.event_line(t, r) for t, r in zip(raw, recv.tolist())),
                                append=True, progress=False)

    def _spilled_log(self, progress: bool | None = None) -> "EventLog":
        """The spilled events, read back into a free-standing log."""
        out = EventLog()
        path = self._spill_path
        if path is None or not self._spilled:
            return out
        self.flush()  # the batches still being written belong to the file's end
        sink = _Loader(out)
        if path.suffix.lower() == ".parquet":
            for part in storage.spill_parts(path, self._spill_start):
                storage.read_parquet(part, sink, progress=progress, desc="Reading spilled events")
        else:
            storage.read_jsonl(path, sink, start=self._spill_start, progress=progress,
                               desc="Reading spilled events")
        if len(out) != self._spilled:
            raise RuntimeError(f"spill file {path} holds {len(out)} events of this log, "
                               f"expected {self._spilled}: was it modified?")
        return out

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        state = " paused" if self._paused else ""
        spilled = f", {self._spilled} spilled" if self._spilled else ""
        attached = " attached" if self._client is not None else ""
        return f"<EventLog {len(self)} events{spilled}, {len(self._requests)} requests{attached}{state}>"

    def _repr_html_(self) -> str:
        counts = sorted(self.counts().items(), key=lambda kv: -kv[1])[:8]
        items = ", ".join(f"{t} {n}" for t, n in counts)
        return (f"<b>EventLog</b>: {len(self)} events"
                + (f" (+{self._spilled} spilled)" if self._spilled else "")
                + f", {len(self._requests)} requests" + (f"<br><small>{items}</small>" if items else ""))
