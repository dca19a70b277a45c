"""The thin aiohttp layer: HTTP/WebSocket in, ``routing.handle`` and the event bus out.

Everything Asterisk's HTTP server does around ARI lives here and nowhere else: Basic/api_key
auth (401 + ``WWW-Authenticate``), read-only users (403), CORS for ``allowed_origins``,
``Server: Asterisk``/``Cache-Control`` headers, api-docs with ``basePath`` rewritten to the
request's host, the events WebSocket (400/426/500 HTML answers, ``ApplicationReplaced``,
``app=a,b``, ``subscribeAll``) and REST over that WebSocket (RESTRequest -> RESTResponse).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import WSMsgType, web

from ..spec import api_declaration, resource_listing
from . import security
from .routing import ROUTES, Reply, handle

if TYPE_CHECKING:
    from .server import Simulator

try:  # orjson is a project dependency; the stdlib is enough when it is missing
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)
except ImportError:  # pragma: no cover
    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

REALM = security.REALM_HEADER
BASE_HEADERS = {"Server": "Asterisk", "Cache-Control": "no-cache, no-store"}
MAX_APP_NAME = 255  # a 300-character app name fails registration (traces); shorter ones work
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
           412: "Precondition Failed", 422: "Unprocessable Entity", 426: "Upgrade Required",
           500: "Internal Server Error", 501: "Not Implemented"}


def html_error(status: int, text: str) -> web.Response:
    """Asterisk's HTML error page (ast_http_error), used by the events upgrade path."""
    title = f"{status} {REASONS.get(status, '')}".strip()
    body = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n<html><head>\r\n'
            f"<title>{title}</title>\r\n</head><body>\r\n<h1>{REASONS.get(status, '')}</h1>\r\n"
            f"<p>{text}</p>\r\n<hr />\r\n<address>Asterisk</address>\r\n</body></html>\r\n")
    resp = web.Response(status=status, body=body.encode(), headers=dict(BASE_HEADERS))
    resp.headers["Content-type"] = "text/html"
    return resp


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    all_headers = dict(BASE_HEADERS)
    all_headers.update(headers or {})
    if status == 204 or body is None:
        return web.Response(status=status, headers=all_headers)
    all_headers["Content-type"] = "application/json"
    return web.Response(status=status, body=dumps(body), headers=all_headers)


