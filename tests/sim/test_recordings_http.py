"""Recordings end to end over HTTP and the events WebSocket of a running simulator."""

from __future__ import annotations

import asyncio
import io
import wave

import aiohttp


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization: Basic`` value (works with every aiohttp version)."""
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
import pytest

from ari_notebook.sim import Simulator

AUTH = {"Authorization": basic_auth("asterisk", "asterisk")}


class App:
    """An events socket for app ``hello`` that collects events."""

    def __init__(self, sim, session):
        self.sim, self.session, self.events = sim, session, []

    async def __aenter__(self):
        self.ws = await self.session.ws_connect(
            f"ws://127.0.0.1:{self.sim.port}/ari/events?app=hello&api_key=asterisk:asterisk")
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self):
        async for msg in self.ws:
            self.events.append(msg.json())

    async def wait_for(self, kind, n=1, timeout=5.0):
        async def _wait():
            while sum(e["type"] == kind for e in self.events) < n:
                await asyncio.sleep(0.005)
        await asyncio.wait_for(_wait(), timeout)

    async def __aexit__(self, *exc):
        await self.ws.close()
        await self.task


async def rest(session, sim, method, path, **params):
    async with session.request(method, f"{sim.url}/ari{path}", params=params, headers=AUTH) as r:
        body = await r.read()
        return r.status, r.headers, body


@pytest.fixture
async def sim():
    async with Simulator.start(port=0, clock_speed=50.0) as s:
        yield s


async def test_record_two_seconds_and_download_the_wav(sim):
    async with aiohttp.ClientSession() as session, App(sim, session) as app:
        status, _, _ = await rest(session, sim, "POST", "/channels", endpoint="Local/3000@ARI-test", app="hello",
                                  channelId="rec-chan")
        assert status == 200
        await app.wait_for("StasisStart")
        status, headers, body = await rest(session, sim, "POST", "/channels/rec-chan/record", name="take1",
                                           format="wav", maxDurationSeconds="2", beep="true")
        assert status == 201 and headers["Location"] == "/ari/recordings/live/take1"
        await app.wait_for("RecordingFinished")
        recs = [e for e in app.events if e["type"].startswith("Recording")]
        assert [(e["type"], e["recording"]["state"]) for e in recs] == [
            ("RecordingStarted", "recording"), ("RecordingFinished", "done")]
        assert recs[1]["recording"]["duration"] == 2
        assert set(recs[0]) == {"type", "timestamp", "recording", "asterisk_id", "application"}
        status, headers, data = await rest(session, sim, "GET", "/recordings/stored/take1/file")
        assert status == 200 and headers["Content-Type"] == "audio/x-wav"
        with wave.open(io.BytesIO(data)) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnchannels(), w.getnframes()) == (8000, 2, 1, 16000)
        await rest(session, sim, "DELETE", "/channels/rec-chan")
        await app.wait_for("StasisEnd")


async def test_hangup_mid_recording_finishes_before_stasis_end(sim):
    async with aiohttp.ClientSession() as session, App(sim, session) as app:
        await rest(session, sim, "POST", "/channels", endpoint="Local/3000@ARI-test", app="hello", channelId="cut")
        await app.wait_for("StasisStart")
        await rest(session, sim, "POST", "/channels/cut/record", name="cut-take", format="wav")
        await app.wait_for("RecordingStarted")
        await asyncio.sleep(0.03)  # 1.5 simulated seconds
        await rest(session, sim, "DELETE", "/channels/cut")
        await app.wait_for("StasisEnd")
        mine = [e["type"] for e in app.events if (e.get("channel") or {}).get("id") == "cut" or "recording" in e]
        i = mine.index("RecordingFinished")
        assert mine[i - 1] == "ChannelHangupRequest" and "StasisEnd" in mine[i + 1:]
        finished = next(e for e in app.events if e["type"] == "RecordingFinished")
        assert finished["recording"]["duration"] == 0 and finished["recording"]["state"] == "done"  # quirks
        status, _, body = await rest(session, sim, "GET", "/recordings/stored/cut-take")
        assert status == 200  # the file is kept


async def test_caller_presses_hash_to_end_a_voicemail(sim):
    async with aiohttp.ClientSession() as session, App(sim, session) as app:
        chan_id = await sim.call("PJSIP/alice", "1000")
        await app.wait_for("StasisStart")
        await rest(session, sim, "POST", f"/channels/{chan_id}/answer")
        status, _, _ = await rest(session, sim, "POST", f"/channels/{chan_id}/record", name="vm/alice/msg0001",
                                  format="wav", terminateOn="#")
        assert status == 201
        await app.wait_for("RecordingStarted")
        await sim.press(chan_id, "#")
        await app.wait_for("RecordingFinished")
        status, _, body = await rest(session, sim, "GET", "/recordings/stored")
        assert b'"name":"vm/alice/msg0001"' in body
        await sim.hangup(chan_id)
        await app.wait_for("StasisEnd")


async def test_play_a_stored_recording_back(sim):
    async with aiohttp.ClientSession() as session, App(sim, session) as app:
        await rest(session, sim, "POST", "/channels", endpoint="Local/3000@ARI-test", app="hello", channelId="pb")
        await app.wait_for("StasisStart")
        await rest(session, sim, "POST", "/channels/pb/record", name="echo", format="wav", maxDurationSeconds="3")
        await app.wait_for("RecordingFinished")
        started = asyncio.get_running_loop().time()
        status, _, _ = await rest(session, sim, "POST", "/channels/pb/play", media="recording:echo")
        assert status == 201
        await app.wait_for("PlaybackFinished")
        finished = next(e for e in app.events if e["type"] == "PlaybackFinished")
        assert finished["playback"]["state"] == "done"
        assert asyncio.get_running_loop().time() - started >= 3 / 50 * 0.9  # lasted ~3 simulated seconds
        await rest(session, sim, "DELETE", "/channels/pb")


async def test_bridge_recording_uses_a_recorder_channel(sim):
    async with aiohttp.ClientSession() as session, App(sim, session) as app:
        for cid in ("b1", "b2"):
            await rest(session, sim, "POST", "/channels", endpoint="Local/3000@ARI-test", app="hello", channelId=cid)
        await app.wait_for("StasisStart", 2)
        await rest(session, sim, "POST", "/bridges", type="mixing", bridgeId="conf")
        await rest(session, sim, "POST", "/bridges/conf/addChannel", channel="b1,b2")
        status, headers, _ = await rest(session, sim, "POST", "/bridges/conf/record", name="meeting", format="wav",
                                        maxDurationSeconds="1")
        assert status == 201
        await app.wait_for("RecordingFinished")
        peers = [e["value"] for e in app.events if e["type"] == "ChannelVarset" and e["variable"] == "BRIDGEPEER"
                 and e["channel"]["id"] == "b1"]
        assert any("Recorder/ARI-" in v for v in peers)  # the recorder joined ...
        assert "Recorder/" not in peers[-1]                # ... and left
        finished = next(e for e in app.events if e["type"] == "RecordingFinished")
        assert finished["recording"]["target_uri"] == "bridge:conf" and finished["recording"]["duration"] == 1
        for cid in ("b1", "b2"):
            await rest(session, sim, "DELETE", f"/channels/{cid}")
        await rest(session, sim, "DELETE", "/bridges/conf")


async def test_recording_a_bridged_channel_fails_after_the_201(sim):
    async with aiohttp.ClientSession() as session, App(sim, session) as app:
        await rest(session, sim, "POST", "/channels", endpoint="Local/3000@ARI-test", app="hello", channelId="br")
        await app.wait_for("StasisStart")
        await rest(session, sim, "POST", "/bridges", type="mixing", bridgeId="room")
        await rest(session, sim, "POST", "/bridges/room/addChannel", channel="br")
        status, _, _ = await rest(session, sim, "POST", "/channels/br/record", name="nope", format="wav")
        assert status == 201
        await app.wait_for("RecordingFailed")
        failed = next(e for e in app.events if e["type"] == "RecordingFailed")
        assert failed["recording"]["state"] == "failed"
        assert failed["recording"]["cause"] == "Cannot record channel while in bridge"
        assert (await rest(session, sim, "GET", "/recordings/stored/nope"))[0] == 404
        assert ("ERROR", "res_stasis_recording.c: Cannot record channel while in bridge") in [l[1:] for l in sim.log]
        await rest(session, sim, "DELETE", "/channels/br")
        await rest(session, sim, "DELETE", "/bridges/room")
