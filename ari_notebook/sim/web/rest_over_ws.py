"""REST over the events WebSocket: a ``RESTRequest`` message in, the ``RESTResponse`` out (sans-I/O).

Asterisk 23 parses the message before it runs anything, and each parse failure has its own
400 answer with the reason phrase ``Bad request`` (lower-case r). The order of the checks
decides what a malformed message gets, so it follows Asterisk's parser step by step
(``res/ari/ari_websocket_requests.c``): ``type``, then ``uri`` (its query string is cut off
and parsed), then ``method`` (case-sensitive), then ``query_strings`` (a list of
``{"name","value"}`` strings; anything that is not a list is ignored), then a non-empty string
``message_body``, which needs a ``content_type`` of JSON or form encoding. The request then runs
like an HTTP one (``ast_ari_invoke`` in ``res/res_ari.c``): the socket's user is checked for
write access, a uri ending in ``/`` is a 404 that names the slashless one, ``api-docs/...`` is
served, and the path is looked up relative to ``/ari/`` (so ``/asterisk/info`` stops at the root:
405, and ``ari/asterisk/info`` is a 404). ``events`` cannot be upgraded from a socket.
"""

from __future__ import annotations

import json
from typing import Any, Callable
from urllib.parse import parse_qsl

from .responses import REASONS, dumps
from ..routing import Reply, handle

METHODS = ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS")  # ast_http_methods_text, exact case
NOT_JSON = "Failed to parse request message JSON"

# Asterisk's handlers name some failures with their own reason phrase (ast_ari_response_error's
# second argument); a RESTResponse shows it, where HTTP clients only see the status
REASON_BY_MESSAGE = {
    "Provided variable was not found": "Variable Not Found",
    "Unable to read provided function": "Error With Function",
    "Provided channel was not found": "Channel Not Found",
    "Provided bridge was not found": "Bridge Not Found",
    "Invalid reason for hangup reason code provided": "Invalid Reason Code",
    "Invalid reason for hangup reason provided": "Invalid Reason",
    "Required parameter 'endpoint' not provided.": "Not Found",
    "Snoop channel could not be created": "Internal error",
}
REASON_BY_STATUS = {**REASONS, 500: "Internal Error"}


class MalformedRequest(Exception):
    """The message could not be turned into a request; ``uri`` is what was parsed so far."""

    def __init__(self, message: str, uri: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.uri = uri


def _text(msg: dict, key: str) -> str:
    """A string property, or "" (Asterisk reads any other JSON type as absent)."""
    value = msg.get(key)
    return value if isinstance(value, str) else ""


def parse(msg: Any) -> tuple[str, str, list[tuple[str, str]], bytes, str | None]:
    """``(method, uri, query, body, content_type)`` of a RESTRequest, or ``MalformedRequest``."""
    if not isinstance(msg, dict) or not _text(msg, "type"):
        raise MalformedRequest("No 'type' property.")
    if msg["type"] != "RESTRequest":
        raise MalformedRequest("Unknown request type.")
    uri = _text(msg, "uri")
    if not uri:
        raise MalformedRequest("Empty or missing 'uri' property.")
    query: list[tuple[str, str]] = []
    if "?" in uri:
        uri, query_text = uri.split("?", 1)
        query += parse_qsl(query_text, keep_blank_values=True)
    method = _text(msg, "method")
    if method not in METHODS:
        raise MalformedRequest("Unknown or missing 'method' property.", uri)
    pairs = msg.get("query_strings")
    if isinstance(pairs, list):
        for pair in pairs:
            if not (isinstance(pair, dict) and isinstance(pair.get("name"), str)
                    and isinstance(pair.get("value"), str)):
                raise MalformedRequest("Unable to parse 'query_strings' array.", uri)
            query.append((pair["name"], pair["value"]))
    body = _text(msg, "message_body")
    if not body:
        return method, uri, query, b"", None
    content_type = _text(msg, "content_type")
    if not content_type:
        raise MalformedRequest("No 'content_type' for 'message_body'.", uri)
    if content_type == "application/x-www-form-urlencoded":
        query += parse_qsl(body, keep_blank_values=True)
        return method, uri, query, b"", None
    if content_type == "application/json":
        try:
            json.loads(body)
        except ValueError:
            raise MalformedRequest("Unable to parse 'message_body' as 'application/json'.", uri) from None
        return method, uri, query, body.encode(), content_type
    raise MalformedRequest("Unknown content type.", uri)


def answer(ast: Any, data: str, *, read_only: bool, user: str | None,
           docs: Callable[[str], Reply]) -> dict:
    """The RESTResponse (without ``application``/``timestamp``/``asterisk_id``) for one text frame."""
    try:
        msg = json.loads(data)
    except ValueError:
        return {"type": "RESTResponse", "transaction_id": "", "request_id": "", "status_code": 400,
                "reason_phrase": NOT_JSON, "uri": ""}
    ids = {"transaction_id": _text(msg, "transaction_id"), "request_id": _text(msg, "request_id")} \
        if isinstance(msg, dict) else {"transaction_id": "", "request_id": ""}
    try:
        method, uri, query, body, content_type = parse(msg)
    except MalformedRequest as bad:
        return _response(ids, 400, "Bad request", bad.uri, {"message": bad.message})
    if uri == "events" and method == "GET":
        return _response(ids, 400, "Bad request", uri, {"message": "Can't upgrade to websocket from a websocket"})
    reply = _invoke(ast, method, uri, query, body, content_type, read_only=read_only, user=user, docs=docs)
    reason = REASON_BY_STATUS.get(reply.status, "")
    if isinstance(reply.body, dict) and reply.status >= 400:
        reason = REASON_BY_MESSAGE.get(str(reply.body.get("message")), reason)
    if reply.raw is not None:  # a file (a stored recording): Asterisk answers this over HTTP only
        return _response(ids, 406, "Not Acceptable.  Use HTTP GET", uri, None)
    return _response(ids, reply.status, reason, uri, reply.body)


def _invoke(ast: Any, method: str, uri: str, query: list[tuple[str, str]], body: bytes,
            content_type: str | None, *, read_only: bool, user: str | None,
            docs: Callable[[str], Reply]) -> Reply:
    if read_only and method not in ("GET", "OPTIONS"):
        return Reply(403, {"message": "Write access denied"})
    if uri.endswith("/"):
        return Reply(404, {"message": f"ARI URLs do not end with a slash. Try /ari/{uri[:-1]}"})
    if uri.startswith("api-docs/"):
        if method != "GET":
            return Reply(405, {"message": "Unsupported method"})
        return docs(uri[len("api-docs/"):])
    path = "/" if uri.startswith("/") else "/" + uri  # a leading "/": the lookup stops at the root
    return handle(ast, method, path, query, body, content_type, user)


def _response(ids: dict, status: int, reason: str, uri: str, body: Any) -> dict:
    out = {"type": "RESTResponse", **ids, "status_code": status, "reason_phrase": reason, "uri": uri}
    if body is not None:
        out["content_type"] = "application/json"
        out["message_body"] = dumps(body).decode()
    return out
