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
import time
from typing import Any, Mapping
from urllib.parse import urlencode

from .. import _json
from .._errors import TransportError
from .stream import EventSocket
from .transport import RawResponse


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


__all__ = ["RestOverWebSocket"]
