"""``Client``: ARI's REST operations and events, built at connect time from the server's api-docs.

Why built at connect time: a newer Asterisk adds resources and operations; reading its own
``resources.json`` and declarations means no per-version code. Everything async runs on the
caller's running loop (a notebook's, or ``asyncio.run``'s).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import warnings
from dataclasses import dataclass
from urllib.parse import unquote
from typing import Any, Awaitable, Callable, Iterable, Mapping

import orjson

from .._errors import AriError, ConfigurationError, SpecError, TransportError, ValidationError
from ..events.dispatch import Dispatcher, Handle, default_key
from ..spec import Operation, PreparedRequest, Resource, Spec, parse_resource, prepare, resource_names
from .objects import AriObject, Bridge, Channel, Endpoint, LiveRecording, Playback
from .ops import BoundOperation, EventsNamespace, OperationCallable, ResourceNamespace
from .stream import EventSocket
from .transport import Credentials, HttpTransport, RawResponse, decode_json, error_from, ssl_setting
from .urls import ServerUrl, parse_server_url

log = logging.getLogger("ari_notebook.client")

# The declarations every Asterisk since 13 lists; fetched alongside resources.json to save a
# round trip. Whatever the listing names beyond these is fetched after it arrives.
_APP_STATE_OPS = frozenset({"applications.subscribe", "applications.unsubscribe", "applications.filter"})

_USUAL = ("asterisk", "endpoints", "channels", "bridges", "recordings", "sounds", "playbacks",
          "deviceStates", "mailboxes", "events", "applications")


@dataclass
class AriResponse:
    """What ``client.execute`` returns: the raw facts of one call plus the converted value."""

    status: int
    elapsed_ms: float
    headers: Mapping[str, str]
    body: Any
    value: Any = None


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


class Client:
    """An ARI connection: ``client.channels.originate(...)``, events, ``execute``; see ``connect``."""

    #: set by ``ari_notebook.jupyter`` so ``loop.run_until_complete(client.run())`` works in a kernel
    _run_hook: Callable[["Client"], None] | None = None
    #: seconds the REST-over-WebSocket probe may take before falling back to HTTP
    rest_probe_timeout = 2.0

    def __init__(self, server: ServerUrl, credentials: Credentials, spec: Spec | None, http: HttpTransport,
                 *, ssl: Any, heartbeat: float | None, reconnect_base: float, reconnect_max: float,
                 timeout: float | None) -> None:
        self._server = server
        self._credentials = credentials
        self._http = http
        self._sender = http
        self._ssl = ssl
        self._timeout = timeout
        self.heartbeat = heartbeat
        self.reconnect_base = reconnect_base
        self.reconnect_max = reconnect_max
        self.transport = "http"
        self._dispatcher = Dispatcher()
        self._request_listeners: list[Callable[[dict], Any]] = []
        self._cleanups: list[Callable[[], Awaitable[Any]]] = []
        self._events: EventSocket | None = None
        self._restws: Any = None  # a RestOverWebSocket when transport="websocket" is in use
        self._state = "disconnected"
        self._closed = False
        self._log = None
        self.simulator = None
        self._bind_cache: dict[tuple[type, str], OperationCallable | None] = {}
        # per app: event sources subscribed and the event filter set through this client, so a
        # reconnect (after which Asterisk may have forgotten the app) can set them again
        self._app_sources: dict[str, list[str]] = {}
        self._app_filters: dict[str, Any] = {}
        self.spec: Spec | None = None
        self.operations: dict[str, Operation] = {}
        self._callables: dict[str, OperationCallable] = {}
        self.resources: dict[str, ResourceNamespace] = {}
        self._event_props_table: dict[str, dict[str, tuple[str, ...]]] | None = None
        if spec is not None:
            self._attach_spec(spec)

    def _attach_spec(self, spec: Spec) -> None:
        """Build operations, namespaces and event tables from the server's spec."""
        self.spec = spec
        self.operations = dict(spec.operations)
        self._event_props_table = None
        self._build_namespaces()

    @property
    def _event_props(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """Which properties of each event type hold which model (built on first typed dispatch)."""
        if self._event_props_table is None:
            self._event_props_table = self._object_properties(self.spec) if self.spec is not None else {}
        return self._event_props_table

    # ================================================================== connect / close
    @classmethod
    async def connect(cls, url: str, username: str | None = None, password: str | None = None, *,
                      api_key: str | None = None, ssl: Any = None, verify: bool = True,
                      transport: str = "http", apps: str | Iterable[str] | None = None,
                      subscribe_all: bool = False, timeout: float | None = 30.0,
                      heartbeat: float | None = 20.0, reconnect_base: float = 0.5,
                      reconnect_max: float = 30.0, retries: int = 0) -> "Client":
        """Load the server's api-docs and return a ready client.

        ``url`` is the root (``http://host:8088``; ``/ari`` is accepted too). Credentials go in
        the Authorization header. ``https``/``wss`` verify certificates; ``ssl=`` takes a CA file
        path or an ``ssl.SSLContext``; ``verify=False`` switches verification off (with a warning).
        ``transport="websocket"`` sends operations as RESTRequest messages where the server
        supports it (else HTTP, with a warning). ``apps=`` also starts the events reader,
        concurrently with the spec load. ``retries=N`` repeats a GET (never anything else) up
        to N times after a transport error or a 502/503/504, with exponential backoff.
        """
        if transport not in ("http", "websocket"):
            raise ConfigurationError(f"transport must be 'http' or 'websocket', got {transport!r}")
        server = parse_server_url(url)
        creds = Credentials.resolve(username, password, api_key, server.url_username, server.url_password)
        ssl_value = ssl_setting(server.secure, ssl, verify)
        http = HttpTransport(server.ari, creds, ssl_value, timeout=timeout, retries=retries)
        self = cls(server, creds, None, http, ssl=ssl_value, heartbeat=heartbeat,
                   reconnect_base=reconnect_base, reconnect_max=reconnect_max, timeout=timeout)
        loading = asyncio.ensure_future(_load_spec(http))
        try:
            if apps is not None:
                # the events socket needs no spec: open it while the api-docs load
                connected = self.start(apps=apps, subscribe_all=subscribe_all).future
                await asyncio.wait([loading, connected], return_when=asyncio.FIRST_EXCEPTION)
                if connected.done() and not connected.cancelled() and connected.exception():
                    raise connected.exception()
            self._attach_spec(await loading)
            if apps is not None:
                await asyncio.shield(connected)
            if transport == "websocket":
                await self._enable_rest_websocket()
        except BaseException:
            if not loading.done():
                loading.cancel()
            await asyncio.wait([loading])
            if not loading.cancelled():
                loading.exception()  # retrieved: the error raised here is the one that matters
            await self.close()
            raise
        hook = cls._run_hook
        if hook is not None:  # prepare now: ``loop.run_until_complete`` is looked up before run()
            hook(self)
        return self

    async def _enable_rest_websocket(self) -> None:
        if "RESTRequest" not in self.spec.models:
            warnings.warn("this server's api-docs have no RESTRequest (REST over WebSocket needs "
                          "Asterisk 20.14, 21.9, 22.4 or later): using HTTP", RuntimeWarning, stacklevel=3)
            return
        import secrets

        from .restws import RestOverWebSocket  # only clients that ask for it load it

        rest = RestOverWebSocket(self._socket_factory, f"ari-notebook-rest-{secrets.token_hex(4)}",
                                 timeout=self._timeout)
        try:
            await rest.open()
            probe = self.operations.get("asterisk.ping")
            if probe is not None:
                rest.timeout, saved = self.rest_probe_timeout, rest.timeout
                raw = await rest.send("GET", "/asterisk/ping", None, None, operation=probe.name)
                rest.timeout = saved
                if raw.status >= 400:
                    raise TransportError(f"probe answered {raw.status}")
        except (AriError, OSError) as exc:
            await rest.close()
            warnings.warn(f"REST over WebSocket is not available here ({exc}): using HTTP",
                          RuntimeWarning, stacklevel=3)
            return
        self._restws = rest
        self._sender = rest
        self.transport = "websocket"

    def _socket_factory(self, app: str, on_text, on_state) -> EventSocket:
        return EventSocket(url=self._server.events, apps=[app], subscribe_all=False,
                           session_factory=self._http.ws_session, api_key=self._credentials.api_key,
                           on_text=on_text, on_gap=None, on_state=on_state, heartbeat=self.heartbeat,
                           reconnect_base=self.reconnect_base, reconnect_max=self.reconnect_max)

    def add_cleanup(self, fn: Callable[[], Awaitable[Any]]) -> None:
        """Run ``await fn()`` when the client closes (after its sockets), newest first."""
        self._cleanups.append(fn)

    async def close(self) -> None:
        """Stop the events reader, close every socket and run cleanups. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        errors: list[BaseException] = []
        for step in (self.stop, self._close_restws, self._dispatcher.cancel_tasks, self._http.close):
            try:
                await step()
            except Exception as exc:  # keep closing the rest; report at the end
                errors.append(exc)
        while self._cleanups:
            fn = self._cleanups.pop()
            try:
                await fn()
            except Exception as exc:
                errors.append(exc)
        self._set_state("closed")
        if errors:
            raise errors[0]

    async def _close_restws(self) -> None:
        if self._restws is not None:
            rest, self._restws = self._restws, None
            self._sender = self._http
            await rest.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # ================================================================== identity
    @property
    def url(self) -> str:
        """The root URL, without credentials."""
        return self._server.root

    @property
    def username(self) -> str:
        return self._credentials.username

    @property
    def api_version(self) -> str:
        return self.spec.api_version if self.spec is not None else ""

    def __repr__(self) -> str:
        return (f"<ari_notebook.Client {self.url} user={self.username!r} api={self.api_version or '?'} "
                f"{len(self.operations)} operations, events {self.connection_state}>")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.resources))

    def _repr_html_(self) -> str:
        import html

        esc = html.escape
        apps = ", ".join(self.apps) or "none (client.start(apps=...))"
        failures = len(self._dispatcher.errors)
        rows = [("server", self.url), ("user", self.username), ("ARI version", self.api_version or "?"),
                ("operations", f"{len(self.operations)} in {len(self.resources)} resources"),
                ("transport", self.transport), ("events", f"{self.connection_state}; apps: {apps}"),
                ("handlers", f"{len(self._dispatcher.handlers())} registered"
                             + (f", {failures} failures (client.handler_errors)" if failures else ""))]
        body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{esc(k)}</th>"
                       f"<td style='text-align:left'>{esc(str(v))}</td></tr>" for k, v in rows)
        return f"<div class='ari-client'><b>ARI client</b><table>{body}</table></div>"

    def handlers(self) -> list[tuple[str, str]]:
        """(event type, callback name) of every registered handler, in call order per type."""
        return self._dispatcher.handlers()

    # ================================================================== operations
    def _build_namespaces(self) -> None:
        for name, resource in self.spec.resources.items():
            ops = {}
            for op in resource.operations:
                callable_ = OperationCallable(self, op)
                ops[op.nickname] = callable_
                self._callables[op.name] = callable_
            if name == "events":
                ns: ResourceNamespace = EventsNamespace(name, resource.description, ops, self._stream)
            else:
                ns = ResourceNamespace(name, resource.description, ops)
            self.resources[name] = ns
            if name == "events" or not hasattr(type(self), name):
                self.__dict__[name] = ns
            else:
                log.warning("resource %r clashes with a Client attribute; use client.resources[%r]", name, name)
        if "events" not in self.__dict__:
            self.__dict__["events"] = EventsNamespace("events", "", {}, self._stream)

    async def _call(self, prepared: PreparedRequest, binary: bool = False) -> Any:
        """Send a validated request; return the decoded body or raise the HttpError subclass."""
        raw = await self._send(prepared)
        if raw.status >= 400:
            raise error_from(raw, prepared.operation, prepared.method, "/ari" + prepared.path)
        if binary:
            data = raw.data
            return data.encode() if isinstance(data, str) else (data or b"")
        data = raw.data
        if not data:
            return None
        return orjson.loads(data)

    async def _send(self, prepared: PreparedRequest) -> RawResponse:
        raw = await self._send_recorded(prepared)
        if prepared.operation in _APP_STATE_OPS and raw.status < 400:
            self._remember_app_state(prepared)
        return raw

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

    async def _send_recorded(self, prepared: PreparedRequest) -> RawResponse:
        listeners = self._request_listeners
        if not listeners:
            return await self._transmit(prepared)
        started = time.time()
        t0 = time.perf_counter()
        try:
            raw = await self._transmit(prepared)
        except TransportError as exc:
            self._record(listeners, started, prepared, None, (time.perf_counter() - t0) * 1000.0, str(exc))
            raise
        error = None
        if raw.status >= 400:
            error = str(error_from(raw, prepared.operation, prepared.method, "/ari" + prepared.path))
        self._record(listeners, started, prepared, raw.status, raw.elapsed_ms, error)
        return raw

    async def _transmit(self, prepared: PreparedRequest) -> RawResponse:
        sender = self._sender
        http = self._http
        if sender is not http:
            if not sender.connected:
                sender = http  # the REST WebSocket is reconnecting: HTTP meanwhile, same answers
            else:
                try:
                    return await sender.send(prepared.method, prepared.path, prepared.query, prepared.body,
                                             operation=prepared.operation)
                except TransportError:
                    if prepared.method != "GET":
                        raise  # it may have run: never repeat a change
                    sender = http  # the socket died under a read: ask again over HTTP
        return await sender.send(prepared.method, prepared.path, prepared.query, prepared.body,
                                 operation=prepared.operation)

    @staticmethod
    def _record(listeners, started, prepared, status, elapsed, error) -> None:
        record = {"time": started, "operation": prepared.operation, "method": prepared.method,
                  "path": "/ari" + prepared.path, "status": status, "elapsed_ms": elapsed, "error": error}
        for fn in list(listeners):
            try:
                fn(record)
            except Exception:
                log.exception("request listener %r failed", fn)

    def add_request_listener(self, fn: Callable[[dict], Any]) -> "_ListHandle":
        """``fn(record)`` after every request: time, operation, method, path, status, elapsed_ms, error."""
        self._request_listeners = self._request_listeners + [fn]
        return _ListHandle(self, "_request_listeners", fn)

    def operation(self, name: str) -> OperationCallable:
        """The callable for a qualified name (``"channels.originate"``)."""
        try:
            return self._callables[name]
        except KeyError:
            raise ValidationError(name, None, f"no such operation; the server has {len(self._callables)}") from None

    async def execute(self, name: str, /, **kwargs: Any) -> AriResponse:
        """Run an operation by qualified name; returns status, time, headers, body and value."""
        target = self.operation(name)
        prepared = prepare(target.operation, kwargs)
        raw = await self._send(prepared)
        if raw.status >= 400:
            raise error_from(raw, prepared.operation, prepared.method, "/ari" + prepared.path)
        if target.binary:
            body: Any = raw.data.encode() if isinstance(raw.data, str) else (raw.data or b"")
        else:
            body = decode_json(raw.data) if raw.data else None
        return AriResponse(raw.status, raw.elapsed_ms, dict(raw.headers), body, target.convert(body))

    # --- binding to objects -----------------------------------------------------------
    def _bind(self, obj: AriObject, name: str) -> BoundOperation | None:
        cls = type(obj)
        key = (cls, name)
        target = self._bind_cache.get(key, False)
        if target is False:
            target = self._find_bindable(cls, name)
            self._bind_cache[key] = target
        if target is None:
            return None
        return BoundOperation(target, obj, obj.path_values())

    def _find_bindable(self, cls: type, name: str) -> OperationCallable | None:
        ns = self.resources.get(cls.resource or "")
        if ns is None:
            return None
        target = ns._ops.get(name) or ns._snake.get(name)
        if target is None or not self._binds(cls, target.operation):
            return None
        return target

    @staticmethod
    def _binds(cls: type, op: Operation) -> bool:
        params = op.path_parameters
        if not cls.id_fields or not all(p in params for p in cls.id_fields):
            return False
        return cls.path_prefix is None or op.path.startswith(cls.path_prefix)

    def _bindable(self, cls: type) -> list[str]:
        ns = self.resources.get(cls.resource or "")
        if ns is None:
            return []
        return [n for n, c in ns._ops.items() if self._binds(cls, c.operation)]

    # ================================================================== events
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
        model = cls.model
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

    def add_listener(self, fn: Callable[[dict, float], Any]) -> Handle:
        """Raw tap: ``fn(event, received_at)`` for EVERY event, before handlers, in order."""
        return self._dispatcher.add_listener(fn)

    def dispatch(self, event: dict, received_at: float | None = None) -> None:
        """Run an event through exactly the live path (listeners, then handlers)."""
        self._dispatcher.dispatch(event, received_at)

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
        event = orjson.loads(data)
        if type(event) is not dict:
            raise ValueError(f"not an event object: {type(event).__name__}")
        self._dispatcher.dispatch(event)

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

    # ================================================================== extras
    @property
    def log(self):
        """An ``EventLog`` fed by this client's events, created on first use."""
        if self._log is None:
            from ..events import EventLog

            self._log = EventLog(self)
        return self._log


class _ListHandle:
    """Handle for a request listener."""

    def __init__(self, owner: Client, attr: str, fn: Callable) -> None:
        self._owner, self._attr, self._fn = owner, attr, fn

    def remove(self) -> None:
        current = getattr(self._owner, self._attr)
        setattr(self._owner, self._attr, [f for f in current if f is not self._fn])

    @property
    def active(self) -> bool:
        return any(f is self._fn for f in getattr(self._owner, self._attr))


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


# Parsed documents by a digest of their exact bytes: reconnecting to the same server (a re-run
# notebook cell, a reconnecting script) skips parsing; any changed document is parsed again.
_RESOURCE_CACHE: dict[tuple[str, bytes], Resource] = {}
_SPEC_CACHE: dict[tuple, Spec] = {}
_CACHE_SIZE = 64


def _remember(cache: dict, key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value


async def _load_spec(http: HttpTransport) -> Spec:
    """resources.json and every declaration it lists, fetched concurrently.

    Each declaration is parsed as soon as it arrives, so with a real server parsing overlaps
    the other documents still on the wire; the usual declarations are requested together with
    resources.json (one round trip), anything else it lists right after.
    """

    def decode(name: str, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise SpecError(f"GET /ari/api-docs/{name}.json did not return JSON: {exc}") from exc

    async def fetch(name: str, required: bool) -> tuple[bytes, Any] | None:
        path = "/api-docs/resources.json" if name == "resources" else f"/api-docs/{name}.json"
        raw = await http.send("GET", path, None, None, operation="api-docs")
        if raw.status >= 400:
            if not required and raw.status == 404:
                return None
            raise error_from(raw, "api-docs", "GET", "/ari" + path)
        data = raw.data if isinstance(raw.data, bytes) else (raw.data or "").encode()
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if name == "resources":
            return digest, decode(name, data)
        resource = _RESOURCE_CACHE.get((name, digest))
        if resource is None:
            resource = parse_resource(name, decode(name, data))
            _remember(_RESOURCE_CACHE, (name, digest), resource)
        return digest, resource

    results = await asyncio.gather(fetch("resources", True), *(fetch(n, False) for n in _USUAL),
                                   return_exceptions=True)
    if isinstance(results[0], BaseException):
        raise results[0]
    listing_digest, listing = results[0]
    names = resource_names(listing)
    found: dict[str, tuple[bytes, Resource]] = {}
    for name, result in zip(_USUAL, results[1:]):
        if name in names:  # a failure of a document the server does not list is irrelevant
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                found[name] = result
    missing = [n for n in names if n not in found]
    if missing:
        found.update(zip(missing, await asyncio.gather(*(fetch(n, True) for n in missing))))
    key = (listing_digest,) + tuple((n, found[n][0]) for n in names)
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        spec = Spec.build({n: found[n][1] for n in names}, api_version=str(listing.get("apiVersion", "")),
                          swagger_version=str(listing.get("swaggerVersion", "1.1")))
        _remember(_SPEC_CACHE, key, spec)
    return spec


__all__ = ["AriResponse", "Client"]
