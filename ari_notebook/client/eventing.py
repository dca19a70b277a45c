"""The events half of ``Client``: handlers, typed handlers, the reader's lifecycle, reconnect state.

Why a mixin: ``Client`` is one object for the user, but the event side (registrations, the
background reader, what to set again after a reconnect) is its own concern and reads better
on its own. It relies on the attributes ``Client.__init__`` sets (``_dispatcher``, ``_http``,
``_server``, ``_credentials``, ``spec``...).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import unquote

from .._errors import AriError, ValidationError
from ..events.dispatch import Dispatcher, Handle, default_key
from ..spec import PreparedRequest, Spec
from .objects import AriObject, Bridge, Channel, Endpoint, LiveRecording, Playback
from .stream import EventSocket

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

log = logging.getLogger("ari_notebook.client")

#: operations whose effect lives in Asterisk's app registration, set again after a reconnect
APP_STATE_OPS = frozenset({"applications.subscribe", "applications.unsubscribe", "applications.filter"})


class _Run:
    """``client.run(apps=...)``: awaitable; blocks until ``stop()`` like aioari's ``run``."""

    def __init__(self, client: "Client", apps: Any, subscribe_all: bool) -> None:
        self.client = client
        self.apps = apps
        self.subscribe_all = subscribe_all

    async def _main(self) -> None:
        await self.client.start(apps=self.apps, subscribe_all=self.subscribe_all)
        task = self.client._events.task if self.client._events else None
        if task is not None:
            await asyncio.wait([task])  # ends when stop()/close() ends the reader
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()

    def __await__(self):
        return self._main().__await__()


class _Started:
    """What ``client.start()`` returns: ignore it, or ``await`` it to wait until connected."""

    def __init__(self, future: asyncio.Future) -> None:
        self.future = future

    def __await__(self):
        return asyncio.shield(self.future).__await__()

    def done(self) -> bool:
        return self.future.done()

    def __repr__(self) -> str:
        fut = self.future
        if not fut.done():
            return "<events reader starting>"
        if fut.cancelled():
            return "<events reader stopped>"
        return "<events reader failed>" if fut.exception() is not None else "<events reader connected>"


