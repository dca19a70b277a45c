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
import inspect
import itertools
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol

from aiohttp import web

from ...progress import progress_bar
from . import security
from ..backend.core import Asterisk
from .http import AriHttp
from .load import EventGenerator
from .responses import REASONS, dumps, json_response

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


class FaultTarget(Protocol):
    """What faults act on: the ``Simulator`` (its current Asterisk and web side, which a restart
    without state replaces, its settings, and its own ``restart``)."""

    asterisk: Asterisk
    http: AriHttp
    config: Any

    def restart(self, *, keep_state: bool = True, down_for: float = 0.0) -> Awaitable[None]: ...


class Faults:
    """The fault-injection control of one ``Simulator`` (``sim.faults``)."""

    def __init__(self, sim: FaultTarget) -> None:
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

    def note(self, kind: str, **details: Any) -> None:
        """Count a fault in ``history`` (the Simulator notes its restarts here too)."""
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
        self.note("fail", status=status, times=times, match=pattern)
        return rule

    def delay(self, seconds: float, *, times: int | None = None, match: Any = None) -> Rule:
        """Hold matching requests ``seconds`` (wall time) before handling them."""
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        fn, pattern = _matcher(match)
        rule = Rule("delay", fn, pattern, None if times is None else int(times), seconds=seconds, id=next(self._ids))
        self.rules.append(rule)
        self.note("delay", seconds=seconds, times=times, match=pattern)
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
        socks = list(self.sim.http.sockets)
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
                sock.abort()
        self.note("drop_websockets", count=len(socks), clean=clean)
        return len(socks)

    def _queue_raw(self, payload: bytes, app: str | None, kind: str) -> int:
        socks = self._sockets(app)
        for sock in socks:
            sock.send_raw(payload)  # in order with the events already queued
        self.note(kind, count=len(socks))
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
            sock.send_raw(dumps(event))
            count += 1
        self.note("unknown_event", count=count, event_type=event_type)
        return count

    def send_truncated_frame(self, *, app: str | None = None) -> int:
        """A frame cut short on the wire: its header announces more bytes than arrive, then the
        connection breaks (what a crash or cable pull mid-write looks like). Queued after the
        events already waiting, so those arrive first."""
        socks = self._sockets(app)
        body = dumps({"type": "StasisStart", "timestamp": self.sim.asterisk.timestamp(),
                      "application": "truncated", "args": ["x" * 200]})
        for sock in socks:
            sock.send_cut_frame(body)
        self.note("truncated_frame", count=len(socks))
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
        for sock in socks:
            sock.stall_until(released)
        if seconds is not None:
            if self._stall_timer is not None:
                self._stall_timer.cancel()
            self._stall_timer = asyncio.get_running_loop().call_later(float(seconds), self.resume)
        self.note("stall", count=len(socks), seconds=seconds)
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
        """``sim.restart``: the Simulator owns its own state and rebuilds it."""
        await self.sim.restart(keep_state=keep_state, down_for=down_for)

    def _restart_later(self, kwargs: dict) -> None:
        task = asyncio.get_running_loop().create_task(self.restart(**kwargs), name="ari-sim-restart")
        self._tasks.add(task)  # keep a reference until done; report a failure instead of losing it
        task.add_done_callback(self._restart_done)

    def _restart_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator restart requested over HTTP failed: %r", task.exception())
            self.note("restart_failed", error=repr(task.exception()))

    # ------------------------------------------------------------------ load
    def generate(self, rate: float = 1000.0, seconds: float | None = 10.0, *, app: str,
                 eventname: str = "load") -> EventGenerator:
        """Send ``rate`` ChannelUserevent events per second to ``app`` for ``seconds`` (None: until
        ``clear()``). ``gen.sent`` counts events delivered, for comparing with what a client logged."""
        gen = EventGenerator(lambda: self.sim.asterisk, rate, seconds, app, eventname)
        self.generators.append(gen)
        self.note("generate", rate=rate, seconds=seconds, app=app)
        return gen

    def burst(self, count: int, *, app: str, eventname: str = "burst", progress: bool | None = None) -> int:
        """``count`` ChannelUserevent events to ``app`` at once (an event storm); returns delivered.
        A bar shows long bursts (``progress``); an interrupted burst is noted with what it sent."""
        ast = self.sim.asterisk
        sent = 0
        n = 0
        try:
            with progress_bar(int(count), desc=f"Sending a burst to {app!r}", unit="ev", progress=progress) as bar:
                for n in range(1, int(count) + 1):
                    sent += bool(ast.publish("ChannelUserevent", {"eventname": eventname, "userevent": {"seq": n}},
                                             apps=[app]))
                    if n % 4096 == 0:
                        bar.update(4096)
                bar.update(n % 4096)
        finally:
            self.note("burst", count=count, sent=sent, app=app, **({} if n == int(count) else {"stopped": True}))
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
                "sockets": [{"apps": s.apps, "user": s.user} for s in self.sim.http.sockets],
                "generators": [g.as_dict() for g in self.generators],
                "history": [{k: v for k, v in h.items()} for h in self.history[-50:]]}

    # ------------------------------------------------------------------ HTTP control
    def middleware(self):
        """The aiohttp middleware: the control path, then injected delays/failures for ARI."""
        root = self.sim.http.root
        faults = self

        @web.middleware
        async def fault_injection(request: web.Request, handler):
            path = request.path
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                return await faults.control(request)
            if faults.rules and (path == root or path.startswith(root + "/")):
                http = faults.sim.http
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
        arguments, run = _CONTROLS[name]  # KeyError -> 404
        kwargs = {}
        for key, value in args.items():
            if key not in arguments:
                raise TypeError(f"unexpected argument {key!r} (takes {sorted(arguments)})")
            kwargs[key] = arguments[key](value)
        result = run(self, kwargs)
        return await result if inspect.isawaitable(result) else result

    def _restart_soon(self, kwargs: dict) -> str:
        # answer first: restarting closes the server this request arrived on
        asyncio.get_running_loop().call_later(0.05, self._restart_later, kwargs)
        return "restarting"


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


