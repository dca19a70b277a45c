"""Events over the WebSocket: handlers, typed handlers, iterators, reconnect with a gap marker."""

from __future__ import annotations

import asyncio
import warnings

import pytest
from _asyncwait import until

from ari_notebook._errors import AriTimeout, EventStreamError, NotFound
from ari_notebook.client import Channel, Client

from .conftest import client_side_tasks as _client_side_tasks


def _stasis_start(cid="c1"):
    return {"type": "StasisStart", "args": [], "channel": {"id": cid, "name": f"Local/{cid}", "state": "Up"}}



async def test_start_returns_at_once_and_events_reach_handlers(client, fake_ari):
    seen, typed, raw = [], [], []
    client.add_listener(lambda ev, t: raw.append((ev["type"], t)))
    client.on_event("*", lambda ev: seen.append(ev["type"]))
    client.on_channel_event("StasisStart", lambda ch, ev: typed.append((type(ch), ch.id, ev["type"])))
    started = client.start(apps="hello")
    assert client.connection_state in ("connecting", "connected")
    await started
    assert client.connection_state == "connected"
    await fake_ari.push(_stasis_start("c1"))
    await fake_ari.push({"type": "ChannelDtmfReceived", "digit": "1", "duration_ms": 100,
                         "channel": {"id": "c1"}})
    await until(lambda: len(seen) == 2)
    assert seen == ["StasisStart", "ChannelDtmfReceived"]
    assert typed == [(Channel, "c1", "StasisStart")]
    assert [t for t, _ in raw] == seen and all(r > 1e9 for _, r in raw)
    assert fake_ari.upgrade_queries[-1] == {"app": "hello"}
    assert fake_ari.upgrade_auth[-1] == "header"


async def test_typed_handler_gets_bound_objects_and_async_callbacks(client, fake_ari):
    answered = []

    async def on_start(channel, event):
        await channel.answer()
        answered.append(channel.id)
    client.on_channel_event("StasisStart", on_start)
    await client.start(apps="hello")
    ch = await client.channels.originate(endpoint="Local/1000@ARI-test", app="hello")
    await until(lambda: answered == [ch.id])
    assert fake_ari.channels[ch.id]["state"] == "Up"


async def test_object_on_event_only_sees_its_own(client, fake_ari):
    mine = Channel(client, {"id": "c1"})
    got = []
    mine.on_event("ChannelDtmfReceived", lambda ch, ev: got.append((ch.id, ev["digit"])))
    await client.start(apps="hello")
    for cid, digit in (("c2", "9"), ("c1", "5")):
        await fake_ari.push({"type": "ChannelDtmfReceived", "digit": digit, "channel": {"id": cid}})
    await until(lambda: got)
    await asyncio.sleep(0.05)
    assert got == [("c1", "5")]


async def test_rerunning_registration_replaces(client, fake_ari):
    calls = []
    for _ in range(3):
        def on_start(channel, event):
            calls.append(channel.id)
        client.on_channel_event("StasisStart", on_start)
    await client.start(apps="hello")
    await fake_ari.push(_stasis_start("c9"))
    await until(lambda: calls)
    await asyncio.sleep(0.05)
    assert calls == ["c9"]


async def test_typed_lambdas_stack_and_keys_replace(client):
    calls = []
    client.on_channel_event("StasisStart", lambda ch, ev: calls.append("a"))
    client.on_channel_event("StasisStart", lambda ch, ev: calls.append("b"))
    client.on_bridge_event("BridgeCreated", lambda br, ev: calls.append("bridge"))
    client.on_channel_event("StasisEnd", lambda ch, ev: calls.append("k1"), key="end")
    client.on_channel_event("StasisEnd", lambda ch, ev: calls.append("k2"), key="end")
    client.dispatch(_stasis_start("c"))
    client.dispatch({"type": "StasisEnd", "channel": {"id": "c"}})
    client.dispatch({"type": "BridgeCreated", "bridge": {"id": "b"}})
    assert calls == ["a", "b", "k2", "bridge"]


async def test_failing_handler_does_not_stop_the_reader(client, fake_ari):
    good = []
    client.on_event("StasisStart", lambda ev: 1 / 0)
    client.on_event("StasisStart", lambda ev: good.append(ev["channel"]["id"]))
    await client.start(apps="hello")
    await fake_ari.push(_stasis_start("a"))
    await fake_ari.push(_stasis_start("b"))
    await until(lambda: good == ["a", "b"])
    assert len(client.handler_errors) == 2 and isinstance(client.handler_errors[0].error, ZeroDivisionError)
    assert client.connection_state == "connected"


