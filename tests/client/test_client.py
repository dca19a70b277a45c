"""The client against a loopback server serving the simulator's api-docs (and a real Asterisk 23's)."""

from __future__ import annotations

import asyncio
import inspect
import ssl
import warnings

import pytest

from ari_notebook._errors import (
    ConfigurationError, NotFound, ServerError, TransportError, Unauthorized, ValidationError,
)
from ari_notebook.client import (
    AriResponse, AsteriskInfo, Bridge, Channel, Client, InsecureConnectionWarning, LiveRecording, Playback,
    Sound, StoredRecording,
)
from ari_notebook.client.transport import ssl_setting
from ari_notebook.client.urls import parse_server_url

from .conftest import client_side_tasks


async def test_connect_builds_every_operation_from_the_servers_api_docs(client, api_spec):
    assert client.api_version == "11.0.0"
    assert set(client.operations) == set(api_spec.operations)
    assert len(client.resources) == 11
    for name, op in api_spec.operations.items():
        resource, nickname = name.split(".")
        assert getattr(client.resources[resource], nickname).operation == op
    assert "originate" in dir(client.channels) and "channels" in dir(client)
    assert client.channels.start_moh is client.channels.startMoh  # snake_case alias stays out of dir()


async def test_spec_documents_fetched_concurrently_with_auth_header(fake_ari, client):
    docs = [(m, p) for m, p, q, b in fake_ari.requests if p.startswith("/ari/api-docs/")]
    assert ("GET", "/ari/api-docs/resources.json") in docs and len(docs) == 12
    assert all("api_key" not in q for _, _, q, _ in fake_ari.requests)


async def test_results_are_objects_with_bound_operations(client, fake_ari):
    info = await client.asterisk.getInfo()
    assert isinstance(info, AsteriskInfo) and info.system["version"] == "23.4.1"
    channels = await client.channels.list()
    assert len(channels) == 20 and all(isinstance(c, Channel) for c in channels)
    ch = await client.channels.originate(endpoint="Local/1000@ARI-test", app="hello")
    assert isinstance(ch, Channel) and ch.state == "Down" and ch.json["id"] == ch.id
    assert await ch.answer() is None
    assert fake_ari.channels[ch.id]["state"] == "Up"
    assert "answer" in dir(ch) and "hangup" in dir(ch) and "name" in dir(ch)
    assert "addChannel" not in dir(ch)
    assert repr(ch) == f"<Channel {ch.id} {ch.name} Down>"
    assert "<table>" in ch._repr_html_() and ch.id in ch._repr_html_()

    bridge = await client.bridges.create(type="mixing")
    assert isinstance(bridge, Bridge)
    await bridge.addChannel(channel=ch.id)
    assert fake_ari.bridges[bridge.id]["channels"] == [ch.id]
    playback = await ch.play(media="sound:hello-world")
    assert isinstance(playback, Playback) and playback.state == "queued"
    await playback.control(operation="pause")
    assert fake_ari.playbacks[playback.id]["state"] == "paused"
    sound = await client.sounds.get(soundId="hello-world")
    assert isinstance(sound, Sound) and sound.text == "Hello world"
    assert (await ch.get()) == ch  # same id, same class


async def test_bound_operation_help_and_signature(client):
    ch = Channel(client, {"id": "abc"})
    sig = inspect.signature(ch.play)
    assert "channelId" not in sig.parameters and "media" in sig.parameters
    assert "channelId='abc'" in ch.play.__doc__
    with pytest.raises(ValidationError, match="channelId"):
        await ch.play(media="sound:x", channelId="other")


async def test_recordings_bind_by_live_or_stored_path(client):
    live = LiveRecording(client, {"name": "r1", "state": "recording"})
    stored = StoredRecording(client, {"name": "greeting", "format": "wav"})
    assert {"stop", "pause", "mute", "cancel", "getLive"} <= set(dir(live))
    assert "getStoredFile" not in dir(live) and "stop" not in dir(stored)
    data = await stored.getStoredFile()
    assert isinstance(data, bytes) and data.startswith(b"RIFF")


async def test_help_where_a_notebook_user_looks(client):
    op = client.channels.originate
    doc = op.__doc__
    assert "POST /channels" in doc and "endpoint (string, query, required)" in doc
    assert "Errors:" in doc and "400" in doc
    sig = inspect.signature(op)
    assert list(sig.parameters)[0] == "endpoint"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
    assert "channels.originate" in repr(op)
    assert inspect.getdoc(op) == doc


async def test_validation_happens_before_any_io(client, fake_ari):
    before = len(fake_ari.requests)
    with pytest.raises(ValidationError, match="channels.originate: parameter 'endpoint'"):
        await client.channels.originate(app="hello")
    with pytest.raises(ValidationError, match="did you mean 'endpoint'"):
        await client.channels.originate(endpont="Local/1", app="hello")
    with pytest.raises(ValidationError, match="timeout"):
        await client.channels.originate(endpoint="Local/1", timeout="soon")
    with pytest.raises(ValidationError, match="allowed"):
        await client.playbacks.control(playbackId="p", operation="explode")
    with pytest.raises(ValidationError, match=r"keyword arguments only \(channelId=...\)"):
        client.channels.get("abc")
    assert len(fake_ari.requests) == before


