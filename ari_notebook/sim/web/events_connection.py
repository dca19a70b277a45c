"""One events WebSocket of the simulator: registered apps feed an outbox, a writer sends in order.

It also offers the wire-level faults ``sim.faults`` needs (cut the connection, stall it, send a
raw or half a frame), through its own methods, so nothing else touches the socket's transport.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from typing import Any, Callable

from aiohttp import WSMsgType, web

from . import rest_over_ws
from ..backend.core import Asterisk
from .responses import dumps
from ..routing import Reply

WRITE_HIGH_WATER = 1 << 20


def _frame_head(n: int) -> bytes:
    """The header of one unmasked, final WebSocket text frame (RFC 6455 5.2) of ``n`` bytes."""
    if n < 126:
        return bytes((0x81, n))
    if n < 1 << 16:
        return bytes((0x81, 126)) + n.to_bytes(2, "big")
    return bytes((0x81, 127)) + n.to_bytes(8, "big")


def _text_frames(payloads: list[bytes]) -> bytes:
    """Text frames for ``payloads``, joined once (no per-frame concatenation)."""
    parts: list[bytes] = []
    for payload in payloads:
        parts.append(_frame_head(len(payload)))
        parts.append(payload)
    return b"".join(parts)


class Outbox:
    """A socket's outgoing messages in order: bytes, None (end) or a queued fault action.

    Why not ``asyncio.Queue``: the writer always takes everything queued at once, and an event
    burst is a dozen ``put_nowait`` calls per call cycle; a deque plus one wake-up future per
    batch costs a fraction of the Queue's per-item bookkeeping. Same ``put_nowait`` as a Queue."""

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._waiter: asyncio.Future | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    async def take_all(self) -> list[Any]:
        """Wait for at least one item, then return (and remove) everything queued."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items = list(self._items)
        self._items.clear()
        return items


class EventsConnection:
    """One events WebSocket: registered apps feed an outbox, a writer task sends in order.

    ``transport`` is the request's (``request.transport``): the writer sends batches of frames
    straight to it, and the fault methods below act on it."""

    def __init__(self, asterisk: Asterisk, config: Any, root: str, ws: web.WebSocketResponse,
                 transport: asyncio.Transport | None, apps: list[str], subscribe_all: bool, user: str,
                 docs: Callable[[str], Reply]) -> None:
        self.ast = asterisk
        self.docs = docs  # api-docs by file name, with the upgrade request's basePath
        self.config = config
        self.root = root
        self.ws = ws
        self.transport = transport
        self.apps = apps
        self.subscribe_all = subscribe_all
        self.user = user
        self.queue = Outbox()  # bytes, None (end) or an action queued by a fault method
        self.replaced: set[str] = set()
        self.deliver = self.sink  # one bound method, so the bus can tell this socket's sink apart

    def sink(self, event: dict) -> None:
        if event.get("type") == "ApplicationReplaced":
            self.replaced.add(event.get("application", ""))
        self.queue.put_nowait(dumps(event))

    def register(self) -> None:
        for name in self.apps:
            self.ast.register_app(name, self.deliver, subscribe_all=self.subscribe_all)

    def unregister(self) -> None:
        for name in self.apps:
            self.ast.unregister_app(name, self.deliver)  # a no-op once replaced or already gone

    async def run(self) -> None:
        writer = asyncio.create_task(self._write())
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    self._rest_request(msg.data)
                elif msg.type == WSMsgType.PING:
                    # answered in order: the pong follows every event sent before the ping, as
                    # with Asterisk, which has written each event before it reads the next frame
                    self._pong(msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.unregister()
            self.queue.put_nowait(None)
            try:
                await asyncio.wait_for(writer, 1.0)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                writer.cancel()

    async def _write(self) -> None:
        """Send queued events in order. Everything queued at the moment goes out in one write
        (one syscall for a burst of events instead of one per event), as text frames. A queued
        callable is a fault action: it runs in its place in the order."""
        while True:
            batch = await self.queue.take_all()
            pending: list[bytes] = []
            try:
                for item in batch:
                    if item is None or self.ws.closed:
                        await self._flush(pending)
                        return
                    if callable(item):
                        await self._flush(pending)
                        pending = []
                        await item()
                        continue
                    pending.append(item)
                await self._flush(pending)
            except (ConnectionError, RuntimeError):
                return

    async def _flush(self, payloads: list[bytes]) -> None:
        if not payloads or self.ws.closed:
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            for payload in payloads:
                await self.ws.send_frame(payload, WSMsgType.TEXT)
            return
        transport.write(_text_frames(payloads))
        while transport.get_write_buffer_size() > WRITE_HIGH_WATER and not transport.is_closing():
            await asyncio.sleep(0.002)  # a slow reader: let the kernel drain

    async def close(self) -> None:
        if not self.ws.closed:
            await self.ws.close()

    def _pong(self, payload: bytes) -> None:
        async def pong() -> None:
            await self.ws.pong(payload)

        self.queue.put_nowait(pong)

    # ---- the faults this socket offers (``sim.faults`` calls them)
    def abort(self) -> None:
        """A network drop: the connection goes away with no close frame."""
        if self.transport is not None:
            self.transport.abort()

    def send_raw(self, payload: bytes) -> None:
        """A text frame with exactly ``payload``, in order after the events already queued."""
        self.queue.put_nowait(payload)

    def send_cut_frame(self, payload: bytes) -> None:
        """After the queued events: a frame whose header announces ``payload`` but only half of it
        arrives, then the connection breaks (a crash or cable pull mid-write)."""
        async def cut() -> None:
            transport = self.transport
            if transport is None or transport.is_closing():
                return
            header = struct.pack("!BBH", 0x81, 126, len(payload))  # FIN + TEXT, 16-bit length
            transport.write(header + payload[: len(payload) // 2])
            await asyncio.sleep(0)
            transport.abort()

        self.queue.put_nowait(cut)

    def stall_until(self, released: asyncio.Event) -> None:
        """After the queued events: read nothing and send nothing (so no pong either) until
        ``released`` is set; events raised meanwhile wait in order."""
        async def hold() -> None:
            transport = self.transport
            if transport is not None and not transport.is_closing():
                transport.pause_reading()
            try:
                await released.wait()
            finally:
                if transport is not None and not transport.is_closing():
                    transport.resume_reading()

        self.queue.put_nowait(hold)

    def _rest_request(self, data: str) -> None:
        """REST over WebSocket: a text frame is a ``RESTRequest``; the ``RESTResponse`` goes to the
        socket's (first) app, through that app's event filter, as Asterisk sends it."""
        user = self.config.user(self.user)
        answer = rest_over_ws.answer(self.ast, data, read_only=bool(user is not None and user.read_only),
                                     user=self.user, docs=self.docs)
        app = self.ast.app(self.apps[0])
        if app is not None and not app.accepts("RESTResponse"):
            return
        answer["application"] = self.apps[0]
        answer["timestamp"] = self.ast.timestamp()
        answer["asterisk_id"] = self.ast.asterisk_id
        self.queue.put_nowait(dumps(answer))
