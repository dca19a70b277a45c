"""``channels.record``, ``bridges.record`` and ``/recordings/*`` (live and stored).

Statuses and texts are Asterisk 23's (``res/ari/resource_*.c`` behaviour as the traces show
it): a missing ``name`` is 500 ``Error parsing request`` (quirk), an unknown format 422, an
existing name with ``ifExists=fail`` or a name being recorded 409, copy onto an existing name
409. See ``sim/backend/recordings.py`` for the live-recording life cycle and its quirks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..._errors import ConfigurationError
from ..backend.bridging import refresh_bridgepeer
from ..backend.core import AriFailure, component
from ..backend.recordings import FORMATS, IF_EXISTS, MIME, TERMINATE_ON, SimRecording, RecordingStore, terminates
from ..routing import ROUTES, Reply, path, query
from ..backend.telephony import device_state
from ..backend.versions import RECORD_IN_DIAL_BRIDGE, at_least


@component
class Recordings:
    """Stored recordings (files) and live recordings of one simulator."""

    def __init__(self, ast: Any) -> None:
        self.ast = ast
        self.store = RecordingStore(getattr(ast.config, "recordings_dir", None))
        self.live: dict[str, SimRecording] = {}
        for name, (seconds, fmt) in (getattr(ast.config, "recordings", None) or {}).items():
            if fmt not in FORMATS or not self.store.valid_name(name):
                raise ConfigurationError(f"stored recording {name!r}: format must be one of "
                                         f"{sorted(FORMATS)} and the name a relative path, got {fmt!r}")
            self.store.write(name, fmt, seconds)
        ast.provide("recording_duration", self.store.duration)
        ast.on("channel_hangup", self._on_channel_gone)
        ast.on("channel_destroyed", self._on_channel_gone)
        ast.on("bridge_destroyed", self._on_bridge_gone)
        ast.on("channel_dtmf", self._on_dtmf)
        ast.on("shutdown", lambda **_: self.close())

    def close(self) -> None:
        for rec in list(self.live.values()):
            if rec.timer is not None:
                rec.timer.cancel()
        self.live.clear()
        self.store.close()

    # ---- events
    def _publish(self, event_type: str, rec: SimRecording) -> None:
        scheme, _, target = rec.target_uri.partition(":")
        apps: set[str] = set()
        if scheme == "bridge":
            bridge = self.ast.bridges.get(target)
            for cid in (bridge.channels if bridge is not None else ()):
                chan = self.ast.channels.get(cid)
                if chan is not None and chan.stasis_app:
                    apps.add(chan.stasis_app)
        else:
            chan = self.ast.channels.get(target)
            if chan is not None and chan.stasis_app:
                apps.add(chan.stasis_app)
        self.ast.publish(event_type, {"recording": rec.json()}, sources=(rec.target_uri,), apps=apps)

    # ---- life cycle
    def start(self, rec: SimRecording, beep_seconds: float) -> None:
        store = self.store
        if rec.if_exists == "overwrite":
            while store.delete(rec.name):
                pass
        rec.append = rec.if_exists == "append" and store.path(rec.name, rec.format).is_file()
        if not rec.append:
            store.write(rec.name, rec.format, 0.0)  # the file exists (empty) while recording
        self.live[rec.name] = rec
        self._recorder_joins(rec)
        # RecordingStarted follows the 201 at once; a beep (if asked for) plays first and is
        # not part of the recording (ast_play_and_record_full).
        rec.timer = self.ast.clock.call_later(0.0, lambda: self._begin(rec, beep_seconds if rec.beep else 0.0))

    def _recorder_joins(self, rec: SimRecording) -> None:
        """A bridge is recorded by a ``Recorder/ARI-<seq>;2`` media channel that joins it, like
        the ``Announcer`` of a bridge playback (BRIDGEPEER of the members changes)."""
        scheme, _, target = rec.target_uri.partition(":")
        bridge = self.ast.bridges.get(target) if scheme == "bridge" else None
        if bridge is None or not hasattr(bridge, "extra_members"):
            return
        rec.recorder = f"Recorder/ARI-{self.ast.channel_seq()};2"
        bridge.extra_members.append(rec.recorder)
        refresh_bridgepeer(self.ast, bridge)
        device_state(self.ast, "Recorder/ARI", "INUSE")

    def _recorder_leaves(self, rec: SimRecording) -> None:
        name = rec.recorder
        bridge = self.ast.bridges.get(rec.target_uri.partition(":")[2])
        if name is None or bridge is None or name not in bridge.extra_members:
            return
        bridge.extra_members.remove(name)
        refresh_bridgepeer(self.ast, bridge)
        device_state(self.ast, "Recorder/ARI", "UNKNOWN")

    def _begin(self, rec: SimRecording, beep: float = 0.0) -> None:
        if self.live.get(rec.name) is not rec or rec.state != "queued":
            return
        scheme, _, target = rec.target_uri.partition(":")
        chan = self.ast.channels.get(target) if scheme == "channel" else None
        dial_bridge = chan is not None and chan.in_dial_bridge and not at_least(self.ast, RECORD_IN_DIAL_BRIDGE)
        if chan is not None and (chan.bridge_id or dial_bridge):
            # res_stasis_recording refuses a bridged channel once the command runs: the 201 was
            # already sent, so the app learns it from RecordingFailed (record the bridge instead).
            # Before 23.6.0 that includes the invisible dial bridge a created+dialled channel is in.
            self.ast.write_log("ERROR", "res_stasis_recording.c: Cannot record channel while in bridge")
            self.fail(rec, "Cannot record channel while in bridge")
            return
        rec.state = "recording"
        rec.resumed_at = self.ast.clock.now() + beep
        self._publish("RecordingStarted", rec)
        self._arm(rec)

    def fail(self, rec: SimRecording, cause: str) -> None:
        if self.live.pop(rec.name, None) is not rec:
            return
        if rec.timer is not None:
            rec.timer.cancel()
            rec.timer = None
        if not rec.append:
            self.store.delete(rec.name)  # nothing was written
        self._recorder_leaves(rec)
        rec.state, rec.cause = "failed", cause
        self._publish("RecordingFailed", rec)

    def _arm(self, rec: SimRecording) -> None:
        if rec.timer is not None:
            rec.timer.cancel()
            rec.timer = None
        if rec.state != "recording":
            return  # paused: the clock of the recording stands still
        now = self.ast.clock.now()
        # time left to record, plus the rest of the beep if it is still playing
        remaining = rec.limit() - rec.elapsed(now) + max(0.0, (rec.resumed_at or now) - now)
        if remaining != float("inf"):
            rec.timer = self.ast.clock.call_later(max(0.0, remaining), lambda: self.finish(rec))

    def finish(self, rec: SimRecording, *, cancel: bool = False, target_gone: bool = False) -> None:
        if self.live.get(rec.name) is not rec:
            return
        del self.live[rec.name]
        if rec.timer is not None:
            rec.timer.cancel()
            rec.timer = None
        now = self.ast.clock.now()
        seconds = min(rec.elapsed(now), rec.limit())
        rec.recorded, rec.resumed_at = seconds, None
        if cancel:
            self.store.delete(rec.name)
        else:
            self.store.write(rec.name, rec.format, seconds, append=rec.append)
        self._recorder_leaves(rec)
        # Quirks: cancel is reported "done" (never "canceled"); a hang-up reports duration 0.
        rec.state = "done"
        rec.duration = 0 if target_gone else int(seconds)
        self._publish("RecordingFinished", rec)

    def operate(self, name: str, operation: str) -> None:
        rec = self.live.get(name)
        if rec is None:
            raise AriFailure(404, "Recording not found")
        if rec.state not in ("recording", "paused"):
            raise AriFailure(409, "Recording not in session")
        now = self.ast.clock.now()
        if operation == "stop":
            self.finish(rec)
        elif operation == "cancel":
            self.finish(rec, cancel=True)
        elif operation == "pause" and rec.state == "recording":
            rec.recorded, rec.resumed_at, rec.state = rec.elapsed(now), None, "paused"
            self._arm(rec)
        elif operation == "unpause" and rec.state == "paused":
            rec.resumed_at, rec.state = now, "recording"
            self._arm(rec)
        elif operation in ("mute", "unmute"):
            rec.muted = operation == "mute"  # quirk: the state stays "recording"

    # ---- hooks from the telephony core
    def _on_channel_gone(self, channel: Any = None, **_: Any) -> None:
        if channel is None:
            return
        for rec in [r for r in self.live.values() if r.target_uri == f"channel:{channel.id}"]:
            self.finish(rec, target_gone=True)

    def _on_bridge_gone(self, bridge: Any = None, **_: Any) -> None:
        if bridge is None:
            return
        for rec in [r for r in self.live.values() if r.target_uri == f"bridge:{bridge.id}"]:
            self.finish(rec)

    def _on_dtmf(self, channel: Any = None, digit: str = "", **_: Any) -> None:
        if channel is None:
            return
        for rec in [r for r in self.live.values() if r.target_uri == f"channel:{channel.id}"]:
            if rec.state == "recording" and terminates(rec, digit):
                self.finish(rec)


def _recordings(ast: Any) -> Recordings:
    return ast.component(Recordings)


# ---- starting a recording (channels.record / bridges.record) -------------------------------

def _record_params(call: Any) -> None:
    """Parameter checks shared by channels.record and bridges.record, in Asterisk's order."""
    if call.int("maxDurationSeconds") < 0:
        raise AriFailure(400, "max_duration_seconds cannot be negative")
    if call.int("maxSilenceSeconds") < 0:
        raise AriFailure(400, "max_silence_seconds cannot be negative")