async def test_body_parameters_are_sent_as_json(client, fake_ari):
    await client.channels.originate(endpoint="Local/1000@ARI-test", app="hello", variables={"FOO": "bar"})
    method, path, query, body = fake_ari.requests[-1]
    assert (method, path) == ("POST", "/ari/channels")
    assert query == {"endpoint": "Local/1000@ARI-test", "app": "hello"}
    import json
    assert json.loads(body) == {"variables": {"FOO": "bar"}}


async def test_http_errors_carry_status_message_operation_and_path(client):
    with pytest.raises(NotFound) as info:
        await client.channels.get(channelId="nope")
    err = info.value
    assert (err.status, err.message, err.operation, err.method, err.path) == (
        404, "Channel not found", "channels.get", "GET", "/ari/channels/nope")
    with pytest.raises(ServerError, match="Allocation failed"):
        await client.channels.originate(endpoint="Bogus/123", app="hello")
    ch = Channel(client, {"id": "gone"})
    with pytest.raises(NotFound, match="channels.hangup DELETE /ari/channels/gone"):
        await ch.hangup()


async def test_path_parameters_are_escaped(client, fake_ari):
    with pytest.raises(NotFound):
        await client.channels.get(channelId="a/b;2")
    assert fake_ari.requests[-1][1] == "/ari/channels/a/b;2"  # one segment on the wire: a%2Fb%3B2
    ch = await client.channels.originate(endpoint="Local/1", app="x", channelId="chan;2")
    assert (await client.channels.get(channelId="chan;2")).id == ch.id == "chan;2"


async def test_execute_returns_the_raw_facts(client):
    resp = await client.execute("asterisk.getInfo")
    assert isinstance(resp, AriResponse) and resp.status == 200 and resp.elapsed_ms > 0
    assert resp.body["system"]["version"] == "23.4.1" and isinstance(resp.value, AsteriskInfo)
    assert resp.headers["Content-Type"].startswith("application/json")
    resp = await client.execute("channels.answer", channelId="seed-1")
    assert resp.status == 204 and resp.body is None and resp.value is None
    with pytest.raises(NotFound):
        await client.execute("channels.answer", channelId="nope")
    with pytest.raises(ValidationError, match="no such operation"):
        await client.execute("channels.explode")


async def test_request_listener_records_every_call(client):
    records = []
    handle = client.add_request_listener(records.append)
    await client.asterisk.getInfo()
    with pytest.raises(NotFound):
        await client.channels.get(channelId="nope")
    handle.remove()
    await client.asterisk.getInfo()
    assert [(r["operation"], r["method"], r["path"], r["status"]) for r in records] == [
        ("asterisk.getInfo", "GET", "/ari/asterisk/info", 200),
        ("channels.get", "GET", "/ari/channels/nope", 404)]
    assert records[0]["error"] is None and "Channel not found" in records[1]["error"]
    assert all(r["elapsed_ms"] > 0 and r["time"] > 1e9 for r in records)


async def test_wrong_password_is_unauthorized_and_never_shows_it(fake_ari):
    with pytest.raises(Unauthorized) as info:
        await Client.connect(fake_ari.url, "asterisk", "s3cr3t-wrong")
    assert "s3cr3t-wrong" not in str(info.value) and "s3cr3t-wrong" not in repr(info.value)
    assert info.value.path == "/ari/api-docs/resources.json"


async def test_api_key_and_url_credentials(fake_ari):
    async with await Client.connect(fake_ari.url, api_key="asterisk:asterisk") as c:
        assert c.username == "asterisk"
        assert "asterisk:asterisk" not in repr(c)
    url = fake_ari.url.replace("http://", "http://asterisk:asterisk@") + "/ari"
    async with await Client.connect(url) as c:
        assert c.url == fake_ari.url and "asterisk@" not in repr(c)
    with pytest.raises(ConfigurationError):
        await Client.connect(fake_ari.url, api_key="no-colon")


async def test_read_only_user_gets_forbidden(fake_ari):
    from ari_notebook._errors import Forbidden
    async with await Client.connect(fake_ari.url, "viewer", "viewer") as c:
        assert len(await c.channels.list()) == 20
        with pytest.raises(Forbidden, match="Write access denied"):
            await c.channels.originate(endpoint="Local/1", app="x")


async def test_transport_errors_are_wrapped():
    with pytest.raises(TransportError) as info:
        await Client.connect("http://127.0.0.1:9", "asterisk", "asterisk")
    assert info.value.__cause__ is not None and "api-docs" in str(info.value)