async def test_events_iterator_and_wait_for(client, fake_ari):
    await client.start(apps="hello")
    stream = client.events(types="StasisStart", channel="c2")
    waiter = client.wait_for("StasisEnd", predicate=lambda ev: ev["channel"]["id"] == "c2", timeout=5)
    await fake_ari.push(_stasis_start("c1"))
    await fake_ari.push(_stasis_start("c2"))
    await fake_ari.push({"type": "StasisEnd", "channel": {"id": "c2"}})
    ev = await stream.get(timeout=5)
    assert ev["channel"]["id"] == "c2"
    assert (await waiter)["type"] == "StasisEnd"
    stream.close()
    with pytest.raises(AriTimeout):
        await client.wait_for("Nothing", timeout=0.05)


async def test_dispatch_runs_the_live_path(client):
    raw, seen = [], []
    client.add_listener(lambda ev, t: raw.append(t))
    client.on_channel_event("StasisStart", lambda ch, ev: seen.append(ch.id))
    client.dispatch(_stasis_start("replayed"), received_at=123.0)
    assert raw == [123.0] and seen == ["replayed"]


async def test_reconnect_after_drop_keeps_handlers_and_marks_the_gap(client, fake_ari):
    seen = []
    client.on_event("*", lambda ev: seen.append(ev))
    await client.start(apps=["hello", "other"])
    await fake_ari.push(_stasis_start("before"))
    await until(lambda: len(seen) == 1)
    await fake_ari.drop()
    await until(lambda: client.connection_state == "reconnecting", 2)
    await fake_ari.wait_sockets(1)
    await until(lambda: client.connection_state == "connected")
    await fake_ari.push(_stasis_start("after"))
    await until(lambda: len(seen) == 3)
    gap = seen[1]
    assert gap["type"] == "EventStreamGap" and gap["application"] == "hello,other"
    assert gap["reason"] and gap["disconnected_at"] <= gap["reconnected_at"] == gap["timestamp"]
    assert gap["timestamp"].endswith("+0000")
    assert seen[2]["channel"]["id"] == "after"
    assert fake_ari.upgrade_queries == [{"app": "hello,other"}] * 2  # apps registered again
    assert len(set(fake_ari.upgrade_peers)) == 2  # a fresh TCP connection for each upgrade


async def test_reconnect_after_server_restart_with_backoff(client, fake_ari):
    seen = []
    client.on_event("*", lambda ev: seen.append(ev["type"]))
    await client.start(apps="hello")
    await fake_ari.restart(pause=0.3)
    await fake_ari.wait_sockets(1, timeout=5)
    await until(lambda: client.connection_state == "connected")
    await fake_ari.push(_stasis_start("x"))
    await until(lambda: seen[-1:] == ["StasisStart"])
    assert seen == ["EventStreamGap", "StasisStart"]
    assert client.hub.socket.reconnects == 1


async def test_rest_calls_keep_working_after_reconnect(client, fake_ari):
    await client.start(apps="hello")
    await fake_ari.drop()
    await fake_ari.wait_sockets(1)
    info = await client.asterisk.getInfo()
    assert info.system["version"] == "23.4.1"


async def test_refused_upgrade_fails_start_with_a_clear_error(client, fake_ari):
    fake_ari.refuse_upgrades_with = 500
    with pytest.raises(EventStreamError, match="refused with 500") as info:
        await client.start(apps="hello")
    assert info.value.status == 500 and "asterisk" not in str(info.value)
    assert client.connection_state == "disconnected"


async def test_api_key_query_fallback_never_leaks(fake_ari, caplog):
    c = await Client.connect(fake_ari.url, "asterisk", "asterisk")
    try:
        fake_ari.refuse_upgrades_with = 401
        with pytest.raises(EventStreamError) as info:
            await c.start(apps="hello")
        text = str(info.value) + repr(info.value) + caplog.text + repr(c)
        assert "api_key" not in text and "asterisk:asterisk" not in text
        assert info.value.__cause__ is None
    finally:
        await c.close()


