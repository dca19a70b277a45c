"""Transports: how a prepared request reaches the server. ``HttpTransport`` (one aiohttp session,
credentials in the Authorization header only, TLS) and ``MockTransport`` (a plain function, for
tests without sockets, as httpx's ``MockTransport``).

Why one seam: operations, ``execute`` and the spec loader all send through a ``Transport``,
so error mapping, timing and request records happen once, and the client never touches a
socket itself (``RestOverWebSocket`` in ``restws.py`` is the third transport). The WebSocket side gets its own
connector with ``force_close`` so an upgrade never rides a pooled keep-alive connection
(Asterisk writes a second HTTP response after refusing an upgrade; traces README).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl as _ssl
import time
import warnings
from typing import Any, Awaitable, Callable, Mapping, Protocol

import aiohttp
from yarl import URL

from .. import _json
from .._errors import ConfigurationError, TransportError, http_error_for
from .._record import Record

log = logging.getLogger("ari_notebook.client")


class InsecureConnectionWarning(UserWarning):
    """TLS certificate verification was switched off with ``verify=False``."""


class Credentials(Record):
    """Who we are; ``repr`` never shows the password."""

    __slots__ = ("username", "password")
    _masked = ("password",)

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password

    @classmethod
    def resolve(cls, username: str | None, password: str | None, api_key: str | None,
                url_username: str | None = None, url_password: str | None = None) -> "Credentials":
        if api_key is not None:
            if username is not None:
                raise ConfigurationError("pass either username/password or api_key='user:pass', not both")
            user, sep, pwd = str(api_key).partition(":")
            if not sep or not user:
                raise ConfigurationError("api_key must look like 'username:password'")
            return cls(user, pwd)
        if username is None:
            username, password = url_username, url_password if password is None else password
        if not username:
            raise ConfigurationError("no ARI user name: pass username=/password= or api_key='user:pass'")
        return cls(str(username), "" if password is None else str(password))

    @property
    def header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return "Basic " + token

    @property
    def api_key(self) -> str:
        return f"{self.username}:{self.password}"


def ssl_setting(secure: bool, ssl: Any, verify: bool) -> Any:
    """What aiohttp's ``ssl=`` gets: a context from a CA file path, the given context, or False."""
    if not secure:
        return None
    if not verify:
        warnings.warn("TLS certificate verification is OFF (verify=False): anyone on the path can "
                      "read and change ARI traffic, including your credentials",
                      InsecureConnectionWarning, stacklevel=4)
        return False
    if ssl is None or ssl is True:
        return True  # aiohttp's default: verify against the system CAs
    if isinstance(ssl, _ssl.SSLContext):
        return ssl
    if isinstance(ssl, (str, bytes)) or hasattr(ssl, "__fspath__"):
        try:
            return _ssl.create_default_context(cafile=str(ssl if not isinstance(ssl, bytes) else ssl.decode()))
        except (OSError, _ssl.SSLError) as exc:
            raise ConfigurationError(f"cannot load the CA file {ssl!s}: {exc}") from exc
    raise ConfigurationError(f"ssl= must be a CA file path or an ssl.SSLContext, got {type(ssl).__name__}")


class RawResponse(Record):
    __slots__ = ("status", "headers", "data", "content_type", "elapsed_ms")

    def __init__(self, status: int, headers: Mapping[str, str], data: bytes | str | None, content_type: str,
                 elapsed_ms: float) -> None:
        self.status = status
        self.headers = headers
        self.data = data  # body as received; None when empty
        self.content_type = content_type
        self.elapsed_ms = elapsed_ms


_JSON_HEADERS = {"Content-Type": "application/json"}
RETRY_STATUSES = frozenset({502, 503, 504})  # busy or restarting: worth asking again


def decode_json(data: bytes | str | None) -> Any:
    if not data:
        return None
    return _json.loads(data)


def error_from(raw: RawResponse, operation: str | None, method: str, path: str) -> Exception:
    """The HttpError subclass for an error status, with ARI's message (or the 'error' quirk)."""
    body: Any = None
    message = ""
    path = path.split("?", 1)[0]  # a query could hold api_key: never part of an error
    if raw.data:
        try:
            body = _json.loads(raw.data)
        except _json.JSONDecodeError:
            text = raw.data.decode("utf-8", "replace") if isinstance(raw.data, bytes) else raw.data
            body = text
            message = _html_text(text)
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or "")
    if not message:
        message = _REASONS.get(raw.status, "error")
    return http_error_for(raw.status, message, operation=operation, method=method, path=path, body=body)


_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed",
            422: "Unprocessable Entity", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable"}


def _html_text(text: str) -> str:
    """Asterisk answers some failures with a tiny HTML page; keep its <p> text."""
    import re

    m = re.search(r"<p>(.*?)</p>", text, re.S)
    if m and m.group(1).strip():
        return m.group(1).strip()
    stripped = re.sub(r"<[^>]+>", " ", text)
    return " ".join(stripped.split())[:200]


class Transport(Protocol):
    """What the client sends through: ``send`` answers a ``RawResponse`` (any status) or raises
    ``TransportError``; ``ws_session`` gives the aiohttp session an events socket connects with
    (where ``events_socket`` is true)."""

    name: str
    events_socket: bool

    async def send(self, method: str, path: str, query: Mapping[str, str] | None, body: Any,
                   *, operation: str | None = None) -> RawResponse: ...

    def ws_session(self) -> aiohttp.ClientSession: ...

    async def close(self) -> None: ...


