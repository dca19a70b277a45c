"""A third-party client, unchanged, against the simulator: aioari 0.10.2 (PyPI) with its
hello-app pattern (StasisStart/StasisEnd callbacks, answer, play, hang up).

aioari reads the simulator's api-docs with its own Swagger 1.1 client (aioswagger11), builds
its operations from them, opens ``/ari/events`` with ``api_key`` and turns events into
Channel/Playback objects. Anything the simulator serves differently from Asterisk 23 (paths,
parameter names, model ids, event shapes, auth) makes this test fail.
"""

from __future__ import annotations

import asyncio

import pytest

from ari_notebook.sim import Simulator

aioari = pytest.importorskip("aioari", reason="aioari 0.10.2 is in the test extra")


async def test_hello_app_with_aioari():
    async with Simulator.start(port=0, clock_speed=20.0) as sim:
        client = await aioari.connect(sim.url + "/", "asterisk", "asterisk")
        seen: list[str] = []
        done = asyncio.Event()
        errors: list[BaseException] = []
        client.exception_handler = errors.append  # aioari swallows listener errors otherwise

        async def on_start(channel_obj, event):
            channel = channel_obj["channel"] if isinstance(channel_obj, dict) else channel_obj
            seen.append(f"start:{event['args']}:{channel.json['state']}")
            await channel.answer()
            playback = await channel.play(media="sound:hello-world")
            seen.append(f"queued:{playback.json['state']}")

            async def on_recorded(rec, ev):
                seen.append(f"recorded:{ev['recording']['state']}:{ev['recording']['duration']}")
                await channel.hangup()

            async def on_finished(pb, ev):
                seen.append(f"finished:{ev['playback']['state']}:{ev['playback']['media_uri']}")
                recording = await channel.record(name="aioari-greeting", format="wav", maxDurationSeconds=1)
                recording.on_event("RecordingFinished", on_recorded)

            playback.on_event("PlaybackFinished", on_finished)

        def on_end(channel, event):
            seen.append("end")
            done.set()

        client.on_channel_event("StasisStart", on_start)
        client.on_channel_event("StasisEnd", on_end)
        runner = asyncio.create_task(client.run(apps="hello"))
        try:
            for _ in range(200):  # wait until aioari's socket has registered the app
                if sim.asterisk.app("hello") is not None:
                    break
                await asyncio.sleep(0.01)
            assert sim.asterisk.app("hello") is not None
            # a phone calls exten 1000: NoOp, Answer, Stasis(hello) -> StasisStart in aioari
            chan_id = await sim.call("PJSIP/alice", "1000")
            await asyncio.wait_for(done.wait(), 5)
        finally:
            await client.close()
            await asyncio.wait_for(runner, 5)
        assert errors == []
        assert seen == ["start:[]:Up", "queued:queued", "finished:done:sound:hello-world", "recorded:done:1", "end"]
        assert chan_id not in sim.asterisk.channels  # the hangup went through

        # aioari's generated operations work on the other resources too
        client = await aioari.connect(sim.url + "/", "asterisk", "asterisk")
        try:
            info = await client.asterisk.getInfo(only="system")
            assert info["system"]["version"] == "23.4.1"
            sounds = await client.sounds.list(lang="en")  # aioari leaves Sound as plain JSON
            assert any(s["id"] == "tt-monkeys" for s in sounds)
            stored = await client.recordings.listStored()
            assert [r.json for r in stored] == [{"name": "aioari-greeting", "format": "wav"}]
            endpoints = await client.endpoints.list()
            assert {e.json["resource"] for e in endpoints} == {"alice", "bob", "carol"}
        finally:
            await client.close()
