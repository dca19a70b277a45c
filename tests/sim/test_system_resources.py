"""/asterisk, endpoints, sounds, deviceStates, mailboxes, applications and user events, sans-I/O."""

from __future__ import annotations

import pytest

from ._backend import Backend


@pytest.fixture
def sim():
    b = Backend()
    yield b
    b.ast.fire("shutdown")


def test_info_only_filter_and_ping(sim):
    full = sim("GET", "/asterisk/info").body
    assert set(full) == {"build", "system", "config", "status"}
    assert full["system"] == {"version": "23.4.1", "entity_id": "02:fc:00:00:00:01"}
    assert full["config"]["default_language"] == "en"
    assert set(sim("GET", "/asterisk/info", {"only": "build,status"}).body) == {"build", "status"}
    assert set(sim("GET", "/asterisk/info", [("only", "system")]).body) == {"system"}
    ping = sim("GET", "/asterisk/ping").body
    assert list(ping) == ["ping", "timestamp", "asterisk_id"] and ping["ping"] == "pong"


def test_globals(sim):
    assert sim("GET", "/asterisk/variable", {"variable": "UNSET"}).body == {"value": ""}  # quirk: 200
    assert sim("POST", "/asterisk/variable", {"variable": "G", "value": "42"}).status == 204
    assert sim("GET", "/asterisk/variable", {"variable": "G"}).body == {"value": "42"}
    assert sim("POST", "/asterisk/variable", body={"variable": "J", "value": "json"}).status == 204
    assert sim("GET", "/asterisk/variable", {"variable": "J"}).body == {"value": "json"}
    for r in (sim("GET", "/asterisk/variable"), sim("POST", "/asterisk/variable", body=b'["a"]')):
        assert (r.status, r.body) == (400, {"message": "Variable name is required"})
    assert sim("POST", "/asterisk/variable", body=b"{not json").body == {"message": "Error parsing request body"}
    seeded = Backend(globals={"COMPANY": "Example"})
    assert seeded("GET", "/asterisk/variable", {"variable": "COMPANY"}).body == {"value": "Example"}


def test_modules(sim):
    mods = sim("GET", "/asterisk/modules").body
    assert len(mods) == 250 and {"name", "description", "use_count", "status", "support_level"} == set(mods[0])
    assert sim("GET", "/asterisk/modules/res_ari.so").body["use_count"] == 13
    assert sim("PUT", "/asterisk/modules/app_echo.so").body == {"message": "Module does not support reloading"}
    assert sim("PUT", "/asterisk/modules/res_musiconhold.so").status == 204
    assert sim("DELETE", "/asterisk/modules/app_echo.so").status == 204
    assert sim("GET", "/asterisk/modules/app_echo.so").body == {
        "message": "Module could not be found in running modules"}
    assert len(sim("GET", "/asterisk/modules").body) == 249
    assert sim("POST", "/asterisk/modules/app_echo.so").status == 204
    assert sim("POST", "/asterisk/modules/app_echo.so").body == {"message": "Module is already loaded"}
    assert sim("DELETE", "/asterisk/modules/res_ari.so").status == 409  # in use
    assert sim("POST", "/asterisk/modules/nosuch.so").status == 409


def test_log_channels_and_the_delete_quirk(sim):
    assert sim("POST", "/asterisk/logging/testchan", {"configuration": "notice,warning"}).status == 204
    logs = sim("GET", "/asterisk/logging").body
    assert logs[0] == {"channel": "/var/log/asterisk/testchan", "type": "File", "status": "Enabled",
                       "configuration": "NOTICE WARNING "}
    assert sim("PUT", "/asterisk/logging/testchan/rotate").status == 204
    for _ in range(2):
        assert sim("DELETE", "/asterisk/logging/testchan").body == {"message": "Log channel does not exist"}
    assert sim("DELETE", "/asterisk/logging/%2Fvar%2Flog%2Fasterisk%2Ftestchan").status == 204
    assert len(sim("GET", "/asterisk/logging").body) == 2