def _start(ast: Any, call: Any, target_uri: str) -> Reply:
    terminate_on = call.text("terminateOn", "none") or "none"
    if terminate_on not in TERMINATE_ON:
        raise AriFailure(400, "terminateOn invalid")
    if_exists = call.text("ifExists", "fail") or "fail"
    if if_exists not in IF_EXISTS:
        raise AriFailure(400, "ifExists invalid")
    fmt = call.text("format")
    if fmt not in FORMATS:
        raise AriFailure(422, "specified format is unknown on this system")
    name = call.text("name")
    recs = _recordings(ast)
    if not name:
        raise AriFailure(500, "Error parsing request")  # quirk: a missing name is a 500 (EINVAL)
    if not recs.store.valid_name(name):
        raise AriFailure(400, "Recording name invalid")
    if name in recs.live or (if_exists == "fail" and recs.store.find(name) is not None):
        raise AriFailure(409, f"Recording '{name}' already exists and can not be overwritten")
    rec = SimRecording(name=name, format=fmt, target_uri=target_uri,
                        max_duration=call.int("maxDurationSeconds"), max_silence=call.int("maxSilenceSeconds"),
                        terminate_on=terminate_on, if_exists=if_exists, beep=call.bool("beep"))
    beep = ast.sound_duration("beep", "en") or 0.0
    recs.start(rec, beep)
    location = f"/recordings/live/{quote(name, safe='')}"
    return Reply(201, rec.json(), headers={"Location": _ari_location(ast, location)})


