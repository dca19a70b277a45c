"""The client with no network at all: every request goes to a function through ``MockTransport``
(the transport seam), as httpx tests do. No server, no socket: opening a connection fails the
test (``no_network``)."""

from __future__ import annotations

import asyncio

import pytest

from ari_notebook import ConfigurationError, NotFound, TransportError, ValidationError
from ari_notebook.client import Channel, Client
from ari_notebook.client.transport import MockRequest, MockTransport, mock_response
from ari_notebook.spec.swagger import api_declaration, resource_listing

BASE = "http://pbx.example:8088/ari"


@pytest.fixture(scope="module")
def api_docs() -> dict[str, dict]:
    """api-docs documents by path, built from the simulator's route table (Asterisk 23's facts)."""
    from ari_notebook.sim import ROUTES

    spec = ROUTES.spec()
    docs = {"/api-docs/resources.json": resource_listing(spec, BASE)}
    for name, resource in spec.resources.items():
        docs[f"/api-docs/{name}.json"] = api_declaration(resource, BASE)
    return docs


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    async def refuse(*args, **kwargs):
        raise AssertionError("a client unit test opened a network connection")

    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", refuse)


class Server:
    """A handler that serves the api-docs and answers other requests from ``routes``."""

    def __init__(self, api_docs: dict[str, dict]) -> None:
        self.api_docs = api_docs
        self.routes: dict[tuple[str, str], object] = {}
        self.seen: list[MockRequest] = []

    def __call__(self, request: MockRequest):
        if request.path in self.api_docs:
            return mock_response(200, self.api_docs[request.path])
        self.seen.append(request)
        answer = self.routes.get((request.method, request.path))
        if answer is None:
            return mock_response(404, {"message": "Resource not found"})
        return answer(request) if callable(answer) else answer


@pytest.fixture
async def served(api_docs):
    server = Server(api_docs)
    client = await Client.connect("http://pbx.example:8088", "asterisk", "secret",
                                  transport=MockTransport(server))
    try:
        yield client, server
    finally:
        await client.close()


async def test_connect_loads_the_spec_through_the_transport(served):
    client, server = served
    assert client.transport == "mock"
    assert "channels.originate" in client.operations
    assert callable(client.channels.originate)
    assert server.seen == []  # only api-docs were asked for


async def test_an_operation_sends_its_request_and_returns_an_object_with_bound_operations(served):
    client, server = served
    server.routes[("POST", "/channels")] = lambda r: mock_response(
        200, {"id": r.query["channelId"], "name": "PJSIP/alice-00000001", "state": "Down"})
    server.routes[("POST", "/channels/c1/answer")] = mock_response(204)

    channel = await client.channels.originate(endpoint="PJSIP/alice", app="hello", channelId="c1")
    assert isinstance(channel, Channel) and channel.id == "c1" and channel.state == "Down"
    assert server.seen[0].query["endpoint"] == "PJSIP/alice" and server.seen[0].operation == "channels.originate"

    assert await channel.answer() is None
    assert (server.seen[1].method, server.seen[1].path) == ("POST", "/channels/c1/answer")
    assert "answer" in dir(channel)


async def test_an_error_status_raises_with_ari_message_operation_and_path(served):
    client, _ = served
    with pytest.raises(NotFound) as caught:
        await client.channels.get(channelId="nope")
    err = caught.value
    assert err.status == 404 and err.message == "Resource not found"
    assert err.operation == "channels.get" and err.path == "/ari/channels/nope"
    with pytest.raises(NotFound):  # execute maps errors the same way
        await client.execute("channels.get", channelId="nope")


async def test_validation_fails_before_anything_is_sent(served):
    client, server = served
    with pytest.raises(ValidationError) as caught:
        await client.channels.originate(app="hello")  # no endpoint
    assert "endpoint" in str(caught.value)
    assert server.seen == []


async def test_execute_gives_status_body_and_value(served):
    client, server = served
    server.routes[("GET", "/channels")] = mock_response(200, [{"id": "a"}, {"id": "b"}])
    result = await client.execute("channels.list")
    assert result.status == 200
    assert result.body == [{"id": "a"}, {"id": "b"}]
    assert [c.id for c in result.value] == ["a", "b"]


async def test_a_binary_operation_returns_bytes(served):
    client, server = served
    server.routes[("GET", "/recordings/stored/greeting/file")] = mock_response(200, content=b"RIFF....WAVE")
    assert await client.recordings.getStoredFile(recordingName="greeting") == b"RIFF....WAVE"
    result = await client.execute("recordings.getStoredFile", recordingName="greeting")
    assert result.body == b"RIFF....WAVE"


async def test_request_listeners_see_every_request_with_the_object_it_made(served):
    client, server = served
    server.routes[("POST", "/bridges")] = mock_response(200, {"id": "br1", "bridge_type": "mixing"})
    records = []
    handle = client.add_request_listener(records.append)
    await client.bridges.create(type="mixing")
    with pytest.raises(NotFound):
        await client.bridges.get(bridgeId="gone")
    handle.remove()
    assert not handle.active
    assert [(r["operation"], r["status"], r["object_id"]) for r in records] == [
        ("bridges.create", 200, "br1"), ("bridges.get", 404, None)]
    assert "Resource not found" in records[1]["error"]


async def test_a_transport_failure_reaches_the_caller(api_docs):
    server = Server(api_docs)

    def handler(request: MockRequest):
        if request.path.startswith("/api-docs/"):
            return server(request)
        raise TransportError(f"{request.operation} {request.method} /ari{request.path}: connection reset")

    client = await Client.connect("http://pbx.example:8088", "asterisk", "secret", transport=MockTransport(handler))
    try:
        with pytest.raises(TransportError, match="channels.list GET /ari/channels: connection reset"):
            await client.channels.list()
    finally:
        await client.close()


async def test_typed_event_handlers_get_objects_bound_to_the_client(served):
    client, server = served
    server.routes[("DELETE", "/channels/c9")] = mock_response(204)
    seen = []

    async def on_start(channel, event):
        seen.append((channel, event["args"]))
        await channel.hangup()

    client.on_channel_event("StasisStart", on_start)
    client.dispatch({"type": "StasisStart", "application": "hello", "args": ["x"],
                     "channel": {"id": "c9", "name": "PJSIP/bob-1", "state": "Ring"}})
    await client.dispatcher.drain()
    assert [(c.id, args) for c, args in seen] == [("c9", ["x"])]
    assert (server.seen[-1].method, server.seen[-1].path) == ("DELETE", "/channels/c9")


async def test_the_events_socket_needs_a_network_transport(served):
    client, _ = served
    with pytest.raises(ConfigurationError, match="the mock transport has no events socket"):
        client.start(apps="hello")
    assert client.connection_state == "disconnected"
