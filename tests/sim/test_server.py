"""The Simulator over real sockets with plain aiohttp: life cycle, isolation, the events
WebSocket (replacement, app lists, refusals), REST over WebSocket, teaching hooks, clock."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
import pytest

from ari_notebook import ConfigurationError
from ari_notebook.sim import Simulator

AUTH = {"Authorization": aiohttp.encode_basic_auth("asterisk", "asterisk")}


async def _next(ws, etype, timeout=3.0):
    """The next event of ``etype`` on ``ws`` (others are skipped)."""
    async def read():
        while True:
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            event = json.loads(msg.data)
            if event["type"] == etype:
                return event
    return await asyncio.wait_for(read(), timeout)


@contextlib.asynccontextmanager
async def _socket(url, query):
    """A WebSocket on its own session (fresh connector per socket, as the traces advise)."""
    async with aiohttp.ClientSession(headers=AUTH) as session:
        async with session.ws_connect(f"{url}/ari/events?{query}") as ws:
            yield ws


async def test_start_stop_async_with_and_repr_without_password():
    async with Simulator.start(port=0) as sim:
        assert sim.url.startswith("http://127.0.0.1:") and sim.port > 0
        assert (sim.username, sim.password) == ("asterisk", "asterisk")
        assert "asterisk" not in repr(sim).replace("asterisk_id", "")
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.get(sim.url + "/ari/asterisk/ping") as r:
                assert r.status == 200 and r.headers["Server"] == "Asterisk"
                assert r.headers["Cache-Control"] == "no-cache, no-store"
    sim2 = await Simulator.start(port=0)
    await sim2.stop()
    await sim2.stop()  # twice is fine


async def test_refuses_a_public_address_unless_asked():
    with pytest.raises(ConfigurationError, match="allow_public"):
        Simulator.start(host="0.0.0.0")


async def test_two_instances_share_nothing():
    async with Simulator.start() as a, Simulator.start() as b:
        assert a.port != b.port
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.post(a.url + "/ari/bridges/only-a") as r:
                assert r.status == 200
            async with http.get(b.url + "/ari/bridges") as r:
                assert await r.json() == []
            async with http.get(a.url + "/ari/bridges") as r:
                assert [x["id"] for x in await r.json()] == ["only-a"]
        assert a.asterisk is not b.asterisk and a.clock is not b.clock


async def test_api_docs_are_generated_with_the_request_host_as_base_path():
    async with Simulator.start() as sim, aiohttp.ClientSession(headers=AUTH) as http:
        async with http.get(sim.url + "/ari/api-docs/resources.json") as r:
            listing = await r.json()
        assert listing["basePath"] == sim.url + "/ari" and listing["apiVersion"] == "11.0.0"
        async with http.get(sim.url + "/ari/api-docs/channels.json") as r:
            channels = await r.json()
        nicknames = {op["nickname"] for api in channels["apis"] for op in api["operations"]}
        assert {"originate", "create", "hangup", "play", "snoopChannel", "externalMedia"} <= nicknames
        assert "Channel" in channels["models"]
        async with aiohttp.ClientSession() as anon, anon.get(sim.url + "/ari/api-docs/resources.json") as r:
            assert r.status == 401


async def test_the_api_docs_fixture_is_what_the_simulator_serves(sim_api_docs_dir):
    """The client/spec/widget/fuzz tests run on ``sim_api_docs_dir`` (tests/conftest.py): it must
    be exactly the simulator's served api-docs, all 11 families, apart from ``basePath``."""
    from conftest import DOCS_BASE_PATH, read_api_docs

    listing, decls = read_api_docs(sim_api_docs_dir)
    assert len(decls) == len(listing["apis"]) == 11
    async with Simulator.start() as sim, aiohttp.ClientSession(headers=AUTH) as http:
        for name, doc in [("resources", listing), *decls.items()]:
            async with http.get(f"{sim.url}/ari/api-docs/{name}.json") as r:
                served = await r.json()
            assert served["basePath"] == sim.url + "/ari" and doc["basePath"] == DOCS_BASE_PATH
            assert {**served, "basePath": DOCS_BASE_PATH} == doc, name


async def test_second_socket_replaces_the_first_and_app_lists_register_each_app():
    async with Simulator.start() as sim:
        async with _socket(sim.url, "app=hello") as ws1, _socket(sim.url, "app=hello,other") as ws2:
            replaced = await _next(ws1, "ApplicationReplaced")
            assert replaced["application"] == "hello"
            async with aiohttp.ClientSession(headers=AUTH) as http:
                async with http.get(sim.url + "/ari/applications") as r:
                    assert sorted(a["name"] for a in await r.json()) == ["hello", "other"]
                async with http.post(sim.url + "/ari/channels",
                                     params={"endpoint": "Local/3000@ARI-test", "app": "hello"}) as r:
                    assert r.status == 200
            start = await _next(ws2, "StasisStart")
            assert start["application"] == "hello"
        await asyncio.sleep(0.05)
        async with aiohttp.ClientSession(headers=AUTH) as http:
            # its last socket closed while it held the call: Asterisk keeps listing it (seen live)
            async with http.get(sim.url + "/ari/applications/hello") as r:
                assert r.status == 200 and len((await r.json())["channel_ids"]) == 2
            async with http.get(sim.url + "/ari/applications/other") as r:
                assert r.status == 404  # held nothing: gone with the socket


