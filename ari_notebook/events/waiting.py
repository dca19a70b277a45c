"""Events for linear scripts: ``async for ev in client.events(...)`` and ``await client.wait_for(...)``.

Both register on the ``Dispatcher`` the moment they are created (subscribe before you act, so
an event caused by the next line is never missed) and end when the client closes. Their own
module because callback-style apps never use them; the dispatcher loads it on first use.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Callable, Iterable, Protocol

from .._errors import AriError, AriTimeout, PlaybackFailed, RecordingFailed


class Registry(Protocol):
    """What streams and waiters register on: the ``Dispatcher`` (which loads this module)."""

    def on(self, event_type: str, callback: Callable[[dict], Any], *, key: Any = None,
           name: str | None = None, unique: bool = False) -> Any: ...

    def hold(self, item: Any) -> None: ...


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

    def __init__(self, dispatcher: Registry, types, predicate) -> None:
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
        dispatcher.hold(self)

    def close(self) -> None:
        self.end("the stream was closed")

    def end(self, reason: str) -> None:
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


#: for an awaited event type, the event Asterisk sends instead when that outcome cannot come
_FAILS_INSTEAD = {"RecordingFinished": "RecordingFailed"}


class Waiter:
    """The next event of a type (and matching ``predicate``); await it. Registered at creation.

    Waiting for ``RecordingFinished`` raises ``RecordingFailed`` at once when a matching
    ``RecordingFailed`` arrives: that recording will never finish, so waiting on would only
    end in a timeout that hides Asterisk's reason.
    """

    def __init__(self, dispatcher: Registry, event_type, predicate, timeout) -> None:
        self._types = _type_set(event_type)
        self._timeout = timeout
        self._label = "/".join(sorted(self._types)) if self._types else "any event"
        self._future: asyncio.Future = asyncio.get_running_loop().create_future()
        future, types = self._future, self._types
        failures = {_FAILS_INSTEAD[t] for t in types or () if t in _FAILS_INSTEAD} - (types or set())

        def check(event: dict) -> None:
            if future.done():
                return
            if types is not None and event.get("type") not in types:
                if event.get("type") in failures and _matches(predicate, event):
                    future.set_exception(media_failure(event))
                    future.add_done_callback(_retrieved)
                    handle.remove()
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
        dispatcher.hold(self)

    def end(self, reason: str) -> None:
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


def _matches(predicate, event: dict) -> bool:
    """``predicate`` on an event of another type than the one awaited: not raising counts."""
    if predicate is None:
        return True
    try:
        return bool(predicate(event))
    except Exception:  # written for the awaited type; a different shape is simply no match
        return False


def _retrieved(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # no "exception never retrieved" noise when nobody awaits


def media_failure(event: dict) -> AriError:
    """The error for a PlaybackFinished with state failed, or a RecordingFailed event."""
    if event.get("type") == "RecordingFailed":
        rec = event.get("recording") or {}
        cause = rec.get("cause") or "no cause given"
        return RecordingFailed(f"recording {rec.get('name')!r} on {rec.get('target_uri')} failed: {cause}",
                               event, cause)
    pb = event.get("playback") or {}
    return PlaybackFailed(f"playback {pb.get('id')} of {pb.get('media_uri')} on {pb.get('target_uri')} "
                          f"failed (Asterisk: PlaybackFinished, state 'failed'; it gives no further reason: "
                          f"a missing sound file, or the channel or bridge went away)", event)


class MediaOutcome:
    """How one playback or recording ends: the event that ended it, or ``MediaFailed`` at once.

    Registered *before* the request that starts the media is sent (by the client, for ``play``
    and ``record``), because Asterisk may report the end before its answer to that request is
    read: a missing sound file fails within a millisecond. Until the id is known (``bind``),
    ending events are kept; then the one for this id decides. A playback is matched by id, a
    recording by name (the only key its events carry).
    """

    _KINDS = {
        "playback": (("PlaybackFinished",), "playback", "id"),
        "recording": (("RecordingFinished", "RecordingFailed"), "recording", "name"),
    }

    def __init__(self, dispatcher: Registry, kind: str, key: str | None = None) -> None:
        types, self._field, self._key_field = self._KINDS[kind]
        self._kind = kind
        self._key: str | None = None
        self._early: list[dict] = []  # ending events seen before the key was known
        self._future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._handles = [dispatcher.on(t, self._seen, unique=True, name=f"{kind}.wait") for t in types]
        dispatcher.hold(self)
        if key is not None:
            self.bind(key)

    def bind(self, key: str) -> None:
        """The id (playback) or name (recording) is known now: decide from what already came."""
        self._key = key
        early, self._early = self._early, []
        for event in early:
            self._seen(event)

    def _seen(self, event: dict) -> None:
        if self._future.done():
            return
        if self._key is None:
            self._early.append(event)
            return
        if (event.get(self._field) or {}).get(self._key_field) != self._key:
            return
        failed = event.get("type") == "RecordingFailed" or \
            (event.get("type") == "PlaybackFinished" and (event.get("playback") or {}).get("state") == "failed")
        if failed:
            self._future.set_exception(media_failure(event))
            self._future.add_done_callback(_retrieved)
        else:
            self._future.set_result(event)
        self.remove()

    def remove(self) -> None:
        """Stop listening (the outcome is known, the client closed, or nobody holds the object)."""
        for handle in self._handles:
            handle.remove()
        self._early = []

    def end(self, reason: str) -> None:
        self.remove()
        if not self._future.done():
            self._future.set_exception(AriError(f"gave up waiting for the {self._kind} {self._key}: {reason}"))
            self._future.add_done_callback(_retrieved)

    def done(self) -> bool:
        return self._future.done()

    async def wait(self, timeout: float | None = None) -> dict:
        """The ending event (PlaybackFinished / RecordingFinished); MediaFailed if Asterisk says it failed."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._future), timeout)
        except asyncio.TimeoutError:
            raise AriTimeout(f"the {self._kind} {self._key} did not end within {timeout} s") from None


__all__ = ["EventStream", "MediaOutcome", "Waiter", "media_failure"]