def _ari_location(ast: Any, location: str) -> str:
    prefix = (getattr(ast.config, "prefix", "") or "").strip("/")
    return f"/{prefix}/ari{location}" if prefix else f"/ari{location}"


def _record_route_params(first: Any) -> list[Any]:
    return [
        first,
        query("name", "Recording's filename (without extension)", required=True),
        query("format", "Format to encode audio in (wav, gsm, ulaw, alaw, sln)", required=True),
        query("maxDurationSeconds", "Maximum duration in seconds; 0 for no limit", type="int", default=0, min=0),
        query("maxSilenceSeconds", "Maximum silence in seconds; 0 for no limit", type="int", default=0, min=0),
        query("ifExists", "What to do if the recording exists", default="fail", values=IF_EXISTS),
        query("beep", "Play a beep when recording begins", type="boolean", default=False),
        query("terminateOn", "DTMF input that ends the recording", default="none", values=TERMINATE_ON),
    ]


@ROUTES.route("channels", "POST", "/channels/{channelId}/record", "record", "LiveRecording",
              params=_record_route_params(path("channelId", "Channel's id")),
              errors={400: "Invalid parameters", 404: "Channel not found",
                      409: "Channel is not in a Stasis application; the channel is currently bridged with other "
                           "channels; A recording with the same name already exists on the system and can not be "
                           "overwritten because it is in progress or ifExists=fail",
                      422: "The format specified is unknown on this system"},
              missing={"name": None, "format": None},
              summary="Start a recording of a channel.", since=("12.0.0",))
def record_channel(ast, call):
    _record_params(call)
    chan = ast.stasis_channel(call.path["channelId"])
    return _start(ast, call, f"channel:{chan.id}")


@ROUTES.route("bridges", "POST", "/bridges/{bridgeId}/record", "record", "LiveRecording",
              params=[*_record_route_params(path("bridgeId", "Bridge's id"))[:3],
                      query("recorder_format", "Format of the recorder channel's audio"),
                      *_record_route_params(path("bridgeId", "Bridge's id"))[3:]],
              errors={400: "Invalid parameters", 404: "Bridge not found",
                      409: "Bridge is not in a Stasis application; A recording with the same name already exists "
                           "on the system and can not be overwritten because it is in progress or ifExists=fail",
                      422: "The format specified is unknown on this system"},
              missing={"name": None, "format": None},
              summary="Start a recording of a bridge's mix.", since=("12.0.0",))
