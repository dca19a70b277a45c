"""The simulator's sans-I/O root: one ``Asterisk`` object holds every piece of state.

Nothing here touches a socket or the event loop. The aiohttp layer (``sim/web/http.py``) feeds
requests in through ``routing.handle`` and drives the clock; everything that happens is visible
as state (``channels``, ``bridges``, ``apps``...) and as event dicts pushed to each application's
``sink`` (a plain callable, so tests can pass ``list.append``).

How a resource module plugs in
------------------------------
1. Write ``ari_notebook/sim/resources/<name>.py``. Every module in that package is imported
   automatically (``sim/resources/__init__.py``), so nothing else needs editing.
2. State: declare a class decorated with ``@component``. Each ``Asterisk`` instance creates
   one instance of it at start-up (``cls(asterisk)``), in import order; fetch it in handlers with
   ``ast.component(MyState)``. Two simulators never share state because nothing lives at
   module level except declarations.
3. Routes: decorate sans-I/O handlers with ``ROUTES.route(...)`` from ``sim/routing.py``
   (see its docstring). A handler gets ``(ast, call)`` and returns the JSON body (or a
   ``Reply`` for 201/Location and friends); it raises ``AriFailure(status, message)`` for errors.
4. Events: ``ast.publish("DeviceStateChanged", {"device_state": {...}}, sources=("deviceState:foo",))``.
   Apps subscribed to one of ``sources`` (or with ``subscribeAll``) get it, after their
   ``eventFilter``. ``ast.app(name)`` / ``ast.apps`` give the registered applications.
5. Cross-cutting hooks: ``ast.on("channel_destroyed", fn)`` (and ``"channel_hangup"``,
   ``"bridge_destroyed"``, ``"app_registered"``, ``"app_unregistered"``) let a component react to
   telephony (e.g. finish a live recording when its channel hangs up); ``ast.fire(name, **kw)``.
6. Providers: a component can supply a function the core asks for, e.g. the sound catalogue
   registers ``ast.provide("sound_duration", fn)`` where ``fn(name, lang) -> seconds | None``
   (None = no such sound); playbacks call ``ast.sound_duration(name, lang)``.
7. Time: ``ast.clock.now()`` (epoch seconds, simulated), ``ast.clock.call_later(seconds, fn)``
   (returns a ``Timer`` with ``cancel()``), ``ast.timestamp()`` (ARI's ``...T10:00:00.123+0000``).
"""

from __future__ import annotations

import heapq
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ...spec.dates import ari_timestamp

ASTERISK_ID = "02:fc:00:00:00:01"

AppSink = Callable[[dict], None]  # where an app's events go (its WebSocket, or list.append in tests)