class AriHttp:
    """Request handling for one ``Simulator`` (no module-level state)."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.ast = sim.asterisk
        self.config = sim.config
        prefix = (self.config.prefix or "").strip("/")
        self.root = f"/{prefix}/ari" if prefix else "/ari"
        self.sockets: set[EventSocket] = set()
        self._auth_cache: dict[str, tuple[Any, Any]] = {}

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    # ---- helpers
    def authenticate(self, request: web.Request) -> Any:
        """The configured user for the request's Basic header or ``api_key``, else None.

        Accepted Authorization headers are remembered (per config), since a client sends the
        same one on every request."""
        header = request.headers.get("Authorization")
        if header is not None:
            known = self._auth_cache.get(header)
            if known is not None and known[0] is self.config:
                return known[1]
        user = security.authenticate(self.config, request.headers, request.query.items())
        if header is not None and user is not None and len(self._auth_cache) < 64:
            self._auth_cache[header] = (self.config, user)
        return user

    def cors_headers(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        cors = security.cors_headers(self.config, request.headers)
        if origin is not None and not cors:
            self.ast.write_log("NOTICE", f"http.c: Origin header '{origin}' does not match an allowed origin.")
        return cors

    def base_path(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}{self.root}"

    # ---- entry point
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path != self.root and not path.startswith(self.root + "/"):
            return html_error(404, "The requested URL was not found on this server.")
        rel = path[len(self.root):]
        cors = self.cors_headers(request)
        user = self.authenticate(request)
        if user is None:
            return json_response(401, {"message": "Authentication required"}, {**cors, "WWW-Authenticate": REALM})
        if rel.rstrip("/") == "/events" and request.method == "GET" and rel == "/events":
            return await self.events(request, user, cors)
        if request.method == "OPTIONS":
            return self.options(request, rel, cors)
        if security.write_denied(user, request.method):
            return json_response(403, {"message": "Write access denied"}, cors)
        if rel.startswith("/api-docs/") and request.method == "GET":
            return self.api_docs(request, rel[len("/api-docs/"):], cors)
        raw = await request.read()
        query = [(k, v) for k, v in request.query.items() if k != "api_key"]
        reply = handle(self.ast, request.method, rel or "/", query, raw, request.headers.get("Content-Type"),
                       user.name)
        return self.to_response(reply, cors)

    def to_response(self, reply: Reply, cors: dict[str, str]) -> web.Response:
        headers = dict(reply.headers)
        if "Location" in headers and headers["Location"].startswith("/") and not headers["Location"].startswith(self.root):
            headers["Location"] = self.root + headers["Location"]
        headers.update(cors)
        if reply.raw is not None:
            all_headers = {**BASE_HEADERS, **headers}
            if reply.content_type:
                all_headers["Content-type"] = reply.content_type
            return web.Response(status=reply.status, body=reply.raw, headers=all_headers)
        return json_response(reply.status, reply.body, headers)

    def options(self, request: web.Request, rel: str, cors: dict[str, str]) -> web.Response:
        allow = ROUTES.allowed(rel or "/")
        if allow is None:
            return json_response(404, {"message": "Resource not found"}, cors)
        return json_response(204, None, {**cors, **security.preflight_headers(self.config, request.headers, allow)})

    def api_docs(self, request: web.Request, name: str, cors: dict[str, str]) -> web.Response:
        spec = self.sim.spec
        base = self.base_path(request)
        if name == "resources.json":
            return json_response(200, resource_listing(spec, base), cors)
        stem = name[:-5] if name.endswith(".json") else None
        if stem is None or stem not in spec.resources:
            return json_response(404, {"message": "Resource not found"}, cors)
        return json_response(200, api_declaration(spec.resources[stem], base), cors)

    # ---- events WebSocket
    async def events(self, request: web.Request, user: Any, cors: dict[str, str]) -> web.StreamResponse:
        apps = [a for a in request.query.get("app", "").split(",") if a]
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return html_error(426, "")
        if not apps:
            return html_error(400, "HTTP request is missing param: [app]")
        if any(len(a) > MAX_APP_NAME for a in apps):
            return html_error(500, "Stasis app registration failed")
        if security.websocket_origin_refused(self.config, request.headers):
            return html_error(403, "Origin not allowed")  # opt-in: Asterisk 23 does not check Origin
        subscribe_all = request.query.get("subscribeAll", "").lower() in ("true", "yes", "1", "on")
        # no permessage-deflate: Asterisk's 101 carries no extensions (and frames go out as written)
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=16 * 1024 * 1024, compress=False)
        sock = EventSocket(self, ws, apps, subscribe_all, user.name)
        # Asterisk registers the apps before it answers 101 (a failed registration is a 500 to the
        # upgrade), so a client that sees the upgrade complete can dial into its app at once
        sock.register()
        self.sockets.add(sock)
        try:
            await ws.prepare(request)
            await sock.run()
        finally:
            self.sockets.discard(sock)
            sock.unregister()
        return ws

    async def close_sockets(self) -> None:
        for sock in list(self.sockets):
            await sock.close()


WRITE_HIGH_WATER = 1 << 20


def _frame_head(n: int) -> bytes:
    """The header of one unmasked, final WebSocket text frame (RFC 6455 5.2) of ``n`` bytes."""
    if n < 126:
        return bytes((0x81, n))
    if n < 1 << 16:
        return bytes((0x81, 126)) + n.to_bytes(2, "big")
    return bytes((0x81, 127)) + n.to_bytes(8, "big")


def _text_frames(payloads: list[bytes]) -> bytes:
    """Text frames for ``payloads``, joined once (no per-frame concatenation)."""
    parts: list[bytes] = []
    for payload in payloads:
        parts.append(_frame_head(len(payload)))
        parts.append(payload)
    return b"".join(parts)


class Outbox:
    """A socket's outgoing messages in order: bytes, None (end) or a ``sim.faults`` action.

    Why not ``asyncio.Queue``: the writer always takes everything queued at once, and an event
    burst is a dozen ``put_nowait`` calls per call cycle; a deque plus one wake-up future per
    batch costs a fraction of the Queue's per-item bookkeeping. Same ``put_nowait`` as a Queue
    (``sim.faults`` queues its actions through it)."""

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._waiter: asyncio.Future | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    async def take_all(self) -> list[Any]:
        """Wait for at least one item, then return (and remove) everything queued."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = list(self._items)
        self._items.clear()
        return items


