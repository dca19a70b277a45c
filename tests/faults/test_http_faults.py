"""REST faults: 500/503 answers, slow responses, retries of GETs only, and the control path that
lets anything outside the process (the CLI simulator, another language) inject them."""

from __future__ import annotations

import asyncio
import base64
import time

import aiohttp
import pytest

from ari_notebook._errors import ServerError, TransportError
from ari_notebook.client import Client

from .conftest import FAST, close_and_check, connect, until


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_injected_500_is_a_clear_error_and_is_recorded(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim, apps=None)
    records = []
    client.add_request_listener(records.append)
    rule = sim.faults.fail(500, times=1, match="^GET /channels$", message="Allocation failed")

    with pytest.raises(ServerError) as err:
        await client.channels.list()
    e = err.value
    assert e.status == 500 and "Allocation failed" in str(e)
    assert "channels.list" in str(e) and "GET /ari/channels" in str(e)
    assert rule.hits == 1
    assert await client.channels.list() == []  # times=1: the next one is served normally
    assert [r["status"] for r in records] == [500, 200]
    assert "Allocation failed" in records[0]["error"] and records[1]["error"] is None
    requests = client.log.requests
    assert list(requests["status"]) == [500, 200]
    await close_and_check(client, sim, before, loop_errors)


async def test_get_is_retried_on_503_when_asked(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim, apps=None, retries=2)
    rule = sim.faults.fail(503, times=2, match="^GET /asterisk/info$")
    info = await client.asterisk.getInfo()
    assert rule.hits == 2 and info["system"]["entity_id"]
    sim.faults.fail(503, times=3, match="^GET /asterisk/info$")  # more failures than retries
    with pytest.raises(ServerError) as err:
        await client.asterisk.getInfo()
    assert err.value.status == 503 and "Service Unavailable" in str(err.value)
    await close_and_check(client, sim, before, loop_errors)


async def test_writes_are_never_retried(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim, retries=5)
    rule = sim.faults.fail(503, times=1, match="^POST /channels$")
    with pytest.raises(ServerError) as err:
        await client.channels.originate(endpoint="Local/3000@ARI-test", app="hello")
    assert err.value.status == 503 and "channels.originate" in str(err.value)
    assert rule.hits == 1
    assert await client.channels.list() == []  # no second call was placed behind the user's back
    await close_and_check(client, sim, before, loop_errors)


async def test_connect_during_startup_503(sim):
    sim.faults.fail(503, times=1, match="^GET /api-docs/resources.json$")
    with pytest.raises(ServerError) as err:
        await Client.connect(sim.url, sim.username, sim.password, **FAST)
    assert err.value.status == 503 and "api-docs" in str(err.value)

    sim.faults.fail(503, times=1, match="^GET /api-docs/resources.json$")
    client = await Client.connect(sim.url, sim.username, sim.password, retries=1, **FAST)
    try:
        assert "channels.originate" in client.operations
    finally:
        await client.close()


async def test_slow_responses_and_timeouts(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim, apps=None, timeout=0.5)
    sim.faults.delay(0.3, match="^GET /asterisk/ping$")
    started = time.perf_counter()
    response = await client.execute("asterisk.ping")
    assert response.status == 200 and response.elapsed_ms >= 300
    assert time.perf_counter() - started >= 0.3
    fast = await client.execute("channels.list")  # not matched: not delayed
    assert fast.elapsed_ms < 300

    sim.faults.clear()
    sim.faults.delay(2.0, times=1, match="^GET /bridges$")
    with pytest.raises(TransportError) as err:
        await client.bridges.list()
    assert "bridges.list" in str(err.value) and "GET /ari/bridges" in str(err.value)
    assert await client.execute("asterisk.ping")  # the client is still usable
    await close_and_check(client, sim, before, loop_errors)


async def test_dashboard_shows_a_failed_resync_and_nothing_escapes(sim, loop_errors):
    from ari_notebook.widgets import Dashboard

    before = asyncio.all_tasks()
    client, _ = await connect(sim)
    dash = Dashboard(client, rate=50)
    try:
        await dash.idle()
        sim.faults.fail(500, times=None, match="^GET /channels$")
        await sim.faults.drop_websockets()
        await until(lambda: "resync failed" in dash.connection.value)
        assert "500" in dash.connection.value
        sim.faults.clear()
        dash.resync_button.click()
        await until(lambda: "resync failed" not in dash.connection.value)
    finally:
        dash.close()
    await close_and_check(client, sim, before, loop_errors)


async def test_control_path_over_http(sim):
    base = f"{sim.url}/_sim/faults"
    admin = basic(sim.username, sim.password)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/fail", json={"status": 503}) as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Basic")
        async with http.post(f"{base}/fail", json={"status": 503}, headers=basic("viewer", "viewer")) as r:
            assert r.status == 403
        async with http.post(f"{base}/fail", headers=admin,
                             json={"status": 503, "times": 1, "match": "^GET /asterisk/ping$"}) as r:
            assert r.status == 200 and (await r.json())["result"]["status"] == 503
        async with http.get(f"{sim.url}/ari/asterisk/ping", headers=admin) as r:
            assert r.status == 503 and (await r.json()) == {"message": "Service Unavailable"}
        async with http.get(f"{sim.url}/ari/asterisk/ping", headers=admin) as r:
            assert r.status == 200
        async with http.post(f"{base}/no_such_fault", headers=admin) as r:
            assert r.status == 404 and "fail" in (await r.json())["message"]
        async with http.post(f"{base}/fail", headers=admin, json={"status": "lots"}) as r:
            assert r.status == 400
        async with http.post(f"{base}/delay", headers=admin, params={"seconds": "0", "colour": "red"}) as r:
            assert r.status == 400 and "colour" in (await r.json())["message"]
        async with http.get(base, headers=admin) as r:
            state = await r.json()
            assert [h["fault"] for h in state["history"]] == ["fail"]
        async with http.post(f"{base}/generate", headers=admin,
                             json={"rate": 2000, "seconds": 0.05, "app": "nobody"}) as r:
            assert r.status == 200 and (await r.json())["result"]["app"] == "nobody"
        await sim.faults.generators[-1].wait()
        assert sim.faults.generators[-1].sent == 0 and sim.faults.generators[-1].skipped == 100


async def test_restart_over_http_keeps_the_port(sim):
    client, _ = await connect(sim)
    try:
        port = sim.port
        async with aiohttp.ClientSession(headers=basic(sim.username, sim.password)) as http:
            async with http.post(f"{sim.url}/_sim/faults/restart", json={"keep_state": False}) as r:
                assert r.status == 200
        await until(lambda: client.hub.socket.reconnects == 1 and client.connection_state == "connected")
        assert sim.port == port
    finally:
        await client.close()


async def test_generated_load_is_counted_and_fully_logged(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim)
    gen = sim.faults.generate(rate=2000, seconds=0.5, app="hello")
    sent = await gen.wait()
    assert sent == 1000 and gen.skipped == 0
    await until(lambda: client.log.counts().get("ChannelUserevent") == sent)
    seqs = [e["userevent"]["seq"] for e in client.log if e["type"] == "ChannelUserevent"]
    assert seqs == list(range(1, sent + 1))  # nothing lost, nothing reordered
    await close_and_check(client, sim, before, loop_errors)
