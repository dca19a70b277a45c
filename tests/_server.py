"""A server to run tests and tutorials against, and proof that they left nothing on it.

Two kinds: a simulator in a process of its own (``ari-notebook sim``: a server the test does
not own, like a real one), and a real Asterisk named by ARI_TEST_URL / ARI_TEST_USER /
ARI_TEST_PASSWORD (tests marked ``asterisk``; ARI_TEST_RO_USER / ARI_TEST_RO_PASSWORD name
its read-only user). Leftovers are what a test added to the server's channels, bridges, stored
recordings and applications: they are removed, and reported so the test that left them fails.

Asterisk drops an application whose WebSocket closed only when it next cleans up its app
registry (on any app registering or unregistering, or a channel leaving Stasis); one that still
held a bridge subscription when its socket closed stays listed until then. ``inventory`` first
registers and closes a probe app, so such an app is not counted against the test.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from ari_notebook import NotFound
from ari_notebook.client import Client


@dataclass(frozen=True)
class Server:
    url: str
    user: str
    password: str
    ro_user: str | None = None
    ro_password: str | None = None
    real: bool = False

    @property
    def kernel_env(self) -> dict[str, str]:
        """What a notebook kernel needs to talk to this server (ari_notebook.connect reads it)."""
        return {"ARI_URL": self.url, "ARI_USERNAME": self.user, "ARI_PASSWORD": self.password}


def real_asterisk() -> Server:
    """The real Asterisk from the environment, or skip saying which variables to set."""
    url = os.environ.get("ARI_TEST_URL")
    if not url:
        pytest.skip("set ARI_TEST_URL, ARI_TEST_USER and ARI_TEST_PASSWORD to run against a real Asterisk")
    return Server(url, os.environ.get("ARI_TEST_USER", "asterisk"), os.environ.get("ARI_TEST_PASSWORD", ""),
                  os.environ.get("ARI_TEST_RO_USER"), os.environ.get("ARI_TEST_RO_PASSWORD"), real=True)


class SimulatorProcess:
    """``python -m ari_notebook sim --port 0`` until ``stop()``."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "ari_notebook", "sim", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        found = re.search(r"listening on (http://\S+)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        # the simulator's documented demo users (ari_notebook.sim.web.config)
        self.server = Server(found.group(1), "asterisk", "asterisk", "viewer", "viewer")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()


PROBE_APP = "test-inventory-probe"


async def inventory(server: Server) -> dict[str, set[str]]:
    """Ids of every channel, bridge, stored recording and application on the server now."""
    async with await Client.connect(server.url, server.user, server.password, apps=PROBE_APP) as c:
        await c.stop()  # registering and unregistering makes Asterisk drop finished apps
        return {"channels": {x.id for x in await c.channels.list()},
                "bridges": {x.id for x in await c.bridges.list()},
                "recordings": {x.name for x in await c.recordings.listStored()},
                "applications": {x.name for x in await c.applications.list()} - {PROBE_APP}}


async def leftovers(server: Server, before: dict[str, set[str]], settle: float = 10.0) -> dict[str, list[str]]:
    """What is on the server now and was not in ``before``, after up to ``settle`` seconds for
    hangups already under way; all of it is then removed, so the next test starts clean."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle
    while True:
        now = await inventory(server)
        extra = {kind: sorted(now[kind] - before[kind]) for kind in now}
        if not any(extra.values()) or loop.time() >= deadline:
            break
        await asyncio.sleep(0.1)
    if any(extra.values()):
        await _remove(server, extra)
    return {kind: ids for kind, ids in extra.items() if ids}


async def _remove(server: Server, extra: dict[str, list[str]]) -> None:
    async with await Client.connect(server.url, server.user, server.password) as c:
        # an application cannot be removed over ARI: it goes with its socket and its channels
        for kind, remove in (("channels", lambda i: c.channels.hangup(channelId=i)),
                             ("bridges", lambda i: c.bridges.destroy(bridgeId=i)),
                             ("recordings", lambda i: c.recordings.deleteStored(recordingName=i))):
            for ident in extra[kind]:
                try:
                    await remove(ident)
                except NotFound:  # gone meanwhile (the other half of a Local pair)
                    pass
