"""The events half of a ``Client``: handlers, typed handlers, the reader's lifecycle, reconnect state.

Why composed (``client.hub``) and not mixed in: the event side (registrations, the background
reader, what to set again after a reconnect) is its own concern with its own state. The hub
talks to its client only through the client's public interface (``spec``, ``operations``,
``execute``) and through the socket factory the client hands it; the client's event methods
(``on_event``, ``start``, ``wait_for``...) are one-line calls into the hub.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any, Callable, Iterable
from urllib.parse import unquote

from .. import _json
from .._errors import AriError, ValidationError
from ..events.dispatch import Dispatcher, Handle, default_key
from ..spec import PreparedRequest, Spec
from .objects import AriObject, model_of
from .stream import EventSocket

log = logging.getLogger("ari_notebook.client")

#: operations whose effect lives in Asterisk's app registration, set again after a reconnect
APP_STATE_OPS = frozenset({"applications.subscribe", "applications.unsubscribe", "applications.filter"})


class Run:
    """``client.run(apps=...)``: awaitable; blocks until ``stop()`` like aioari's ``run``."""

    def __init__(self, hub: "EventsHub", apps: Any, subscribe_all: bool) -> None:
        self.hub = hub
        self.apps = apps
        self.subscribe_all = subscribe_all

    async def main(self) -> None:
        """Start the reader and wait until it ends (``jupyter.py`` runs this as a task)."""
        await self.hub.start(apps=self.apps, subscribe_all=self.subscribe_all)
        task = self.hub.socket.task if self.hub.socket else None
        if task is not None:
            await asyncio.wait([task])  # ends when stop()/close() ends the reader
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()

    def __await__(self):
        return self.main().__await__()


class Started:
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


