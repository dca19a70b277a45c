"""Telephony behaviour of the sans-I/O backend on a manual clock: DTMF, hold, move, continue,
snoop, long dialplan waits, inbound calls from simulated phones, Dial(), variables, playback
control. Each case follows what the traces README reports for Asterisk 23."""

from __future__ import annotations

from ari_notebook.sim.backend.phones import inbound_call
from ari_notebook.sim.backend.telephony import hangup, receive_dtmf

from ._backend import Backend


def types(events, channel_id=None):
    out = []
    for e in events:
        chan = e.get("channel") or e.get("peer") or {}
        if channel_id is None or chan.get("id") == channel_id:
            out.append(e["type"])
    return out


def originate(b: Backend, endpoint="Local/3000@ARI-test", **params):
    reply = b("POST", "/channels", {"endpoint": endpoint, "app": "hello", **params})
    assert reply.status == 200, reply.body
    b.advance(0)
    return reply.body


def test_dtmf_sent_to_one_local_half_arrives_on_the_other():
    b = Backend()
    events = b.app()
    one = originate(b, "Local/1000@ARI-test", channelId="d1")
    b.advance(1)  # ;2 answers, waits 500 ms, then enters Stasis(hello) too
    assert types(events, "d1;2").count("StasisStart") == 1
    assert b("POST", "/channels/d1/dtmf", {"dtmf": "12#", "duration": "80"}).status == 204
    assert [e for e in events if e["type"] == "ChannelDtmfReceived"] == []  # takes time
    b.advance(1)
    got = [e for e in events if e["type"] == "ChannelDtmfReceived"]
    assert [(e["digit"], e["duration_ms"], e["channel"]["id"]) for e in got] == [
        ("1", 80, "d1;2"), ("2", 80, "d1;2"), ("#", 80, "d1;2")]
    assert b("POST", "/channels/d1/dtmf", {}).body == {"message": "DTMF is required"}
    assert one["id"] == "d1"


def test_media_controls_on_local_channels_answer_204_and_emit_nothing():
    b = Backend()
    events = b.app()
    originate(b, channelId="m1")
    b.advance(1)
    before = len(events)
    for method, suffix in [("POST", "hold"), ("DELETE", "hold"), ("POST", "mute"), ("DELETE", "mute"),
                           ("POST", "ring"), ("DELETE", "ring"), ("POST", "moh"), ("DELETE", "moh"),
                           ("POST", "silence"), ("DELETE", "silence"), ("POST", "progress")]:
        assert b(method, f"/channels/m1/{suffix}").status == 204, suffix
    assert b("POST", "/channels/m1/moh", {"mohClass": "nosuchclass"}).status == 204
    b.advance(1)
    assert events[before:] == []
    assert any("nosuchclass" in text for _, level, text in b.ast.log if level == "WARNING")


def test_hold_on_a_simulated_phone_emits_channel_hold():
    b = Backend()
    events = b.app()
    chan = inbound_call(b.ast, "PJSIP/alice", "1000", "ARI-test")
    b.advance(1)
    assert chan.stasis_app == "hello"
    assert b("POST", f"/channels/{chan.id}/hold").status == 204
    assert b("DELETE", f"/channels/{chan.id}/hold").status == 204
    assert types(events, chan.id)[-2:] == ["ChannelHold", "ChannelUnhold"]


def test_move_to_a_missing_app_fails_with_an_event_and_to_a_live_app_moves():
    b = Backend()
    hello = b.app()
    other = b.app("other")
    originate(b, channelId="mv")
    b.advance(1)
    assert b("POST", "/channels/mv/move", {"app": "nosuchapp"}).status == 204
    failed = [e for e in hello if e["type"] == "ApplicationMoveFailed"]
    assert failed and failed[0]["destination"] == "nosuchapp" and failed[0]["args"] == []
    assert "Could not move to Stasis app 'nosuchapp' - not registered" in b.ast.log[-1][2]
    assert b("POST", "/channels/mv/move", {"app": "other", "appArgs": "x,y"}).status == 204
    assert types(hello, "mv")[-1] == "StasisEnd"
    start = [e for e in other if e["type"] == "StasisStart"]
    assert start and start[0]["args"] == ["x", "y"] and start[0]["application"] == "other"
    assert b.ast.channels["mv"].stasis_app == "other"
    b("DELETE", "/channels/mv")
    assert "ChannelDestroyed" in types(hello, "mv")  # the old app still hears the hangup


