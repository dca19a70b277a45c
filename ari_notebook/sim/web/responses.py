"""Asterisk's HTTP answers, as bytes and aiohttp responses: no state, no routing.

Shared by the web side (``http``, ``events_connection``, ``faults``, ``misconfig``) so each of
them answers with the same headers and error shapes as Asterisk's HTTP server.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

try:  # orjson is a project dependency; the stdlib is enough when it is missing
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)
except ImportError:  # pragma: no cover
    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

BASE_HEADERS = {"Server": "Asterisk", "Cache-Control": "no-cache, no-store"}
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
