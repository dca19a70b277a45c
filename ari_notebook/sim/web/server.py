"""``Simulator``: start the embedded Asterisk on the running loop, stop it, poke it like a phone.

::

    sim = await Simulator.start(port=0)             # or: async with Simulator.start() as sim:
    sim.url                                         # "http://127.0.0.1:54321" (ARI under /ari)
    chan_id = await sim.call("PJSIP/alice", "1000") # a phone calls into the dialplan
    await sim.press(chan_id, "123#")                # ... presses keys
    await sim.hangup(chan_id)                       # ... and hangs up
    await sim.stop()

Every instance owns its state (``sim.asterisk``), its clock and its aiohttp server, so several
can run in one process. It binds loopback unless ``allow_public=True``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl as _ssl
import traceback
from typing import Any

from aiohttp import web

from ..._errors import ConfigurationError
from .config import SimConfig, make_config
from ..backend.core import Asterisk, Clock
from .faults import Faults
from .http import AriHttp
from .misconfig import middleware as misconfig_middleware
from ..backend.phones import inbound_call
from ..resources.endpoints import Endpoints
from ..routing import ROUTES
from ..backend.telephony import hangup, receive_dtmf, shutdown_all


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Starting:
    """What ``Simulator.start`` returns: await it, or use it as ``async with``."""

    def __init__(self, sim: "Simulator") -> None:
        self._sim = sim
        self._started = False

    def __await__(self):
        return self._start().__await__()

    async def _start(self) -> "Simulator":
        if not self._started:
            self._started = True
            await self._sim._start()
        return self._sim

    async def __aenter__(self) -> "Simulator":
        return await self._start()

    async def __aexit__(self, *exc: Any) -> None:
        await self._sim.stop()


class Simulator:
    """An ARI server that behaves like Asterisk 23, for notebooks, classrooms and tests."""

    def __init__(self, config: SimConfig, *, host: str, port: int, clock: Clock,
                 ssl: _ssl.SSLContext | None = None) -> None:
        self.config = config
        self.ssl_context = ssl  # http.conf tlsenable: serve https:// and wss://
        self.host = host
        self._requested_port = port
        self.port = port
        self.clock = clock
        self.asterisk = Asterisk(clock=clock, config=config)
        self.spec = ROUTES.spec()
        self.http = AriHttp(self.asterisk, config, self.spec)  # the web side (faults use its sockets)
        self.faults = Faults(self)  # fault injection (sim.faults.fail/delay/drop_websockets/...)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.Handle | None = None
        self._armed_for = 0.0
        self._stopped = False

    # ---- life cycle
    @classmethod
    def start(cls, port: int = 0, host: str = "127.0.0.1", *, clock_speed: float | None = None,
              clock: str | Clock | None = None, allow_public: bool = False, config: Any = None,
              ssl: _ssl.SSLContext | None = None, **settings: Any) -> _Starting:
        """Build and start a simulator (await the result, or ``async with`` it).

        ``clock_speed``: simulated seconds per wall second (50 makes a 30 s playback last 0.6 s);
        ``clock="manual"``: time moves only with ``sim.advance(seconds)``. ``config``: a TOML
        file path or dict; ``settings`` (``users=``, ``allowed_origins=``, ``dialplan=``,
        ``endpoints=``, ``prefix=``, ``strict_origin=``, ...) override it. ``ssl``: a server
        ``SSLContext`` with a certificate loaded, to serve https:// and wss:// (like tlsenable).
        """
        if not _is_loopback(host) and not allow_public:
            raise ConfigurationError(
                f"refusing to bind the simulator to {host!r}: it accepts well-known demo passwords; "
                "pass allow_public=True if you really want it reachable from other machines")
        cfg = make_config(config, clock_speed=clock_speed, **settings)
        if isinstance(clock, Clock):
            the_clock = clock
        elif clock == "manual":
            the_clock = Clock(manual=True)
        elif clock is None:
            the_clock = Clock(cfg.clock_speed or 1.0)
        else:
            raise ConfigurationError(f"clock must be None, 'manual' or a Clock, got {clock!r}")
        return _Starting(cls(cfg, host=host, port=port, clock=the_clock, ssl=ssl))

    async def _start(self) -> None:
        app = self.http.app()
        misconfigured = misconfig_middleware(self.config, self.http.root)
        if misconfigured is not None:
            app.middlewares.append(misconfigured)
        app.middlewares.append(self.faults.middleware())
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port, reuse_address=True,
                           ssl_context=self.ssl_context)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = addresses[0][1]
        self._loop = asyncio.get_running_loop()
        self.clock.on_schedule = self._arm
        self._arm()

    async def stop(self) -> None:
        """Close every WebSocket, stop the clock and the HTTP server. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.faults.clear()  # a stalled socket would otherwise hold the close handshake
        await self.http.close_sockets()
        self.asterisk.fire("shutdown")  # components release what they hold (recordings' temp folder)
        self.clock.on_schedule = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._runner is not None:
            await self._runner.cleanup()

    async def restart(self, *, keep_state: bool = True, down_for: float = 0.0) -> None:
        """Stop answering, close every socket, and come back on the same port after ``down_for`` s.

        ``keep_state=True``: the ARI HTTP side bounces (channels, bridges and recordings live
        on; apps must register again). ``keep_state=False``: Asterisk restarted, everything is
        gone (new channel ids, no bridges, the clock starts again). Counted in ``faults.history``.
        """
        self.faults.resume()
        if not keep_state:
            shutdown_all(self.asterisk)  # Asterisk hangs every channel up before its sockets go
            await self.http.drain_sockets()
        await self.http.close_sockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if not keep_state:
            old = self.asterisk
            old.fire("shutdown")
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            self.clock.on_schedule = None
            self.clock = Clock(self.clock.speed, manual=self.clock.manual)
            self.asterisk = Asterisk(clock=self.clock, config=self.config)
            self.asterisk.log_sink = old.log_sink
            self.http = AriHttp(self.asterisk, self.config, self.spec)
        if down_for > 0:
            await asyncio.sleep(down_for)
        self._requested_port = self.port
        await self._start()
        self.faults.note("restart", keep_state=keep_state, down_for=down_for)

    async def __aenter__(self) -> "Simulator":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def _arm(self) -> None:
        """Keep one loop callback armed for the clock's next deadline (in wall time).

        Called whenever a timer is scheduled; cheaper than a polling task because most timers
        are due at once (a dial right after the response) and need only ``call_soon``.
        """
        if self._stopped or self._loop is None:
            return
        deadline = self.clock.next_deadline()
        if deadline is None:
            return
        if self.clock.manual and deadline > self.clock.now():
            return  # a manual clock moves only with advance()
        if self._handle is not None:
            if self._armed_for <= deadline:
                return
            self._handle.cancel()
        self._armed_for = deadline
        delay = self.clock.wall_delay(deadline)
        if delay <= 0:
            self._handle = self._loop.call_soon(self._fire)
        else:
            self._handle = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        try:
            self.clock.run_due()
        except Exception as exc:  # a simulator bug in a timer: log it, report it, keep the clock going
            self.asterisk.write_log("ERROR", f"simulator bug in a timer: {exc!r}\n{traceback.format_exc()}")
            raise
        finally:
            self._arm()

    # ---- addresses and users
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.ssl_context is not None else 'http'}://{host}:{self.port}"

    @property
    def ari_url(self) -> str:
        prefix = f"/{self.config.prefix}" if self.config.prefix else ""
        return f"{self.url}{prefix}/ari"

    def _first_writer(self):
        for user in self.config.users:
            if not user.read_only:
                return user
        return self.config.users[0]

    @property
    def username(self) -> str:
        return self._first_writer().name

    @property
    def password(self) -> str:
        return self._first_writer().password

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else ("running" if self._runner else "not started")
        return f"<Simulator {self.url} {state}, {len(self.asterisk.channels)} channels>"

    # ---- clock
    def advance(self, seconds: float) -> int:
        """Manual clock only: let ``seconds`` of simulated time pass now; returns timers run."""
        ran = self.clock.advance(seconds)
        self._arm()
        return ran

    async def _let_pass(self, seconds: float) -> None:
        if self.clock.manual:
            self.advance(seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(seconds / self.clock.speed + 0.001)

    # ---- teaching hooks
    async def call(self, endpoint: str, exten: str, context: str = "ARI-test") -> str:
        """A simulated phone (``PJSIP/alice``) dials ``exten@context``; returns its channel id."""
        chan = inbound_call(self.asterisk, endpoint, str(exten), context)
        await asyncio.sleep(0)
        return chan.id

    async def press(self, channel_id: str, digits: str, *, duration_ms: int = 100, gap_ms: int = 100) -> None:
        """The caller on ``channel_id`` presses ``digits``; returns once they have all arrived."""
        chan = self.asterisk.channels.get(channel_id)
        if chan is None:
            raise KeyError(f"no channel {channel_id!r}")
        seconds = receive_dtmf(self.asterisk, chan, digits, duration=duration_ms, gap=gap_ms)
        await self._let_pass(seconds)

    async def hangup(self, channel_id: str, cause: int = 16) -> None:
        """The caller on ``channel_id`` hangs up (not an ARI hangup: no soft-hangup request)."""
        chan = self.asterisk.channels.get(channel_id)
        if chan is None:
            raise KeyError(f"no channel {channel_id!r}")
        hangup(self.asterisk, chan, cause, soft=False)
        await asyncio.sleep(0)

    async def set_endpoint_state(self, endpoint: str, state: str) -> None:
        """The phone ``endpoint`` registers (``online``), goes away (``offline``) or will not take
        calls (``busy``/``noanswer``): EndpointStateChange to its subscribers."""
        self.asterisk.component(Endpoints).set_state(endpoint, state)
        await asyncio.sleep(0)

    async def send_text(self, endpoint: str, body: str, **variables: str) -> None:
        """The phone ``endpoint`` sends a text message: TextMessageReceived to its subscribers."""
        self.asterisk.component(Endpoints).receive_text(endpoint, body, variables=variables)
        await asyncio.sleep(0)

    @property
    def log(self) -> list[tuple[str, str, str]]:
        """What Asterisk would have written to its log: (timestamp, level, text)."""
        return self.asterisk.log