class AriFailure(Exception):
    """An error answer, carried from a handler to the wire: status plus Asterisk's message.

    ``body`` overrides the usual ``{"message": ...}`` (the one originate quirk answers
    ``{"error": "Allocation failed"}``); ``headers`` adds response headers (``Allow`` on 405).
    """

    def __init__(self, status: int, message: str, *, body: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.body = {"message": message} if body is None else body
        self.headers = headers or {}


# --------------------------------------------------------------------------------------------
# clock


class Timer:
    """A scheduled callback; ``cancel()`` makes it a no-op.

    Ordered by (due time, scheduling order) with a hand-written ``__lt__``: the heap compares
    timers on every push and pop, and a dataclass's generated ordering builds two tuples per
    comparison."""

    __slots__ = ("when", "seq", "fn", "cancelled")

    def __init__(self, when: float, seq: int, fn: Callable[[], Any], cancelled: bool = False) -> None:
        self.when = when
        self.seq = seq
        self.fn = fn
        self.cancelled = cancelled

    def __lt__(self, other: "Timer") -> bool:
        if self.when != other.when:
            return self.when < other.when
        return self.seq < other.seq

    def __repr__(self) -> str:
        return f"Timer(when={self.when!r}, seq={self.seq!r}, cancelled={self.cancelled!r})"

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Simulated time: real time (speed 1), scaled (``speed`` > 1 runs faster), or manual.

    A scaled clock maps wall time to simulated time, so a 30 s playback at speed 1000 ends
    after 30 ms of wall time with the same events. A manual clock moves only on
    ``advance(seconds)``, for deterministic tests. While a timer runs, ``now()`` is pinned to
    its due time, so chains of timers keep exact simulated durations.
    """

    def __init__(self, speed: float = 1.0, *, manual: bool = False, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be > 0, got {speed!r}")
        self.speed = float(speed)
        self.manual = manual
        self._origin = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()
        self._manual_now = self._origin
        self._pinned: float | None = None
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self.on_schedule: Callable[[], None] | None = None  # set by the I/O driver to wake up

    def now(self) -> float:
        if self._pinned is not None:
            return self._pinned
        if self.manual:
            return self._manual_now
        return self._origin + (time.monotonic() - self._mono0) * self.speed

    def call_later(self, delay: float, fn: Callable[[], Any]) -> Timer:
        timer = Timer(self.now() + max(0.0, float(delay)), next(self._seq), fn)
        heapq.heappush(self._heap, timer)
        if self.on_schedule is not None and self._heap[0] is timer:
            self.on_schedule()
        return timer

    def next_deadline(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].when if self._heap else None

    def wall_delay(self, deadline: float) -> float:
        """Wall-clock seconds until ``deadline`` (simulated); the driver sleeps this long."""
        return max(0.0, (deadline - self.now()) / self.speed)

    def run_due(self) -> int:
        """Run every timer due by now (in due-time order); returns how many ran."""
        ran = 0
        limit = self.now()
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > limit:
                return ran
            timer = heapq.heappop(self._heap)
            self._pinned = timer.when
            try:
                timer.fn()
            finally:
                self._pinned = None
            ran += 1

    def advance(self, seconds: float) -> int:
        """Manual clock: move time forward, running timers at their own due times."""
        if not self.manual:
            raise RuntimeError("advance() needs a manual clock (Simulator.start(clock='manual'))")
        target = self._manual_now + max(0.0, float(seconds))
        ran = 0
        while True:
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self._manual_now = max(self._manual_now, deadline)
            ran += self.run_due()
        self._manual_now = target
        return ran + self.run_due()


# --------------------------------------------------------------------------------------------
# applications


@dataclass
class App:
    """A Stasis application: exists while a WebSocket holds it (``sink``).

    ``sources`` are event-source URIs the app is subscribed to (``channel:<id>``,
    ``bridge:<id>``, ``endpoint:<tech>/<res>``, ``deviceState:<name>``).
    ``event_filter`` is what ``PUT /applications/{name}/eventFilter`` stored:
    ``{"allowed": [{"type": ...}], "disallowed": [...]}`` (empty lists = no filter).
    """

    name: str
    sink: AppSink | None = None
    subscribe_all: bool = False
    sources: set[str] = field(default_factory=set)
    allowed: list[dict] = field(default_factory=list)
    disallowed: list[dict] = field(default_factory=list)
    holds: dict[str, int] = field(default_factory=dict)  # source -> how many reasons to stay subscribed

    def accepts(self, event_type: str) -> bool:
        if self.allowed and not any(_filter_match(f, event_type) for f in self.allowed):
            return False
        if self.disallowed and any(_filter_match(f, event_type) for f in self.disallowed):
            return False
        return True

    def wants(self, sources: Iterable[str]) -> bool:
        if self.subscribe_all:
            return True
        return any(s in self.sources for s in sources)


def _filter_match(entry: dict, event_type: str) -> bool:
    return entry.get("type") == event_type


# --------------------------------------------------------------------------------------------
# components (per-instance state declared by resource modules)

_COMPONENTS: list[type] = []


def component(cls: type) -> type:
    """Declare per-simulator state: every ``Asterisk`` builds one ``cls(asterisk)``."""
    if cls not in _COMPONENTS:
        _COMPONENTS.append(cls)
    return cls


# --------------------------------------------------------------------------------------------
# the root


class Asterisk:
    """All state of one simulated Asterisk, plus the event bus. No I/O."""

    def __init__(self, *, clock: Clock | None = None, config: Any = None) -> None:
        self.clock = clock or Clock()
        self.config = config
        self.asterisk_id = getattr(config, "entity_id", None) or ASTERISK_ID
        self.startup_time = self.clock.now()
        self._unix = int(self.startup_time)
        self._uniq = itertools.count()
        self._chan_seq = itertools.count()
        self.channels: dict[str, Any] = {}
        self.bridges: dict[str, Any] = {}
        self.apps: dict[str, App] = {}
        self.log: list[tuple[str, str, str]] = []  # (timestamp, level, text) like Asterisk's log
        self.log_sink: Callable[[str, str, str], None] | None = None
        self._hooks: dict[str, list[Callable[..., Any]]] = {}
        self._providers: dict[str, Callable[..., Any]] = {}
        self._components: dict[type, Any] = {}
        for cls in list(_COMPONENTS):
            self._components[cls] = cls(self)

    # ---- ids and time
    def unique_id(self) -> str:
        """Asterisk's channel uniqueid style: ``<startup unix time>.<n>``."""
        return f"{self._unix}.{next(self._uniq)}"

    def channel_seq(self) -> str:
        """The 8-hex-digit counter in channel names (``Local/1000@ctx-0000000a;1``)."""
        return f"{next(self._chan_seq):08x}"

    @staticmethod
    def new_uuid() -> str:
        return str(uuid.uuid4())

    def timestamp(self) -> str:
        return ari_timestamp(self.clock.now())

    # ---- components, hooks, providers
    def component(self, cls: type) -> Any:
        try:
            return self._components[cls]
        except KeyError:
            raise KeyError(f"{cls.__name__} is not a registered @component") from None

    def on(self, name: str, fn: Callable[..., Any]) -> None:
        self._hooks.setdefault(name, []).append(fn)

    def fire(self, name: str, **kwargs: Any) -> None:
        for fn in list(self._hooks.get(name, ())):
            fn(**kwargs)

    def provide(self, name: str, fn: Callable[..., Any]) -> None:
        self._providers[name] = fn

    def provider(self, name: str) -> Callable[..., Any] | None:
        return self._providers.get(name)

    def sound_duration(self, name: str, lang: str = "en") -> float | None:
        """Seconds of sound ``name``; None when the catalogue (the sounds resource) has no such sound."""
        return self._providers["sound_duration"](name, lang)

    # ---- logging (what Asterisk would write to its log)
    def write_log(self, level: str, text: str) -> None:
        stamp = self.timestamp()
        self.log.append((stamp, level, text))
        if self.log_sink is not None:
            self.log_sink(stamp, level, text)

    # ---- applications
    def app(self, name: str) -> App | None:
        app = self.apps.get(name)
        return app if app is not None and app.sink is not None else None

    def register_app(self, name: str, sink: AppSink, *, subscribe_all: bool = False) -> App:
        """A WebSocket takes ``name``; a previous socket for it gets ``ApplicationReplaced``.

        An app whose socket went away keeps its subscriptions while it has any (as Asterisk keeps
        an inactive app), so a client that reconnects still hears about its channels.
        """
        self.cleanup_apps()
        app = self.apps.get(name)
        if app is not None and app.sink is not None:
            old = app.sink
            old(self._event_dict("ApplicationReplaced", {}, name))
            app.sink = sink
            app.subscribe_all = subscribe_all
            return app
        if app is None:
            app = App(name=name)
            self.apps[name] = app
        app.sink = sink
        app.subscribe_all = subscribe_all
        self.fire("app_registered", app=app)
        return app

    def unregister_app(self, name: str, sink: AppSink) -> None:
        """The socket holding ``name`` closed: the app is gone from /applications at once; its
        subscriptions wait (inactive) for a reconnect unless it had none."""
        app = self.apps.get(name)
        if app is not None and app.sink is sink:
            app.sink = None
            self.cleanup_apps()
            self.fire("app_unregistered", app=app)

    def cleanup_apps(self) -> None:
        """Forget apps with no socket that hold nothing. Asterisk does this only at certain moments
        (res_stasis.c cleanup(): an app registers or unregisters, a channel leaves Stasis), so
        until then a finished app stays listed, with nothing in it."""
        for name in [n for n, a in self.apps.items() if a.sink is None and not a.sources]:
            del self.apps[name]

    def subscribe(self, app_name: str, source: str) -> None:
        """One more reason for ``app_name`` to hear ``source`` (res/stasis/app.c counts them: an
        originate, entering Stasis and an explicit subscription each hold the channel)."""
        app = self.apps.get(app_name)
        if app is not None:
            app.sources.add(source)
            app.holds[source] = app.holds.get(source, 0) + 1

    def unsubscribe(self, app_name: str, source: str) -> None:
        """One reason fewer; the app stops hearing ``source`` when none is left (e.g. StasisEnd
        lets go of the hold that entering Stasis took)."""
        app = self.apps.get(app_name)
        if app is None or source not in app.sources:
            return
        left = app.holds.get(source, 1) - 1
        if left > 0:
            app.holds[source] = left
        else:
            app.holds.pop(source, None)
            app.sources.discard(source)

    def forget_source(self, source: str) -> None:
        """An object is gone: drop it from every app's subscriptions."""
        for app in self.apps.values():
            app.sources.discard(source)
            app.holds.pop(source, None)

    # ---- events
    def _event_dict(self, event_type: str, fields: dict, app_name: str, lead: bool | int = False,
                    stamp: str | None = None) -> dict:
        # Asterisk puts some events' own fields before "type" (ChannelVarset: variable, value;
        # ChannelHangupRequest: cause, soft). ``lead`` = how many leading fields (True = all).
        if stamp is None:
            stamp = self.timestamp()
        if lead:
            items = list(fields.items())
            count = len(items) if lead is True else int(lead)
            event = dict(items[:count])
            event["type"] = event_type
            event["timestamp"] = stamp
            event.update(items[count:])
        else:  # one dict display (a key of ``fields`` repeated below keeps its place, as with setitem)
            return {"type": event_type, "timestamp": stamp, **fields, "asterisk_id": self.asterisk_id,
                    "application": app_name}
        event["asterisk_id"] = self.asterisk_id
        event["application"] = app_name
        return event

    def publish(self, event_type: str, fields: dict | Callable[[], dict], *, sources: Iterable[str] = (),
                apps: Iterable[str] | None = None, lead: bool | int = False,
                exclude: Iterable[str] = (), only_all: bool = False) -> int:
        """Deliver one event to every interested app; returns how many got it.

        ``sources``: the event's topics; subscribed and subscribeAll apps receive it.
        ``apps``: app names that receive it regardless (the Stasis app of a channel); with no
        ``sources``, only they do (StasisStart/End are per application). ``exclude``: app names
        that must not receive it. ``only_all``: deliver only to subscribeAll apps (quirks seen
        only there). ``fields`` may be a function, called only when some app wants the event
        (building channel snapshots nobody reads is most of the cost). Each app's copy
        carries its own ``application`` field.
        """
        targets: list[App] = []
        for app in self.apps.values():
            if app.sink is None or (only_all and not app.subscribe_all):
                continue
            if apps is not None and app.name in apps:
                pass
            elif not sources:
                continue
            elif not app.subscribe_all and app.sources.isdisjoint(sources):
                continue
            if exclude and app.name in exclude:
                continue
            if (app.allowed or app.disallowed) and not app.accepts(event_type):
                continue
            targets.append(app)
        if not targets:
            return 0
        body = fields() if callable(fields) else fields
        stamp = self.timestamp()  # one event, one moment: every app's copy carries the same time
        for app in targets:
            app.sink(self._event_dict(event_type, body, app.name, lead, stamp))
        return len(targets)

    # ---- lookups shared by resource modules
    def channel(self, channel_id: str, *, status: int = 404) -> Any:
        chan = self.channels.get(channel_id)
        if chan is None:
            raise AriFailure(status, "Channel not found")
        return chan

    def stasis_channel(self, channel_id: str, *, status: int = 409) -> Any:
        """A channel that is in a Stasis application (404 if unknown, ``status`` if not in Stasis)."""
        chan = self.channel(channel_id)
        if not chan.stasis_app:
            raise AriFailure(status, "Channel not in Stasis application")
        return chan

    def bridge(self, bridge_id: str) -> Any:
        bridge = self.bridges.get(bridge_id)
        if bridge is None:
            raise AriFailure(404, "Bridge not found")
        return bridge