def test_continue_leaves_stasis_and_runs_the_dialplan():
    b = Backend()
    events = b.app()
    originate(b, channelId="ct")
    b.advance(1)
    assert b("POST", "/channels/ct/continue").status == 204
    # an originated channel has no PBX: Stasis() runs the dialplan itself, so STASISSTATUS is
    # set only when that dialplan ends (trace n_continue_dialplan)
    assert types(events, "ct")[-1] == "StasisEnd"
    assert b("POST", "/channels/ct/answer").body == {"message": "Channel not in Stasis application"}
    b.advance(0)
    chan = b.ast.channels["ct"]
    assert (chan.priority, chan.app_name, chan.app_data) == (2, "Wait", "600")
    b.advance(600)  # Wait(600) then Hangup: the call ends by itself on the simulated clock
    assert "ct" not in b.ast.channels
    status = [e["value"] for e in events if e["type"] == "ChannelVarset" and e["channel"]["id"] == "ct"
              and e["variable"] == "STASISSTATUS"]
    assert status == ["", "SUCCESS"]
    assert types(events, "ct")[-3:] == ["ChannelHangupRequest", "ChannelVarset", "ChannelDestroyed"]


def test_snoop_channel_enters_stasis_and_never_reports_destroyed():
    b = Backend()
    events = b.app()
    originate(b, channelId="sn")
    b.advance(1)
    reply = b("POST", "/channels/sn/snoop", {"spy": "both", "app": "hello", "snoopId": "spy1"})
    assert reply.status == 200 and reply.body["name"].startswith("Snoop/sn-")
    b.advance(0)
    assert types(events, "spy1") == ["StasisStart"]  # no STASISSTATUS: the app held it only from here
    assert b("POST", "/channels/sn/snoop", {"spy": "sideways", "app": "hello"}).status == 400
    b("DELETE", "/channels/spy1")
    # the app held the snoop channel only while it was in Stasis: nothing after StasisEnd
    assert types(events, "spy1")[1:] == ["ChannelHangupRequest", "StasisEnd"]
    b.advance(1.5)  # Asterisk 23.4.1 leaves the snoop channel up, out of Stasis...
    assert b("GET", "/channels/spy1").body["dialplan"]["app_name"] == ""
    b("DELETE", "/channels/sn")
    b.advance(1)  # ...until the channel it snoops on goes
    assert b("GET", "/channels/spy1").status == 404


def test_ringing_local_4000_gives_up_after_30_simulated_seconds():
    b = Backend()
    events = b.app()
    originate(b, "Local/4000@ARI-test", channelId="r1", timeout="60")
    b.advance(29)
    assert b.ast.channels["r1"].state == "Down" and "StasisStart" not in types(events)
    b.advance(2)  # Wait(30) ends, Hangup: both halves go away
    assert "r1" not in b.ast.channels and "r1;2" not in b.ast.channels
    assert types(events, "r1")[-1] == "ChannelDestroyed"


def test_dialplan_playback_lasts_as_long_as_the_prompt():
    b = Backend()
    events = b.app("watcher", subscribe_all=True)
    reply = b("POST", "/channels", {"endpoint": "Local/2000@ARI-test", "extension": "3000", "context": "ARI-test",
                                    "channelId": "p1"})
    assert reply.status == 200
    b.advance(0.6)
    seconds = b.ast.sound_duration("tt-monkeys", "en")
    assert seconds and seconds > 5
    b.advance(seconds - 0.2)
    assert not any(e["type"] == "ChannelVarset" and e["variable"] == "PLAYBACKSTATUS" for e in events)
    b.advance(0.3)
    status = [e["value"] for e in events if e["type"] == "ChannelVarset" and e["variable"] == "PLAYBACKSTATUS"]
    assert status == ["SUCCESS"]


