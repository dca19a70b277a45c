"""Writing a bounded log's spill batches off the event loop, in order, losing nothing.

Why a thread: a bounded ``EventLog`` rolls a quarter of ``max_events`` to disk at a time, and
writing (JSONL) or building and writing a Parquet part takes tens of milliseconds, which the
listener would otherwise spend inside the client's message loop. Here one worker thread per
log takes batches from a FIFO queue, so the file keeps arrival order; the listener only hands
the batch over.

Every batch stays referenced until it is on disk, so readers either ``flush()`` (wait for the
queue) or read what is still pending. After a failed write the writer refuses the later
batches (writing them would leave a hole in the file), keeps every unwritten batch in
``unwritten()`` and raises ``SpillError`` from ``flush``/``close``: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from .._errors import AriError

log = logging.getLogger("ari_notebook.events")

#: name prefix of the writer threads (visible in thread dumps and tests)
THREAD_PREFIX = "ari-eventlog-spill"


class SpillError(AriError, OSError):
    """Writing a bounded EventLog's spill to disk failed; the unwritten events are kept in memory."""


class SpillWriter:
    """Runs ``write(batch)`` for each submitted batch on one background thread, in order."""

    def __init__(self, write: Callable[[Any], None], describe: str) -> None:
        self._write = write
        self._describe = describe  # e.g. the spill path, for error messages
        self._executor: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future, Any]] = deque()
        self._lock = threading.Lock()
        self.error: BaseException | None = None  #: the first failed write, if any
        self.written = 0  #: batches on disk

    def submit(self, batch: Any) -> None:
        """Queue ``batch`` for writing (returns at once)."""
        self._reap()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_PREFIX)
        future = self._executor.submit(self._run, batch)
        self._pending.append((future, batch))

    def _run(self, batch: Any) -> None:
        with self._lock:
            if self.error is not None:
                raise SpillError(f"not written to {self._describe}: an earlier spill write failed")
        try:
            self._write(batch)
        except BaseException as exc:
            with self._lock:
                self.error = exc
            log.error("writing an EventLog spill batch to %s failed: %s; the unwritten events "
                      "stay in memory", self._describe, exc)
            raise
        with self._lock:
            self.written += 1

    def _reap(self) -> None:
        """Forget batches already on disk (oldest first; a failed one stays)."""
        pending = self._pending
        while pending and pending[0][0].done() and pending[0][0].exception() is None:
            pending.popleft()

    @property
    def in_flight(self) -> int:
        """Batches handed over and not yet confirmed on disk."""
        self._reap()
        return len(self._pending)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def wait(self) -> None:
        """Block until every queued batch is written or refused (never raises)."""
        for future, _ in list(self._pending):
            try:
                future.result()
            except BaseException:  # noqa: BLE001 - kept in self.error, raised by flush()
                pass
        self._reap()

    def flush(self) -> None:
        """Block until every queued batch is on disk; ``SpillError`` if any write failed."""
        self.wait()
        if self.error is not None:
            raise SpillError(f"writing the EventLog spill to {self._describe} failed: {self.error}; "
                             f"{len(self._pending)} batch(es) are not on disk and are kept in "
                             "memory (see unwritten())") from self.error

    def unwritten(self) -> list[Any]:
        """Batches that are not on disk (after a failure: the failed one and those after it)."""
        self._reap()
        return [batch for _, batch in self._pending]

    def close(self) -> None:
        """Finish the queued writes and end the thread; ``SpillError`` if a write failed."""
        try:
            self.flush()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None


__all__ = ["SpillError", "SpillWriter", "THREAD_PREFIX"]
