"""The thin aiohttp layer: HTTP/WebSocket in, ``routing.handle`` and the event bus out.

Everything Asterisk's HTTP server does around ARI lives here and nowhere else: Basic/api_key
auth (401 + ``WWW-Authenticate``), read-only users (403), CORS for ``allowed_origins``,
``Server: Asterisk``/``Cache-Control`` headers, api-docs with ``basePath`` rewritten to the
request's host, the events WebSocket (400/426/500 HTML answers, ``ApplicationReplaced``,
``app=a,b``, ``subscribeAll``) and REST over that WebSocket (RESTRequest -> RESTResponse).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ...spec import Spec, api_declaration, resource_listing
from . import security
from ..backend.core import Asterisk
from .events_connection import EventsConnection
from .responses import BASE_HEADERS, html_error, json_response
from ..routing import ROUTES, Reply, handle

REALM = security.REALM_HEADER
MAX_APP_NAME = 255  # a 300-character app name fails registration (traces); shorter ones work


class AriHttp:
    """Request handling for one ``Simulator`` (no module-level state)."""

    def __init__(self, asterisk: Asterisk, config: Any, spec: Spec) -> None:
        self.ast = asterisk
        self.config = config
        self.spec = spec
        prefix = (self.config.prefix or "").strip("/")
        self.root = f"/{prefix}/ari" if prefix else "/ari"
        self.sockets: set[EventsConnection] = set()
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
        reply = self.docs(name, self.base_path(request))
        return json_response(reply.status, reply.body, cors)

    def docs(self, name: str, base: str) -> Reply:
        """One api-docs file with ``basePath`` set to ``base`` (also served over the events socket)."""
        spec = self.spec
        if name == "resources.json":
            return Reply(200, resource_listing(spec, base))
        stem = name[:-5] if name.endswith(".json") else None
        if stem is None or stem not in spec.resources:
            return Reply(404, {"message": "Resource not found"})
        return Reply(200, api_declaration(spec.resources[stem], base))

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
        # pings are answered by the connection itself, after what it already queued (EventsConnection.run)
        ws = web.WebSocketResponse(autoping=False, heartbeat=None, max_msg_size=16 * 1024 * 1024, compress=False)
        base = self.base_path(request)
        sock = EventsConnection(self.ast, self.config, self.root, ws, request.transport, apps,
                                subscribe_all, user.name, docs=lambda name: self.docs(name, base))
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

    async def drain_sockets(self, limit: float = 1.0) -> None:
        """Let every socket send what is queued (up to ``limit`` seconds), e.g. before a restart."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while any(not sock.queue.empty() for sock in self.sockets) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0)

    async def close_sockets(self) -> None:
        for sock in list(self.sockets):
            await sock.close()
