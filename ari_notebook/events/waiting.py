"""Events for linear scripts: ``async for ev in client.events(...)`` and ``await client.wait_for(...)``.

Both register on the ``Dispatcher`` the moment they are created (subscribe before you act, so
an event caused by the next line is never missed) and end when the client closes. Their own
module because callback-style apps never use them; the dispatcher loads it on first use.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Iterable

from .._errors import AriError, AriTimeout

if TYPE_CHECKING:  # pragma: no cover
    from .dispatch import Dispatcher

_END = object()  # queued into an EventStream when it ends


def _type_set(types: str | Iterable[str] | None) -> frozenset[str] | None:
    if types is None or types == "*":
        return None
    if isinstance(types, str):
        return frozenset([types])
    return frozenset(types)


class EventStream:
    """``async for ev in dispatcher.events(types=...)``; also ``async with`` to unregister early.

    Nothing is dropped: events queue until read. Breaking out of the loop and dropping the
    stream unregisters it; ``close()`` does it at once.
    """

    def __init__(self, dispatcher: Dispatcher, types, predicate) -> None:
        self._queue: asyncio.Queue = asyncio.Queue()
        wanted = _type_set(types)
        queue = self._queue

        def push(event: dict) -> None:
            if wanted is not None and event.get("type") not in wanted:
                return
            if predicate is not None and not predicate(event):
                return
            queue.put_nowait(event)

        # A key of its own: the default key (the nested function's qualname) is the same for
        # every stream, so a second stream would silently replace the first.
        self._handle = dispatcher.on("*", push, key=("events", id(self)),
                                     name=f"events({sorted(wanted) if wanted else '*'})")
        self._finalizer = weakref.finalize(self, self._handle.remove)
        self._ended: str | None = None
        dispatcher._open.add(self)

    def close(self) -> None:
        self._end("the stream was closed")

    def _end(self, reason: str) -> None:
        self._finalizer()
        if self._ended is None:
            self._ended = reason
            self._queue.put_nowait(_END)  # wakes a reader waiting on an empty queue

    def __aiter__(self) -> "EventStream":
        return self

    async def __anext__(self) -> dict:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # every later call ends too
            raise StopAsyncIteration
        return item

    async def get(self, timeout: float | None = None) -> dict:
        """The next event; AriTimeout after ``timeout`` seconds; AriError once the stream ended."""
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            raise AriTimeout(f"no event within {timeout} s") from None
        if item is _END:
            self._queue.put_nowait(_END)
            raise AriError(f"event stream ended: {self._ended}")
        return item

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> "EventStream":
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    def pending(self) -> int:
        """Events received and not read yet."""
        return self._queue.qsize() - (1 if self._ended is not None and self._queue.qsize() else 0)


class Waiter:
    """The next event of a type (and matching ``predicate``); await it. Registered at creation."""

    def __init__(self, dispatcher: Dispatcher, event_type, predicate, timeout) -> None:
        self._types = _type_set(event_type)
        self._timeout = timeout
        self._label = "/".join(sorted(self._types)) if self._types else "any event"
        self._future: asyncio.Future = asyncio.get_running_loop().create_future()
        future, types = self._future, self._types

        def check(event: dict) -> None:
            if future.done():
                return
            if types is not None and event.get("type") not in types:
                return
            if predicate is not None:
                try:
                    ok = predicate(event)
                except Exception as exc:
                    future.set_exception(exc)
                    handle.remove()
                    return
                if not ok:
                    return
            future.set_result(event)
            handle.remove()

        # A key of its own (not the qualname default), so concurrent waiters never replace each other.
        handle = dispatcher.on("*", check, key=("wait_for", id(self)), name=f"wait_for({self._label})")
        self._handle = handle
        self._finalizer = weakref.finalize(self, handle.remove)
        dispatcher._open.add(self)

    def _end(self, reason: str) -> None:
        self._handle.remove()
        if not self._future.done():
            self._future.set_exception(AriError(f"gave up waiting for {self._label}: {reason}"))
            self._future.add_done_callback(lambda f: f.exception())  # no "never retrieved" noise

    def cancel(self) -> None:
        self._handle.remove()
        self._future.cancel()

    def done(self) -> bool:
        return self._future.done()

    async def _wait(self) -> dict:
        try:
            return await asyncio.wait_for(asyncio.shield(self._future), self._timeout)
        except asyncio.TimeoutError:
            self._handle.remove()
            raise AriTimeout(f"no {self._label} event within {self._timeout} s") from None
        except asyncio.CancelledError:
            self._handle.remove()
            raise

    def __await__(self):
        return self._wait().__await__()

    def __repr__(self) -> str:
        return f"<Waiter {self._label} {'done' if self._future.done() else 'pending'}>"


__all__ = ["EventStream", "Waiter"]
