"""Request listeners: ``fn(record)`` after every request, for the ladder plot and request logs.

Why its own module: the record (time, operation, status, elapsed, error, the id of the object
the request was about) is built only when someone listens or DEBUG logging is on, and the
client's send path stays one line when nobody does.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable

from .. import _json
from .._errors import TransportError
from ..spec import PreparedRequest
from .transport import RawResponse, error_from

log = logging.getLogger("ari_notebook.client")

Transmit = Callable[[PreparedRequest], Awaitable[RawResponse]]


class RequestListeners:
    """The listeners of one client, and the recorded send that feeds them."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[dict], Any]] = []

    def add(self, fn: Callable[[dict], Any]) -> "ListenerHandle":
        self.listeners = self.listeners + [fn]  # a new list: a send in progress keeps its own
        return ListenerHandle(self, fn)

    def remove(self, fn: Callable[[dict], Any]) -> None:
        self.listeners = [f for f in self.listeners if f is not fn]

    async def send(self, transmit: Transmit, prepared: PreparedRequest) -> RawResponse:
        """``transmit(prepared)``, then tell the listeners and the DEBUG log what happened.

        The log line names operation, method, path (no query: nothing there is logged), status
        and time; the Authorization header lives in the session and is never formatted here.
        """
        listeners = self.listeners
        debug = log.isEnabledFor(logging.DEBUG)
        if not listeners and not debug:
            return await transmit(prepared)
        started = time.time()
        t0 = time.perf_counter()
        try:
            raw = await transmit(prepared)
        except TransportError as exc:
            elapsed = (time.perf_counter() - t0) * 1000.0
            if debug:
                log.debug("request %s %s /ari%s -> no response after %.1f ms: %s", prepared.operation,
                          prepared.method, prepared.path, elapsed, exc)
            _tell(listeners, started, prepared, None, elapsed, str(exc))
            raise
        if debug:
            log.debug("request %s %s /ari%s -> %d in %.1f ms", prepared.operation, prepared.method,
                      prepared.path, raw.status, raw.elapsed_ms)
        if listeners:
            error = None
            if raw.status >= 400:
                error = str(error_from(raw, prepared.operation, prepared.method, "/ari" + prepared.path))
            _tell(listeners, started, prepared, raw.status, raw.elapsed_ms, error, raw)
        return raw


class ListenerHandle:
    """What ``client.add_request_listener`` returns: ``remove()`` it, or ask if it is ``active``."""

    def __init__(self, owner: RequestListeners, fn: Callable) -> None:
        self.owner, self.fn = owner, fn

    def remove(self) -> None:
        self.owner.remove(self.fn)

    @property
    def active(self) -> bool:
        return any(f is self.fn for f in self.owner.listeners)


def _tell(listeners, started, prepared, status, elapsed, error, raw: RawResponse | None = None) -> None:
    record = {"time": started, "operation": prepared.operation, "method": prepared.method,
              "path": "/ari" + prepared.path, "status": status, "elapsed_ms": elapsed, "error": error,
              "object_id": object_id(prepared, raw)}
    for fn in list(listeners):
        try:
            fn(record)
        except Exception:
            log.exception("request listener %r failed", fn)


#: collection paths whose POST creates an object named by a query parameter
_CREATE_PATHS = {"/channels": "channelId", "/channels/create": "channelId",
                 "/channels/externalMedia": "channelId", "/bridges": "bridgeId"}


def object_id(prepared: PreparedRequest, raw: RawResponse | None) -> str | None:
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


__all__ = ["ListenerHandle", "RequestListeners", "object_id"]
