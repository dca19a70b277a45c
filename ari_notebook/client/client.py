"""``Client``: ARI's REST operations and events, built at connect time from the server's api-docs.

Why built at connect time: a newer Asterisk adds resources and operations; reading its own
``resources.json`` and declarations means no per-version code. Everything async runs on the
caller's running loop (a notebook's, or ``asyncio.run``'s).
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from typing import Any, Awaitable, Callable, Iterable, Mapping

from .. import _json
from .._errors import AriError, ConfigurationError, TransportError, ValidationError
from .._record import Record
from ..events.dispatch import Dispatcher
from ..spec import Operation, PreparedRequest, Spec, prepare
from .eventing import APP_STATE_OPS, EventsMixin
from .objects import AriObject
from .ops import BoundOperation, EventsNamespace, OperationCallable, ResourceNamespace
from .specload import load_spec
from .stream import EventSocket
from .transport import Credentials, HttpTransport, RawResponse, decode_json, error_from, ssl_setting
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


class Client(EventsMixin):
    """An ARI connection: ``client.channels.originate(...)``, events, ``execute``; see ``connect``."""

    #: set by ``ari_notebook.jupyter`` so ``loop.run_until_complete(client.run())`` works in a kernel
    _run_hook: Callable[["Client"], None] | None = None
    #: seconds the REST-over-WebSocket probe may take before falling back to HTTP
    rest_probe_timeout = 2.0
    #: decodes every events message and REST body: the standard library's scanner (``_json``),
    #: or what an attached ``EventLog`` sets (orjson, which the log loads anyway)
    json_loads: Callable[[str | bytes], Any] = staticmethod(_json.loads)

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
        self._dispatcher.close_streams("the client was closed")
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
        return self.json_loads(data)

    async def _send(self, prepared: PreparedRequest) -> RawResponse:
        raw = await self._send_recorded(prepared)
        if prepared.operation in APP_STATE_OPS and raw.status < 400:
            self._remember_app_state(prepared)
        return raw

    async def _send_recorded(self, prepared: PreparedRequest) -> RawResponse:
        """Send, then tell request listeners and the DEBUG log what happened.

        The log line names operation, method, path (no query: nothing there is logged), status
        and time; the Authorization header lives in the session and is never formatted here.
        """
        listeners = self._request_listeners
        debug = log.isEnabledFor(logging.DEBUG)
        if not listeners and not debug:
            return await self._transmit(prepared)
        started = time.time()
        t0 = time.perf_counter()
        try:
            raw = await self._transmit(prepared)
        except TransportError as exc:
            elapsed = (time.perf_counter() - t0) * 1000.0
            if debug:
                log.debug("request %s %s /ari%s -> no response after %.1f ms: %s", prepared.operation,
                          prepared.method, prepared.path, elapsed, exc)
            if listeners:
                self._record(listeners, started, prepared, None, elapsed, str(exc))
            raise
        if debug:
            log.debug("request %s %s /ari%s -> %d in %.1f ms", prepared.operation, prepared.method,
                      prepared.path, raw.status, raw.elapsed_ms)
        if listeners:
            error = None
            if raw.status >= 400:
                error = str(error_from(raw, prepared.operation, prepared.method, "/ari" + prepared.path))
            self._record(listeners, started, prepared, raw.status, raw.elapsed_ms, error, raw)
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
    def _record(listeners, started, prepared, status, elapsed, error, raw: RawResponse | None = None) -> None:
        record = {"time": started, "operation": prepared.operation, "method": prepared.method,
                  "path": "/ari" + prepared.path, "status": status, "elapsed_ms": elapsed, "error": error,
                  "object_id": _object_id(prepared, raw)}
        for fn in list(listeners):
            try:
                fn(record)
            except Exception:
                log.exception("request listener %r failed", fn)

    def add_request_listener(self, fn: Callable[[dict], Any]) -> "_ListHandle":
        """``fn(record)`` after every request: time, operation, method, path, status, elapsed_ms,
        error, object_id (the id of the object answered, e.g. the channel an originate made)."""
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
        ns = self.resources.get(cls._resource or "")
        if ns is None:
            return None
        target = ns._ops.get(name) or ns._snake.get(name)
        if target is None or not self._binds(cls, target.operation):
            return None
        return target

    @staticmethod
    def _binds(cls: type, op: Operation) -> bool:
        params = op.path_parameters
        if not cls._id_fields or not all(p in params for p in cls._id_fields):
            return False
        return cls._path_prefix is None or op.path.startswith(cls._path_prefix)

    def _bindable(self, cls: type) -> list[str]:
        ns = self.resources.get(cls._resource or "")
        if ns is None:
            return []
        return [n for n, c in ns._ops.items() if self._binds(cls, c.operation)]

    # ================================================================== extras
    @property
    def log(self):
        """An ``EventLog`` fed by this client's events: created at connect inside a Jupyter kernel
        (so it holds everything), elsewhere on first use (scripts need not load pandas)."""
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



#: collection paths whose POST creates an object named by a query parameter
_CREATE_PATHS = {"/channels": "channelId", "/channels/create": "channelId",
                 "/channels/externalMedia": "channelId", "/bridges": "bridgeId"}


def _object_id(prepared: PreparedRequest, raw: RawResponse | None) -> str | None:
    """Which object a request was about, from facts: the ``id`` of the object in the response
    (an originate's new channel), else the id the caller chose for a create (``channelId``).
    Lets the ladder plot tie ``POST /channels`` to its channel without guessing by time."""
    data = raw.data if raw is not None and raw.status < 400 else None
    if data:
        if data[:1] in ("{", b"{"):
            try:
                body = _json.loads(data)
            except _json.JSONDecodeError:
                body = None
            oid = body.get("id") if isinstance(body, dict) else None
            if isinstance(oid, str) and oid:
                return oid
    name = _CREATE_PATHS.get(prepared.path) if prepared.method == "POST" else None
    value = prepared.query.get(name) if name else None
    return value if isinstance(value, str) and value else None


__all__ = ["AriResponse", "Client"]
