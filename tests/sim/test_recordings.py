"""Live and stored recordings, sans-I/O on a manual clock: states, events, files, quirks."""

from __future__ import annotations

import io
import wave

import pytest

from ari_notebook.sim.backend import wav

from ._backend import Backend


@pytest.fixture
def sim():
    b = Backend()
    b.app("hello")
    b.stasis_channel("c1")
    yield b
    b.ast.fire("shutdown")


def kinds(events):
    return [(e["type"], e["recording"]["state"], e["recording"].get("duration")) for e in events
            if e["type"].startswith("Recording")]


def test_max_duration_gives_a_wav_of_that_length(sim):
    r = sim("POST", "/channels/c1/record", {"name": "greeting", "format": "wav", "maxDurationSeconds": "2"})
    assert r.status == 201 and r.headers["Location"] == "/ari/recordings/live/greeting"
    assert r.body == {"name": "greeting", "format": "wav", "state": "queued", "target_uri": "channel:c1"}
    sim.advance(0)
    assert sim("GET", "/recordings/live/greeting").body["state"] == "recording"
    sim.advance(5)
    assert kinds(sim.events["hello"]) == [("RecordingStarted", "recording", None),
                                          ("RecordingFinished", "done", 2)]
    assert sim("GET", "/recordings/live/greeting").status == 404
    assert sim("GET", "/recordings/stored").body == [{"name": "greeting", "format": "wav"}]
    f = sim("GET", "/recordings/stored/greeting/file")
    assert f.status == 200 and f.content_type == "audio/x-wav"
    with wave.open(io.BytesIO(f.raw)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        assert w.getnframes() == 16000
    assert len(f.raw) == 32044  # 2 s of 8 kHz 16-bit mono plus the 44-byte header


def test_pause_stops_time_and_mute_keeps_recording_state(sim):
    sim("POST", "/channels/c1/record", {"name": "r", "format": "wav", "maxDurationSeconds": "3"})
    sim.advance(1)
    assert sim("POST", "/recordings/live/r/pause").status == 204
    assert sim("POST", "/recordings/live/r/pause").status == 204  # pausing twice is fine
    assert sim("GET", "/recordings/live/r").body["state"] == "paused"
    sim.advance(10)  # paused: nothing recorded, no finish
    assert sim("DELETE", "/recordings/live/r/pause").status == 204
    assert sim("POST", "/recordings/live/r/mute").status == 204
    assert sim("GET", "/recordings/live/r").body["state"] == "recording"  # quirk
    assert sim("DELETE", "/recordings/live/r/mute").status == 204
    sim.advance(2)
    assert kinds(sim.events["hello"])[-1] == ("RecordingFinished", "done", 3)
    assert sim.ast.provider("recording_duration")("r") == pytest.approx(3.0)


def test_stop_cancel_and_hangup(sim):
    sim("POST", "/channels/c1/record", {"name": "kept", "format": "gsm"})
    sim.advance(4)
    assert sim("POST", "/recordings/live/kept/stop").status == 204
    assert sim("GET", "/recordings/stored/kept").body == {"name": "kept", "format": "gsm"}
    assert sim.ast.provider("media_plan")("recording:kept").duration == pytest.approx(4.0)

    sim("POST", "/channels/c1/record", {"name": "gone", "format": "wav"})
    sim.advance(1)
    assert sim("DELETE", "/recordings/live/gone").status == 204
    assert kinds(sim.events["hello"])[-1] == ("RecordingFinished", "done", 1)  # never "canceled"
    assert sim("GET", "/recordings/stored/gone").status == 404  # cancel deletes the file

    sim("POST", "/channels/c1/record", {"name": "cut", "format": "wav"})
    sim.advance(2)
    sim.ast.fire("channel_destroyed", channel=sim.ast.channels["c1"])
    assert kinds(sim.events["hello"])[-1] == ("RecordingFinished", "done", 0)  # quirk: duration 0
    assert sim.ast.provider("recording_duration")("cut") == pytest.approx(2.0)  # file kept


def test_terminate_on_dtmf(sim):
    sim("POST", "/channels/c1/record", {"name": "vm", "format": "wav", "terminateOn": "#"})
    sim.advance(1.5)
    sim.ast.fire("channel_dtmf", channel=sim.ast.channels["c1"], digit="1")
    assert sim("GET", "/recordings/live/vm").status == 200
    sim.ast.fire("channel_dtmf", channel=sim.ast.channels["c1"], digit="#")
    assert kinds(sim.events["hello"])[-1] == ("RecordingFinished", "done", 1)


def test_errors_as_asterisk_answers_them(sim):
    def err(*args):
        r = sim(*args)
        return r.status, r.body

    assert err("POST", "/channels/c1/record", {"format": "wav"}) == (500, {"message": "Error parsing request"})
    assert err("POST", "/channels/c1/record", {"name": "x", "format": "mp9"}) == (
        422, {"message": "specified format is unknown on this system"})
    assert err("POST", "/channels/nosuch/record", {"name": "x", "format": "wav"}) == (
        404, {"message": "Channel not found"})
    assert err("POST", "/channels/c1/record", {"name": "x", "format": "wav", "maxDurationSeconds": "-1"})[0] == 400
    assert err("POST", "/channels/c1/record", {"name": "x", "format": "wav", "ifExists": "never"}) == (
        400, {"message": "ifExists invalid"})
    assert err("POST", "/channels/c1/record", {"name": "../x", "format": "wav"}) == (
        400, {"message": "Recording name invalid"})
    sim("POST", "/channels/c1/record", {"name": "busy", "format": "wav"})
    assert err("POST", "/channels/c1/record", {"name": "busy", "format": "wav", "ifExists": "overwrite"})[0] == 409
    sim.advance(0)
    sim("POST", "/recordings/live/busy/stop")
    assert err("POST", "/channels/c1/record", {"name": "busy", "format": "wav"})[0] == 409  # ifExists=fail
    assert sim("POST", "/channels/c1/record", {"name": "busy", "format": "wav", "ifExists": "overwrite"}).status == 201
    assert err("POST", "/recordings/live/nope/stop") == (404, {"message": "Recording not found"})
    assert err("POST", "/bridges/nope/record", {"name": "b", "format": "wav"}) == (404, {"message": "Bridge not found"})


def test_append_extends_the_file(sim):
    sim("POST", "/channels/c1/record", {"name": "a", "format": "wav", "maxDurationSeconds": "1"})
    sim.advance(2)
    sim("POST", "/channels/c1/record", {"name": "a", "format": "wav", "maxDurationSeconds": "2", "ifExists": "append"})
    sim.advance(3)
    assert sim.ast.provider("recording_duration")("a") == pytest.approx(3.0)


def test_stored_copy_delete(sim):
    sim("POST", "/channels/c1/record", {"name": "orig", "format": "wav", "maxDurationSeconds": "1"})
    sim.advance(2)
    assert sim("POST", "/recordings/stored/orig/copy", {"destinationRecordingName": "dup"}).body == {
        "name": "dup", "format": "wav"}
    again = sim("POST", "/recordings/stored/orig/copy", {"destinationRecordingName": "dup"})
    assert (again.status, again.body["message"]) == (409, "A recording with the same name already exists on the system")
    assert sim("POST", "/recordings/stored/nope/copy", {"destinationRecordingName": "x"}).status == 404
    assert sim("DELETE", "/recordings/stored/dup").status == 204
    assert sim("DELETE", "/recordings/stored/dup").status == 404
    assert [r["name"] for r in sim("GET", "/recordings/stored").body] == ["orig"]


def test_simulators_do_not_share_recordings():
    a, b = Backend(), Backend()
    a.app()
    a.stasis_channel()
    a("POST", "/channels/c1/record", {"name": "mine", "format": "wav", "maxDurationSeconds": "1"})
    a.advance(2)
    assert b("GET", "/recordings/stored").body == []
    a.ast.fire("shutdown")
    b.ast.fire("shutdown")


def test_wav_helpers(tmp_path):
    p = wav.write_wav(tmp_path / "x" / "y.wav", 1.5)
    assert wav.wav_duration(p) == pytest.approx(1.5)
    wav.append_wav(p, 0.5)
    assert wav.wav_duration(p) == pytest.approx(2.0)
    assert len(wav.wav_bytes(1.0)) == 16044


def test_recordings_seeded_from_config():
    b = Backend(recordings={"greeting": 3.0, "prompts/menu": {"seconds": 1.5, "format": "gsm"}})
    assert b("GET", "/recordings/stored").body == [{"name": "greeting", "format": "wav"},
                                                   {"name": "prompts/menu", "format": "gsm"}]
    assert b.ast.provider("media_plan")("recording:greeting").duration == pytest.approx(3.0)
    assert b.ast.provider("recording_duration")("prompts/menu") == pytest.approx(1.5)
    b.ast.fire("shutdown")


def test_bad_seeded_recording_is_a_configuration_error():
    from ari_notebook._errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="format must be one of"):
        Backend(recordings={"x": {"seconds": 1, "format": "mp3"}})