class EventsHub:
    """Events for one ``Client`` (see the module docstring)."""

    def __init__(self, client: Any, open_socket: Callable[..., EventSocket]) -> None:
        self.client = client  # owner of the objects typed handlers receive; asked for spec/execute
        self.open_socket = open_socket  # (apps, subscribe_all, on_text, on_gap, on_state) -> EventSocket
        self.dispatcher = Dispatcher()
        self.loads: Callable[[str | bytes], Any] = _json.loads  # an EventLog swaps in orjson
        self.socket: EventSocket | None = None
        self.state = "disconnected"
        self.closed = False
        # per app: event sources subscribed and the event filter set through this client, so a
        # reconnect (after which Asterisk may have forgotten the app) can set them again
        self.app_sources: dict[str, list[str]] = {}
        self.app_filters: dict[str, Any] = {}
        self._props_table: dict[str, dict[str, tuple[str, ...]]] | None = None

    def spec_changed(self) -> None:
        """The client has (new) api-docs: the typed-handler table is built again on first use."""
        self._props_table = None

    @property
    def event_props(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """Which properties of each event type hold which model (built on first typed dispatch)."""
        if self._props_table is None:
            spec = self.client.spec
            self._props_table = self._object_properties(spec) if spec is not None else {}
        return self._props_table

    def remember_app_state(self, prepared: PreparedRequest) -> None:
        app = unquote(prepared.path.split("/")[2])
        if prepared.operation == "applications.filter":
            if prepared.body:
                self.app_filters[app] = prepared.body
            else:
                self.app_filters.pop(app, None)
            return
        sources = [x for x in prepared.query.get("eventSource", "").split(",") if x]
        current = self.app_sources.setdefault(app, [])
        if prepared.operation == "applications.subscribe":
            current.extend(x for x in sources if x not in current)
        else:
            current[:] = [x for x in current if x not in sources]

    async def _restore_app_state(self, apps: list[str]) -> None:
        """After a reconnect: subscribe again and set the filter again, for our apps only."""
        for app in apps:
            sources = self.app_sources.get(app)
            steps = []
            if sources:
                steps.append(("applications.subscribe", {"applicationName": app, "eventSource": list(sources)}))
            if app in self.app_filters:
                steps.append(("applications.filter", {"applicationName": app, "filter": self.app_filters[app]}))
            for name, kwargs in steps:
                try:
                    await self.client.execute(name, **kwargs)
                except AriError as exc:  # e.g. 422 for a channel that did not survive a restart
                    log.warning("after reconnecting, %s for app %r failed: %s", name, app, exc)

    def _on_gap(self, event: dict) -> None:
        self.dispatcher.dispatch(event)
        apps = [a for a in self.apps if a in self.app_sources or a in self.app_filters]
        if apps and self.client.spec is not None and "applications.subscribe" in self.client.operations:
            task = asyncio.get_running_loop().create_task(self._restore_app_state(apps))
            self.dispatcher.track(task)  # cancelled on close like async handlers

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
        table = self.event_props.get(event.get("type"))
        if table is not None:
            return table.get(model, ())
        fallback = {"Channel": "channel", "Bridge": "bridge", "Playback": "playback",
                    "LiveRecording": "recording", "Endpoint": "endpoint"}.get(model)
        return (fallback,) if fallback and isinstance(event.get(fallback), dict) else ()

    def on_event(self, event_type: str, callback: Callable, *, key: Any = None, stacklevel: int = 4) -> Handle:
        """``callback(event)`` for each event of ``event_type`` (``'*'`` = all). Returns a Handle.

        Registering the same named function again (e.g. re-running the cell) replaces it.
        """
        self._check_event_type(event_type, stacklevel)
        return self.dispatcher.on(event_type, callback, key=key, scope="event")

    def _check_event_type(self, event_type: str, stacklevel: int = 3) -> None:
        """Warn (do not fail) about a type this server never sends: usually a typo."""
        spec = self.client.spec
        if event_type in ("*", "EventStreamGap") or spec is None:
            return
        known = spec.event_types
        if known and event_type not in known:
            import difflib

            close = difflib.get_close_matches(event_type, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            warnings.warn(f"this server's api-docs name no event type {event_type!r}{hint}",
                          UserWarning, stacklevel=stacklevel)

    def on_object_event(self, cls: type, event_type: str, callback: Callable, *, key: Any = None,
                        only_id: Any = None, stacklevel: int = 4) -> Handle:
        """``callback(obj, event)`` for events carrying a ``cls`` object (only the one with id
        ``only_id``, if given): the typed handlers of the client and of ``obj.on_event``."""
        model = model_of(cls)
        client = self.client
        hub = self
        self._check_event_type(event_type, stacklevel=stacklevel)
        if key is None:
            key = default_key(callback)
        if only_id is None:
            def handler(event: dict) -> Any:
                for prop in hub._props_for(event, model):
                    data = event.get(prop)
                    if isinstance(data, dict):
                        return callback(cls(client, data), event)
                return None
        else:
            def handler(event: dict) -> Any:
                for prop in hub._props_for(event, model):
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
        return self.dispatcher.on(event_type, handler, key=key, scope=scope, name=name,
                                   unique=key is None)

    def add_listener(self, fn: Callable[..., Any], *, raw: bool = False) -> Handle:
        """Raw tap: ``fn(event, received_at)`` for EVERY event, before handlers, in order.

        ``raw=True``: ``fn(event, received_at, text)``, where ``text`` is the WebSocket message
        the event was decoded from (``str``), or the event encoded to JSON when there is none
        (a dispatched or synthetic event, a binary frame). The EventLog keeps that text.
        """
        return self.dispatcher.add_listener(fn, raw=raw)

    def dispatch(self, event: dict, received_at: float | None = None, raw: str | None = None) -> None:
        """Run an event through exactly the live path (listeners, then handlers); ``raw`` is
        its JSON text if the caller has it (raw listeners get the event encoded otherwise)."""
        self.dispatcher.dispatch(event, received_at, raw)

    def stream(self, types: Any = None, channel: Any = None, predicate: Callable | None = None):
        if channel is None:
            return self.dispatcher.events(types, predicate)
        channel_id = channel.id if isinstance(channel, AriObject) else str(channel)

        def about_channel(event: dict) -> bool:
            for prop in self._props_for(event, "Channel"):
                data = event.get(prop)
                if isinstance(data, dict) and data.get("id") == channel_id:
                    return predicate is None or predicate(event)
            return False

        return self.dispatcher.events(types, about_channel)

    def wait_for(self, event_type: str | Iterable[str] = "*", predicate: Callable[[dict], bool] | None = None,
                 timeout: float | None = None):
        """Awaitable next event of ``event_type`` matching ``predicate``; registered immediately,
        so ``w = client.wait_for("StasisStart"); await originate(...); ev = await w`` never misses it."""
        return self.dispatcher.wait_for(event_type, predicate, timeout)

    def clear_handlers(self) -> None:
        """Remove every event handler registered on this client."""
        self.dispatcher.clear()

    def on_text(self, data: Any) -> None:
        """The message loop's body: decode, then dispatch (one call per WebSocket message)."""
        event = self.loads(data)
        if type(event) is not dict:
            raise ValueError(f"not an event object: {type(event).__name__}")
        # the text goes to raw listeners as is (a binary frame's bytes: they encode the event)
        self.dispatcher.dispatch(event, None, data if data.__class__ is str else None)

    # --- the reader ----------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """"disconnected" | "connecting" | "connected" | "reconnecting"; "closed" is final."""
        if self.state != "closed":
            self.state = state

    @property
    def apps(self) -> list[str]:
        return list(self.socket.apps) if self.socket else []

    def start(self, apps: str | Iterable[str] = "hello", subscribe_all: bool = False) -> Started:
        """Start the events reader as a background task on the running loop and return at once.

        ``await client.start(...)`` additionally waits until the socket is connected (and raises
        EventStreamError if the server refuses it). Calling again with other apps restarts it.
        """
        if self.closed:
            raise AriError("this client is closed")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise AriError("client.start() needs a running event loop: call it from a notebook cell "
                           "or from async code (inside asyncio.run)") from None
        names = _app_list(apps)
        current = self.socket
        if current is not None and current.running:
            if current.apps == names and current.subscribe_all == subscribe_all:
                return Started(current.connected)
            raise AriError(f"the events reader already runs for {current.apps}; await client.stop() first")
        sock = self.open_socket(names, subscribe_all, self.on_text, self._on_gap, self.set_state)
        self.socket = sock
        self.set_state("connecting")
        future = sock.start()
        future.add_done_callback(_consume_exception)
        return Started(future)


    async def stop(self) -> None:
        """Stop the events reader (handlers stay registered)."""
        sock, self.socket = self.socket, None
        if sock is not None:
            await sock.stop()
        if not self.closed:
            self.set_state("disconnected")


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


__all__ = ["APP_STATE_OPS", "EventsHub", "Run", "Started"]