async def test_run_blocks_until_stop(client, fake_ari):
    runner = asyncio.ensure_future(client.run(apps="hello"))
    await fake_ari.wait_sockets(1)
    await asyncio.sleep(0.05)
    assert not runner.done()
    await client.stop()
    await asyncio.wait_for(runner, 2)
    assert client.connection_state == "disconnected"


async def test_rest_over_websocket(fake_ari):
    c = await Client.connect(fake_ari.url, "asterisk", "asterisk", transport="websocket")
    try:
        assert c.transport == "websocket"
        before = fake_ari.rest_ws_requests
        info = await c.asterisk.getInfo()
        assert info.system["version"] == "23.4.1"
        assert len(await c.channels.list()) == 20
        with pytest.raises(NotFound, match="Channel not found"):
            await c.channels.get(channelId="nope")
        assert fake_ari.rest_ws_requests - before == 3
        resp = await c.execute("asterisk.getInfo")
        assert resp.status == 200 and resp.body["system"]["version"] == "23.4.1"
        await fake_ari.drop()  # while the REST socket reconnects, calls go over HTTP
        assert (await c.asterisk.getInfo()).system["version"] == "23.4.1"
        await fake_ari.wait_sockets(1)
        await until(lambda: c.sender.rest.connected)
        before = fake_ari.rest_ws_requests
        await c.asterisk.getInfo()
        assert fake_ari.rest_ws_requests == before + 1
    finally:
        await c.close()
    await asyncio.sleep(0)
    assert _client_side_tasks() == []


async def test_rest_over_websocket_falls_back_with_a_warning(api_docs_dir, monkeypatch):
    from .fakeari import FakeAri

    monkeypatch.setattr(Client, "rest_probe_timeout", 0.3)

    server = await FakeAri(api_docs_dir, strip_rest_models=True).start()
    try:
        with pytest.warns(RuntimeWarning, match="RESTRequest"):
            c = await Client.connect(server.url, "asterisk", "asterisk", transport="websocket")
        assert c.transport == "http"
        assert (await c.asterisk.getInfo()).system["version"] == "23.4.1"
        await c.close()
    finally:
        await server.stop()
    server = await FakeAri(api_docs_dir, rest_over_ws=False).start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = await Client.connect(server.url, "asterisk", "asterisk", transport="websocket")
        assert c.transport == "http"
        assert any("REST over WebSocket is not available" in str(w.message) for w in caught)
        await c.close()
    finally:
        await server.stop()


async def test_connect_with_apps_starts_the_reader(fake_ari):
    async with await Client.connect(fake_ari.url, "asterisk", "asterisk", apps="hello") as c:
        assert c.connection_state == "connected" and c.apps == ["hello"]


async def test_heartbeat_detects_a_silent_server_and_reconnects(fake_ari):
    fake_ari.answer_pings = False
    c = await Client.connect(fake_ari.url, "asterisk", "asterisk", heartbeat=0.2,
                             reconnect_base=0.05, reconnect_max=0.1)
    try:
        gaps = []
        c.on_event("EventStreamGap", gaps.append)
        await c.start(apps="hello")
        await until(lambda: gaps, timeout=5)  # no pong within heartbeat/2: dropped and reopened
        assert "No PONG received" in gaps[0]["reason"]
        assert c.hub.socket.reconnects >= 1
    finally:
        await c.close()


async def test_connect_with_apps_fails_cleanly_when_the_socket_is_refused(fake_ari):
    fake_ari.refuse_upgrades_with = 400
    with pytest.raises(EventStreamError, match="refused with 400"):
        await Client.connect(fake_ari.url, "asterisk", "asterisk", apps="hello")
    await asyncio.sleep(0)
    assert _client_side_tasks() == []


async def test_connect_with_apps_fails_cleanly_on_bad_credentials(fake_ari):
    from ari_notebook._errors import AriError
    with pytest.raises(AriError):
        await Client.connect(fake_ari.url, "asterisk", "wrong", apps="hello")
    await asyncio.sleep(0)
    assert _client_side_tasks() == []


async def test_client_log_records_live_events_and_the_gap(client, fake_ari):
    log = client.log
    assert client.log is log  # created once, lazily
    await client.start(apps="hello")
    await fake_ari.push(_stasis_start("l1"))
    await until(lambda: len(log) == 1)
    await fake_ari.drop()
    await fake_ari.wait_sockets(1)
    await until(lambda: len(log) == 2)
    assert [e["type"] for e in log.tail(2)] == ["StasisStart", "EventStreamGap"]