def record_bridge(ast, call):
    bridge = ast.bridge(call.path["bridgeId"])
    _record_params(call)
    return _start(ast, call, f"bridge:{bridge.id}")


# ---- stored recordings --------------------------------------------------------------------

_STORED = path("recordingName", "The recording's name")


def _stored(ast: Any, name: str) -> dict[str, str]:
    found = _recordings(ast).store.json(name)
    if found is None:
        raise AriFailure(404, "Recording not found")
    return found


@ROUTES.route("recordings", "GET", "/recordings/stored", "listStored", "List[StoredRecording]",
              summary="List the stored recordings.", since=("12.0.0",))
def list_stored(ast, call):
    return _recordings(ast).store.list()


@ROUTES.route("recordings", "GET", "/recordings/stored/{recordingName}", "getStored", "StoredRecording",
              params=[_STORED], errors={404: "Recording not found"},
              summary="One stored recording.", since=("12.0.0",))
def get_stored(ast, call):
    return _stored(ast, call.path["recordingName"])


@ROUTES.route("recordings", "DELETE", "/recordings/stored/{recordingName}", "deleteStored",
              params=[_STORED], errors={404: "Recording not found"},
              summary="Delete a stored recording.", since=("12.0.0",))
def delete_stored(ast, call):
    if not _recordings(ast).store.delete(call.path["recordingName"]):
        raise AriFailure(404, "Recording not found")


@ROUTES.route("recordings", "GET", "/recordings/stored/{recordingName}/file", "getStoredFile", "binary",
              params=[_STORED], errors={403: "The recording file could not be opened", 404: "Recording not found"},
              summary="The stored recording's audio file.", since=("14.0.0",))
def get_stored_file(ast, call):
    name = call.path["recordingName"]
    found = _recordings(ast).store.find(name)
    if found is None:
        raise AriFailure(404, "Recording not found")
    p, fmt = found
    try:
        data = p.read_bytes()
    except OSError:
        raise AriFailure(403, "The recording file could not be opened") from None
    filename = p.name
    return Reply(200, None, raw=data, content_type=MIME[fmt],
                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@ROUTES.route("recordings", "POST", "/recordings/stored/{recordingName}/copy", "copyStored", "StoredRecording",
              params=[_STORED, query("destinationRecordingName", "Name of the copy", required=True)],
              errors={404: "Recording not found",
                      409: "A recording with the same name already exists on the system"},
              summary="Copy a stored recording.", since=("12.5.0",))
def copy_stored(ast, call):
    store = _recordings(ast).store
    name, destination = call.path["recordingName"], call.text("destinationRecordingName")
    if not store.valid_name(destination):
        raise AriFailure(400, "Invalid destination recording name")
    if store.find(name) is None:
        raise AriFailure(404, "Recording not found")
    if store.find(destination) is not None:
        raise AriFailure(409, "A recording with the same name already exists on the system")
    store.copy(name, destination)
    return store.json(destination)


# ---- live recordings ----------------------------------------------------------------------

_LIVE = path("recordingName", "The recording's name")


@ROUTES.route("recordings", "GET", "/recordings/live/{recordingName}", "getLive", "LiveRecording",
              params=[_LIVE], errors={404: "Recording not found"},
              summary="A recording in progress.", since=("12.0.0",))
def get_live(ast, call):
    rec = _recordings(ast).live.get(call.path["recordingName"])
    if rec is None:
        raise AriFailure(404, "Recording not found")
    return rec.json()


def _live_op(nickname: str, method: str, suffix: str, operation: str, summary: str, conflict: bool) -> None:
    errors = {404: "Recording not found"}
    if conflict:
        errors[409] = "Recording not in session"

    @ROUTES.route("recordings", method, f"/recordings/live/{{recordingName}}{suffix}", nickname,
                  params=[_LIVE], errors=errors, summary=summary, since=("12.0.0",))
    def handler(ast, call):
        _recordings(ast).operate(call.path["recordingName"], operation)


_live_op("cancel", "DELETE", "", "cancel", "Stop a recording and discard it.", False)
_live_op("stop", "POST", "/stop", "stop", "Stop a recording and store it.", False)
_live_op("pause", "POST", "/pause", "pause", "Pause a recording (paused time is not recorded).", True)
_live_op("unpause", "DELETE", "/pause", "unpause", "Resume a paused recording.", True)
_live_op("mute", "POST", "/mute", "mute", "Record silence instead of the audio.", True)
_live_op("unmute", "DELETE", "/mute", "unmute", "Record the audio again.", True)
