"""The event handler registry: who gets which event, without ever letting one callback stop others.

Why a registry of its own: a notebook re-runs cells, so registrations are *keyed*. Registering
again under the same key replaces the old callback instead of stacking a duplicate. When no
``key=`` is given, a named function gets a key from its module and qualified name (plus the
object for a bound method), so re-running ``def on_start(...)`` + ``client.on_event(...)``
replaces; lambdas and other callables stack unless given a key. Every registration returns
a ``Handle`` whose ``remove()`` undoes it.

Callbacks may be plain functions or ``async def``; a coroutine result is scheduled as a task on
the running loop. A failing callback is logged on ``ari_notebook.events`` and recorded in
``Dispatcher.errors`` (newest last, bounded) for widgets to show; the remaining callbacks and
the reader go on.

Raw *listeners* (``add_listener``) see every event first, in arrival order, synchronously, with
its receive time: the EventLog uses that tap. A listener added with ``raw=True`` also gets the
event's JSON text: the WebSocket message as received when the client has it (so a log keeps
it without encoding the event again), else the event encoded once per dispatch (replay, the
synthetic gap marker, events made in Python).
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .. import _json
from .._record import Record

if TYPE_CHECKING:  # pragma: no cover
    from .waiting import EventStream, Waiter

log = logging.getLogger("ari_notebook.events")
_iscoroutine = asyncio.iscoroutine

#: how many handler failures ``Dispatcher.errors`` keeps
MAX_ERRORS = 500


class HandlerFailure(Record):
    """One callback that raised: when, for which event, which callback, and the traceback."""

    __slots__ = ("time", "event_type", "callback", "error", "traceback")

    def __init__(self, time: float, event_type: str, callback: str, error: BaseException,
                 traceback: str = "") -> None:
        self.time = time
        self.event_type = event_type
        self.callback = callback
        self.error = error
        self.traceback = traceback

    def __repr__(self) -> str:  # the traceback is long: str(failure.traceback) shows it
        return (f"HandlerFailure(time={self.time!r}, event_type={self.event_type!r}, "
                f"callback={self.callback!r}, error={self.error!r})")

    def __str__(self) -> str:
        return f"{self.callback} failed on {self.event_type}: {type(self.error).__name__}: {self.error}"


class Handle:
    """A registration; ``remove()`` undoes it (safe to call twice)."""

    __slots__ = ("_dispatcher", "_entry", "__weakref__")

    def __init__(self, dispatcher: "Dispatcher", entry: "_Entry") -> None:
        self._dispatcher = dispatcher
        self._entry = entry

    @property
    def active(self) -> bool:
        return self._entry.active

    @property
    def key(self) -> Any:
        return self._entry.key

    def remove(self) -> None:
        self._dispatcher._remove(self._entry)

    def __repr__(self) -> str:
        state = "active" if self._entry.active else "removed"
        return f"<Handle {self._entry.event_type!r} {self._entry.name} {state}>"


class _Entry:
    __slots__ = ("event_type", "callback", "key", "name", "active", "raw")

    def __init__(self, event_type: str, callback: Callable, key: Any, name: str, raw: bool = False) -> None:
        self.event_type = event_type
        self.callback = callback
        self.key = key
        self.name = name
        self.active = True
        self.raw = raw  # a listener that also takes the event's JSON text


def _encode(event: dict) -> str:
    """An event's JSON text, for raw listeners when no received text exists."""
    try:
        return _json.dumps(event)
    except (TypeError, ValueError):  # not JSON-serialisable (only for events made in Python)
        return _json.dumps(event, default_repr=True)


def callback_name(cb: Any) -> str:
    name = getattr(cb, "__qualname__", None) or getattr(cb, "__name__", None)
    return name or type(cb).__name__


def default_key(cb: Any) -> Any:
    """A stable key for a named function so a re-run notebook cell replaces its handler.

    ``None`` (meaning: never replace) for lambdas, partials and other callables.
    """
    func = getattr(cb, "__func__", cb)  # bound method -> function
    qualname = getattr(func, "__qualname__", None)
    module = getattr(func, "__module__", None)
    if not qualname or qualname.endswith("<lambda>") or not hasattr(func, "__code__"):
        return None
    owner = getattr(cb, "__self__", None)
    return (module, qualname, id(owner) if owner is not None else None)


