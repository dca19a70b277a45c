"""The client end to end against a server: the embedded simulator, and (marker ``asterisk``) a
real Asterisk when ARI_TEST_URL / ARI_TEST_USER / ARI_TEST_PASSWORD are set (its read-only
user in ARI_TEST_RO_USER / ARI_TEST_RO_PASSWORD). The real server needs the traces' dialplan:
[ARI-test] 1000 (Stasis hello) and 3000 (Answer, Wait). Every test against it must leave its
channels, bridges and stored recordings as it found them, or it fails."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from ari_notebook._errors import Forbidden, NotFound, PlaybackFailed, ServerError
from ari_notebook.client import Bridge, Channel, Client, Playback

from _server import inventory, leftovers, real_asterisk

SERVERS = [
    pytest.param("sim", id="sim"),
    pytest.param("asterisk", id="asterisk", marks=pytest.mark.asterisk),
]


@pytest.fixture(params=SERVERS)
async def server(request):
    """(url, user, password, simulator or None)."""
    if request.param == "asterisk":
        real = real_asterisk()
        before = await inventory(real)
        yield real.url, real.user, real.password, None
        assert await leftovers(real, before) == {}, "the test left this on the server (now removed)"
        return
    try:
        from ari_notebook.sim import Simulator
    except ImportError as exc:  # pragma: no cover - the simulator ships with the package
        pytest.skip(f"simulator not importable: {exc}")
    sim = await Simulator.start(port=0, clock_speed=50.0)
    try:
        yield sim.url, sim.username, sim.password, sim
    finally:
        await sim.stop()


@pytest.fixture
async def client(server):
    url, user, password, _ = server
    app = f"t{uuid.uuid4().hex[:8]}"
    c = await Client.connect(url, user, password, apps=app, reconnect_base=0.05, reconnect_max=0.3)
    c.test_app = app
    try:
        yield c
    finally:
        await c.close()


async def _originate(client, exten="3000"):
    """A Local channel into our app; returns (channel, its StasisStart), subscribed before acting."""
    waiter = client.wait_for("StasisStart", timeout=10)
    channel = await client.channels.originate(endpoint=f"Local/{exten}@ARI-test", app=client.test_app)
    event = await waiter
    assert event["channel"]["id"] == channel.id
    return channel, event


async def test_spec_and_info(client):
    assert client.api_version and len(client.resources) >= 11
    assert {"channels.originate", "bridges.addChannel", "playbacks.control"} <= set(client.operations)
    info = await client.asterisk.getInfo()
    assert info.system["version"]


async def test_originate_answer_hangup_with_events(client):
    channel, start = await _originate(client)
    assert isinstance(channel, Channel)
    events = client.events(types=["StasisEnd", "ChannelDestroyed"], channel=channel)
    await channel.answer()
    assert (await channel.get()).state == "Up"
    await channel.hangup()
    seen = [(await events.get(timeout=10))["type"], (await events.get(timeout=10))["type"]]
    assert seen == ["StasisEnd", "ChannelDestroyed"]  # StasisEnd always first (traces README)
    events.close()
    with pytest.raises(NotFound, match="Channel not found"):
        await channel.get()


async def test_typed_handlers_and_object_events(client):
    got = []
    client.on_channel_event("StasisStart", lambda ch, ev: got.append(("start", type(ch).__name__)))
    channel, _ = await _origin_and_settle(client)
    bridge = await client.bridges.create(type="mixing")
    assert isinstance(bridge, Bridge)
    entered = client.wait_for("ChannelEnteredBridge", timeout=10)
    mine = []
    bridge.on_event("ChannelEnteredBridge", lambda br, ev: mine.append(ev["channel"]["id"]))
    await bridge.addChannel(channel=channel.id)
    ev = await entered
    await asyncio.sleep(0.05)
    assert ev["bridge"]["id"] == bridge.id and mine == [channel.id]
    assert channel.id in (await bridge.get()).channels
    assert ("start", "Channel") in got
    await channel.hangup()
    await bridge.destroy()


async def _origin_and_settle(client):
    channel, event = await _originate(client)
    await asyncio.sleep(0.05)
    return channel, event


async def test_playback_objects_and_control(client):
    channel, _ = await _originate(client)
    await channel.answer()
    started = client.wait_for("PlaybackStarted", timeout=10)
    playback = await channel.play(media="sound:hello-world")
    assert isinstance(playback, Playback) and playback.state in ("queued", "playing")
    await started
    await playback.control(operation="pause")
    assert (await playback.get()).state == "paused"
    finished = client.wait_for("PlaybackFinished", timeout=10)
    await playback.stop()
    assert (await finished)["playback"]["state"] == "done"
    with pytest.raises(NotFound, match="Playback not found"):
        await playback.get()
    await channel.hangup()


async def test_error_bodies_match_asterisk(client):
    with pytest.raises(NotFound) as info:
        await client.channels.get(channelId="doesnotexist")
    assert info.value.message == "Channel not found" and info.value.path == "/ari/channels/doesnotexist"
    with pytest.raises(ServerError, match="Allocation failed"):
        await client.channels.originate(endpoint="Bogus/123", app=client.test_app)


async def test_read_only_user(server):
    url, _, _, sim = server
    if sim is None:
        real = real_asterisk()
        if not real.ro_user:
            pytest.skip("set ARI_TEST_RO_USER and ARI_TEST_RO_PASSWORD to the server's read_only user")
        user, password = real.ro_user, real.ro_password or ""
    else:
        user, password = "viewer", "viewer"  # the simulator's read-only demo user
    async with await Client.connect(url, user, password) as c:
        assert isinstance(await c.channels.list(), list)
        with pytest.raises(Forbidden, match="Write access denied"):
            await c.channels.originate(endpoint="Local/3000@ARI-test", app="x")


async def test_rest_over_websocket(server):
    url, user, password, _ = server
    async with await Client.connect(url, user, password, transport="websocket", apps="rws") as c:
        if c.transport != "websocket":
            pytest.skip("server does not offer REST over WebSocket")
        info = await c.asterisk.getInfo()
        assert info.system["version"]
        with pytest.raises(NotFound, match="Channel not found"):
            await c.channels.get(channelId="doesnotexist")
        waiter = c.wait_for("StasisStart", timeout=10)
        ch = await c.channels.originate(endpoint="Local/3000@ARI-test", app="rws")
        assert (await waiter)["channel"]["id"] == ch.id
        await ch.hangup()


async def test_recording_file_comes_back_as_bytes(client):
    channel, _ = await _originate(client)
    await channel.answer()
    name = f"rec-{uuid.uuid4().hex[:8]}"
    finished = client.wait_for("RecordingFinished", timeout=15)
    recording = await channel.record(name=name, format="wav", maxDurationSeconds=1)
    assert recording.name == name
    await finished
    stored = await client.recordings.getStored(recordingName=name)
    data = await stored.getStoredFile()
    assert isinstance(data, bytes) and data[:4] == b"RIFF"
    await stored.deleteStored()
    await channel.hangup()


async def test_reconnect_after_simulator_restart():
    """Simulator only: restarting a real Asterisk is not something a test should do."""
    from ari_notebook.sim import Simulator

    sim = await Simulator.start(port=0, clock_speed=50.0)
    url, user, password = sim.url, sim.username, sim.password

    c = await Client.connect(url, user, password, apps="hello", reconnect_base=0.05, reconnect_max=0.3)
    try:
        seen = []
        c.on_event("*", lambda ev: seen.append(ev["type"]))
        port = sim.port
        await sim.stop()
        for _ in range(100):
            if c.connection_state == "reconnecting":
                break
            await asyncio.sleep(0.02)
        assert c.connection_state == "reconnecting"
        sim2 = await Simulator.start(port=port, clock_speed=50.0)
        try:
            for _ in range(200):
                if c.connection_state == "connected":
                    break
                await asyncio.sleep(0.02)
            assert c.connection_state == "connected"
            assert "EventStreamGap" in seen
            waiter = c.wait_for("StasisStart", timeout=10)
            ch = await c.channels.originate(endpoint="Local/3000@ARI-test", app="hello")
            assert (await waiter)["channel"]["id"] == ch.id  # the app was registered again
        finally:
            await c.close()
            await sim2.stop()
    finally:
        await c.close()


async def test_events_namespace_is_both_operations_and_iterator(client):
    stream = client.events(types="ChannelUserevent")
    await client.events.userEvent(eventName="ping", application=client.test_app, variables={"k": "v"})
    event = await stream.get(timeout=10)
    stream.close()
    assert event["eventname"] == "ping" and event["userevent"]["k"] == "v"


async def test_subscribe_all_sees_what_an_app_alone_does_not(server):
    """Traces: the app that creates a bridge gets no BridgeCreated; a subscribeAll socket does."""
    url, user, password, _ = server
    async with await Client.connect(url, user, password) as watcher:
        await watcher.start(apps=["watcher", "watcher2"], subscribe_all=True)
        assert watcher.apps == ["watcher", "watcher2"]
        created = watcher.wait_for("BridgeCreated", timeout=10)
        async with await Client.connect(url, user, password, apps="maker") as maker:
            bridge = await maker.bridges.create(type="mixing")
            event = await created
            assert event["bridge"]["id"] == bridge.id
            await bridge.destroy()


async def test_a_failed_playback_raises_at_once_with_what_asterisk_said(client):
    """Traces (b_playback): a missing file is 201, PlaybackStarted, then PlaybackFinished
    state "failed". ``wait()`` raises on that event instead of timing out."""
    channel, _ = await _originate(client)
    await channel.answer()
    playback = await channel.play(media="sound:no-such-prompt")
    with pytest.raises(PlaybackFailed, match="of sound:no-such-prompt on channel:.* failed") as info:
        await playback.wait(timeout=30)
    assert info.value.event["playback"]["state"] == "failed"
    await channel.hangup()


async def test_a_finished_playback_wait_returns_its_event(client):
    channel, _ = await _originate(client)
    await channel.answer()
    playback = await channel.play(media="sound:beep")
    event = await playback.wait(timeout=30)
    assert event["type"] == "PlaybackFinished" and event["playback"]["id"] == playback.id
    assert event["playback"]["state"] == "done"
    await channel.hangup()