def test_dynamic_config(sim):
    assert sim("GET", "/asterisk/config/dynamic/res_pjsip/endpoint/alice").status == 200
    assert sim("DELETE", "/asterisk/config/dynamic/res_pjsip/endpoint/alice").status == 403
    fields = {"fields": [{"attribute": "context", "value": "ARI-test"}]}
    assert sim("PUT", "/asterisk/config/dynamic/res_pjsip/endpoint/dave", body=fields).body == [
        {"attribute": "context", "value": "ARI-test"}]
    assert sim("DELETE", "/asterisk/config/dynamic/res_pjsip/endpoint/dave").status == 204
    assert sim("GET", "/asterisk/config/dynamic/res_pjsip/nosuch/x").body == {"message": "objectType 'nosuch' not found"}
    plain = Backend(endpoints=[])  # the trace machine: no PJSIP at all
    assert plain("GET", "/asterisk/config/dynamic/res_pjsip/endpoint/foo").body == {
        "message": "configClass 'res_pjsip' not found"}


def test_endpoints(sim):
    assert [e["resource"] for e in sim("GET", "/endpoints").body] == ["alice", "bob", "carol"]
    assert sim("GET", "/endpoints/PJSIP/alice").body == {"technology": "PJSIP", "resource": "alice",
                                                         "state": "online", "channel_ids": []}
    assert sim("GET", "/endpoints/Local").body == {"message": "No Endpoints found - invalid tech Local"}
    assert sim("GET", "/endpoints/Local/nosuch").body == {"message": "Endpoint not found"}
    assert sim("PUT", "/endpoints/sendMessage", {"to": "pjsip:nobody", "from": "me"}).body == {
        "message": "Endpoint not found"}
    assert sim("PUT", "/endpoints/sendMessage", {"to": "pjsip:alice", "from": "me", "body": "hi"}).status == 204
    assert sim("POST", "/endpoints/PJSIP/bob/refer", {"from": "me", "refer_to": "sip:carol"}).status == 204
    assert Backend(endpoints=[])("GET", "/endpoints").body == []
    events = sim.app("watch")
    sim("POST", "/applications/watch/subscription", {"eventSource": "endpoint:PJSIP/alice"})
    from ari_notebook.sim.resources.endpoints import Endpoints

    sim.ast.component(Endpoints).set_state("PJSIP/alice", "offline")
    assert events[-1]["type"] == "EndpointStateChange" and events[-1]["endpoint"]["state"] == "offline"


def test_sounds(sim):
    assert len(sim("GET", "/sounds").body) == 568
    assert sim("GET", "/sounds", {"lang": "en", "format": "gsm"}).body == sim("GET", "/sounds").body
    assert sim("GET", "/sounds", {"lang": "fr"}).body == []
    assert sim("GET", "/sounds/tt-monkeys").body == {"id": "tt-monkeys",
                                                     "formats": [{"language": "en", "format": "gsm"}]}
    assert sim("GET", "/sounds/digits%2F1").body["id"] == "digits/1"
    assert sim("GET", "/sounds/nosuchsound").body == {"message": "Sound not found"}
    assert sim.ast.sound_duration("hello-world", "en") == pytest.approx(1.42)


def test_device_states(sim):
    events = sim.app("hello")
    sim("POST", "/applications/hello/subscription", {"eventSource": "deviceState:Stasis:foo"})
    assert sim("PUT", "/deviceStates/Stasis:foo", {"deviceState": "BUSY"}).status == 204
    assert events[-1]["device_state"] == {"name": "Stasis:foo", "state": "BUSY"}
    assert sim("GET", "/deviceStates").body == [{"name": "Stasis:foo", "state": "BUSY"}]
    assert sim("PUT", "/deviceStates/Stasis:foo", {"deviceState": "WHATEVER"}).body == {"message": "Unknown device"}
    r = sim("PUT", "/deviceStates/Local:foo", {"deviceState": "BUSY"})
    assert (r.status, r.body) == (409, {"message": "Uncontrolled device specified"})
    count = len(events)
    assert sim("DELETE", "/deviceStates/Stasis:foo").status == 204
    assert sim("DELETE", "/deviceStates/Stasis:foo").status == 204
    assert len(events) == count  # no event for a delete
    assert sim("GET", "/deviceStates/Stasis:foo").body == {"name": "Stasis:foo", "state": "UNKNOWN"}


def test_mailboxes_and_mwi(sim):
    watcher = sim.app("watcher", subscribe_all=True)
    assert sim("PUT", "/mailboxes/1000@default", {"oldMessages": "1", "newMessages": "2"}).status == 204
    assert sim("GET", "/mailboxes").body == [{"name": "1000@default", "old_messages": 1, "new_messages": 2}]
    assert sim("PUT", "/mailboxes/1000@default").status == 204  # quirk: no counts is fine
    assert sim("DELETE", "/mailboxes/1000@default").status == 204
    assert sim("GET", "/mailboxes/1000@default").body == {"message": "Mailbox is does not exist"}  # sic
    assert sim("DELETE", "/mailboxes/1000@default").body == {"message": "Mailbox does not exist"}
    assert [e["device_state"]["state"] for e in watcher] == ["INUSE", "NOT_INUSE", "NOT_INUSE"]
    assert Backend(mailboxes={"2000@default": (0, 3)})("GET", "/mailboxes/2000@default").body["new_messages"] == 3