def test_inbound_call_from_a_phone_reaches_stasis_presses_keys_and_hangs_up():
    b = Backend()
    events = b.app()
    watcher = b.app("watcher", subscribe_all=True)
    chan = inbound_call(b.ast, "PJSIP/alice", "1000", "ARI-test")
    b.advance(1)
    assert chan.name.startswith("PJSIP/alice-")
    start = [e for e in events if e["type"] == "StasisStart"]
    assert start and start[0]["args"] == [] and start[0]["channel"]["state"] == "Up"
    receive_dtmf(b.ast, chan, "42")
    b.advance(1)
    assert [e["digit"] for e in events if e["type"] == "ChannelDtmfReceived"] == ["4", "2"]
    hangup(b.ast, chan, 16, soft=False)
    # the phone hangs up; Stasis ends; the dialplan that ran Stasis() ends (soft request)
    tail = types(watcher, chan.id)[-4:]
    assert tail == ["ChannelHangupRequest", "ChannelVarset", "ChannelHangupRequest", "ChannelDestroyed"]
    # the app held the channel only while it was in Stasis (it did not originate it), so it hears
    # neither STASISSTATUS varset, only what happened in between (res_stasis.c, app_stasis.c)
    assert types(events, chan.id) == ["StasisStart", "ChannelDtmfReceived", "ChannelDtmfReceived",
                                      "ChannelHangupRequest", "StasisEnd"]
    request = [e for e in events if e["type"] == "ChannelHangupRequest"][-1]
    assert request["cause"] == 16 and "soft" not in request  # not an ARI hangup (no cause 32)


def test_stasis_in_the_dialplan_without_the_app_goes_on_in_the_dialplan():
    b = Backend()
    watcher = b.app("watcher", subscribe_all=True)
    chan = inbound_call(b.ast, "PJSIP/bob", "1000", "ARI-test")
    b.advance(1)
    sets = [(e["variable"], e["value"]) for e in watcher if e["type"] == "ChannelVarset"]
    assert ("STASISSTATUS", "FAILED") in sets
    assert [e["dialplan_app"] for e in watcher if e["type"] == "ChannelDialplan"][-1] == "Hangup"
    assert chan.id not in b.ast.channels
    assert any(text.endswith("Stasis app 'hello' doesn't exist") for _, _, text in b.ast.log)


def test_dial_application_rings_a_phone_which_answers_and_hangs_up():
    plan = {"office": {"100": ["Answer()", "Dial(PJSIP/bob,20)", "Set(AFTER=yes)", "Hangup()"]}}
    b = Backend(dialplan=plan, answer_delay=2.0)
    watcher = b.app("watcher", subscribe_all=True)
    caller = inbound_call(b.ast, "PJSIP/alice", "100", "office")
    b.advance(1)
    dials = [e for e in watcher if e["type"] == "Dial"]
    assert dials and dials[0]["dialstatus"] == "" and dials[0]["caller"]["id"] == caller.id
    b.advance(2)
    assert [e["dialstatus"] for e in watcher if e["type"] == "Dial"] == ["", "ANSWER"]
    bob = next(c for c in b.ast.channels.values() if c.name.startswith("PJSIP/bob-"))
    assert bob.state == "Up"
    hangup(b.ast, bob, 16, soft=False)  # bob hangs up: Dial returns, the dialplan goes on
    b.advance(0)
    assert ("AFTER", "yes") in [(e["variable"], e["value"]) for e in watcher if e["type"] == "ChannelVarset"]
    assert caller.id not in b.ast.channels