async def test_a_misspelt_event_type_warns_with_a_suggestion(client):
    with pytest.warns(UserWarning, match="did you mean 'StasisStart'"):
        client.on_event("StasisStrat", lambda ev: None)
    with pytest.warns(UserWarning, match="ChannelDtmfRecieved"):
        client.on_channel_event("ChannelDtmfRecieved", lambda ch, ev: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.on_event("StasisStart", lambda ev: None)
        client.on_event("EventStreamGap", lambda ev: None)
        client.on_event("*", lambda ev: None)


async def test_subscriptions_and_filter_are_set_again_after_a_reconnect(client, fake_ari):
    await client.start(apps="hello")
    await client.applications.subscribe(applicationName="hello", eventSource=["endpoint:PJSIP/alice", "bridge:b1"])
    await client.applications.unsubscribe(applicationName="hello", eventSource="bridge:b1")
    await client.applications.filter(applicationName="hello", filter={"allowed": [{"type": "StasisStart"}]})
    fake_ari.requests.clear()
    await fake_ari.drop()
    await fake_ari.wait_sockets(1)

    def replayed():
        return [(m, p, q, b) for m, p, q, b in fake_ari.requests if p.startswith("/ari/applications/")]
    await until(lambda: len(replayed()) == 2)
    (m1, p1, q1, _), (m2, p2, _, b2) = replayed()
    assert (m1, p1, q1) == ("POST", "/ari/applications/hello/subscription", {"eventSource": "endpoint:PJSIP/alice"})
    assert (m2, p2) == ("PUT", "/ari/applications/hello/eventFilter")
    import json
    assert json.loads(b2) == {"allowed": [{"type": "StasisStart"}]}


async def test_close_ends_iterators_and_fails_waiters(fake_ari):
    from ari_notebook._errors import AriError

    c = await Client.connect(fake_ari.url, "asterisk", "asterisk")
    await c.start(apps="hello")
    waiter = c.wait_for("StasisStart")
    got = []

    async def reader():
        async for ev in c.events():
            got.append(ev)
        return "ended"
    task = asyncio.ensure_future(reader())
    await asyncio.sleep(0.01)
    await c.close()
    assert await asyncio.wait_for(task, 2) == "ended"
    with pytest.raises(AriError, match="client was closed"):
        await waiter


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    import random

    from ari_notebook.client.stream import backoff_delay
    rng = random.Random(7)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 30.0), (20, 30.0)):
        delays = [backoff_delay(attempt, 0.5, 30.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # really jittered, not a fixed step


async def test_playback_recording_and_endpoint_handlers_get_their_objects_and_clear_removes_all(client, fake_ari):
    from ari_notebook.client import Endpoint, LiveRecording, Playback

    got = []
    client.on_playback_event("PlaybackStarted", lambda pb, ev: got.append((type(pb), pb.id, pb.state)))
    client.on_recording_event("RecordingStarted", lambda rec, ev: got.append((type(rec), rec.name, rec.state)))
    client.on_endpoint_event("EndpointStateChange",
                             lambda ep, ev: got.append((type(ep), ep.resource, ep.state)))
    await client.start(apps="hello")
    await fake_ari.push({"type": "PlaybackStarted", "playback": {
        "id": "pb1", "media_uri": "sound:hello-world", "target_uri": "channel:c1", "language": "en",
        "state": "playing"}})
    await fake_ari.push({"type": "RecordingStarted", "recording": {
        "name": "greeting", "format": "wav", "state": "recording", "target_uri": "channel:c1"}})
    await fake_ari.push({"type": "EndpointStateChange", "endpoint": {
        "technology": "PJSIP", "resource": "1001", "state": "online", "channel_ids": []}})
    await until(lambda: len(got) == 3)
    assert got == [(Playback, "pb1", "playing"), (LiveRecording, "greeting", "recording"),
                   (Endpoint, "1001", "online")]
    client.clear_handlers()
    assert client.handlers() == []
    await fake_ari.push({"type": "PlaybackStarted", "playback": {"id": "pb2", "state": "playing"}})
    await fake_ari.push(_stasis_start("c9"))
    await asyncio.sleep(0.1)
    assert len(got) == 3