class EventsMixin:
    """Events for ``Client`` (see the module docstring)."""

    def _remember_app_state(self, prepared: PreparedRequest) -> None:
        app = unquote(prepared.path.split("/")[2])
        if prepared.operation == "applications.filter":
            if prepared.body:
                self._app_filters[app] = prepared.body
            else:
                self._app_filters.pop(app, None)
            return
        sources = [x for x in prepared.query.get("eventSource", "").split(",") if x]
        current = self._app_sources.setdefault(app, [])
        if prepared.operation == "applications.subscribe":
            current.extend(x for x in sources if x not in current)
        else:
            current[:] = [x for x in current if x not in sources]

    async def _restore_app_state(self, apps: list[str]) -> None:
        """After a reconnect: subscribe again and set the filter again, for our apps only."""
        for app in apps:
            sources = self._app_sources.get(app)
            steps = []
            if sources:
                steps.append(("applications.subscribe", {"applicationName": app, "eventSource": list(sources)}))
            if app in self._app_filters:
                steps.append(("applications.filter", {"applicationName": app, "filter": self._app_filters[app]}))
            for name, kwargs in steps:
                try:
                    await self.execute(name, **kwargs)
                except AriError as exc:  # e.g. 422 for a channel that did not survive a restart
                    log.warning("after reconnecting, %s for app %r failed: %s", name, app, exc)

    def _on_gap(self, event: dict) -> None:
        self._dispatcher.dispatch(event)
        apps = [a for a in self.apps if a in self._app_sources or a in self._app_filters]
        if apps and self.spec is not None and "applications.subscribe" in self.operations:
            task = asyncio.get_running_loop().create_task(self._restore_app_state(apps))
            self._dispatcher._tasks.add(task)  # cancelled on close like async handlers
            task.add_done_callback(self._dispatcher._tasks.discard)

    @staticmethod
    def _object_properties(spec: Spec) -> dict[str, dict[str, tuple[str, ...]]]:
        """{event type: {model: (property names of that model type, primary first)}}."""
        out: dict[str, dict[str, tuple[str, ...]]] = {}
        event_model = spec.models.get("Event")
        for etype in (event_model.subtypes if event_model else ()):
            model = spec.models.get(etype)
            if model is None:
                continue
            by_model: dict[str, list[str]] = {}
            for prop in model.properties:
                by_model.setdefault(prop.type, []).append(prop.name)
            table = {}
            for mname, names in by_model.items():
                preferred = mname.lower() if mname != "LiveRecording" else "recording"
                names.sort(key=lambda n: (n != preferred, n == "replace_channel"))
                table[mname] = tuple(names)
            out[etype] = table
        return out

    def _props_for(self, event: dict, model: str) -> tuple[str, ...]:
        table = self._event_props.get(event.get("type"))
        if table is not None:
            return table.get(model, ())
        fallback = {"Channel": "channel", "Bridge": "bridge", "Playback": "playback",
                    "LiveRecording": "recording", "Endpoint": "endpoint"}.get(model)
        return (fallback,) if fallback and isinstance(event.get(fallback), dict) else ()

    @property
    def dispatcher(self) -> Dispatcher:
        return self._dispatcher

    @property
    def handler_errors(self):
        """Failures of event callbacks (newest last): what failed, on which event, traceback."""
        return self._dispatcher.errors

    def on_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        """``callback(event)`` for each event of ``event_type`` (``'*'`` = all). Returns a Handle.

        Registering the same named function again (e.g. re-running the cell) replaces it.
        """
        self._check_event_type(event_type)
        return self._dispatcher.on(event_type, callback, key=key, scope="event")

    def _check_event_type(self, event_type: str, stacklevel: int = 3) -> None:
        """Warn (do not fail) about a type this server never sends: usually a typo."""
        if event_type in ("*", "EventStreamGap") or self.spec is None:
            return
        known = self.spec.event_types
        if known and event_type not in known:
            import difflib

            close = difflib.get_close_matches(event_type, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            warnings.warn(f"this server's api-docs name no event type {event_type!r}{hint}",
                          UserWarning, stacklevel=stacklevel)

    def _on_object_event(self, cls: type, event_type: str, callback: Callable, *, key: Any = None,
                         only_id: Any = None) -> Handle:
        model = cls._model
        client = self
        self._check_event_type(event_type, stacklevel=4)
        if key is None:
            key = default_key(callback)
        if only_id is None:
            def handler(event: dict) -> Any:
                for prop in client._props_for(event, model):
                    data = event.get(prop)
                    if isinstance(data, dict):
                        return callback(cls(client, data), event)
                return None
        else:
            def handler(event: dict) -> Any:
                for prop in client._props_for(event, model):
                    data = event.get(prop)
                    if isinstance(data, dict):
                        obj = cls(client, data)
                        if obj.id == only_id:
                            return callback(obj, event)
                return None
        scope = (model,) if only_id is None else (model, only_id)
        name = getattr(callback, "__qualname__", None) or type(callback).__name__
        # the key comes from the user's callback, never from the wrapper (all wrappers share a
        # qualname): a lambda without key= stacks, a named function replaces
        return self._dispatcher.on(event_type, handler, key=key, scope=scope, name=name,
                                   unique=key is None)

    def on_channel_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        """``callback(channel, event)`` for events of ``event_type`` that carry a channel."""
        return self._on_object_event(Channel, event_type, callback, key=key)

    def on_bridge_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self._on_object_event(Bridge, event_type, callback, key=key)

    def on_playback_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self._on_object_event(Playback, event_type, callback, key=key)

    def on_recording_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self._on_object_event(LiveRecording, event_type, callback, key=key)

    def on_endpoint_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self._on_object_event(Endpoint, event_type, callback, key=key)

    def add_listener(self, fn: Callable[..., Any], *, raw: bool = False) -> Handle:
        """Raw tap: ``fn(event, received_at)`` for EVERY event, before handlers, in order.

        ``raw=True``: ``fn(event, received_at, text)``, where ``text`` is the WebSocket message
        the event was decoded from (``str``), or the event encoded to JSON when there is none
        (a dispatched or synthetic event, a binary frame). The EventLog keeps that text.
        """
        return self._dispatcher.add_listener(fn, raw=raw)

    def dispatch(self, event: dict, received_at: float | None = None, raw: str | None = None) -> None:
        """Run an event through exactly the live path (listeners, then handlers); ``raw`` is
        its JSON text if the caller has it (raw listeners get the event encoded otherwise)."""
        self._dispatcher.dispatch(event, received_at, raw)

    def _stream(self, types: Any = None, channel: Any = None, predicate: Callable | None = None):
        if channel is None:
            return self._dispatcher.events(types, predicate)
        channel_id = channel.id if isinstance(channel, AriObject) else str(channel)

        def about_channel(event: dict) -> bool:
            for prop in self._props_for(event, "Channel"):
                data = event.get(prop)
                if isinstance(data, dict) and data.get("id") == channel_id:
                    return predicate is None or predicate(event)
            return False

        return self._dispatcher.events(types, about_channel)

    def wait_for(self, event_type: str | Iterable[str] = "*", predicate: Callable[[dict], bool] | None = None,
                 timeout: float | None = None):
        """Awaitable next event of ``event_type`` matching ``predicate``; registered immediately,
        so ``w = client.wait_for("StasisStart"); await originate(...); ev = await w`` never misses it."""
        return self._dispatcher.wait_for(event_type, predicate, timeout)

    def clear_handlers(self) -> None:
        """Remove every event handler registered on this client."""
        self._dispatcher.clear()

    def _on_text(self, data: Any) -> None:
        """The message loop's body: decode, then dispatch (one call per WebSocket message)."""
        event = self.json_loads(data)
        if type(event) is not dict:
            raise ValueError(f"not an event object: {type(event).__name__}")
        # the text goes to raw listeners as is (a binary frame's bytes: they encode the event)
        self._dispatcher.dispatch(event, None, data if data.__class__ is str else None)

    # --- the reader ----------------------------------------------------------------------
    @property
    def connection_state(self) -> str:
        """"disconnected" | "connecting" | "connected" | "reconnecting" | "closed"."""
        return self._state

    def _set_state(self, state: str) -> None:
        if self._state != "closed":
            self._state = state

    @property
    def apps(self) -> list[str]:
        return list(self._events.apps) if self._events else []

    def start(self, apps: str | Iterable[str] = "hello", subscribe_all: bool = False) -> _Started:
        """Start the events reader as a background task on the running loop and return at once.

        ``await client.start(...)`` additionally waits until the socket is connected (and raises
        EventStreamError if the server refuses it). Calling again with other apps restarts it.
        """
        if self._closed:
            raise AriError("this client is closed")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise AriError("client.start() needs a running event loop: call it from a notebook cell "
                           "or from async code (inside asyncio.run)") from None
        names = _app_list(apps)
        current = self._events
        if current is not None and current.running:
            if current.apps == names and current.subscribe_all == subscribe_all:
                return _Started(current.connected)
            raise AriError(f"the events reader already runs for {current.apps}; await client.stop() first")
        sock = EventSocket(url=self._server.events, apps=names, subscribe_all=subscribe_all,
                           session_factory=self._http.ws_session, api_key=self._credentials.api_key,
                           on_text=self._on_text, on_gap=self._on_gap, on_state=self._set_state,
                           heartbeat=self.heartbeat, reconnect_base=self.reconnect_base,
                           reconnect_max=self.reconnect_max)
        self._events = sock
        self._set_state("connecting")
        future = sock.start()
        future.add_done_callback(_consume_exception)
        return _Started(future)

    def run(self, apps: str | Iterable[str] = "hello", subscribe_all: bool = False) -> _Run:
        """``await client.run(apps="hello")``: start the reader and block until ``stop()``/``close()``."""
        runner = _Run(self, apps, subscribe_all)
        hook = type(self)._run_hook
        if hook is not None:
            hook(self)
        return runner

    async def stop(self) -> None:
        """Stop the events reader (handlers stay registered)."""
        sock, self._events = self._events, None
        if sock is not None:
            await sock.stop()
        if not self._closed:
            self._set_state("disconnected")


def _consume_exception(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()  # mark retrieved: the error is logged and kept in last_error


def _app_list(apps: str | Iterable[str]) -> list[str]:
    if isinstance(apps, str):
        names = [a.strip() for a in apps.split(",")]
    else:
        names = [str(a).strip() for a in apps]
    names = [n for n in names if n]
    if not names:
        raise ValidationError("events.eventWebsocket", "app", "at least one application name is required")
    return names


__all__ = ["APP_STATE_OPS", "EventsMixin"]