def test_variables_functions_and_errors():
    b = Backend()
    events = b.app()
    originate(b, channelId="v1", callerId="Alice <100>")
    b.advance(1)
    assert b("GET", "/channels/v1/variable", {"variable": "CALLERID(all)"}).body == {"value": '"Alice" <100>'}
    assert b("POST", "/channels/v1/variable", {"variable": "CALLERID(name)", "value": "Bo"}).status == 204
    assert types(events, "v1")[-1] == "ChannelCallerId"
    assert b("POST", "/channels/v1/variables", body={"variables": {"A": "1", "B": "2"}}).status == 204
    assert b("GET", "/channels/v1/variables", {"variables": "A,B"}).body == {"variables": {"A": "1", "B": "2"}}
    assert b("GET", "/channels/v1/variable", {"variable": "NOPE"}).body == {"message": "Provided variable was not found"}
    assert b("GET", "/channels/v1/variable").body == {"message": "Variable name is required"}
    assert b("GET", "/channels/v1/rtp_statistics").body == {"message": "Unsupported channel type"}  # Local
    assert b("GET", "/channels/nosuch/variable", {"variable": "X"}).body == {"message": "Provided channel was not found"}


def test_created_channel_is_dialled_once_and_refuses_media_control_until_then():
    b = Backend()
    events = b.app()
    reply = b("POST", "/channels/create", {"endpoint": "Local/3000@ARI-test", "app": "hello", "channelId": "cr"})
    assert reply.status == 200 and reply.body["dialplan"]["app_name"] == ""
    b.advance(0)
    assert types(events, "cr") == ["ChannelDialplan", "ChannelVarset", "StasisStart"]
    assert b("POST", "/channels/cr/answer").body == {"message": "Channel in invalid state"}  # Down: 412
    assert b("POST", "/channels/cr/dial", {"timeout": "10"}).status == 204
    b.advance(0)
    assert types(events, "cr")[-3:] == ["Dial", "ChannelStateChange", "Dial"]
    assert b("POST", "/channels/cr/dial").body == {"message": "Channel is not in the 'Down' state"}
    originate(b, channelId="plain")
    b.advance(1)
    assert b("POST", "/channels/plain/dial").status == 409


def test_external_media_creates_a_channel_in_stasis():
    b = Backend()
    events = b.app()
    reply = b("POST", "/channels/externalMedia", {"app": "hello", "external_host": "127.0.0.1:9999",
                                                   "format": "ulaw", "channelId": "em1"})
    assert reply.status == 200 and reply.body["name"].startswith("UnicastRTP/127.0.0.1:9999-")
    assert reply.body["channelvars"]["UNICASTRTP_LOCAL_ADDRESS"] == "127.0.0.1"
    b.advance(0)
    assert "StasisStart" in types(events, "em1")
    # Asterisk 23.4.1's texts (trace o_snoop_externalmedia)
    assert b("POST", "/channels/externalMedia", {"app": "hello", "format": "ulaw"}).body == {
        "message": "external_host is required for all but websocket server connections"}
    assert b("POST", "/channels/externalMedia", {"app": "hello", "format": "ulaw", "external_host": "nohost"}).body == {
        "message": "external_host must be <host>:<port> for all transports other than websocket"}


def test_playback_pause_forward_restart_move_the_end_in_simulated_time():
    b = Backend()
    events = b.app()
    originate(b, channelId="pc")
    b.advance(1)
    length = b.ast.sound_duration("tt-monkeys", "en")
    reply = b("POST", "/channels/pc/play/pb1", {"media": "sound:tt-monkeys"})
    assert reply.status == 201 and reply.body["state"] == "queued"
    assert reply.headers["Location"] == "/playbacks/pb1"
    b.advance(1)
    assert b("POST", "/playbacks/pb1/control", {"operation": "pause"}).status == 204
    assert b("GET", "/playbacks/pb1").body["state"] == "paused"
    b.advance(100)  # paused: nothing ends
    assert b("GET", "/playbacks/pb1").status == 200
    assert b("POST", "/playbacks/pb1/control", {"operation": "unpause"}).status == 204
    assert [e["type"] for e in events if "playback" in e] == ["PlaybackStarted", "PlaybackStarted"]
    assert b("POST", "/playbacks/pb1/control", {"operation": "forward"}).status == 204  # skips 3 s
    b.advance(length - 1 - 3 - 0.1)
    assert b("GET", "/playbacks/pb1").status == 200
    b.advance(0.2)
    assert b("GET", "/playbacks/pb1").body == {"message": "Playback not found"}
    assert [e["playback"]["state"] for e in events if "playback" in e][-1] == "done"
    assert b("POST", "/playbacks/pb1/control", {"operation": "pause"}).status == 404


