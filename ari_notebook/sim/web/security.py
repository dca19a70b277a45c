"""Authentication, read-only users, CORS and the WebSocket Origin rule, as Asterisk 23 does them.

Pure functions over a ``SimConfig`` and request headers, so the aiohttp layer stays thin and
every rule is unit-tested. What the traces show (g_errors):

* Credentials come from ``Authorization: Basic`` or, only when that header is absent, from
  ``api_key=user:password``. Missing or wrong -> 401 ``Authentication required`` with
  ``WWW-Authenticate: Basic realm="Asterisk REST Interface"``.
* A read-only user gets 403 ``Write access denied`` on anything but GET and OPTIONS.
* CORS: a request whose ``Origin`` is in ``allowed_origins`` gets
  ``Access-Control-Allow-Origin: <origin>`` and ``Access-Control-Allow-Credentials: true`` -
  on every answer, 401 included; another Origin gets the same answer without them (Asterisk
  logs a NOTICE). A preflight ``OPTIONS`` needs credentials like any request (401 otherwise);
  with them it is 204 with ``Allow`` and, for an allowed Origin asking for an allowed method,
  ``Access-Control-Allow-Methods`` and ``Access-Control-Allow-Headers``.
* The events WebSocket upgrade does not look at ``Origin``; ``strict_origin=True`` makes the
  simulator refuse a foreign Origin with 403 (an option Asterisk does not have).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Iterable, Mapping

REALM_HEADER = 'Basic realm="Asterisk REST Interface"'
READ_METHODS = ("GET", "OPTIONS")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # plain dicts in tests: look the name up case-insensitively
        # (aiohttp's headers are already case-insensitive: a miss there is a real miss)
        lowered = name.lower()
        for key, v in headers.items():
            if key.lower() == lowered:
                return v
    return value


def credentials(headers: Mapping[str, str], query: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(user, password) from the Basic header, else from ``api_key``; None when neither is there.

    A malformed header counts as wrong credentials (``("", "")``), never as "no header", so a
    broken Authorization header cannot fall through to an ``api_key`` (Asterisk neither).
    """
    auth = _header(headers, "Authorization")
    if auth is not None:
        scheme, _, token = auth.strip().partition(" ")
        if scheme.lower() != "basic":
            return ("", "")
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ("", "")
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else ("", "")
    pairs = query.items() if isinstance(query, Mapping) else query
    api_key = None
    for key, value in pairs:
        if key.lower() == "api_key":
            api_key = value
            break  # Asterisk uses the first api_key it finds
    if api_key is None:
        return None
    user, sep, password = api_key.partition(":")
    return (user, password) if sep else ("", "")


def authenticate(config: Any, headers: Mapping[str, str], query: Any) -> Any | None:
    """The configured ``User`` the request proves to be, or None (-> 401)."""
    found = credentials(headers, query)
    if found is None:
        return None
    name, password = found
    user = config.user(name) if name else None
    if user is None or user.password != password:
        return None
    return user


def write_denied(user: Any, method: str) -> bool:
    """A read-only user may only read (GET) and ask (OPTIONS)."""
    return bool(getattr(user, "read_only", False)) and method.upper() not in READ_METHODS


def origin_allowed(config: Any, origin: str | None) -> bool:
    """ari.conf ``allowed_origins``: exact, case-sensitive match (``*`` allows any)."""
    if not origin:
        return False
    allowed = tuple(getattr(config, "allowed_origins", ()) or ())
    return "*" in allowed or origin in allowed


def cors_headers(config: Any, headers: Mapping[str, str]) -> dict[str, str]:
    """Headers every answer carries for this request's Origin (empty when none or foreign)."""
    origin = _header(headers, "Origin")
    if not origin_allowed(config, origin):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


def preflight_headers(config: Any, headers: Mapping[str, str], allow: str) -> dict[str, str]:
    """Headers of an authenticated ``OPTIONS`` answer (204): ``Allow`` always; the CORS grant
    only for an allowed Origin whose ``Access-Control-Request-Method`` the path supports.

    ``allow`` is the path's Allow value, e.g. ``OPTIONS,GET,POST``.
    """
    out = {"Allow": allow}
    origin = _header(headers, "Origin")
    method = _header(headers, "Access-Control-Request-Method")
    if not origin_allowed(config, origin) or not method:
        return out
    methods = [m for m in allow.split(",") if m and m != "OPTIONS"]
    if method not in methods:
        return out
    out.update({"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": ",".join(methods),
                "Access-Control-Allow-Headers": _header(headers, "Access-Control-Request-Headers") or ""})
    return out


def websocket_origin_refused(config: Any, headers: Mapping[str, str]) -> bool:
    """True only in strict mode, for an upgrade whose Origin is present and not allowed."""
    if not getattr(config, "strict_origin", False):
        return False  # Asterisk 23 accepts any Origin on the events socket
    origin = _header(headers, "Origin")
    return origin is not None and not origin_allowed(config, origin)
