"""Setups a real Asterisk can be left in, for the doctor's tests and notebook 06.

``SimConfig.ari_enabled = False`` is ari.conf ``enabled = no``: Asterisk's HTTP server still
answers, but nothing is registered under /ari, so every /ari URL (resources.json included) is
the HTTP server's own 404 page. ``SimConfig.websocket = False`` is res_http_websocket (or
res_ari_events) not loaded: REST works, but /ari/events is an unknown resource (404), so no
WebSocket upgrade can succeed. Applied as an aiohttp middleware so the request path of a
correctly configured simulator is untouched.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .responses import html_error, json_response


def middleware(config: Any, root: str):
    """An aiohttp middleware answering as the misconfigured Asterisk would, or None if all is on."""
    if config.ari_enabled and config.websocket:
        return None

    @web.middleware
    async def misconfigured(request: web.Request, handler):
        path = request.path
        under_ari = path == root or path.startswith(root + "/")
        if under_ari and not config.ari_enabled:
            return html_error(404, "The requested URL was not found on this server.")
        if under_ari and not config.websocket and path.rstrip("/") == root + "/events":
            return json_response(404, {"message": "Resource not found"})
        return await handler(request)

    return misconfigured
