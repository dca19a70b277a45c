"""Fault injection: make the simulator misbehave on purpose, the way a real Asterisk and network do.

Why in the simulator's control API (``sim.faults``) rather than test-only monkeypatching: a
notebook user, a classroom or a client written in another language can rehearse a server
restart or a dropped WebSocket too, and the CLI simulator can be driven from outside over
HTTP. Every fault is counted in ``sim.faults.history``.

In process::

    sim.faults.fail(status=503, times=2, match="GET /channels")   # next 2 matching requests
    sim.faults.delay(0.5, match=r"^POST /channels$")              # slow originates
    await sim.faults.drop_websockets()                             # network cut (no close frame)
    await sim.restart(keep_state=False)                            # Asterisk restarted
    sim.faults.send_malformed_frame(); sim.faults.send_truncated_frame()
    sim.faults.send_unknown_event("SomethingNew")
    sim.faults.stall(seconds=2)                                    # socket open, nothing moves
    gen = sim.faults.generate(rate=1000, seconds=60, app="load")  # steady event load
    sim.faults.clear()                                             # back to normal

Over HTTP (any read-write ARI user; read-only users get 403), outside the ARI tree so it never
collides with a real ARI path: ``POST /_sim/faults/<name>`` with the arguments as JSON body or
query (``fail``, ``delay``, ``drop_websockets``, ``restart``, ``malformed_frame``,
``truncated_frame``, ``unknown_event``, ``stall``, ``resume``, ``generate``, ``burst``,
``clear``), ``GET /_sim/faults`` for the state and counters.

``match`` is a regular expression searched in ``"<METHOD> <path under /ari>"`` (for example
``"GET /channels/abc"``), or a callable ``(method, path) -> bool``; None matches every ARI
request, the api-docs and the events upgrade included. Injected answers come after
authentication (a wrong password still gets 401) and carry Asterisk's JSON error shape.
``fail``/``delay`` act on HTTP requests only, not on RESTRequest messages sent over the events
WebSocket (drop or stall that socket instead). ``stall`` holds the sockets open at that moment;
new connections are served (a black-holed connection, not a hung server).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from aiohttp import web

from . import security
from .http import REASONS, dumps, json_response

if TYPE_CHECKING:
    from .server import Simulator

log = logging.getLogger("ari_notebook.sim")

CONTROL_PREFIX = "/_sim/faults"
REASONS_EXTRA = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
Matcher = Callable[[str, str], bool]


def _matcher(match: str | Callable[[str, str], bool] | None) -> tuple[Matcher, str]:
    if match is None:
        return (lambda _m, _p: True), "*"
    if callable(match):
        return match, getattr(match, "__name__", "callable")
    pattern = re.compile(str(match))
    return (lambda m, p: pattern.search(f"{m} {p}") is not None), str(match)


@dataclass
class Rule:
    """One HTTP fault: answer ``status`` or wait ``delay`` seconds, for ``times`` matching requests."""

    kind: str  # "fail" | "delay"
    match: Matcher = field(repr=False)
    pattern: str
    times: int | None  # None: until cleared
    status: int = 500
    message: str = ""
    seconds: float = 0.0
    hits: int = 0
    id: int = 0

    @property
    def active(self) -> bool:
        return self.times is None or self.hits < self.times

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "match": self.pattern, "times": self.times, "hits": self.hits,
                "status": self.status if self.kind == "fail" else None,
                "seconds": self.seconds if self.kind == "delay" else None}


class EventGenerator:
    """A steady stream of ``ChannelUserevent`` events to one app; ``sent`` counts deliveries."""

    def __init__(self, faults: "Faults", rate: float, seconds: float | None, app: str, eventname: str) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 events/s, got {rate!r}")
        self.faults = faults
        self.rate = float(rate)
        self.seconds = seconds
        self.app = app
        self.eventname = eventname
        self.sent = 0       # events delivered to the app's socket queue
        self.skipped = 0    # ticks' events due while the app had no socket (not counted as sent)
        self.started_at = time.monotonic()
        self.error: BaseException | None = None
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"ari-sim-generate[{app}]")
        self.task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.error = task.exception()
            log.error("event generator for app %r stopped: %r", self.app, self.error)

    async def _run(self) -> None:
        ast = self.faults.sim.asterisk
        due_total = 0
        tick = 0.005
        seq = itertools.count(1)
        while True:
            elapsed = time.monotonic() - self.started_at
            if self.seconds is not None and elapsed >= self.seconds:
                elapsed = self.seconds
            due = int(elapsed * self.rate) - due_total
            for _ in range(due):
                ast = self.faults.sim.asterisk  # a restart without state swaps it
                n = next(seq)
                got = ast.publish("ChannelUserevent", {"eventname": self.eventname, "userevent": {"seq": n}},
                                  apps=[self.app])
                if got:
                    self.sent += 1
                else:
                    self.skipped += 1
            due_total += max(due, 0)
            if self.seconds is not None and elapsed >= self.seconds:
                return
            await asyncio.sleep(tick)

    @property
    def done(self) -> bool:
        return self.task.done()

    async def wait(self) -> int:
        await asyncio.shield(self.task)
        return self.sent

    def stop(self) -> None:
        self.task.cancel()

    def as_dict(self) -> dict:
        return {"app": self.app, "rate": self.rate, "seconds": self.seconds, "sent": self.sent,
                "skipped": self.skipped, "done": self.done, "error": None if self.error is None else repr(self.error)}


class Faults:
    """The fault-injection control of one ``Simulator`` (``sim.faults``)."""

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.rules: list[Rule] = []
        self.history: list[dict] = []
        self.generators: list[EventGenerator] = []
        self._ids = itertools.count(1)
        self._stalled: asyncio.Event | None = None   # set = released
        self._stall_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()

    def __repr__(self) -> str:
        return f"<Faults {len([r for r in self.rules if r.active])} rules, stalled={self.stalled}>"

    def _note(self, kind: str, **details: Any) -> None:
        self.history.append({"time": time.time(), "fault": kind, **details})

    # ------------------------------------------------------------------ HTTP answers
    def fail(self, status: int = 500, *, times: int | None = 1, match: Any = None, message: str | None = None) -> Rule:
        """Answer the next ``times`` matching requests with ``status`` (None: until ``clear()``)."""
        status = int(status)
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (4xx/5xx), got {status}")
        fn, pattern = _matcher(match)
        text = message or REASONS.get(status) or REASONS_EXTRA.get(status) or "Error"
        rule = Rule("fail", fn, pattern, None if times is None else int(times), status=status, message=text,
                    id=next(self._ids))
        self.rules.append(rule)
        self._note("fail", status=status, times=times, match=pattern)
        return rule

    def delay(self, seconds: float, *, times: int | None = None, match: Any = None) -> Rule:
        """Hold matching requests ``seconds`` (wall time) before handling them."""
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        fn, pattern = _matcher(match)
        rule = Rule("delay", fn, pattern, None if times is None else int(times), seconds=seconds, id=next(self._ids))
        self.rules.append(rule)
        self._note("delay", seconds=seconds, times=times, match=pattern)
        return rule

    async def before_request(self, method: str, rel: str) -> web.Response | None:
        """Called for every authenticated ARI request: wait and/or answer with an injected error."""
        if not self.rules:
            return None
        for rule in list(self.rules):
            if rule.kind == "delay" and rule.active and rule.match(method, rel):
                rule.hits += 1
                await asyncio.sleep(rule.seconds)
        for rule in list(self.rules):
            if rule.kind == "fail" and rule.active and rule.match(method, rel):
                rule.hits += 1
                return json_response(rule.status, {"message": rule.message})
        self.rules = [r for r in self.rules if r.active]
        return None

    # ------------------------------------------------------------------ WebSocket faults
    def _sockets(self, app: str | None = None) -> list:
        socks = list(self.sim._http.sockets)
        if app is not None:
            socks = [s for s in socks if app in s.apps]
        return socks

    async def drop_websockets(self, *, clean: bool = False, app: str | None = None) -> int:
        """Cut every events WebSocket (or ``app``'s): a network drop (no close frame) unless ``clean``.

        Returns how many were cut. The apps disappear as on a real Asterisk when the socket goes.
        """
        socks = self._sockets(app)
        for sock in socks:
            if clean:
                await sock.close()
            else:
                transport = sock.ws._writer.transport if sock.ws._writer is not None else None
                if transport is not None:
                    transport.abort()
        self._note("drop_websockets", count=len(socks), clean=clean)
        return len(socks)

    def _queue_raw(self, payload: bytes, app: str | None, kind: str) -> int:
        socks = self._sockets(app)
        for sock in socks:
            sock.queue.put_nowait(payload)  # in order with the events already queued
        self._note(kind, count=len(socks))
        return len(socks)

    def send_malformed_frame(self, payload: bytes | str = b'{"type": "StasisStart", "timestamp": ',
                             *, app: str | None = None) -> int:
        """A complete TEXT frame whose payload is not a JSON event object; the socket stays up."""
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        return self._queue_raw(data, app, "malformed_frame")

    def send_unknown_event(self, event_type: str = "SimulatorUnknownEvent", *, app: str | None = None,
                           **fields: Any) -> int:
        """An event of a type no api-docs declare (what a newer Asterisk may send)."""
        count = 0
        for sock in self._sockets(app):
            event = {"type": event_type, "timestamp": self.sim.asterisk.timestamp(), **fields,
                     "asterisk_id": self.sim.asterisk.asterisk_id, "application": sock.apps[0]}
            sock.queue.put_nowait(dumps(event))
            count += 1
        self._note("unknown_event", count=count, event_type=event_type)
        return count

    def send_truncated_frame(self, *, app: str | None = None) -> int:
        """A frame cut short on the wire: its header announces more bytes than arrive, then the
        connection breaks (what a crash or cable pull mid-write looks like). Queued after the
        events already waiting, so those arrive first."""
        socks = self._sockets(app)
        body = dumps({"type": "StasisStart", "timestamp": self.sim.asterisk.timestamp(),
                      "application": "truncated", "args": ["x" * 200]})

        async def cut(ws: web.WebSocketResponse) -> None:
            writer = ws._writer
            if writer is None or writer.transport is None:
                return
            header = struct.pack("!BBH", 0x81, 126, len(body))  # FIN + TEXT, 16-bit length
            writer.transport.write(header + body[: len(body) // 2])
            await asyncio.sleep(0)
            writer.transport.abort()

        for sock in socks:
            sock.queue.put_nowait(cut)
        self._note("truncated_frame", count=len(socks))
        return len(socks)

    def stall(self, seconds: float | None = None, *, app: str | None = None) -> int:
        """Keep every events socket open but move nothing: no events out, nothing read (so no
        pong either), as a hung server or a black-holed network does. Events raised meanwhile
        wait in order and flow again after ``resume()`` (or after ``seconds``), if the client
        is still there."""
        if self._stalled is None or self._stalled.is_set():
            self._stalled = asyncio.Event()
        released = self._stalled
        socks = self._sockets(app)

        async def hold(ws: web.WebSocketResponse) -> None:
            transport = ws._writer.transport if ws._writer is not None else None
            if transport is not None and not transport.is_closing():
                transport.pause_reading()
            try:
                await released.wait()
            finally:
                if transport is not None and not transport.is_closing():
                    transport.resume_reading()

        for sock in socks:
            sock.queue.put_nowait(hold)
        if seconds is not None:
            if self._stall_timer is not None:
                self._stall_timer.cancel()
            self._stall_timer = asyncio.get_running_loop().call_later(float(seconds), self.resume)
        self._note("stall", count=len(socks), seconds=seconds)
        return len(socks)

    @property
    def stalled(self) -> bool:
        return self._stalled is not None and not self._stalled.is_set()

    def resume(self) -> None:
        """End a ``stall``."""
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        if self._stalled is not None:
            self._stalled.set()

    # ------------------------------------------------------------------ restart
    async def restart(self, *, keep_state: bool = True, down_for: float = 0.0) -> None:
        """Stop answering, close every socket, and come back on the same port after ``down_for`` s.

        ``keep_state=True``: the ARI HTTP side bounces (channels, bridges and recordings live
        on; apps must register again). ``keep_state=False``: Asterisk restarted, everything is
        gone (new channel ids, no bridges, the clock starts again).
        """
        sim = self.sim
        self.resume()
        await sim._http.close_sockets()
        if sim._runner is not None:
            await sim._runner.cleanup()
            sim._runner = None
        if not keep_state:
            from .core import Asterisk, Clock
            from .http import AriHttp

            old = sim.asterisk
            old.fire("shutdown")
            if sim._handle is not None:
                sim._handle.cancel()
                sim._handle = None
            old_clock = sim.clock
            old_clock.on_schedule = None
            sim.clock = Clock(old_clock.speed, manual=old_clock.manual)
            sim.asterisk = Asterisk(clock=sim.clock, config=sim.config)
            sim.asterisk.log_sink = old.log_sink
            sim._http = AriHttp(sim)
        if down_for > 0:
            await asyncio.sleep(down_for)
        sim._requested_port = sim.port
        await sim._start()
        self._note("restart", keep_state=keep_state, down_for=down_for)

    def _restart_later(self, kwargs: dict) -> None:
        task = asyncio.get_running_loop().create_task(self.restart(**kwargs), name="ari-sim-restart")
        self._tasks.add(task)  # keep a reference until done; report a failure instead of losing it
        task.add_done_callback(self._restart_done)

    def _restart_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator restart requested over HTTP failed: %r", task.exception())
            self._note("restart_failed", error=repr(task.exception()))

    # ------------------------------------------------------------------ load
    def generate(self, rate: float = 1000.0, seconds: float | None = 10.0, *, app: str,
                 eventname: str = "load") -> EventGenerator:
        """Send ``rate`` ChannelUserevent events per second to ``app`` for ``seconds`` (None: until
        ``clear()``). ``gen.sent`` counts events delivered, for comparing with what a client logged."""
        gen = EventGenerator(self, rate, seconds, app, eventname)
        self.generators.append(gen)
        self._note("generate", rate=rate, seconds=seconds, app=app)
        return gen

    def burst(self, count: int, *, app: str, eventname: str = "burst") -> int:
        """``count`` ChannelUserevent events to ``app`` at once (an event storm); returns delivered."""
        ast = self.sim.asterisk
        sent = 0
        for n in range(1, int(count) + 1):
            sent += bool(ast.publish("ChannelUserevent", {"eventname": eventname, "userevent": {"seq": n}},
                                     apps=[app]))
        self._note("burst", count=count, sent=sent, app=app)
        return sent

    # ------------------------------------------------------------------ reset
    def clear(self) -> None:
        """Remove every rule, end stalls and stop generators."""
        self.rules = []
        self.resume()
        for gen in self.generators:
            gen.stop()

    def state(self) -> dict:
        return {"rules": [r.as_dict() for r in self.rules], "stalled": self.stalled,
                "sockets": [{"apps": s.apps, "user": s.user} for s in self.sim._http.sockets],
                "generators": [g.as_dict() for g in self.generators],
                "history": [{k: v for k, v in h.items()} for h in self.history[-50:]]}

    # ------------------------------------------------------------------ HTTP control
    def middleware(self):
        """The aiohttp middleware: the control path, then injected delays/failures for ARI."""
        root = self.sim._http.root if self.sim._http is not None else "/ari"
        faults = self

        @web.middleware
        async def fault_injection(request: web.Request, handler):
            path = request.path
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                return await faults.control(request)
            if faults.rules and (path == root or path.startswith(root + "/")):
                http = faults.sim._http
                if http.authenticate(request) is not None and request.method != "OPTIONS":
                    injected = await faults.before_request(request.method, path[len(root):] or "/")
                    if injected is not None:
                        injected.headers.update(http.cors_headers(request))
                        return injected
            return await handler(request)

        return fault_injection

    async def control(self, request: web.Request) -> web.Response:
        """``/_sim/faults[/<name>]``: read-write ARI users only."""
        user = security.authenticate(self.sim.config, request.headers, request.query.items())
        if user is None:
            return json_response(401, {"message": "Authentication required"},
                                 {"WWW-Authenticate": security.REALM_HEADER})
        if getattr(user, "read_only", False):
            return json_response(403, {"message": "fault injection needs a read-write user"})
        name = request.path[len(CONTROL_PREFIX):].strip("/")
        if request.method == "GET" and name in ("", "state"):
            return json_response(200, self.state())
        if request.method != "POST":
            return json_response(405, {"message": "use POST /_sim/faults/<name> (GET /_sim/faults for state)"})
        args: dict[str, Any] = {k: v for k, v in request.query.items() if k != "api_key"}
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return json_response(400, {"message": "body must be a JSON object"})
            if body is not None and not isinstance(body, dict):
                return json_response(400, {"message": "body must be a JSON object"})
            args.update(body or {})
        try:
            result = await self._run_named(name, args)
        except (TypeError, ValueError) as exc:
            return json_response(400, {"message": f"{name}: {exc}"})
        except KeyError:
            return json_response(404, {"message": f"no fault named {name!r}; try one of {sorted(_CONTROLS)}"})
        return json_response(200, {"fault": name, "result": result})

    async def _run_named(self, name: str, args: dict) -> Any:
        spec = _CONTROLS[name]  # KeyError -> 404
        kwargs = {}
        for key, value in args.items():
            if key not in spec:
                raise TypeError(f"unexpected argument {key!r} (takes {sorted(spec)})")
            kwargs[key] = spec[key](value)
        if name == "fail":
            return self.fail(**kwargs).as_dict()
        if name == "delay":
            return self.delay(**kwargs).as_dict()
        if name == "drop_websockets":
            return await self.drop_websockets(**kwargs)
        if name == "restart":
            loop = asyncio.get_running_loop()
            # answer first: restarting closes the server this request arrived on
            loop.call_later(0.05, self._restart_later, kwargs)
            return "restarting"
        if name == "malformed_frame":
            return self.send_malformed_frame(**kwargs)
        if name == "truncated_frame":
            return self.send_truncated_frame(**kwargs)
        if name == "unknown_event":
            return self.send_unknown_event(**kwargs)
        if name == "stall":
            return self.stall(**kwargs)
        if name == "resume":
            self.resume()
            return None
        if name == "generate":
            return self.generate(**kwargs).as_dict()
        if name == "burst":
            return self.burst(**kwargs)
        if name == "clear":
            self.clear()
            return None
        raise KeyError(name)  # pragma: no cover - _CONTROLS and this list agree


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _opt_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


_CONTROLS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "fail": {"status": int, "times": _opt_int, "match": str, "message": str},
    "delay": {"seconds": float, "times": _opt_int, "match": str},
    "drop_websockets": {"clean": _bool, "app": str},
    "restart": {"keep_state": _bool, "down_for": float},
    "malformed_frame": {"payload": str, "app": str},
    "truncated_frame": {"app": str},
    "unknown_event": {"event_type": str, "app": str},
    "stall": {"seconds": _opt_float, "app": str},
    "resume": {},
    "generate": {"rate": float, "seconds": _opt_float, "app": str, "eventname": str},
    "burst": {"count": int, "app": str, "eventname": str},
    "clear": {},
}

__all__ = ["CONTROL_PREFIX", "EventGenerator", "Faults", "Rule"]
