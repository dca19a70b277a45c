"""``Client``: ARI's REST operations and events, built at connect time from the server's api-docs.

Why built at connect time: a newer Asterisk adds resources and operations; reading its own
``resources.json`` and declarations means no per-version code. Everything async runs on the
caller's running loop (a notebook's, or ``asyncio.run``'s).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Iterable, Mapping

from .._errors import ConfigurationError, ValidationError
from .._record import Record
from ..events.dispatch import Dispatcher, Handle
from ..spec import Operation, PreparedRequest, Spec, prepare
from .events_hub import APP_STATE_OPS, EventsHub, Run, Started
from .objects import Bridge, Channel, Endpoint, LiveRecording, Playback
from .ops import Binder, EventsNamespace, OperationCallable, ResourceNamespace
from .specload import load_spec
from .stream import EventSocket
from .transport import Credentials, HttpTransport, RawResponse, Transport, error_from, ssl_setting
from .urls import ServerUrl, parse_server_url

log = logging.getLogger("ari_notebook.client")


class AriResponse(Record):
    """What ``client.execute`` returns: the raw facts of one call plus the converted value."""

    __slots__ = ("status", "elapsed_ms", "headers", "body", "value")

    def __init__(self, status: int, elapsed_ms: float, headers: Mapping[str, str], body: Any,
                 value: Any = None) -> None:
        self.status = status
        self.elapsed_ms = elapsed_ms
        self.headers = headers
        self.body = body
        self.value = value


class Client:
    """An ARI connection: ``client.channels.originate(...)``, events, ``execute``; see ``connect``.

    Composed of: a ``Transport`` (``self.sender``: HTTP, REST over WebSocket, or a mock), the
    events hub (``self.hub``: handlers, the reader, reconnect state), the ``Binder`` that gives
    result objects their operations (``self.binder``) and the request listeners."""

    #: set by ``ari_notebook/__init__.py`` so ``loop.run_until_complete(client.run())`` works in a kernel
    run_hook: Callable[["Client"], None] | None = None
    #: seconds the REST-over-WebSocket probe may take before falling back to HTTP
    rest_probe_timeout = 2.0

    def __init__(self, server: ServerUrl, credentials: Credentials, spec: Spec | None, http: Transport,
                 *, ssl: Any, heartbeat: float | None, reconnect_base: float, reconnect_max: float,
                 timeout: float | None) -> None:
        self._server = server
        self._credentials = credentials
        self._http = http
        self.sender: Transport = http  # what operations go through (REST over WebSocket swaps it)
        self._ssl = ssl
        self._timeout = timeout
        self.heartbeat = heartbeat
        self.reconnect_base = reconnect_base
        self.reconnect_max = reconnect_max
        self.transport = http.name
        self.hub = EventsHub(self, self._events_socket)
        self._listeners: Any = None  # a listeners.RequestListeners once someone listens
        self._cleanups: list[Callable[[], Awaitable[Any]]] = []
        self._closed = False
        self._log = None
        self.simulator = None
        self.spec: Spec | None = None
        self.operations: dict[str, Operation] = {}
        self._callables: dict[str, OperationCallable] = {}
        self.resources: dict[str, ResourceNamespace] = {}
        self.binder = Binder(self.resources)
        if spec is not None:
            self._attach_spec(spec)

    def _attach_spec(self, spec: Spec) -> None:
        """Build operations, namespaces and event tables from the server's spec."""
        self.spec = spec
        self.operations = dict(spec.operations)
        self.hub.spec_changed()
        self._build_namespaces()

    # ================================================================== connect / close
    @classmethod
    async def connect(cls, url: str, username: str | None = None, password: str | None = None, *,
                      api_key: str | None = None, ssl: Any = None, verify: bool = True,
                      transport: str | Transport = "http", apps: str | Iterable[str] | None = None,
                      subscribe_all: bool = False, timeout: float | None = 30.0,
                      heartbeat: float | None = 20.0, reconnect_base: float = 0.5,
                      reconnect_max: float = 30.0, retries: int = 0) -> "Client":
        """Load the server's api-docs and return a ready client.

        ``url`` is the root (``http://host:8088``; ``/ari`` is accepted too). Credentials go in
        the Authorization header. ``https``/``wss`` verify certificates; ``ssl=`` takes a CA file
        path or an ``ssl.SSLContext``; ``verify=False`` switches verification off (with a warning).
        ``transport="websocket"`` sends operations as RESTRequest messages where the server
        supports it (else HTTP, with a warning); a ``Transport`` object (``MockTransport(handler)``
        in tests) replaces the network altogether. ``apps=`` also starts the events reader,
        concurrently with the spec load. ``retries=N`` repeats a GET (never anything else) up
        to N times after a transport error or a 502/503/504, with exponential backoff.
        """
        if isinstance(transport, str) and transport not in ("http", "websocket"):
            raise ConfigurationError(f"transport must be 'http', 'websocket' or a Transport, got {transport!r}")
        server = parse_server_url(url)
        creds = Credentials.resolve(username, password, api_key, server.url_username, server.url_password)
        ssl_value = ssl_setting(server.secure, ssl, verify)
        http = (HttpTransport(server.ari, creds, ssl_value, timeout=timeout, retries=retries)
                if isinstance(transport, str) else transport)
        self = cls(server, creds, None, http, ssl=ssl_value, heartbeat=heartbeat,
                   reconnect_base=reconnect_base, reconnect_max=reconnect_max, timeout=timeout)
        loading = asyncio.ensure_future(load_spec(http))
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
        hook = cls.run_hook
        if hook is not None:  # prepare now: ``loop.run_until_complete`` is looked up before run()
            hook(self)
        return self

    async def _enable_rest_websocket(self) -> None:
        from .restws import open_rest_websocket  # only clients that ask for it load it

        def socket_for(app: str, on_text, on_state) -> EventSocket:
            return self._events_socket([app], False, on_text, None, on_state)

        sender = await open_rest_websocket(self.spec, socket_for, self._http, timeout=self._timeout,
                                           probe_timeout=self.rest_probe_timeout)
        if sender is not None:
            self.sender = sender
            self.transport = sender.name

    def _events_socket(self, apps: list[str], subscribe_all: bool, on_text, on_gap, on_state) -> EventSocket:
        """An events WebSocket of this client's server and user (the hub's reader, REST's socket)."""
        if not self._http.events_socket:
            raise ConfigurationError(f"the {self._http.name} transport has no events socket: "
                                     "feed events with client.dispatch(event)")
        return EventSocket(url=self._server.events, apps=apps, subscribe_all=subscribe_all,
                           session_factory=self._http.ws_session, api_key=self._credentials.api_key,
                           on_text=on_text, on_gap=on_gap, on_state=on_state, heartbeat=self.heartbeat,
                           reconnect_base=self.reconnect_base, reconnect_max=self.reconnect_max)

    def add_cleanup(self, fn: Callable[[], Awaitable[Any]]) -> None:
        """Run ``await fn()`` when the client closes (after its sockets), newest first."""
        self._cleanups.append(fn)

    async def close(self) -> None:
        """Stop the events reader, close every socket and run cleanups. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.hub.closed = True
        errors: list[BaseException] = []
        self.hub.dispatcher.close_streams("the client was closed")
        for step in (self.stop, self._close_rest_websocket, self.hub.dispatcher.cancel_tasks, self._http.close):
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
        self.hub.set_state("closed")
        if errors:
            raise errors[0]

    async def _close_rest_websocket(self) -> None:
        if self.sender is not self._http:
            sender, self.sender = self.sender, self._http
            await sender.close()

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
    def events_url(self) -> str:
        """The events WebSocket's URL (``ws://`` or ``wss://``), without credentials."""
        return self._server.events

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
        failures = len(self.handler_errors)
        rows = [("server", self.url), ("user", self.username), ("ARI version", self.api_version or "?"),
                ("operations", f"{len(self.operations)} in {len(self.resources)} resources"),
                ("transport", self.transport), ("events", f"{self.connection_state}; apps: {apps}"),
                ("handlers", f"{len(self.handlers())} registered"
                             + (f", {failures} failures (client.handler_errors)" if failures else ""))]
        body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{esc(k)}</th>"
                       f"<td style='text-align:left'>{esc(str(v))}</td></tr>" for k, v in rows)
        return f"<div class='ari-client'><b>ARI client</b><table>{body}</table></div>"

    # ================================================================== operations
    def _build_namespaces(self) -> None:
        for name, resource in self.spec.resources.items():
            ops = {}
            for op in resource.operations:
                callable_ = OperationCallable(self, op, self._call)
                ops[op.nickname] = callable_
                self._callables[op.name] = callable_
            if name == "events":
                ns: ResourceNamespace = EventsNamespace(name, resource.description, ops, self.hub.stream)
            else:
                ns = ResourceNamespace(name, resource.description, ops)
            self.resources[name] = ns
            if name == "events" or not hasattr(type(self), name):
                self.__dict__[name] = ns
            else:
                log.warning("resource %r clashes with a Client attribute; use client.resources[%r]", name, name)
        if "events" not in self.__dict__:
            self.__dict__["events"] = EventsNamespace("events", "", {}, self.hub.stream)

    async def _call(self, prepared: PreparedRequest, binary: bool = False) -> Any:
        """Send a validated request; return the decoded body or raise the HttpError subclass."""
        return (await self._exchange(prepared, binary))[1]

    async def _exchange(self, prepared: PreparedRequest, binary: bool) -> tuple[RawResponse, Any]:
        """Send; an error status raises its HttpError; else (raw, body) with the body decoded
        (bytes for a binary operation, JSON otherwise, None when empty)."""
        if self._listeners is None and not log.isEnabledFor(logging.DEBUG):
            raw = await self._transmit(prepared)
        else:
            raw = await self._request_listeners().send(self._transmit, prepared)
        if raw.status >= 400:
            raise error_from(raw, prepared.operation, prepared.method, "/ari" + prepared.path)
        if prepared.operation in APP_STATE_OPS:
            self.hub.remember_app_state(prepared)
        data = raw.data
        if binary:
            return raw, data.encode() if isinstance(data, str) else (data or b"")
        return raw, self.hub.loads(data) if data else None

    def _transmit(self, prepared: PreparedRequest) -> Awaitable[RawResponse]:
        return self.sender.send(prepared.method, prepared.path, prepared.query, prepared.body,
                                operation=prepared.operation)

    def add_request_listener(self, fn: Callable[[dict], Any]):
        """``fn(record)`` after every request: time, operation, method, path, status, elapsed_ms,
        error, object_id (the id of the object answered, e.g. the channel an originate made).
        Returns a handle with ``remove()`` and ``active``."""
        return self._request_listeners().add(fn)

    def _request_listeners(self):
        """The request recorder, loaded on first use: a script that never listens (nor logs at
        DEBUG) keeps the send path and its memory as small as aioari's."""
        if self._listeners is None:
            from .listeners import RequestListeners

            self._listeners = RequestListeners()
        return self._listeners

    def operation(self, name: str) -> OperationCallable:
        """The callable for a qualified name (``"channels.originate"``)."""
        try:
            return self._callables[name]
        except KeyError:
            raise ValidationError(name, None, f"no such operation; the server has {len(self._callables)}") from None

    async def execute(self, name: str, /, **kwargs: Any) -> AriResponse:
        """Run an operation by qualified name; returns status, time, headers, body and value."""
        target = self.operation(name)
        raw, body = await self._exchange(prepare(target.operation, kwargs), target.binary)
        return AriResponse(raw.status, raw.elapsed_ms, dict(raw.headers), body, target.convert(body))

    # ================================================================== events (the hub does the work)
    @property
    def json_loads(self) -> Callable[[str | bytes], Any]:
        """Decodes every events message and REST body: the standard library's scanner (``_json``),
        or what an attached ``EventLog`` sets (orjson, which the log loads anyway)."""
        return self.hub.loads

    @json_loads.setter
    def json_loads(self, loads: Callable[[str | bytes], Any]) -> None:
        self.hub.loads = loads

    @property
    def dispatcher(self) -> Dispatcher:
        return self.hub.dispatcher

    @property
    def handler_errors(self):
        """Failures of event callbacks (newest last): what failed, on which event, traceback."""
        return self.hub.dispatcher.errors

    def handlers(self) -> list[tuple[str, str]]:
        """(event type, callback name) of every registered handler, in call order per type."""
        return self.hub.dispatcher.handlers()

    def on_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        """``callback(event)`` for each event of ``event_type`` (``'*'`` = all). Returns a Handle.

        Registering the same named function again (e.g. re-running the cell) replaces it.
        """
        return self.hub.on_event(event_type, callback, key=key)

    def on_channel_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        """``callback(channel, event)`` for events of ``event_type`` that carry a channel."""
        return self.hub.on_object_event(Channel, event_type, callback, key=key)

    def on_bridge_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self.hub.on_object_event(Bridge, event_type, callback, key=key)

    def on_playback_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self.hub.on_object_event(Playback, event_type, callback, key=key)

    def on_recording_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self.hub.on_object_event(LiveRecording, event_type, callback, key=key)

    def on_endpoint_event(self, event_type: str, callback: Callable, *, key: Any = None) -> Handle:
        return self.hub.on_object_event(Endpoint, event_type, callback, key=key)

    def add_listener(self, fn: Callable[..., Any], *, raw: bool = False) -> Handle:
        """Raw tap: ``fn(event, received_at)`` for EVERY event, before handlers, in order.

        ``raw=True``: ``fn(event, received_at, text)``, where ``text`` is the WebSocket message
        the event was decoded from (``str``), or the event encoded to JSON when there is none
        (a dispatched or synthetic event, a binary frame). The EventLog keeps that text.
        """
        return self.hub.dispatcher.add_listener(fn, raw=raw)

    def dispatch(self, event: dict, received_at: float | None = None, raw: str | None = None) -> None:
        """Run an event through exactly the live path (listeners, then handlers); ``raw`` is
        its JSON text if the caller has it (raw listeners get the event encoded otherwise)."""
        self.hub.dispatcher.dispatch(event, received_at, raw)

    def wait_for(self, event_type: str | Iterable[str] = "*", predicate: Callable[[dict], bool] | None = None,
                 timeout: float | None = None):
        """Awaitable next event of ``event_type`` matching ``predicate``; registered immediately,
        so ``w = client.wait_for("StasisStart"); await originate(...); ev = await w`` never misses it."""
        return self.hub.dispatcher.wait_for(event_type, predicate, timeout)

    def clear_handlers(self) -> None:
        """Remove every event handler registered on this client."""
        self.hub.dispatcher.clear()

    @property
    def connection_state(self) -> str:
        """"disconnected" | "connecting" | "connected" | "reconnecting" | "closed"."""
        return self.hub.state

    @property
    def apps(self) -> list[str]:
        return self.hub.apps

    def start(self, apps: str | Iterable[str] = "hello", subscribe_all: bool = False) -> Started:
        """Start the events reader as a background task on the running loop and return at once.

        ``await client.start(...)`` additionally waits until the socket is connected (and raises
        EventStreamError if the server refuses it). Calling again with other apps restarts it.
        """
        return self.hub.start(apps, subscribe_all)

    def run(self, apps: str | Iterable[str] = "hello", subscribe_all: bool = False) -> Run:
        """``await client.run(apps="hello")``: start the reader and block until ``stop()``/``close()``."""
        runner = Run(self.hub, apps, subscribe_all)
        hook = type(self).run_hook
        if hook is not None:
            hook(self)
        return runner

    async def stop(self) -> None:
        """Stop the events reader (handlers stay registered)."""
        await self.hub.stop()

    # ================================================================== extras
    @property
    def log(self):
        """An ``EventLog`` fed by this client's events: created at connect inside a Jupyter kernel
        (so it holds everything), elsewhere on first use (scripts need not load pandas)."""
        if self._log is None:
            from ..events import EventLog

            self._log = EventLog(self)
        return self._log


__all__ = ["AriResponse", "Client"]