def test_applications(sim):
    assert sim("GET", "/applications").body == []
    assert sim("GET", "/applications/hello").body == {"message": "Application not found"}
    sim.app("hello")
    sim.app("watcher", subscribe_all=True)
    sim.stasis_channel("c1")
    hello = sim("GET", "/applications/hello").body
    assert hello["channel_ids"] == ["c1"] and hello["events_allowed"] == []
    watcher = sim("GET", "/applications/watcher").body
    assert watcher["channel_ids"] == ["__AST_CHANNEL_ALL_TOPIC"]
    assert watcher["device_names"] == ["__AST_DEVICE_STATE_ALL_TOPIC"]

    def err(r):
        return r.status, r.body["message"]

    assert err(sim("POST", "/applications/hello/subscription", {"eventSource": "channel:nosuch"})) == (
        422, "Event source does not exist")
    assert err(sim("POST", "/applications/hello/subscription", {"eventSource": "bogus:thing"})) == (
        400, "Invalid event source URI scheme")
    assert err(sim("POST", "/applications/hello/subscription")) == (400, "Missing parameter eventSource")
    assert err(sim("POST", "/applications/nosuchapp/subscription", {"eventSource": "channel:c1"})) == (
        404, "Application not found")
    assert sim("POST", "/applications/hello/subscription", {"eventSource": "deviceState:Stasis:bar"}).body[
        "device_names"] == ["Stasis:bar"]
    assert sim("DELETE", "/applications/hello/subscription", {"eventSource": "deviceState:Stasis:bar"}).status == 200
    assert err(sim("DELETE", "/applications/hello/subscription", {"eventSource": "deviceState:Stasis:bar"})) == (
        422, "Event source was not subscribed to")
    r = sim("PUT", "/applications/hello/eventFilter", body={"allowed": [{"type": "StasisStart"}]})
    assert r.body["events_allowed"] == [{"type": "StasisStart"}]
    assert sim("PUT", "/applications/hello/eventFilter", body={}).body["events_allowed"] == []
    assert err(sim("PUT", "/applications/hello/eventFilter", body={"allowed": "notalist"})) == (
        400, "Invalid format definition")


def test_user_events(sim):
    hello = sim.app("hello")
    watcher = sim.app("watcher", subscribe_all=True)
    sim.stasis_channel("c1")
    assert sim("POST", "/events/user/myevent", {"application": "hello"},
               body={"variables": {"key1": "value1"}}).status == 204
    assert sim("POST", "/events/user/myevent", {"application": "hello", "source": "channel:c1"}).status == 204
    assert hello[0] == {"type": "ChannelUserevent", "timestamp": hello[0]["timestamp"], "eventname": "myevent",
                        "userevent": {"key1": "value1", "eventname": "myevent"},
                        "asterisk_id": "02:fc:00:00:00:01", "application": "hello"}
    assert hello[1]["channel"]["id"] == "c1"
    assert not [e for e in watcher if e["type"] == "ChannelUserevent"]  # only the named app

    def err(r):
        return r.status, r.body["message"]

    assert err(sim("POST", "/events/user/myevent", {"application": "nosuchapp"})) == (404, "Application not found")
    assert err(sim("POST", "/events/user/myevent")) == (400, "Missing parameter application")
    assert err(sim("POST", "/events/user/e", {"application": "hello", "source": "deviceState:Stasis:foo"})) == (
        400, "Invalid event source URI scheme")
    assert err(sim("POST", "/events/user/e", {"application": "hello", "source": "channel:nosuch"})) == (
        422, "Event source was not found")


def test_info_only_is_case_insensitive_and_ignores_unknown_sections(sim):
    assert set(sim("GET", "/asterisk/info", {"only": "Build"}).body) == {"build"}
    assert sim("GET", "/asterisk/info", {"only": "bogus"}).body == {}
    assert any("Unrecognized info section 'bogus'" in text for _, _, text in sim.ast.log)