def test_beep_plays_before_the_recorded_time(sim):
    sim("POST", "/channels/c1/record", {"name": "b", "format": "wav", "maxDurationSeconds": "2", "beep": "true"})
    sim.advance(0)
    assert kinds(sim.events["hello"]) == [("RecordingStarted", "recording", None)]  # at once
    sim.advance(2.1)  # beep.gsm is 0.44 s: 2 s of audio are not done yet
    assert len(kinds(sim.events["hello"])) == 1
    sim.advance(0.4)
    assert kinds(sim.events["hello"])[-1] == ("RecordingFinished", "done", 2)
    assert sim.ast.provider("recording_duration")("b") == pytest.approx(2.0)


def _created_and_dialled(b: Backend) -> None:
    """channels.create + dial, as notebook 03 does: the channel answers inside Stasis' dial bridge."""
    assert b("POST", "/channels/create", {"endpoint": "Local/3000@ARI-test", "app": "hello",
                                          "channelId": "cd1"}).status == 200
    b.advance(0)
    assert b("POST", "/channels/cd1/dial", {"timeout": "30"}).status == 204
    b.advance(1)
    assert b("GET", "/channels/cd1").body["state"] == "Up"


def test_a_created_and_dialled_channel_cannot_be_recorded_in_23_4_1():
    """Asterisk 23.4.1 keeps a created+dialled channel in the invisible dial bridge (res/stasis/
    control.c) and res_stasis_recording refuses any bridged channel: 201 queued, then at once
    RecordingFailed with Asterisk's reason, no RecordingStarted, nothing stored (seen live too)."""
    b = Backend()
    events = b.app()
    _created_and_dialled(b)
    reply = b("POST", "/channels/cd1/record", {"name": "nb03", "format": "wav"})
    assert reply.status == 201 and reply.body["state"] == "queued"
    b.advance(0)
    failed = [e for e in events if e["type"].startswith("Recording")]
    assert [e["type"] for e in failed] == ["RecordingFailed"]
    assert failed[0]["recording"]["state"] == "failed"
    assert failed[0]["recording"]["cause"] == "Cannot record channel while in bridge"
    assert b("GET", "/recordings/live/nb03").status == 404
    assert b("GET", "/recordings/stored/nb03").status == 404
    assert b("GET", "/bridges").body == []  # the dial bridge is invisible...
    assert b("GET", "/applications/hello").body["bridge_ids"] == []  # ...to the app as well (seen live)


def test_the_dial_bridge_no_longer_stops_a_recording_from_23_6_0():
    b = Backend(asterisk_version="23.6.0")
    events = b.app()
    _created_and_dialled(b)
    assert b("GET", "/asterisk/info").body["system"]["version"] == "23.6.0"
    assert b("POST", "/channels/cd1/record", {"name": "nb03", "format": "wav"}).status == 201
    b.advance(0)
    assert [e["type"] for e in events if e["type"].startswith("Recording")] == ["RecordingStarted"]


def test_after_a_real_bridge_the_channel_records_even_in_23_4_1():
    """Leaving a real bridge once it is Up does not put it back in the dial bridge (control.c)."""
    b = Backend()
    events = b.app()
    _created_and_dialled(b)
    assert b("POST", "/bridges/br1").status == 200
    assert b("POST", "/bridges/br1/addChannel", {"channel": "cd1"}).status == 204
    assert b("POST", "/bridges/br1/removeChannel", {"channel": "cd1"}).status == 204
    b.advance(0)
    assert b("POST", "/channels/cd1/record", {"name": "r2", "format": "wav"}).status == 201
    b.advance(0)
    assert [e["type"] for e in events if e["type"].startswith("Recording")] == ["RecordingStarted"]