def test_unsupported_scheme_starts_and_never_finishes_and_the_queue_moves_on():
    b = Backend()
    events = b.app()
    originate(b, channelId="q1")
    b.advance(1)
    b("POST", "/channels/q1/play/bad", {"media": "bogus:thing"})
    b("POST", "/channels/q1/play/good", {"media": "sound:beep"})
    b.advance(5)
    seen = [(e["type"], e["playback"]["id"]) for e in events if "playback" in e]
    assert seen == [("PlaybackStarted", "bad"), ("PlaybackStarted", "good"), ("PlaybackFinished", "good")]
    assert any("scheme is unsupported" in text for _, _, text in b.ast.log)


def test_video_source_and_bridge_moh_rules():
    b = Backend()
    events = b.app()
    originate(b, channelId="vs")
    b.advance(1)
    b("POST", "/bridges/vb", {"type": "mixing"})
    assert b("POST", "/bridges/vb/videoSource/vs").body == {"message": "Channel not in this Bridge"}
    b("POST", "/bridges/vb/addChannel", {"channel": "vs"})
    assert b("POST", "/bridges/vb/videoSource/vs").status == 204
    assert b("GET", "/bridges/vb").body["video_source_id"] == "vs"
    assert types(events)[-1] == "BridgeVideoSourceChanged"
    assert b("DELETE", "/bridges/vb/videoSource").status == 204
    assert "video_source_id" not in b("GET", "/bridges/vb").body
    assert b("DELETE", "/bridges/vb/moh").status == 409


def test_originate_to_a_simulated_phone_rings_then_answers_into_stasis():
    b = Backend(answer_delay=2.0)
    events = b.app()
    reply = b("POST", "/channels", {"endpoint": "PJSIP/carol", "app": "hello", "channelId": "ph"})
    assert reply.status == 200 and reply.body["name"].startswith("PJSIP/carol-")
    b.advance(1)
    assert b.ast.channels["ph"].state == "Ringing" and "StasisStart" not in types(events)
    b.advance(1.5)
    assert types(events, "ph") == ["Dial", "ChannelStateChange", "ChannelStateChange", "Dial", "ChannelVarset",
                                   "StasisStart"]
    assert b("POST", "/channels", {"endpoint": "PJSIP/nobody", "app": "hello"}).body == {"error": "Allocation failed"}


def test_offline_phone_fails_and_dial_to_local_connects():
    plan = {"office": {"1": ["Dial(PJSIP/bob,5)", "Set(RESULT=${DIALSTATUS})", "Hangup()"],
                       "2": ["Answer()", "Dial(Local/3000@ARI-test)", "Hangup()"],
                       "3": ["Dial(Local/999@nowhere)", "Hangup()"]},
            "ARI-test": {"3000": ["Answer()", "Wait(600)", "Hangup()"]}}
    b = Backend(dialplan=plan, endpoints={"PJSIP/alice": "online", "PJSIP/bob": "offline"})
    watcher = b.app("watcher", subscribe_all=True)
    inbound_call(b.ast, "PJSIP/alice", "1", "office")
    b.advance(1)
    sets = [(e["variable"], e["value"]) for e in watcher if e["type"] == "ChannelVarset"]
    assert ("DIALSTATUS", "CHANUNAVAIL") in sets
    assert ("RESULT", "CHANUNAVAIL") in sets  # ${DIALSTATUS} expanded by the dialplan
    caller = inbound_call(b.ast, "PJSIP/alice", "2", "office")
    b.advance(2)
    answered = [e for e in watcher if e["type"] == "Dial" and e["dialstatus"] == "ANSWER"]
    assert answered and answered[-1]["caller"]["id"] == caller.id
    assert answered[-1]["peer"]["name"].startswith("Local/3000@ARI-test-")
    hangup(b.ast, caller, 16, soft=False)  # the caller leaves: the whole Local chain goes
    b.advance(0)
    assert not [c for c in b.ast.channels.values() if c.name.startswith("Local/3000@ARI-test-")]
    inbound_call(b.ast, "PJSIP/alice", "3", "office")  # no such extension behind the Local channel
    b.advance(1)
    assert ("DIALSTATUS", "CHANUNAVAIL") in [(e["variable"], e["value"]) for e in watcher
                                             if e["type"] == "ChannelVarset"][-2:]
    assert b("POST", "/channels", {"endpoint": "Local/999@nowhere", "app": "hello"}).body == {
        "error": "Allocation failed"}