# name -> ({argument: converter}, run(faults, kwargs)): the HTTP control plane's whole table
_CONTROLS: dict[str, tuple[dict[str, Callable[[Any], Any]], Callable[[Faults, dict], Any]]] = {
    "fail": ({"status": int, "times": _opt_int, "match": str, "message": str},
             lambda f, kw: f.fail(**kw).as_dict()),
    "delay": ({"seconds": float, "times": _opt_int, "match": str}, lambda f, kw: f.delay(**kw).as_dict()),
    "drop_websockets": ({"clean": _bool, "app": str}, lambda f, kw: f.drop_websockets(**kw)),
    "restart": ({"keep_state": _bool, "down_for": float}, Faults._restart_soon),
    "malformed_frame": ({"payload": str, "app": str}, lambda f, kw: f.send_malformed_frame(**kw)),
    "truncated_frame": ({"app": str}, lambda f, kw: f.send_truncated_frame(**kw)),
    "unknown_event": ({"event_type": str, "app": str}, lambda f, kw: f.send_unknown_event(**kw)),
    "stall": ({"seconds": _opt_float, "app": str}, lambda f, kw: f.stall(**kw)),
    "resume": ({}, lambda f, kw: f.resume()),
    "generate": ({"rate": float, "seconds": _opt_float, "app": str, "eventname": str},
                 lambda f, kw: f.generate(**kw).as_dict()),
    "burst": ({"count": int, "app": str, "eventname": str}, lambda f, kw: f.burst(**kw)),
    "clear": ({}, lambda f, kw: f.clear()),
}

__all__ = ["CONTROL_PREFIX", "EventGenerator", "Faults", "Rule"]
