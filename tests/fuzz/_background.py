"""A simulator and a client on their own loop in a thread, so synchronous hypothesis tests (and
schemathesis' ``requests`` calls) can drive them without blocking the loop they run on."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

from ari_notebook.client import Client
from ari_notebook.sim import Simulator


class ServerErrors(logging.Handler):
    """Collects what aiohttp's server logs when a handler raises (a crash answered with 500).

    A request aiohttp's parser refuses (a request line over 8190 bytes) is logged too, but it
    is answered 400 before any of our code runs: that is a client error, not a crash.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.refused = 0

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and getattr(exc, "code", 500) == 400:
            self.refused += 1
            return
        self.records.append(record)


class Background:
    def __init__(self, **sim_options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-sim", daemon=True)
        self.thread.start()
        self.crashes = ServerErrors()
        logging.getLogger("aiohttp.server").addHandler(self.crashes)
        async def start() -> Simulator:
            return await Simulator.start(port=0, clock_speed=50.0, **sim_options)

        self.sim: Simulator = self.run(start())
        self.client: Client = self.run(Client.connect(self.sim.url, self.sim.username, self.sim.password,
                                                      timeout=10))

    def run(self, coro, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def alive(self) -> bool:
        return self.run(self.client.execute("asterisk.ping")).status == 200

    def close(self) -> None:
        try:
            self.run(self.client.close())
            self.run(self.sim.stop())
        finally:
            logging.getLogger("aiohttp.server").removeHandler(self.crashes)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()
