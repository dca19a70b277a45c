"""REST over the WebSocket (Asterisk 20.14 / 21.9 / 22.4+): ``RESTRequest`` out, ``RESTResponse`` back.

Why: one socket for requests and events, no HTTP round trip setup per call. Requests carry a
``request_id``; the matching ``RESTResponse`` resolves the waiting call. The client opens a
dedicated socket for it (an app of its own, so it never steals another app's events) and
falls back to HTTP, with a warning, when the server's api-docs lack ``RESTRequest`` or the
socket cannot be opened or does not answer a probe.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
import warnings
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from .. import _json
from .._errors import AriError, TransportError
from ..spec import Spec
from .stream import EventSocket
from .transport import RawResponse, Transport


class RestOverWebSocket:
    """Sends prepared requests as ``RESTRequest`` messages and matches answers by request id."""

    def __init__(self, socket_factory, app: str, timeout: float | None = 30.0) -> None:
        self.app = app
        self.timeout = timeout
        self._pending: dict[str, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._prefix = f"{id(self):x}-"
        self.socket: EventSocket = socket_factory(app, self._on_text, self._on_state)

    @property
    def connected(self) -> bool:
        ws = self.socket.ws
        return ws is not None and not ws.closed

    async def open(self) -> None:
        await self.socket.start()

    def _on_state(self, state: str) -> None:
        if state != "connected" and self._pending:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(TransportError(f"REST WebSocket {state} before the response arrived"))
            self._pending.clear()

    def _on_text(self, data: Any) -> None:
        msg = _json.loads(data)
        if type(msg) is dict and msg.get("type") == "RESTResponse":
            fut = self._pending.pop(str(msg.get("request_id")), None)
            if fut is not None and not fut.done():
                fut.set_result(msg)

    async def send(self, method: str, path: str, query: Mapping[str, str] | None, body: Any,
                   *, operation: str | None = None) -> RawResponse:
        ws = self.socket.ws
        if ws is None or ws.closed:
            raise TransportError(f"{operation or ''} {method} /ari{path}: the REST WebSocket is not connected".strip())
        request_id = self._prefix + str(next(self._ids))
        uri = path.lstrip("/")
        if query:
            uri += "?" + urlencode(query)
        message: dict[str, Any] = {"type": "RESTRequest", "request_id": request_id,
                                   "transaction_id": request_id, "method": method, "uri": uri}
        if body is not None:
            message["content_type"] = "application/json"
            message["message_body"] = _json.dumps(body)
        fut = asyncio.get_running_loop().create_future()
        self._pending[request_id] = fut
        started = time.perf_counter()
        try:
            await ws.send_str(_json.dumps(message))
            reply = await asyncio.wait_for(fut, self.timeout)
        except asyncio.TimeoutError:
            raise TransportError(f"{operation or ''} {method} /ari{path}: no RESTResponse within "
                                 f"{self.timeout} s".strip()) from None
        except (ConnectionError, RuntimeError) as exc:
            raise TransportError(f"{operation or ''} {method} /ari{path}: {exc}".strip()) from exc
        finally:
            self._pending.pop(request_id, None)
        elapsed = (time.perf_counter() - started) * 1000.0
        payload = reply.get("message_body")
        ctype = reply.get("content_type") or ""
        if isinstance(payload, (dict, list)):
            data: bytes | str | None = _json.dumps(payload)
            ctype = ctype or "application/json"
        else:
            data = payload or None
        headers = {"Content-Type": ctype} if ctype else {}
        return RawResponse(int(reply.get("status_code", 0)), headers, data, ctype, elapsed)

    async def close(self) -> None:
        await self.socket.stop()
        for fut in self._pending.values():
            if not fut.done():
                fut.cancel()
        self._pending.clear()


class RestWithFallback:
    """The client's transport with REST over WebSocket on: the socket while it is up, HTTP
    while it reconnects, and HTTP again for a read whose socket died under it (never for a
    change, which may have run)."""

    name = "websocket"
    events_socket = True

    def __init__(self, rest: RestOverWebSocket, http: Transport) -> None:
        self.rest = rest
        self.http = http

    async def send(self, method: str, path: str, query: Mapping[str, str] | None, body: Any,
                   *, operation: str | None = None) -> RawResponse:
        if self.rest.connected:
            try:
                return await self.rest.send(method, path, query, body, operation=operation)
            except TransportError:
                if method != "GET":
                    raise  # it may have run: never repeat a change
        return await self.http.send(method, path, query, body, operation=operation)

    def ws_session(self):
        return self.http.ws_session()

    async def close(self) -> None:
        await self.rest.close()


async def open_rest_websocket(spec: Spec, socket_factory: Callable[..., EventSocket], http: Transport, *,
                              timeout: float | None, probe_timeout: float) -> RestWithFallback | None:
    """REST over a WebSocket of its own, checked with a ping; None (and a warning) where the
    server cannot do it, so the client keeps HTTP."""
    if "RESTRequest" not in spec.models:
        warnings.warn("this server's api-docs have no RESTRequest (REST over WebSocket needs "
                      "Asterisk 20.14, 21.9, 22.4 or later): using HTTP", RuntimeWarning, stacklevel=4)
        return None
    rest = RestOverWebSocket(socket_factory, f"ari-notebook-rest-{secrets.token_hex(4)}", timeout=timeout)
    try:
        await rest.open()
        probe = spec.operations.get("asterisk.ping")
        if probe is not None:
            rest.timeout = probe_timeout
            raw = await rest.send("GET", "/asterisk/ping", None, None, operation=probe.name)
            rest.timeout = timeout
            if raw.status >= 400:
                raise TransportError(f"probe answered {raw.status}")
    except (AriError, OSError) as exc:
        await rest.close()
        warnings.warn(f"REST over WebSocket is not available here ({exc}): using HTTP",
                      RuntimeWarning, stacklevel=4)
        return None
    return RestWithFallback(rest, http)


__all__ = ["RestOverWebSocket", "RestWithFallback", "open_rest_websocket"]
