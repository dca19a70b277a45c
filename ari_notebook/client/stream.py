"""The events WebSocket: connect, read, reconnect with backoff and jitter, report gaps.

Why its own module: the reader is the one long-lived task of a client. It must survive server
restarts (exponential backoff with jitter, the same apps re-registered on every connect, every
handler kept), say when it was away (the synthetic ``EventStreamGap`` event: Asterisk does not
replay what it sent meanwhile), keep idle connections honest (WebSocket ping), and never
upgrade over a pooled keep-alive connection (the session it gets has ``force_close``).

Credentials travel in the upgrade's Authorization header. Only when a server refuses that
with 401 does it retry with ``api_key`` in the query; that URL is then never put in a log
line, a repr or an exception.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, Callable

import aiohttp

from .._errors import EventStreamError

log = logging.getLogger("ari_notebook.client")

STATES = ("disconnected", "connecting", "connected", "reconnecting", "closed")


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, capped."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


class EventSocket:
    """One logical events connection for a set of apps, reconnecting until ``stop()``."""

    def __init__(self, *, url: str, apps: list[str], subscribe_all: bool, session_factory: Callable[[], aiohttp.ClientSession],
                 api_key: str, on_text: Callable[[Any], None], on_gap: Callable[[dict], None] | None,
                 on_state: Callable[[str], None], heartbeat: float | None = 20.0,
                 reconnect_base: float = 0.5, reconnect_max: float = 30.0) -> None:
        self.url = url
        self.apps = list(apps)
        self.subscribe_all = subscribe_all
        self._session_factory = session_factory
        self._session: aiohttp.ClientSession | None = None
        self._api_key = api_key
        self._use_query_key = False
        self._on_text = on_text
        self._on_gap = on_gap
        self._on_state = on_state
        self.heartbeat = heartbeat
        self.reconnect_base = reconnect_base
        self.reconnect_max = reconnect_max
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.task: asyncio.Task | None = None
        self.connected: asyncio.Future | None = None
        self._stopping = False
        self.reconnects = 0
        self.last_error: str | None = None
        self.bad_messages = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        self.connected = loop.create_future()
        self.task = loop.create_task(self._run(), name=f"ari-events[{','.join(self.apps)}]")
        return self.connected

    async def stop(self) -> None:
        if self.running and not self._stopping:
            log.info("events WebSocket disconnected: %s (app %s, stopped by the client)", self.url,
                     ",".join(self.apps))
        self._stopping = True
        ws = self.ws
        if ws is not None and not ws.closed:
            try:
                await asyncio.wait_for(ws.close(), 2.0)
            except (asyncio.TimeoutError, aiohttp.ClientError, OSError):
                pass
        task = self.task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        if self.connected is not None and not self.connected.done():
            self.connected.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    # ------------------------------------------------------------------ connect
    def _query(self) -> dict[str, str]:
        query = {"app": ",".join(self.apps)}
        if self.subscribe_all:
            query["subscribeAll"] = "true"
        return query

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self._session is None or self._session.closed:
            self._session = self._session_factory()
        query = self._query()
        if self._use_query_key:
            query["api_key"] = self._api_key
        try:
            return await self._session.ws_connect(self.url, params=query, heartbeat=self.heartbeat,
                                                  autoping=True, max_msg_size=0)
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
            if status == 401 and not self._use_query_key:
                # some old servers only read api_key from the query; try once that way
                self._use_query_key = True
                return await self._connect()
            raise _refused(status, self.apps) from None  # the aiohttp error may carry the URL
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            err = EventStreamError(f"events WebSocket for app(s) {','.join(self.apps)!r}: "
                                   f"cannot connect: {_describe(exc, self._use_query_key)}")
            err.status = None
            if self._use_query_key:
                raise err from None
            raise err from exc

    # ------------------------------------------------------------------ the reader
    async def _run(self) -> None:
        first = True
        attempt = 0
        disconnected_at: float | None = None
        reason = ""
        while not self._stopping:
            self._on_state("connecting" if first else "reconnecting")
            try:
                ws = await self._connect()
            except EventStreamError as exc:
                self.last_error = str(exc)
                if first:
                    self._on_state("disconnected")
                    if not self.connected.done():
                        self.connected.set_exception(exc)
                    log.error("%s", exc)
                    return
                attempt += 1
                delay = backoff_delay(attempt, self.reconnect_base, self.reconnect_max)
                log.warning("%s; retrying in %.2f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            self.ws = ws
            attempt = 0
            self._on_state("connected")
            apps = ",".join(self.apps)
            if first:
                log.info("events WebSocket connected: %s (app %s)", self.url, apps)
                first = False
                if not self.connected.done():
                    self.connected.set_result(True)
            else:
                self.reconnects += 1
                now = time.time()
                log.info("events WebSocket reconnected: %s (app %s) after %.1f s away", self.url, apps,
                         now - (disconnected_at or now))
                if self._on_gap is not None:
                    from ..spec.dates import ari_timestamp  # only after a reconnect: no memory before

                    self._on_gap({
                        "type": "EventStreamGap", "application": ",".join(self.apps),
                        "timestamp": ari_timestamp(now), "disconnected_at": ari_timestamp(disconnected_at),
                        "reconnected_at": ari_timestamp(now), "reason": reason})
            reason = await self._read(ws)
            self.ws = None
            disconnected_at = time.time()
            if self._stopping:
                break
            self.last_error = reason
            log.warning("events WebSocket %s for %s dropped (%s); reconnecting", self.url, ",".join(self.apps),
                        reason)
            self._on_state("reconnecting")
            attempt = 1
            await asyncio.sleep(backoff_delay(attempt, self.reconnect_base, self.reconnect_max))
        self._on_state("disconnected")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        on_text = self._on_text
        TEXT, BINARY = aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY
        try:
            while True:
                msg = await ws.receive()
                kind = msg.type
                if kind is TEXT or kind is BINARY:
                    try:
                        on_text(msg.data)
                    except Exception as exc:  # a message that is not an event: count it, keep reading
                        self.bad_messages += 1
                        log.error("unreadable message on the events WebSocket: %s", exc)
                    continue
                if kind is aiohttp.WSMsgType.ERROR:
                    return f"error: {_describe(ws.exception(), self._use_query_key)}"
                # CLOSE / CLOSING / CLOSED
                code = ws.close_code
                if code is None or code == 1006:
                    return "connection lost without a close frame (1006)"
                return f"closed by the server (code {code})"
        finally:
            if not ws.closed:
                try:
                    await ws.close()
                except Exception:  # already broken; nothing more to release
                    pass


def _describe(exc: BaseException | None, scrub: bool) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc) or type(exc).__name__
    if scrub and "api_key" in text:
        return type(exc).__name__
    return text


def _refused(status: int, apps: list[str]) -> EventStreamError:
    hint = {
        400: "the server rejected the request (is an app name given?)",
        401: "authentication failed: check the user name and password",
        403: "this user may not open the events WebSocket",
        404: "no /ari/events here: is ARI (res_ari, res_http_websocket) loaded?",
        500: "the server failed to register the Stasis app (app name too long or invalid?)",
        503: "the server is starting up or shutting down",
    }.get(status, "upgrade refused")
    err = EventStreamError(f"events WebSocket for app(s) {','.join(apps)!r} refused with {status}: {hint}")
    err.status = status
    return err


__all__ = ["EventSocket", "STATES", "backoff_delay"]
