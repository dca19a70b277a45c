"""tidy removes exactly what carries its prefix: a script's own leftovers, never anyone else's."""

import pytest

from ari_notebook import tidy
from ari_notebook.client import Client
from ari_notebook.sim import Simulator


async def test_tidy_removes_only_the_prefixed_channels_bridges_and_recordings():
    async with Simulator.start(port=0, clock_speed=50.0) as sim:
        async with await Client.connect(sim.url, sim.username, sim.password, apps="t") as c:
            for cid in ("run-a", "run-b", "other-a"):
                await c.channels.originate(endpoint="Local/3000@ARI-test", app="t", channelId=cid)
            await c.bridges.create(type="mixing", bridgeId="run-bridge")
            await c.bridges.create(type="mixing", bridgeId="other-bridge")
            recording = await (await c.channels.get(channelId="run-a")).record(
                name="run-rec", format="wav", maxDurationSeconds=1)
            await recording.wait(timeout=30)

            removed = await tidy(c, "run-")

            assert sorted(removed["channels"]) == ["run-a", "run-a;2", "run-b", "run-b;2"]
            assert removed["bridges"] == ["run-bridge"] and removed["recordings"] == ["run-rec"]
            assert sorted(ch.id for ch in await c.channels.list()) == ["other-a", "other-a;2"]
            assert [b.id for b in await c.bridges.list()] == ["other-bridge"]
            assert await c.recordings.listStored() == []
            assert await tidy(c, "run-") == {"channels": [], "bridges": [], "recordings": []}


async def test_tidy_refuses_an_empty_prefix():
    with pytest.raises(ValueError, match="non-empty prefix"):
        await tidy(None, "")