def test_url_forms():
    for url in ("http://h:8088", "http://h:8088/", "http://h:8088/ari", "http://h:8088/ari/", "ws://h:8088/ari"):
        s = parse_server_url(url)
        assert s.root == "http://h:8088" and s.ari == "http://h:8088/ari" and s.events == "ws://h:8088/ari/events"
    s = parse_server_url("https://pbx.example:8089")
    assert s.secure and s.events == "wss://pbx.example:8089/ari/events"
    with pytest.raises(ConfigurationError):
        parse_server_url("ftp://h")
    with pytest.raises(ConfigurationError):
        parse_server_url("")


def test_tls_settings(tmp_path):
    assert ssl_setting(False, None, True) is None
    assert ssl_setting(True, None, True) is True
    ctx = ssl.create_default_context()
    assert ssl_setting(True, ctx, True) is ctx
    with pytest.raises(ConfigurationError, match="CA file"):
        ssl_setting(True, str(tmp_path / "missing.pem"), True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ssl_setting(True, None, False) is False
    assert any(issubclass(w.category, InsecureConnectionWarning) for w in caught)


async def test_close_leaves_no_tasks_or_sockets(fake_ari):
    c = await Client.connect(fake_ari.url, "asterisk", "asterisk")
    await c.start(apps="hello")
    assert c.connection_state == "connected"
    await c.close()
    await c.close()
    assert c.connection_state == "closed"
    assert c._http.session.closed
    await asyncio.sleep(0)
    assert client_side_tasks() == []
    assert fake_ari.sockets == [] or all(ws.closed for ws, _ in fake_ari.sockets)


async def test_cleanups_run_on_close(fake_ari):
    ran = []
    c = await Client.connect(fake_ari.url, "asterisk", "asterisk")

    async def first():
        ran.append("first")

    async def second():
        ran.append("second")
    c.add_cleanup(first)
    c.add_cleanup(second)
    await c.close()
    assert ran == ["second", "first"]


async def test_a_newer_server_adds_a_resource_and_an_older_one_lacks_one(api_docs_dir):
    """No per-version code: whatever resources.json lists is what the client offers."""
    import json

    from .fakeari import FakeAri

    server = FakeAri(api_docs_dir)
    listing = json.loads(server.docs["resources.json"])
    listing["apis"] = [a for a in listing["apis"] if "mailboxes" not in a["path"]]
    listing["apis"].append({"path": "/api-docs/widgets.{format}", "description": "Future things"})
    server.docs["resources.json"] = json.dumps(listing).encode()
    server.docs["widgets.json"] = json.dumps({
        "apiVersion": "3.0.0", "swaggerVersion": "1.1", "resourcePath": "/api-docs/widgets.{format}",
        "apis": [{"path": "/widgets/{widgetId}", "description": "One widget", "operations": [{
            "httpMethod": "GET", "summary": "Get a widget.", "nickname": "get", "responseClass": "Widget",
            "parameters": [{"name": "widgetId", "paramType": "path", "required": True,
                            "allowMultiple": False, "dataType": "string"}]}]}],
        "models": {"Widget": {"id": "Widget", "properties": {"id": {"type": "string", "required": True}}}},
    }).encode()
    await server.start()
    try:
        async with await Client.connect(server.url, "asterisk", "asterisk") as c:
            assert "widgets.get" in c.operations and "mailboxes" not in c.resources
            assert "get" in dir(c.widgets)
            with pytest.raises(NotFound):  # the fake server has no such route: a 404, sent as specified
                await c.widgets.get(widgetId="w1")
            assert ("GET", "/ari/widgets/w1") in [(m, p) for m, p, _, _ in server.requests]
    finally:
        await server.stop()


async def test_ipython_question_mark_shows_parameters_and_help(client, api_spec):
    """What ``client.channels.originate?`` renders, through IPython's own inspector."""
    from IPython.core.oinspect import Inspector

    try:
        inspector = Inspector(theme_name="nocolor")
    except TypeError:  # older IPython
        inspector = Inspector()
    info = inspector.info(client.channels.originate, "client.channels.originate", detail_level=0)
    assert "endpoint," in info["definition"] and "variables=None" in info["definition"]
    summary = api_spec.operation("channels.originate").summary  # the server's own words
    assert summary.startswith("Create a new channel (originate)") and summary in info["docstring"]
    assert "allowed: " in client.playbacks.control.__doc__  # allowableValues listed
    channel = Channel(client, {"id": "c1"})
    bound = inspector.info(channel.play, "channel.play", detail_level=0)
    assert "channelId" not in bound["definition"] and "media" in bound["definition"]


async def test_client_shows_itself_without_credentials(client):
    client.on_event("StasisStart", lambda ev: None)
    page = client._repr_html_()
    assert client.url in page and "asterisk" in page and "109 in 11 resources" in page
    assert client.handlers() == [("StasisStart", "test_client_shows_itself_without_credentials.<locals>.<lambda>")]
    for text in (page, repr(client)):
        assert "asterisk:asterisk" not in text and "Basic " not in text


def test_the_collector_is_paused_only_while_a_document_parses_and_its_state_restored():
    import gc

    from ari_notebook.client.specload import _collector_paused

    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), _collector_paused():
        raise ValueError("a malformed document")
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller that switched it off keeps it off
    finally:
        gc.enable()