class Dispatcher:
    """Routes event dicts to listeners then handlers by ``type`` (and ``'*'`` for all)."""

    def __init__(self) -> None:
        self._listeners: list[_Entry] = []
        self._by_type: dict[str, list[_Entry]] = {}
        self._star: list[_Entry] = []
        self._keys: dict[Any, _Entry] = {}
        self._tasks: set[asyncio.Task] = set()
        self._open: weakref.WeakSet = weakref.WeakSet()  # live EventStreams and Waiters
        self.errors: deque[HandlerFailure] = deque(maxlen=MAX_ERRORS)
        self.error_count = 0
        #: called with each HandlerFailure (widgets may set this to refresh a view)
        self.on_error: Callable[[HandlerFailure], None] | None = None

    # ------------------------------------------------------------------ registration
    def on(self, event_type: str, callback: Callable[[dict], Any], *, key: Any = None,
           scope: Any = "event", name: str | None = None, unique: bool = False) -> Handle:
        """Call ``callback(event)`` for every event of ``event_type`` (``'*'``: every event).

        ``key`` identifies the registration within ``scope``: registering the same key again
        replaces the previous callback. Defaults to ``default_key(callback)``; ``unique=True``
        means this registration never replaces and is never replaced (internal wrappers).
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        if not isinstance(event_type, str) or not event_type:
            raise TypeError("event_type must be a non-empty string (or '*')")
        if unique:
            key = None
        elif key is None:
            key = default_key(callback)
        full_key = None if key is None else (scope, event_type, key)
        entry = _Entry(event_type, callback, full_key, name or callback_name(callback))
        old = self._keys.get(full_key) if full_key is not None else None
        target = self._star if event_type == "*" else self._by_type.setdefault(event_type, [])
        if old is not None and old.active:
            # replace in place so the handler keeps its position in the call order
            old.active = False
            old_list = self._star if old.event_type == "*" else self._by_type.get(old.event_type, [])
            idx = old_list.index(old)
            new_list = list(old_list)
            new_list[idx] = entry
            self._set_list(old.event_type, new_list)
        else:
            self._set_list(event_type, target + [entry])  # copy-on-write: dispatch never sees a mutation
        if full_key is not None:
            self._keys[full_key] = entry
        return Handle(self, entry)

    def add_listener(self, fn: Callable[..., Any], *, raw: bool = False) -> Handle:
        """``fn(event, received_at)`` for EVERY event, first, synchronously, in arrival order.

        ``raw=True``: ``fn(event, received_at, text)`` with the event's JSON text (see the
        module docstring); listeners of both kinds are called in the order they were added.
        """
        if not callable(fn):
            raise TypeError("listener must be callable")
        entry = _Entry("<listener>", fn, None, callback_name(fn), bool(raw))
        self._listeners = self._listeners + [entry]
        return Handle(self, entry)

    def _set_list(self, event_type: str, entries: list[_Entry]) -> None:
        if event_type == "*":
            self._star = entries
        elif entries:
            self._by_type[event_type] = entries
        else:
            self._by_type.pop(event_type, None)

    def _remove(self, entry: _Entry) -> None:
        if not entry.active:
            return
        entry.active = False
        if entry.event_type == "<listener>":
            self._listeners = [e for e in self._listeners if e is not entry]
            return
        current = self._star if entry.event_type == "*" else self._by_type.get(entry.event_type, [])
        self._set_list(entry.event_type, [e for e in current if e is not entry])
        if entry.key is not None and self._keys.get(entry.key) is entry:
            del self._keys[entry.key]

    def clear(self) -> None:
        """Remove every handler (listeners stay: they belong to logs and views)."""
        for entry in [*self._star, *(e for lst in self._by_type.values() for e in lst)]:
            entry.active = False
        self._star = []
        self._by_type = {}
        self._keys = {}

    def handlers(self) -> list[tuple[str, str]]:
        """(event type, callback name) of every active handler, for display."""
        out = [("*", e.name) for e in self._star]
        for t, entries in sorted(self._by_type.items()):
            out += [(t, e.name) for e in entries]
        return out

    # ------------------------------------------------------------------ dispatch
    def dispatch(self, event: dict, received_at: float | None = None, raw: str | None = None) -> None:
        """Run ``event`` through listeners, then ``type`` handlers, then ``'*'`` handlers.

        ``raw``: the event's JSON text as received, handed to ``raw=True`` listeners (encoded
        from ``event`` here, once, when not given and such a listener exists).
        """
        # the hot path of the message loop: calls inlined, lists read once (copy-on-write)
        if self._listeners:
            if received_at is None:
                received_at = time.time()
            for entry in self._listeners:
                try:
                    if entry.raw:
                        if raw is None:
                            raw = _encode(event)
                        entry.callback(event, received_at, raw)
                    else:
                        entry.callback(event, received_at)
                except Exception as exc:  # a broken view must not stop the stream
                    self._failed(entry, event, exc)
        for handlers in (self._by_type.get(event.get("type")), self._star):  # typed first, then '*'
            if not handlers:
                continue
            for entry in handlers:
                try:
                    result = entry.callback(event)
                except Exception as exc:
                    self._failed(entry, event, exc)
                    continue
                if result is not None and _iscoroutine(result):
                    self._spawn(entry, event, result)

    def _spawn(self, entry: _Entry, event: dict, coro) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError as exc:  # no running loop (replay from sync code): record it, never drop it
            coro.close()
            self._failed(entry, event, RuntimeError(f"async handler needs a running event loop: {exc}"))
            return
        self._tasks.add(task)
        task.add_done_callback(lambda t, e=entry, ev=event: self._task_done(t, e, ev))

    def _task_done(self, task: asyncio.Task, entry: _Entry, event: dict) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._failed(entry, event, exc)

    def _failed(self, entry: _Entry, event: dict, exc: BaseException) -> None:
        etype = event.get("type", "?") if isinstance(event, dict) else "?"
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        failure = HandlerFailure(time.time(), etype, entry.name, exc, tb)
        self.errors.append(failure)
        self.error_count += 1
        log.error("event handler %s failed on %s: %s", entry.name, etype, exc, exc_info=exc)
        hook = self.on_error
        if hook is not None:
            try:
                hook(failure)
            except Exception:  # the hook is a view; it must not recurse into failures
                log.exception("on_error hook failed")

    def track(self, task: asyncio.Task) -> None:
        """Hold a task of the client's own (e.g. setting app state again after a reconnect) like
        an async handler: kept alive while it runs, cancelled by ``cancel_tasks`` on close."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for async handlers already started (tests and orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_tasks(self) -> None:
        """Cancel async handlers still running (on close), and wait until they are gone."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def hold(self, item: Any) -> None:
        """Keep ``item`` (an event stream, a waiter, a media outcome) until it goes away, and call
        its ``end(reason)`` on ``close_streams``."""
        self._open.add(item)

    def close_streams(self, reason: str) -> None:
        """End every open ``events()`` iterator and fail every pending ``wait_for`` (on close),
        so a linear script stops instead of waiting forever for events that cannot come."""
        for item in list(self._open):
            item.end(reason)

    # ------------------------------------------------------------------ linear scripts
    # (EventStream and Waiter live in waiting.py, loaded by the first script that asks)
    def events(self, types: str | Iterable[str] | None = None,
               predicate: Callable[[dict], bool] | None = None) -> "EventStream":
        """An async iterator of events, registered NOW so nothing after this call is missed."""
        from .waiting import EventStream

        return EventStream(self, types, predicate)

    def wait_for(self, event_type: str | Iterable[str] = "*",
                 predicate: Callable[[dict], bool] | None = None,
                 timeout: float | None = None) -> "Waiter":
        """An awaitable for the next matching event, registered NOW (subscribe before you act)."""
        from .waiting import Waiter

        return Waiter(self, event_type, predicate, timeout)


__all__ = ["Dispatcher", "Handle", "HandlerFailure", "callback_name", "default_key"]