def test_phone_behaviours_show_as_online_and_follow_set_state():
    from ari_notebook.sim.resources.endpoints import Endpoints

    b = Backend(endpoints={"PJSIP/alice": "busy", "PJSIP/bob": "noanswer", "PJSIP/carol": "offline"})
    assert [e["state"] for e in b("GET", "/endpoints").body] == ["online", "online", "offline"]
    b.ast.component(Endpoints).set_state("PJSIP/carol", "online")
    assert b.ast.config.endpoints["PJSIP/carol"] == "online"  # the phones answer again
    assert b("GET", "/endpoints/PJSIP/carol").body["state"] == "online"
    with pytest.raises(ValueError):
        b.ast.component(Endpoints).set_state("PJSIP/carol", "sleeping")


async def test_endpoint_subscribers_see_calls_come_and_go():
    import asyncio

    import aiohttp

    from ari_notebook.sim import Simulator

    async with Simulator.start(port=0, clock_speed=50) as sim, aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"ws://127.0.0.1:{sim.port}/ari/events?app=hello&api_key=asterisk:asterisk")
        auth = {"Authorization": "Basic YXN0ZXJpc2s6YXN0ZXJpc2s="}
        async with s.post(f"{sim.url}/ari/applications/hello/subscription",
                          params={"eventSource": "endpoint:PJSIP/alice"}, headers=auth) as r:
            assert (await r.json())["endpoint_ids"] == ["PJSIP/alice"]
        chan_id = await sim.call("PJSIP/alice", "1000")
        seen = []
        while len([e for e in seen if e["type"] == "EndpointStateChange"]) < 2:
            msg = await asyncio.wait_for(ws.receive_json(), 5)
            seen.append(msg)
            if msg["type"] == "StasisStart":
                await sim.hangup(chan_id)
        changes = [e["endpoint"]["channel_ids"] for e in seen if e["type"] == "EndpointStateChange"]
        assert changes == [[chan_id], []]
        await ws.close()


def test_a_phone_sends_a_text_message():
    from ari_notebook.sim.resources.endpoints import Endpoints

    b = Backend()
    events = b.app("chat")
    b("POST", "/applications/chat/subscription", {"eventSource": "endpoint:PJSIP"})
    b.ast.component(Endpoints).receive_text("PJSIP/bob", "hello there", variables={"X-Topic": "demo"})
    msg = events[-1]
    assert msg["type"] == "TextMessageReceived"
    assert msg["message"]["body"] == "hello there" and msg["message"]["variables"] == {"X-Topic": "demo"}
    assert msg["endpoint"]["resource"] == "bob"
    with pytest.raises(KeyError, match="PJSIP/alice"):
        b.ast.component(Endpoints).receive_text("PJSIP/zed", "?")


async def test_teaching_hooks_for_endpoints():
    import asyncio

    import aiohttp

    from ari_notebook.sim import Simulator

    async with Simulator.start(port=0) as sim, aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"ws://127.0.0.1:{sim.port}/ari/events?app=desk&subscribeAll=true"
                                "&api_key=asterisk:asterisk")
        await sim.set_endpoint_state("PJSIP/carol", "offline")
        await sim.send_text("PJSIP/bob", "ping", topic="demo")
        first = await asyncio.wait_for(ws.receive_json(), 5)
        second = await asyncio.wait_for(ws.receive_json(), 5)
        assert (first["type"], first["endpoint"]["state"]) == ("EndpointStateChange", "offline")
        assert (second["type"], second["message"]["body"]) == ("TextMessageReceived", "ping")
        await ws.close()


def test_an_app_without_socket_is_listed_while_it_holds_channels_then_until_the_next_tidy_up():
    """res_stasis.c: an app is dropped only in cleanup() (an app registers or unregisters, a
    channel leaves Stasis) once it has no socket and holds nothing (seen live on 23.4.1)."""
    from ._backend import Backend

    b = Backend()
    b.app("holder")
    assert b("POST", "/channels", {"endpoint": "Local/3000@ARI-test", "app": "holder", "channelId": "h1"}).status == 200
    b.advance(1)
    b.ast.unregister_app("holder", b.ast.apps["holder"].sink)  # its socket closes
    listed = {a["name"]: a for a in b("GET", "/applications").body}
    assert sorted(listed["holder"]["channel_ids"]) == ["h1", "h1;2"]
    b("DELETE", "/channels/h1")
    b.advance(1)
    listed = {a["name"]: a for a in b("GET", "/applications").body}
    assert listed["holder"]["channel_ids"] == []  # finished, not yet tidied up
    b.app("someone-else")  # an app registers: Asterisk tidies up
    assert [a["name"] for a in b("GET", "/applications").body] == ["someone-else"]
