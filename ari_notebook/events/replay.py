"""Replay: feed recorded events back through the live dispatch path at a chosen speed.

Why through ``dispatch``: handlers, waiters and widgets then behave exactly as they did live,
so a trainer can rerun a session and an analyst can test a handler on yesterday's traffic.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .._errors import ConfigurationError
from ..progress import progress_bar
from .columnar import EventStore

if TYPE_CHECKING:  # annotations only: the log is the module that loads this one
    from .log import EventLog


def _dispatcher(target: Any) -> Callable[[dict, float], Any]:
    """``target.dispatch`` as a two-argument callable (it may take the receive time or not)."""
    fn = getattr(target, "dispatch", None)
    if not callable(fn):
        raise ConfigurationError(f"cannot replay into {type(target).__name__}: it has no dispatch(event) method")
    try:
        params = inspect.signature(fn).parameters.values()
        takes_two = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 2 or any(
            p.kind is p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        takes_two = True
    return fn if takes_two else (lambda event, received_at: fn(event))


async def replay(log: "EventLog", store: EventStore, *, speed: float | None = 10.0, into: Any = None,
                 start: int = 0, stop: int | None = None, progress: bool | None = None) -> int:
    """Dispatch events ``start:stop`` of ``log`` (its ``store``) in arrival order into ``into``; returns how many.

    Gaps between events follow their receive times (Asterisk's timestamps when a file had
    none) divided by ``speed``; ``speed=None`` (or ``0``/``inf``) sends them back to back,
    yielding to the loop between events. Each event goes to ``into.dispatch(event,
    received_at)`` with the time it is replayed at (or ``into.dispatch(event)`` when that is all
    it takes); a coroutine result is awaited. ``into`` defaults to the log's own client; events
    replayed into the client this log is attached to are recorded again, as the live events
    they now are. The events to replay are fixed when the call starts.

    ``progress``: a bar of events sent (see ``ari_notebook.progress``). Cancelling the task
    stops the replay between two events; the target (a client and its reader) runs on.
    """
    target = into if into is not None else log.client
    if target is None:
        raise ConfigurationError("nothing to replay into: pass into=<client or anything with dispatch()> "
                                 "(this log is not attached to a client)")
    if speed is not None and (speed != speed or speed < 0):
        raise ValueError(f"speed must be a positive number or None, got {speed!r}")
    fast = speed is None or speed == 0 or speed == float("inf")
    send = _dispatcher(target)
    n = len(store)
    stop = n if stop is None else min(stop, n)
    raws = store.raw[start:stop]
    offsets = _offsets(log, store, start, stop)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    sent = 0
    shown = 0
    import orjson

    with progress_bar(len(raws), desc="Replaying events", unit="ev", progress=progress) as bar:
        for i, raw in enumerate(raws):
            if fast:
                if i and i % 256 == 0:
                    bar.update(sent - shown)
                    shown = sent
                    await asyncio.sleep(0)
            else:
                delay = t0 + offsets[i] / speed - loop.time()
                if delay > 0:
                    bar.update(sent - shown)
                    shown = sent
                    await asyncio.sleep(delay)
            result = send(orjson.loads(raw), time.time())
            if inspect.isawaitable(result):
                await result
            sent += 1
        bar.update(sent - shown)
    return sent


def _offsets(log: "EventLog", store: EventStore, start: int, stop: int) -> np.ndarray:
    """Seconds from the first replayed event, by receive time (else Asterisk time), never backwards."""
    recv = store.received_np()[start:stop].copy()
    if len(recv) == 0:
        return recv
    if np.isnan(recv).any():
        df = log.df.iloc[start:stop]
        ts = df["time"].astype("int64").to_numpy() / 1e6
        ts = np.where(df["time"].isna().to_numpy(), np.nan, ts)
        recv = np.where(np.isnan(recv), ts, recv)
    recv = np.where(np.isnan(recv), -np.inf, recv)
    recv = np.maximum.accumulate(recv)  # arrival order is the replay order: time never goes back
    first = recv[np.isfinite(recv)][0] if np.isfinite(recv).any() else 0.0
    return np.where(np.isfinite(recv), recv - first, 0.0)
