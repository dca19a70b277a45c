"""Raw listeners get the WebSocket text the client decoded, so the EventLog keeps it as
received instead of encoding every event again; old-style listeners keep their contract."""

from __future__ import annotations

import orjson
from _asyncwait import until

from ari_notebook.events import EventLog


# odd but valid spacing, so a re-encoded text would differ from the one sent
COMPACT_ODD = ('{"type": "StasisStart",  "application": "hello", "timestamp": "2026-11-25T10:00:00.000+0000", '
               '"args": [], "channel": {"id": "c1", "name": "PJSIP/alice-1", "state": "Up"}}')
PRETTY = '{\n  "type": "ChannelVarset",\n  "application": "hello",\n  "variable": "X",\n  "value": "1"\n}'


async def _send_text(fake_ari, text: str) -> None:
    ws, _apps = fake_ari.sockets[0]
    await ws.send_str(text)


async def test_raw_listener_gets_the_message_text_and_plain_listeners_keep_two_arguments(client, fake_ari):
    calls = []
    client.add_listener(lambda ev, t: calls.append(("plain", ev["type"], isinstance(t, float))))
    client.add_listener(lambda ev, t, text: calls.append(("raw", ev["type"], text)), raw=True)
    await client.start(apps="hello")
    await _send_text(fake_ari, COMPACT_ODD)
    await until(lambda: len(calls) == 2)
    assert calls == [("plain", "StasisStart", True), ("raw", "StasisStart", COMPACT_ODD)]


async def test_dispatch_without_text_encodes_the_event_once_for_raw_listeners(client):
    texts = []
    client.add_listener(lambda ev, t, text: texts.append(text), raw=True)
    client.add_listener(lambda ev, t, text: texts.append(text), raw=True)
    event = {"type": "StasisStart", "args": ["x"], "channel": {"id": "r1"}}
    client.dispatch(event, received_at=5.0)
    assert len(texts) == 2 and texts[0] is texts[1]  # one encoding shared
    assert orjson.loads(texts[0]) == event
    client.dispatch(event, 6.0, raw='{"type":"StasisStart"}')  # a replay that has the text
    assert texts[2:] == ['{"type":"StasisStart"}'] * 2


async def test_the_log_keeps_the_received_text_and_one_line_per_event(client, fake_ari, tmp_path):
    log = EventLog(client)
    await client.start(apps="hello")
    await _send_text(fake_ari, COMPACT_ODD)
    await _send_text(fake_ari, PRETTY)  # a server with pretty=yes: the log stores one line
    await until(lambda: len(log) == 2)
    lines = log.save(tmp_path / "log.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert COMPACT_ODD in lines[0]  # kept verbatim, not re-encoded
    assert orjson.loads(lines[1])["event"] == orjson.loads(PRETTY)
    assert [e["type"] for e in EventLog.load(tmp_path / "log.jsonl")] == ["StasisStart", "ChannelVarset"]
    # the gap marker (made by the client, no text) is encoded for the log
    await fake_ari.drop()
    await fake_ari.wait_sockets(1)
    await until(lambda: len(log) == 3)
    assert log[-1]["type"] == "EventStreamGap"


async def test_a_tap_without_raw_still_feeds_the_log():
    class OldTap:
        def __init__(self):
            self.fns = []

        def add_listener(self, fn):  # the contract before raw=: fn(event, received_at)
            self.fns.append(fn)

            class H:
                def remove(_self):
                    self.fns.remove(fn)
            return H()

    tap = OldTap()
    log = EventLog(tap)
    tap.fns[0]({"type": "StasisStart"}, 1.0)
    assert log.tail(1) == [{"type": "StasisStart"}]


async def test_an_attached_event_log_hands_the_client_its_faster_decoder(client):
    import orjson

    from ari_notebook import _json

    assert client.json_loads is _json.loads  # a client alone: the standard library's scanner
    log = client.log
    assert client.json_loads is orjson.loads
    client.hub.on_text('{"type": "ChannelDtmfReceived", "digit": "5", "channel": {"id": "c1"}}')
    assert log.to_dataframe()["type"].tolist()[-1] == "ChannelDtmfReceived"