class EventSocket:
    """One events WebSocket: registered apps feed a queue, a writer task sends in order."""

    def __init__(self, http: AriHttp, ws: web.WebSocketResponse, apps: list[str], subscribe_all: bool,
                 user: str) -> None:
        self.http = http
        self.ast = http.ast
        self.ws = ws
        self.apps = apps
        self.subscribe_all = subscribe_all
        self.user = user
        self.queue = Outbox()  # bytes, None (end) or a sim.faults action
        self.replaced: set[str] = set()
        self.deliver = self.sink  # one bound method, so the bus can tell this socket's sink apart

    def sink(self, event: dict) -> None:
        if event.get("type") == "ApplicationReplaced":
            self.replaced.add(event.get("application", ""))
        self.queue.put_nowait(dumps(event))

    def register(self) -> None:
        for name in self.apps:
            self.ast.register_app(name, self.deliver, subscribe_all=self.subscribe_all)

    def unregister(self) -> None:
        for name in self.apps:
            self.ast.unregister_app(name, self.deliver)  # a no-op once replaced or already gone

    async def run(self) -> None:
        writer = asyncio.create_task(self._write())
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    self._rest_request(msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.unregister()
            self.queue.put_nowait(None)
            try:
                await asyncio.wait_for(writer, 1.0)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                writer.cancel()

    async def _write(self) -> None:
        """Send queued events in order. Everything queued at the moment goes out in one write
        (one syscall for a burst of events instead of one per event), as text frames. A queued
        callable is a ``sim.faults`` action: it runs in its place in the order."""
        transport = getattr(getattr(self.ws, "_writer", None), "transport", None)
        while True:
            batch = await self.queue.take_all()
            pending: list[bytes] = []
            try:
                for item in batch:
                    if item is None or self.ws.closed:
                        await self._flush(transport, pending)
                        return
                    if callable(item):
                        await self._flush(transport, pending)
                        pending = []
                        await item(self.ws)
                        continue
                    pending.append(item)
                await self._flush(transport, pending)
            except (ConnectionError, RuntimeError):
                return

    async def _flush(self, transport: Any, payloads: list[bytes]) -> None:
        if not payloads or self.ws.closed:
            return
        if transport is None or transport.is_closing():
            for payload in payloads:
                await self.ws.send_frame(payload, WSMsgType.TEXT)
            return
        transport.write(_text_frames(payloads))
        while transport.get_write_buffer_size() > WRITE_HIGH_WATER and not transport.is_closing():
            await asyncio.sleep(0.002)  # a slow reader: let the kernel drain

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()

    def _rest_request(self, data: str) -> None:
        """REST over WebSocket: a ``RESTRequest`` runs like an HTTP request; answer ``RESTResponse``."""
        try:
            msg = json.loads(data)
        except ValueError:
            return
        if not isinstance(msg, dict) or msg.get("type") != "RESTRequest":
            return
        uri = str(msg.get("uri", ""))
        parts = urlsplit(uri if uri.startswith("/") else "/" + uri)
        query = parse_qsl(parts.query, keep_blank_values=True)
        for item in msg.get("query_strings") or ():
            if isinstance(item, dict) and "name" in item:
                query.append((str(item["name"]), str(item.get("value", ""))))
        body = msg.get("message_body") or ""
        raw = body.encode() if isinstance(body, str) else dumps(body)
        ctype = msg.get("content_type") or ("application/json" if raw else None)
        method = str(msg.get("method", "GET")).upper()
        user = self.http.config.user(self.user)
        rel = parts.path
        if rel.startswith(self.http.root):
            rel = rel[len(self.http.root):] or "/"
        if user is not None and security.write_denied(user, method):
            reply = Reply(403, {"message": "Write access denied"})
        else:
            reply = handle(self.ast, method, rel, query, raw, ctype, self.user)
        answer: dict[str, Any] = {
            "type": "RESTResponse",
            "transaction_id": str(msg.get("transaction_id", "")),
            "request_id": str(msg.get("request_id", "")),
            "status_code": reply.status,
            "reason_phrase": REASONS.get(reply.status, ""),
            "uri": uri,
        }
        if reply.body is not None:
            answer["content_type"] = "application/json"
            answer["message_body"] = dumps(reply.body).decode()
        answer["application"] = self.apps[0]
        answer["timestamp"] = self.ast.timestamp()
        answer["asterisk_id"] = self.ast.asterisk_id
        self.queue.put_nowait(dumps(answer))
