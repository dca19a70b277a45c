"""A steady event load for soak tests and classrooms (``sim.faults.generate``): ChannelUserevent
events published at a fixed rate to one app, counted so a client's log can be compared."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any, Callable

from ...progress import progress_bar

log = logging.getLogger("ari_notebook.sim")


class EventGenerator:
    """A steady stream of ``ChannelUserevent`` events to one app; ``sent`` counts deliveries."""

    def __init__(self, asterisk: Callable[[], Any], rate: float, seconds: float | None, app: str,
                 eventname: str) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 events/s, got {rate!r}")
        self.asterisk = asterisk  # a function: a restart without state swaps the Asterisk
        self.rate = float(rate)
        self.seconds = seconds
        self.app = app
        self.eventname = eventname
        self.sent = 0       # events delivered to the app's socket queue
        self.skipped = 0    # ticks' events due while the app had no socket (not counted as sent)
        self.started_at = time.monotonic()
        self.error: BaseException | None = None
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"ari-sim-generate[{app}]")
        self.task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.error = task.exception()
            log.error("event generator for app %r stopped: %r", self.app, self.error)

    async def _run(self) -> None:
        due_total = 0
        tick = 0.005
        seq = itertools.count(1)
        while True:
            elapsed = time.monotonic() - self.started_at
            if self.seconds is not None and elapsed >= self.seconds:
                elapsed = self.seconds
            due = int(elapsed * self.rate) - due_total
            for _ in range(due):
                ast = self.asterisk()
                n = next(seq)
                got = ast.publish("ChannelUserevent", {"eventname": self.eventname, "userevent": {"seq": n}},
                                  apps=[self.app])
                if got:
                    self.sent += 1
                else:
                    self.skipped += 1
            due_total += max(due, 0)
            if self.seconds is not None and elapsed >= self.seconds:
                return
            await asyncio.sleep(tick)

    @property
    def done(self) -> bool:
        return self.task.done()

    async def wait(self, *, progress: bool | None = None) -> int:
        """Wait until the generator ends; returns ``sent``. Shows a bar of the events due
        (``progress``: see ``ari_notebook.progress``). Cancelling the wait leaves the generator
        running (``stop()`` ends it)."""
        total = int(self.rate * self.seconds) if self.seconds is not None else None
        with progress_bar(total, desc=f"Generating events for {self.app!r}", unit="ev", progress=progress) as bar:
            while not self.task.done():
                await asyncio.wait({self.task}, timeout=0.1)
                bar.update(self.sent + self.skipped - bar.n)
        await asyncio.shield(self.task)
        return self.sent

    def stop(self) -> None:
        self.task.cancel()

    def as_dict(self) -> dict:
        return {"app": self.app, "rate": self.rate, "seconds": self.seconds, "sent": self.sent,
                "skipped": self.skipped, "done": self.done, "error": None if self.error is None else repr(self.error)}


__all__ = ["EventGenerator"]