async def test_events_upgrade_refusals_look_like_asterisk():
    async with Simulator.start() as sim:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with http.get(sim.url + "/ari/events?app=hello") as r:  # no Upgrade header
                assert r.status == 426 and "Upgrade Required" in await r.text()
        async with aiohttp.ClientSession(headers=AUTH) as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as missing:
                await http.ws_connect(sim.url + "/ari/events")
            assert missing.value.status == 400
        async with aiohttp.ClientSession(headers=AUTH) as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as long_name:
                await http.ws_connect(sim.url + "/ari/events?app=" + "x" * 300)
            assert long_name.value.status == 500
        async with aiohttp.ClientSession() as anon:
            with pytest.raises(aiohttp.WSServerHandshakeError) as denied:
                await anon.ws_connect(sim.url + "/ari/events?app=hello&api_key=asterisk:wrong")
            assert denied.value.status == 401


async def test_rest_over_websocket():
    async with Simulator.start() as sim:
        async with _socket(sim.url, "app=hello") as ws:
            await ws.send_str(json.dumps({"type": "RESTRequest", "request_id": "r1", "transaction_id": "t1",
                                          "method": "POST", "uri": "channels?endpoint=Local/3000@ARI-test&app=hello"}))
            reply = await _next(ws, "RESTResponse")
            assert (reply["request_id"], reply["transaction_id"], reply["status_code"]) == ("r1", "t1", 200)
            channel = json.loads(reply["message_body"])
            assert channel["name"].startswith("Local/3000@ARI-test-")
            await ws.send_str(json.dumps({"type": "RESTRequest", "request_id": "r2", "transaction_id": "t2",
                                          "method": "GET", "uri": "channels/nosuch"}))
            reply = await _next(ws, "RESTResponse")
            assert reply["status_code"] == 404 and json.loads(reply["message_body"]) == {"message": "Channel not found"}


async def test_teaching_hooks_call_press_hangup():
    async with Simulator.start(clock_speed=20) as sim:
        async with _socket(sim.url, "app=hello") as ws:
            chan_id = await sim.call("PJSIP/alice", "1000")
            start = await _next(ws, "StasisStart")
            assert start["channel"]["id"] == chan_id and start["args"] == []
            await sim.press(chan_id, "1#")
            digits = [(await _next(ws, "ChannelDtmfReceived"))["digit"] for _ in range(2)]
            assert digits == ["1", "#"]
            await sim.hangup(chan_id)
            end = await _next(ws, "StasisEnd")
            assert end["channel"]["id"] == chan_id
            with pytest.raises(ValueError, match="not a simulated endpoint"):
                await sim.call("PJSIP/nobody", "1000")


async def test_fast_clock_ends_a_30_second_ring_in_milliseconds():
    async with Simulator.start(clock_speed=1000) as sim:
        async with _socket(sim.url, "app=hello") as ws:
            async with aiohttp.ClientSession(headers=AUTH) as http:
                async with http.post(sim.url + "/ari/channels", params={
                        "endpoint": "Local/4000@ARI-test", "app": "hello", "channelId": "ring", "timeout": "60"}) as r:
                    assert r.status == 200
            loop = asyncio.get_running_loop()
            started = loop.time()
            destroyed = await _next(ws, "ChannelDestroyed", timeout=5)
            assert destroyed["channel"]["id"] in ("ring", "ring;2")
            assert loop.time() - started < 1.0  # 30 simulated seconds


async def test_a_reconnecting_app_still_hears_about_its_channels():
    async with Simulator.start() as sim:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            async with _socket(sim.url, "app=hello") as ws:
                async with http.post(sim.url + "/ari/channels", params={
                        "endpoint": "Local/3000@ARI-test", "app": "hello", "channelId": "keep"}) as r:
                    assert r.status == 200
                await _next(ws, "StasisStart")
            await asyncio.sleep(0.05)
            async with http.get(sim.url + "/ari/applications/hello") as r:
                # no socket, but it holds the call: Asterisk lists it with its channels (seen live)
                assert r.status == 200 and sorted((await r.json())["channel_ids"]) == ["keep", "keep;2"]
            async with _socket(sim.url, "app=hello") as ws:
                async with http.delete(sim.url + "/ari/channels/keep") as r:
                    assert r.status == 204
                end = await _next(ws, "StasisEnd")
                assert end["channel"]["id"] == "keep"
                assert (await _next(ws, "ChannelDestroyed"))["channel"]["id"] in ("keep", "keep;2")
