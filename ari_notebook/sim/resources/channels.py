"""``/channels``: originate, create/dial, answer, hangup, media control, variables, snoop, ...

Handlers parse and check parameters, then call the sans-I/O telephony functions. Channel
``record`` lives with the recordings resource (``resources/recordings.py``).
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure, Asterisk
from ..backend.dialplan import Runner
from ..backend.objects import SimChannel
from ._variables import read_variables
from ..routing import ROUTES, Call, Reply, body, path, query
from ..backend import phones, playback
from ..backend import telephony as tel

R = "channels"
CHANNEL_ID = path("channelId", "Channel's id")
_STATE_ERRORS = {404: "Channel not found", 409: "Channel not in a Stasis application",
                 412: "Channel in invalid state"}
_ORIGINATE_PARAMS = [
    query("endpoint", "Endpoint to call (Local/1000@ctx, PJSIP/alice)", required=True),
    query("extension", "Extension to dial after the callee answers"),
    query("context", "Dialplan context, with extension"),
    query("priority", "Dialplan priority, with extension", type="long"),
    query("label", "Dialplan label, instead of priority"),
    query("app", "Stasis application to put the channel into"),
    query("appArgs", "Arguments for the Stasis application (comma separated)"),
    query("callerId", "Caller ID for the outgoing call"),
    query("timeout", "Seconds to wait for an answer", type="int", default=30),
    body("variables", "Channel variables to set: {\"variables\": {\"NAME\": \"value\"}}"),
]
_ORIGINATE_TAIL = [
    query("originator", "Id of the channel responsible for this call"),
    query("formats", "Comma-separated format names, when no originator"),
]


def _in_stasis(ast: Asterisk, call: Call) -> SimChannel:
    return ast.stasis_channel(call.path["channelId"])


def _controllable(ast: Asterisk, call: Call) -> SimChannel:
    """In Stasis and not an unanswered outbound channel (Down/Rsrved/Ringing answer 412)."""
    chan = _in_stasis(ast, call)
    if chan.state in ("Down", "Rsrved", "Ringing"):
        raise AriFailure(412, "Channel in invalid state")
    return chan


KNOWN_FORMATS = {"ulaw", "alaw", "gsm", "g722", "g729", "g726", "ilbc", "lpc10", "speex", "speex16", "speex32",
                 "opus", "slin", "slin12", "slin16", "slin24", "slin32", "slin44", "slin48", "slin96", "slin192",
                 "adpcm", "h263", "h264", "vp8", "vp9", "siren7", "siren14", "testlaw", "t140"}


def _check_formats(ast: Asterisk, call: Call) -> None:
    if call.text("originator") and call.text("formats"):
        raise AriFailure(400, "Originator and formats can't both be specified")
    if call.text("originator") and call.text("originator") not in ast.channels:
        raise AriFailure(400, "Provided originator channel was not found")
    for name in filter(None, (f.strip() for f in call.text("formats").split(","))):
        if name not in KNOWN_FORMATS:
            raise AriFailure(400, f"Provided format ({name}) was not found")


def _originate_variables(call: Call) -> dict[str, dict]:
    """The body's ``variables`` as ``{name: {"value", "report_events"}}``, checked the way
    resource_channels.c's json_to_ast_variables (23.4) checks them; a ``variables`` that is not
    an object is ignored, as there."""
    raw = call.get("variables")
    out: dict[str, dict] = {}
    if not isinstance(raw, dict):
        return out
    for name, value in raw.items():
        if not name:
            continue
        report = False
        if isinstance(value, dict):
            if not isinstance(value.get("value"), str):
                raise AriFailure(400, "Each object value in 'variables' must include string field 'value'")
            if "report_events" in value:
                if not isinstance(value["report_events"], bool):
                    raise AriFailure(400, "Field 'report_events' in 'variables' entries must be boolean")
                report = value["report_events"]
            value = value["value"]
        elif not isinstance(value, str):
            raise AriFailure(400, "Each value in 'variables' must be a string or an object with 'value' and "
                                  "optional 'report_events'")
        out[name] = {"value": value, "report_events": report}
    return out


def _originate(ast: Asterisk, call: Call, channel_id: str | None) -> dict:
    variables = _originate_variables(call)
    if not call.text("endpoint"):
        raise AriFailure(400, "Endpoint must be specified")
    _check_formats(ast, call)
    app = call.text("app")
    chan = phones.originate(
        ast, endpoint=call.text("endpoint"), app=app,
        app_args=[a for a in call.text("appArgs").split(",")] if call.text("appArgs") else [],
        context=call.text("context"), extension=call.text("extension"), priority=call.int("priority", 1),
        caller_id=call.text("callerId"), timeout=call.int("timeout", 30), variables=variables,
        channel_id=channel_id, other_id=call.text("otherChannelId") or None)
    return chan.json()


@ROUTES.route(R, "GET", "/channels", "list", "List[Channel]", summary="List all active channels in Asterisk.")
def list_channels(ast: Asterisk, call: Call) -> Any:
    return [c.json() for c in ast.channels.values() if c.tech not in ("Announcer",)]


@ROUTES.route(R, "POST", "/channels", "originate", "Channel",
              params=[*_ORIGINATE_PARAMS, query("channelId", "Id for the new channel"),
                      query("otherChannelId", "Id for the second Local half"), *_ORIGINATE_TAIL],
              errors={400: "Invalid parameters for originating a channel",
                      409: "Channel with given unique ID already exists"},
              summary="Create a new channel (originate) and dial it.",
              missing={"endpoint": "Endpoint must be specified"})
def originate(ast: Asterisk, call: Call) -> Any:
    return _originate(ast, call, call.text("channelId") or None)


@ROUTES.route(R, "POST", "/channels/create", "create", "Channel",
              params=[query("endpoint", "Endpoint for the channel", required=True),
                      query("app", "Stasis application to place the channel into", required=True),
                      query("appArgs", "Arguments for the application"),
                      query("channelId", "Id for the new channel"),
                      query("otherChannelId", "Id for the second Local half"),
                      query("originator", "Id of the calling channel"),
                      query("formats", "Comma-separated format names"),
                      body("variables", "Channel variables to set")],
              errors={409: "Channel with given unique ID already exists"}, since=("14.0.0",),
              summary="Create a channel in a Stasis application without dialling it.",
              missing={"endpoint": "Endpoint must be specified"})
def create(ast: Asterisk, call: Call) -> Any:
    variables = _originate_variables(call)
    _check_formats(ast, call)
    args = call.text("appArgs").split(",") if call.text("appArgs") else []
    chan = phones.create(ast, endpoint=call.text("endpoint"), app=call.text("app"), app_args=args,
                         channel_id=call.text("channelId") or None, other_id=call.text("otherChannelId") or None,
                         variables=variables)
    return chan.json()


@ROUTES.route(R, "GET", "/channels/{channelId}", "get", "Channel", params=[CHANNEL_ID],
              errors={404: "Channel not found"}, summary="Channel details.")
def get_channel(ast: Asterisk, call: Call) -> Any:
    return ast.channel(call.path["channelId"]).json()


@ROUTES.route(R, "POST", "/channels/{channelId}", "originateWithId", "Channel",
              params=[path("channelId", "Id for the new channel"), *_ORIGINATE_PARAMS,
                      query("otherChannelId", "Id for the second Local half"), *_ORIGINATE_TAIL],
              errors={400: "Invalid parameters for originating a channel",
                      409: "Channel with given unique ID already exists"}, since=("12.2.0",),
              summary="Create a new channel with a given id (originate) and dial it.",
              missing={"endpoint": "Endpoint must be specified"})
def originate_with_id(ast: Asterisk, call: Call) -> Any:
    return _originate(ast, call, call.path["channelId"])


@ROUTES.route(R, "DELETE", "/channels/{channelId}", "hangup", "void",
              params=[CHANNEL_ID, query("reason_code", "Q.850 cause code"),
                      query("reason", "Reason for hanging up",
                            values=("normal", "busy", "congestion", "no_answer", "timeout", "rejected",
                                    "unallocated", "normal_unspecified", "number_incomplete", "codec_mismatch",
                                    "interworking", "failure", "answered_elsewhere"))],
              errors={400: "Invalid reason for hangup reason provided", 404: "Channel not found"},
              summary="Delete (i.e. hangup) a channel.")
def hangup(ast: Asterisk, call: Call) -> Any:
    chan = ast.channel(call.path["channelId"])
    if call.text("reason_code") and call.text("reason"):
        raise AriFailure(400, "The reason and reason_code can't both be specified")
    cause = 16
    if call.text("reason_code"):
        if not call.text("reason_code").strip().lstrip("+-").isdigit():
            raise AriFailure(400, "Invalid reason for hangup reason code provided")
        cause = call.int("reason_code", 16)
    elif call.text("reason"):
        reason = call.text("reason")
        if reason not in tel.HANGUP_REASONS:
            raise AriFailure(400, "Invalid reason for hangup reason provided")
        cause = tel.HANGUP_REASONS[reason]
    tel.hangup(ast, chan, cause, soft=True)
    return None


@ROUTES.route(R, "POST", "/channels/{channelId}/continue", "continueInDialplan", "void",
              params=[CHANNEL_ID, query("context", "Context to continue to"),
                      query("extension", "Extension to continue to"),
                      query("priority", "Priority to continue to", type="int"),
                      query("label", "Label to continue to (instead of priority)")],
              errors=_STATE_ERRORS, summary="Exit the Stasis application and continue in the dialplan.")
def continue_in_dialplan(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    if call.text("context"):
        context, exten = call.text("context"), call.text("extension") or "s"
    else:
        context, exten = chan.context, call.text("extension") or chan.exten
    label = call.text("label")
    if label:
        if not label.strip().lstrip("+-").isdigit():
            ast.write_log("ERROR", f"resource_channels.c: Requested label: {label} can not be found in "
                                   f"context: {context}")
            raise AriFailure(404, "Requested label can not be found")  # labels are not simulated
        priority = call.int("label", 0)
        if priority == 0:
            raise AriFailure(400, "Requested priority is illegal")
    elif call.int("priority", 0):
        priority = call.int("priority", 1)
    elif not call.text("context") and not call.text("extension"):
        priority = chan.priority + 1  # no location given: the next priority
    else:
        priority = 1
    runner = chan.runner
    chan.in_dial_bridge = False  # continue departs any Stasis bridge first (control.c)
    if runner is None:  # no PBX of its own: Stasis() runs the dialplan and returns when it ends
        tel.leave_stasis(ast, chan, status=None)
        chan.stasis_status_at_end = "SUCCESS"
    else:
        tel.leave_stasis(ast, chan)

    def go() -> None:
        if chan.destroyed:
            return
        (runner or Runner(ast, chan, context, exten, priority)).goto(context, exten, priority)

    tel.later(ast, chan, 0, go)
    return None


@ROUTES.route(R, "POST", "/channels/{channelId}/move", "move", "void",
              params=[CHANNEL_ID, query("app", "Application to move the channel to", required=True),
                      query("appArgs", "Arguments for the application")],
              errors={404: "Channel not found", 409: "Channel not in a Stasis application"},
              since=("13.26.0", "16.3.0"), summary="Move the channel from one Stasis application to another.")
def move(ast: Asterisk, call: Call) -> Any:
    chan = _in_stasis(ast, call)
    args = call.text("appArgs").split(",") if call.text("appArgs") else []
    tel.move(ast, chan, call.text("app"), args)
    return None


@ROUTES.route(R, "POST", "/channels/{channelId}/redirect", "redirect", "void",
              params=[CHANNEL_ID, query("endpoint", "Endpoint to redirect the channel to", required=True)],
              errors={400: "Endpoint parameter not provided", 404: "Channel or endpoint not found",
                      409: "Channel not in a Stasis application", 422: "Endpoint is not the same type as the channel",
                      412: "Channel in invalid state"}, since=("13.3.0",),
              summary="Redirect the channel to a different location.",
              missing={"endpoint": "Required parameter 'endpoint' not provided."})
def redirect(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    endpoint = call.text("endpoint")
    tech, sep, resource = endpoint.partition("/")
    if not sep or not tech:
        raise AriFailure(422, f"Endpoint parameter '{endpoint}' does not contain tech/resource")
    if not resource:
        raise AriFailure(422, f"No resource provided in endpoint parameter '{endpoint}'")
    if tech.lower() != chan.tech.lower():
        raise AriFailure(422, f"Endpoint technology '{tech}' does not match channel technology '{chan.tech}'")
    return None  # accepted; a Local channel shows no visible effect (as in the traces)


def _simple(nickname: str, method: str, suffix: str, summary: str, extra: list | None = None):
    return ROUTES.route(R, method, f"/channels/{{channelId}}{suffix}", nickname, "void",
                        params=[CHANNEL_ID, *(extra or [])], errors=_STATE_ERRORS, summary=summary)


@_simple("answer", "POST", "/answer", "Answer a channel.")
def answer(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    tel.answer(ast, chan)


@_simple("ring", "POST", "/ring", "Indicate ringing to a channel.")
def ring(ast: Asterisk, call: Call) -> Any:
    _controllable(ast, call).ringing = True


@_simple("ringStop", "DELETE", "/ring", "Stop ringing indication on a channel if locally generated.")
def ring_stop(ast: Asterisk, call: Call) -> Any:
    _controllable(ast, call).ringing = False


@ROUTES.route(R, "POST", "/channels/{channelId}/progress", "progress", "void", params=[CHANNEL_ID],
              errors=_STATE_ERRORS, since=("22.6.0", "21.11.0", "20.16.0"), summary="Indicate progress to a channel.")
def progress(ast: Asterisk, call: Call) -> Any:
    _controllable(ast, call)


@ROUTES.route(R, "POST", "/channels/{channelId}/dtmf", "sendDTMF", "void",
              params=[CHANNEL_ID, query("dtmf", "DTMF to send"),
                      query("before", "Milliseconds to wait before sending", type="int", default=0),
                      query("between", "Milliseconds between digits", type="int", default=100),
                      query("duration", "Milliseconds per digit", type="int", default=100),
                      query("after", "Milliseconds to wait after sending", type="int", default=0)],
              errors={400: "DTMF is required", **_STATE_ERRORS}, summary="Send provided DTMF to a given channel.")
def send_dtmf(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    digits = call.text("dtmf")
    if not digits:
        raise AriFailure(400, "DTMF is required")
    tel.send_dtmf(ast, chan, digits, before=call.int("before", 0), between=call.int("between", 100),
                  duration=call.int("duration", 100), after=call.int("after", 0))


_DIRECTION = query("direction", "Which direction to mute", default="both", values=("both", "in", "out"))


@_simple("mute", "POST", "/mute", "Mute a channel.", [_DIRECTION])
def mute(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    direction = call.text("direction", "both") or "both"
    if direction not in ("both", "in", "out"):
        raise AriFailure(400, "Invalid direction specified")
    chan.muted.update({"in", "out"} if direction == "both" else {direction})


@_simple("unmute", "DELETE", "/mute", "Unmute a channel.", [_DIRECTION])
def unmute(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    direction = call.text("direction", "both") or "both"
    if direction not in ("both", "in", "out"):
        raise AriFailure(400, "Invalid direction specified")
    chan.muted.difference_update({"in", "out"} if direction == "both" else {direction})


def _hold_event(ast: Asterisk, chan: SimChannel, event_type: str) -> None:
    # Local channels emit nothing (traces); channel drivers such as PJSIP report ChannelHold.
    if chan.tech == "PJSIP":
        fields = {"musicclass": ""} if event_type == "ChannelHold" else {}
        tel.channel_event(ast, chan, event_type, fields)


@_simple("hold", "POST", "/hold", "Hold a channel.")
def hold(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    if not chan.on_hold:
        chan.on_hold = True
        _hold_event(ast, chan, "ChannelHold")


@_simple("unhold", "DELETE", "/hold", "Remove a channel from hold.")
def unhold(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    if chan.on_hold:
        chan.on_hold = False
        _hold_event(ast, chan, "ChannelUnhold")


@_simple("startMoh", "POST", "/moh", "Play music on hold to a channel.",
         [query("mohClass", "Music on hold class to use")])
def start_moh(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    moh_class = call.text("mohClass") or "default"
    if moh_class != "default":  # only the default class exists; Asterisk falls back with a WARNING
        ast.write_log("WARNING", f"res_musiconhold.c: Specific class '{moh_class}' not found, using 'default'")
        moh_class = "default"
    chan.moh = moh_class


@_simple("stopMoh", "DELETE", "/moh", "Stop playing music on hold to a channel.")
def stop_moh(ast: Asterisk, call: Call) -> Any:
    _controllable(ast, call).moh = None


@_simple("startSilence", "POST", "/silence", "Play silence to a channel.")
def start_silence(ast: Asterisk, call: Call) -> Any:
    _controllable(ast, call).silence = True


@_simple("stopSilence", "DELETE", "/silence", "Stop playing silence to a channel.")
def stop_silence(ast: Asterisk, call: Call) -> Any:
    _controllable(ast, call).silence = False


# ---- playback --------------------------------------------------------------------------------

_PLAY_PARAMS = [
    query("media", "Media URIs to play (comma separated: a playlist)", required=True, multiple=True),
    query("lang", "Language for sounds"),
    query("offsetms", "Milliseconds to skip before playing (first media only)", type="int"),
    query("skipms", "Milliseconds to skip for forward/reverse", type="int", default=3000),
]
# quirk: a play without media is answered 500 "Failed to queue media for playback", not 400
_NO_MEDIA = {"media": (500, "Failed to queue media for playback")}


def play_media(ast: Asterisk, call: Call, target_uri: str, language: str, playback_id: str | None) -> Reply:
    media = [m for m in call.list("media") if m]
    if not media:
        raise AriFailure(500, "Failed to queue media for playback")
    skipms, offsetms = call.int("skipms", 3000), call.int("offsetms", 0)
    if skipms < 0:
        raise AriFailure(400, "skipms cannot be negative")
    if offsetms < 0:
        raise AriFailure(400, "offsetms cannot be negative")
    pb = playback.start(ast, target_uri, media, call.text("lang") or language, playback_id=playback_id,
                        skipms=skipms, offsetms=offsetms)
    return Reply(201, pb.json(), {"Location": f"/playbacks/{pb.id}"})


@ROUTES.route(R, "POST", "/channels/{channelId}/play", "play", "Playback",
              params=[CHANNEL_ID, *_PLAY_PARAMS, query("playbackId", "Id for the playback")],
              errors=_STATE_ERRORS, missing=_NO_MEDIA, summary="Start playback of media.")
def play(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    return play_media(ast, call, f"channel:{chan.id}", chan.language, call.text("playbackId") or None)


@ROUTES.route(R, "POST", "/channels/{channelId}/play/{playbackId}", "playWithId", "Playback",
              params=[CHANNEL_ID, path("playbackId", "Playback id"), *_PLAY_PARAMS],
              errors=_STATE_ERRORS, missing=_NO_MEDIA, since=("12.2.0",),
              summary="Start playback of media and specify the playbackId.")
def play_with_id(ast: Asterisk, call: Call) -> Any:
    chan = _controllable(ast, call)
    return play_media(ast, call, f"channel:{chan.id}", chan.language, call.path["playbackId"])


# ---- variables -------------------------------------------------------------------------------

_VAR_ERRORS = {400: "Missing variable parameter", 404: "Channel or variable not found",
               409: "Channel not in a Stasis application"}


@ROUTES.route(R, "GET", "/channels/{channelId}/variable", "getChannelVar", "Variable",
              params=[CHANNEL_ID, query("variable", "The variable or function to read", required=True)],
              errors=_VAR_ERRORS, missing={"variable": "Variable name is required"},
              summary="Get the value of a channel variable or function.")
def get_var(ast: Asterisk, call: Call) -> Any:
    # Reading needs no Stasis (Asterisk looks the channel up by name).
    chan = ast.channels.get(call.path["channelId"])
    if chan is None:
        raise AriFailure(404, "Provided channel was not found")
    name = call.text("variable")
    value = tel.get_variable(chan, name)
    if value is None:
        if name.endswith(")"):
            raise AriFailure(500, "Unable to read provided function")
        raise AriFailure(404, "Provided variable was not found")
    return {"value": value}


@ROUTES.route(R, "POST", "/channels/{channelId}/variable", "setChannelVar", "void",
              params=[CHANNEL_ID, query("variable", "The variable or function to set", required=True),
                      query("value", "Value to set"),
                      query("report_events", "Report later changes of this variable in channel events",
                            type="boolean", default=False)],
              errors=_VAR_ERRORS, missing={"variable": "Variable name is required"},
              summary="Set the value of a channel variable or function.")
def set_var(ast: Asterisk, call: Call) -> Any:
    chan = _in_stasis(ast, call)
    tel.report_variable(chan, call.text("variable"), bool(call.get("report_events", False)))
    try:
        tel.set_variable(ast, chan, call.text("variable"), call.text("value"))
    except AriFailure:
        raise AriFailure(400, "Failed to execute function") from None


@ROUTES.route(R, "GET", "/channels/{channelId}/variables", "getChannelVars", "Variables",
              params=[CHANNEL_ID, query("variables", "Variables or functions to read", required=True,
                                        multiple=True)],
              errors=_VAR_ERRORS, missing={"variables": "At least one variable name is required"},
              since=("20.20.0", "22.10.0", "23.4.0"), summary="Get the values of several channel variables or functions.")
def get_vars(ast: Asterisk, call: Call) -> Any:
    chan = ast.channels.get(call.path["channelId"])
    if chan is None:
        raise AriFailure(404, "Provided channel was not found")
    return read_variables(call.list("variables"), lambda name: tel.get_variable(chan, name))


@ROUTES.route(R, "POST", "/channels/{channelId}/variables", "setChannelVars", "void",
              params=[CHANNEL_ID, body("variables", "{\"variables\": {name: value}}", required=True)],
              errors=_VAR_ERRORS, missing={"variables": "Variables are required"}, since=("20.20.0", "22.10.0", "23.4.0"),
              summary="Set several channel variables or functions.")
def set_vars(ast: Asterisk, call: Call) -> Any:
    chan = _in_stasis(ast, call)
    variables = call.containers("variables")
    if not variables:
        raise AriFailure(400, "Variables are required")
    for name, value in variables.items():
        if isinstance(value, dict):
            value = value.get("value", "")
        tel.set_variable(ast, chan, name, "" if value is None else str(value))


# ---- snoop, dial, rtp, external media ------------------------------------------------------

_SPY = ("none", "both", "out", "in")


def _snoop(ast: Asterisk, call: Call, snoop_id: str | None) -> Any:
    spy, whisper = call.text("spy", "none") or "none", call.text("whisper", "none") or "none"
    if spy not in _SPY:
        raise AriFailure(400, "Invalid direction specified for spy")
    if whisper not in _SPY:
        raise AriFailure(400, "Invalid direction specified for whisper")
    if spy == "none" and whisper == "none":
        raise AriFailure(400, "Direction must be specified for at least spy or whisper")
    app = call.text("app")
    if not app:
        raise AriFailure(400, "Application name is required")
    chan = ast.channels.get(call.path["channelId"])
    if chan is None:
        raise AriFailure(404, "Provided channel was not found")
    if snoop_id and snoop_id in ast.channels:
        raise AriFailure(500, "Snoop channel could not be created")
    snoop = tel.new_channel(ast, "Snoop", f"Snoop/{chan.id}-{ast.channel_seq()}", channel_id=snoop_id,
                            state="Up")
    snoop.snoop_of = chan.id
    args = call.text("appArgs").split(",") if call.text("appArgs") else []

    def enter() -> None:
        if not snoop.destroyed and not tel.enter_stasis(ast, snoop, app, args, from_dialplan=False):
            tel.end_by_dialplan(ast, snoop)

    tel.later(ast, snoop, 0, enter)
    return snoop.json()


_SNOOP_PARAMS = [
    query("spy", "Direction of audio to spy on", default="none", values=_SPY),
    query("whisper", "Direction of audio to whisper into", default="none", values=_SPY),
    query("app", "Application the snooping channel is placed into", required=True),
    query("appArgs", "Arguments for the application"),
]


@ROUTES.route(R, "POST", "/channels/{channelId}/snoop", "snoopChannel", "Channel",
              params=[CHANNEL_ID, *_SNOOP_PARAMS, query("snoopId", "Id for the snooping channel")],
              errors={400: "Invalid parameters", 404: "Channel not found"}, since=("12.0.0",),
              summary="Start snooping on a channel.", missing={"app": None})
def snoop(ast: Asterisk, call: Call) -> Any:
    return _snoop(ast, call, call.text("snoopId") or None)


@ROUTES.route(R, "POST", "/channels/{channelId}/snoop/{snoopId}", "snoopChannelWithId", "Channel",
              params=[CHANNEL_ID, path("snoopId", "Id for the snooping channel"), *_SNOOP_PARAMS],
              errors={400: "Invalid parameters", 404: "Channel not found"}, since=("12.2.0",),
              summary="Start snooping on a channel, with a given snoop id.", missing={"app": None})
def snoop_with_id(ast: Asterisk, call: Call) -> Any:
    return _snoop(ast, call, call.path["snoopId"])


@ROUTES.route(R, "POST", "/channels/{channelId}/dial", "dial", "void",
              params=[CHANNEL_ID, query("caller", "Channel id of the caller"),
                      query("timeout", "Seconds to wait for an answer", type="int", default=0, min=0)],
              errors={404: "Channel cannot be found", 409: "Channel cannot be dialed"}, since=("14.0.0",),
              summary="Dial a created channel.")
def dial(ast: Asterisk, call: Call) -> Any:
    chan = _in_stasis(ast, call)
    caller = ast.channels.get(call.text("caller")) if call.text("caller") else None  # optional, as in Asterisk
    if chan.state not in ("Down", "Rsrved"):
        raise AriFailure(409, "Channel is not in the 'Down' state")
    if chan.dial_target is None:
        raise AriFailure(409, "Dialing a channel not created by ARI")
    phones.dial(ast, chan, caller=caller, timeout=call.int("timeout", 0))


@ROUTES.route(R, "GET", "/channels/{channelId}/rtp_statistics", "rtpstatistics", "RTPstat",
              params=[CHANNEL_ID], errors={404: "Channel cannot be found"}, since=("13.27.0", "16.4.0"),
              summary="RTP statistics of a channel.")
def rtp_statistics(ast: Asterisk, call: Call) -> Any:
    chan = ast.channel(call.path["channelId"])
    if chan.tech not in ("PJSIP", "UnicastRTP"):
        raise AriFailure(403, "Unsupported channel type")  # Local, Snoop, Announcer: no RTP glue
    raise AriFailure(404, "RTP info not found")  # simulated phones carry no real RTP session


@ROUTES.route(R, "POST", "/channels/externalMedia", "externalMedia", "Channel",
              params=[query("channelId", "Id for the new channel"),
                      query("app", "Stasis application to place the channel into", required=True),
                      body("variables", "Channel variables to set"),
                      query("external_host", "host:port to send media to"),
                      query("encapsulation", "Payload encapsulation", default="rtp",
                            values=("rtp", "audiosocket", "none")),
                      query("transport", "Transport protocol", default="udp", values=("udp", "tcp", "websocket")),
                      query("connection_type", "Connection type", default="client", values=("client", "server")),
                      query("format", "Format to encode audio in", required=True),
                      query("direction", "External media direction", default="both", values=("both",)),
                      query("data", "Data to pass to the channel driver (audiosocket UUID)"),
                      query("transport_data", "Transport-specific data")],
              errors={400: "Invalid parameters", 409: "Channel is already bridged"}, since=("16.6.0", "17.1.0"),
              summary="Start an External Media session (the channel is simulated, its media is not).",
              missing={"app": None, "format": None})
def external_media(ast: Asterisk, call: Call) -> Any:
    """The checks in resource_channels.c's order (23.4.1), then an originate to the external
    endpoint: an RTP one answers at once and enters Stasis like any originated channel."""
    variables = _originate_variables(call)
    app = call.text("app")
    if not app:
        raise AriFailure(400, "app cannot be empty")
    transport = call.text("transport") or "udp"
    encapsulation = call.text("encapsulation") or "rtp"
    if transport == "websocket" and encapsulation != "none":
        raise AriFailure(400, "encapsulation must be 'none' for websocket transport")
    if encapsulation == "rtp" and transport != "udp":
        raise AriFailure(400, "transport must be 'udp' for rtp encapsulation")
    if encapsulation == "audiosocket" and transport != "tcp":
        raise AriFailure(400, "transport must be 'tcp' for audiosocket encapsulation")
    connection = call.text("connection_type") or "client"
    if transport != "websocket" and connection == "server":
        raise AriFailure(400, "'server' connection_type can only be used with the websocket transport")
    host = call.text("external_host")
    if not host:
        if connection == "client":
            raise AriFailure(400, "external_host is required for all but websocket server connections")
        host = "INCOMING"
    if transport == "websocket":
        if connection == "client":
            raise AriFailure(400, "external_host must be a valid websocket_client connection id.")
    else:
        hostname, sep, port = host.rpartition(":")
        if not sep or not hostname or not port.isdigit():
            raise AriFailure(400, "external_host must be <host>:<port> for all transports other than websocket")
    if not call.text("format"):
        raise AriFailure(400, "format cannot be empty")
    if call.text("direction") and call.text("direction") not in ("both", "in", "out"):
        raise AriFailure(400, "Invalid direction specified")
    supported = {("rtp", "udp"), ("audiosocket", "tcp"), ("none", "websocket")}
    if (encapsulation.lower(), transport.lower()) not in supported:
        raise AriFailure(501, "The encapsulation and/or transport is not supported")
    if encapsulation.lower() == "audiosocket" and not call.text("data"):
        raise AriFailure(400, "data can not be empty")
    return phones.external_media(ast, host, app=app, tech="UnicastRTP" if encapsulation.lower() == "rtp"
                                 else "AudioSocket", channel_id=call.text("channelId") or None,
                                 variables=variables)


ROUTES.gap(R, "POST", "/channels/{channelId}/transfer_progress", "transfer_progress", "void",
           params=[CHANNEL_ID, query("states", "Transfer state: channel_progress, channel_answered, "
                                                "channel_unavailable or channel_declined", required=True)],
           errors={400: "Invalid parameters", 404: "Channel not found", 409: "Channel not in Stasis",
                   412: "Channel in invalid state"},
           since=("22.3.0", "21.8.0", "20.13.0"),
           summary="Inform the channel about the progress of an attended/blind transfer.",
           reason="transfers are driven by SIP REFER, which the simulated phones do not send")