def test_dialplan_patterns_match_like_extensions_conf():
    plan = {"in": {"_1XXX": ["Set(WHO=pattern)", "Hangup()"], "1000": ["Set(WHO=exact)", "Hangup()"],
                   "_1.": ["Set(WHO=wide)", "Hangup()"]}}
    b = Backend(dialplan=plan)
    watcher = b.app("watcher", subscribe_all=True)
    for exten in ("1000", "1234", "15"):
        inbound_call(b.ast, "PJSIP/alice", exten, "in")
    b.advance(1)
    assert [e["value"] for e in watcher if e["type"] == "ChannelVarset" and e["variable"] == "WHO"] == [
        "exact", "pattern", "wide"]


def test_ivr_menu_with_background_waitexten_and_goto():
    plan = {"ivr": {"s": ["Answer()", "Background(beep)", "WaitExten(5)"],
                    "1": ["Set(CHOICE=sales)", "Goto(ivr,done,1)"],
                    "i": ["Set(CHOICE=invalid)", "Goto(done,1)"],
                    "t": ["Set(CHOICE=timeout)", "Hangup()"],
                    "done": ["Verbose(1,menu finished)", "Hangup()"]}}
    b = Backend(dialplan=plan)
    watcher = b.app("watcher", subscribe_all=True)

    def choice():
        return [e["value"] for e in watcher if e["type"] == "ChannelVarset" and e["variable"] == "CHOICE"]

    first = inbound_call(b.ast, "PJSIP/alice", "s", "ivr")
    b.advance(2)
    receive_dtmf(b.ast, first, "1")
    b.advance(1)
    assert choice() == ["sales"] and first.id not in b.ast.channels
    assert any(text == "pbx.c: menu finished" for _, _, text in b.ast.log)
    second = inbound_call(b.ast, "PJSIP/bob", "s", "ivr")
    b.advance(2)
    receive_dtmf(b.ast, second, "7")
    b.advance(1)
    third = inbound_call(b.ast, "PJSIP/carol", "s", "ivr")
    b.advance(10)
    assert choice() == ["sales", "invalid", "timeout"]
    assert second.id not in b.ast.channels and third.id not in b.ast.channels
    fourth = inbound_call(b.ast, "PJSIP/alice", "s", "ivr")  # a digit during Background() itself
    assert b.ast.sound_duration("beep", "en") > 0.25  # so the digit below lands while it plays
    b.advance(0.6)  # answered (0.5 s), the beep is playing
    receive_dtmf(b.ast, fourth, "1")
    b.advance(0.2)
    assert choice()[-1] == "sales"



def test_originate_endpoint_errors_as_asterisk_answers():
    b = Backend()
    b.app()
    for endpoint in ("/alice", "PJSIP/", "PJSIP"):  # a missing technology or resource
        reply = b("POST", "/channels", {"endpoint": endpoint, "app": "hello"})
        assert (reply.status, reply.body) == (400, {"message": "Invalid endpoint specified"}), endpoint
    reply = b("POST", "/channels", {"endpoint": "Bogus/123", "app": "hello"})  # traces: unknown tech
    assert (reply.status, reply.body) == (500, {"error": "Allocation failed"})