class HttpTransport:
    """Sends prepared requests over HTTP; returns ``RawResponse`` or raises TransportError."""

    name = "http"
    events_socket = True

    def __init__(self, ari_base: str, credentials: Credentials, ssl: Any, *,
                 timeout: float | None = 30.0, connector_limit: int = 100, retries: int = 0,
                 retry_delay: float = 0.2) -> None:
        if not isinstance(retries, int) or retries < 0:
            raise ConfigurationError(f"retries must be an int >= 0, got {retries!r}")
        self.ari_base = ari_base.rstrip("/")
        self.retries = retries  # extra attempts for GET only (see send_with_retries)
        self.retry_delay = retry_delay
        self._auth = {"Authorization": credentials.header}
        self._ssl = ssl
        connector = aiohttp.TCPConnector(limit=connector_limit, ssl=ssl if ssl is not None else True)
        self.session = aiohttp.ClientSession(
            connector=connector, headers=self._auth,
            timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout or 10.0, 10.0)),
            json_serialize=_json.dumps)
        self._closed = False

    def ws_session(self) -> aiohttp.ClientSession:
        """A session whose connector never reuses a connection: one fresh socket per upgrade."""
        connector = aiohttp.TCPConnector(force_close=True, limit=0,
                                         ssl=self._ssl if self._ssl is not None else True)
        return aiohttp.ClientSession(connector=connector, headers=self._auth)

    async def send(self, method: str, path: str, query: Mapping[str, str] | None, body: Any,
                   *, operation: str | None = None) -> RawResponse:
        """One request; a GET is retried up to ``retries`` times on a transport error or a 502/503/504.

        Only GET: it changes nothing on the server, so repeating it is safe; POST/PUT/DELETE
        could originate a second call or hang up twice. 500 is not retried: Asterisk answers it
        for errors that repeat (an allocation that failed, a module that refuses).
        """
        attempt = 0
        while True:
            raw = None
            try:
                raw = await self._send_once(method, path, query, body, operation=operation)
            except TransportError:
                if method != "GET" or attempt >= self.retries:
                    raise
            else:
                if method != "GET" or attempt >= self.retries or raw.status not in RETRY_STATUSES:
                    return raw
            attempt += 1
            delay = self.retry_delay * (2 ** (attempt - 1))
            log.debug("retrying %s GET /ari%s (%s) in %.2f s, attempt %d of %d", operation or "request", path,
                      f"got {raw.status}" if raw is not None else "transport error", delay, attempt + 1,
                      self.retries + 1)
            await asyncio.sleep(delay)

    async def _send_once(self, method: str, path: str, query: Mapping[str, str] | None, body: Any,
                         *, operation: str | None = None) -> RawResponse:
        url = URL(self.ari_base + path, encoded=True)
        if query:
            url = url.update_query(query)
        data = None
        headers = None
        if body is not None:
            data = _json.dumps(body).encode()
            headers = _JSON_HEADERS
        started = time.perf_counter()
        try:
            async with self.session.request(method, url, data=data, headers=headers) as resp:
                raw = await resp.read()
                elapsed = (time.perf_counter() - started) * 1000.0
                return RawResponse(resp.status, resp.headers, raw or None,
                                   resp.headers.get("Content-Type", ""), elapsed)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            what = f"{operation} " if operation else ""
            detail = str(exc) or type(exc).__name__
            raise TransportError(f"{what}{method} /ari{path}: {detail}") from exc

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self.session.close()


class MockRequest(Record):
    """What a ``MockTransport`` handler is asked: the request as the client would send it."""

    __slots__ = ("method", "path", "query", "body", "operation")

    def __init__(self, method: str, path: str, query: Mapping[str, str], body: Any, operation: str | None) -> None:
        self.method = method
        self.path = path  # under /ari, e.g. "/channels/abc/answer"
        self.query = query
        self.body = body  # the JSON body as a Python value, or None
        self.operation = operation


def mock_response(status: int = 200, json: Any = None, *, content: bytes | None = None,
                  headers: Mapping[str, str] | None = None) -> RawResponse:
    """A response for a ``MockTransport`` handler: ``json`` encoded, or raw ``content``."""
    if content is None and json is not None:
        content = _json.dumps(json).encode()
    kind = "application/json" if json is not None else "application/octet-stream" if content else ""
    return RawResponse(status, dict(headers or {}), content or None, kind, 0.0)


class MockTransport:
    """A transport that calls ``handler(request)`` instead of the network (sync or async), so
    the whole client, spec load included, runs in a unit test with no socket::

        client = await Client.connect("http://pbx:8088", "u", "p", transport=MockTransport(handler))

    The handler returns a ``RawResponse`` (``mock_response(200, {...})``); raising
    ``TransportError`` stands for a network failure. There is no events socket."""

    name = "mock"
    events_socket = False

    def __init__(self, handler: Callable[[MockRequest], RawResponse | Awaitable[RawResponse]]) -> None:
        self.handler = handler
        self.closed = False

    async def send(self, method: str, path: str, query: Mapping[str, str] | None, body: Any,
                   *, operation: str | None = None) -> RawResponse:
        if self.closed:
            raise TransportError(f"{operation or 'request'} {method} /ari{path}: the transport is closed")
        answer = self.handler(MockRequest(method, path, dict(query or {}), body, operation))
        if asyncio.iscoroutine(answer) or isinstance(answer, asyncio.Future):
            answer = await answer
        return answer

    def ws_session(self) -> aiohttp.ClientSession:
        raise ConfigurationError("MockTransport has no events socket")

    async def close(self) -> None:
        self.closed = True


__all__ = ["Credentials", "HttpTransport", "InsecureConnectionWarning", "MockRequest", "MockTransport",
           "RawResponse", "Transport", "decode_json", "error_from", "mock_response", "ssl_setting"]
