"""``/bridges``: create, list, add/remove channels, MOH, play, video source, destroy, variables.

Bridge ``record`` lives with the recordings resource (``resources/recordings.py``).
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure, Asterisk
from ._variables import read_variables
from ..routing import ROUTES, Call, body, path, query
from ..backend import bridging
from .channels import play_media

R = "bridges"
BRIDGE_ID = path("bridgeId", "Bridge's id")
_TYPE = query("type", "Comma-separated bridge features: mixing, holding, dtmf_events, proxy_media, "
                      "video_sfu, video_single, sdp_label")


def _variables(call: Call) -> dict[str, str]:
    """The ``variables`` body object: string values, or {"value": ..., "report_events": bool}."""
    out = {}
    for name, value in call.containers("variables").items():
        if isinstance(value, dict):
            if not isinstance(value.get("value"), str):
                raise AriFailure(400, "Each object value in 'variables' must include string field 'value'")
            if "report_events" in value and not isinstance(value["report_events"], bool):
                raise AriFailure(400, "Field 'report_events' in 'variables' entries must be boolean")
            value = value["value"]
        elif not isinstance(value, str):
            raise AriFailure(400, "Each value in 'variables' must be a string or an object with 'value' and "
                                  "optional 'report_events'")
        if name.strip():
            out[name.strip()] = value
    return out


def _create(ast: Asterisk, call: Call, bridge_id: str | None, with_id: bool = False) -> Any:
    bridge = bridging.create_bridge(ast, bridge_id=bridge_id, kinds=call.text("type"), name=call.text("name"),
                                    with_id=with_id)
    try:
        bridge.variables.update(_variables(call))
    except AriFailure:
        bridging.destroy_bridge(ast, bridge)
        raise
    return bridge.json()


@ROUTES.route(R, "GET", "/bridges", "list", "List[Bridge]", summary="List all active bridges in Asterisk.")
def list_bridges(ast: Asterisk, call: Call) -> Any:
    return [b.json() for b in ast.bridges.values()]


@ROUTES.route(R, "POST", "/bridges", "create", "Bridge",
              params=[_TYPE, query("bridgeId", "Id for the new bridge"), query("name", "Name for the bridge"),
                      body("variables", "Bridge variables to set")],
              errors={409: "Bridge with the same bridgeId already exists"}, summary="Create a new bridge.")
def create(ast: Asterisk, call: Call) -> Any:
    return _create(ast, call, call.text("bridgeId") or None)


@ROUTES.route(R, "POST", "/bridges/{bridgeId}", "createWithId", "Bridge",
              params=[_TYPE, path("bridgeId", "Id for the new bridge"), query("name", "Name for the bridge"),
                      body("variables", "Bridge variables to set")],
              errors={409: "Bridge with the same bridgeId already exists"}, since=("12.2.0",),
              summary="Create a new bridge with a given id.")
def create_with_id(ast: Asterisk, call: Call) -> Any:
    return _create(ast, call, call.path["bridgeId"], with_id=True)


@ROUTES.route(R, "GET", "/bridges/{bridgeId}", "get", "Bridge", params=[BRIDGE_ID],
              errors={404: "Bridge not found"}, summary="Get bridge details.")
def get_bridge(ast: Asterisk, call: Call) -> Any:
    return ast.bridge(call.path["bridgeId"]).json()


@ROUTES.route(R, "DELETE", "/bridges/{bridgeId}", "destroy", "void", params=[BRIDGE_ID],
              errors={404: "Bridge not found"}, summary="Shut down a bridge (its channels stay up).")
def destroy(ast: Asterisk, call: Call) -> Any:
    bridging.destroy_bridge(ast, ast.bridge(call.path["bridgeId"]))


_VAR_ERRORS = {400: "Missing variable parameter", 404: "Bridge or variable not found",
               409: "Bridge in an invalid state"}


@ROUTES.route(R, "GET", "/bridges/{bridgeId}/variable", "getBridgeVar", "Variable",
              params=[BRIDGE_ID, query("variable", "The bridge variable to read", required=True)],
              errors=_VAR_ERRORS, missing={"variable": "Variable name is required"}, since=("20.20.0", "22.10.0", "23.4.0"),
              summary="Get the value of a bridge variable.")
def get_var(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    value = bridge.variables.get(call.text("variable"))
    if value is None:
        raise AriFailure(404, "Provided variable was not found")
    return {"value": value}


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/variable", "setBridgeVar", "void",
              params=[BRIDGE_ID, query("variable", "The bridge variable to set", required=True),
                      query("value", "Value to set"),
                      query("report_events", "Report changes in bridge events", type="boolean", default=False)],
              errors=_VAR_ERRORS, missing={"variable": "Variable name is required"}, since=("20.20.0", "22.10.0", "23.4.0"),
              summary="Set the value of a bridge variable.")
def set_var(ast: Asterisk, call: Call) -> Any:
    ast.bridge(call.path["bridgeId"]).variables[call.text("variable").strip()] = call.text("value")


@ROUTES.route(R, "GET", "/bridges/{bridgeId}/variables", "getBridgeVars", "Variables",
              params=[BRIDGE_ID, query("variables", "Bridge variables to read", required=True, multiple=True)],
              errors=_VAR_ERRORS, missing={"variables": "At least one variable name is required"},
              since=("20.20.0", "22.10.0", "23.4.0"), summary="Get the values of several bridge variables.")
def get_vars(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridges.get(call.path["bridgeId"])
    if bridge is None:
        raise AriFailure(404, "Provided bridge was not found")
    # a bridge has no dialplan functions: NAME(...) cannot be read
    return read_variables(call.list("variables"),
                          lambda name: None if name.endswith(")") else bridge.variables.get(name))


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/variables", "setBridgeVars", "void",
              params=[BRIDGE_ID, body("variables", "{\"variables\": {name: value}}", required=True)],
              errors=_VAR_ERRORS, missing={"variables": "Variables are required"}, since=("20.20.0", "22.10.0", "23.4.0"),
              summary="Set several bridge variables.")
def set_vars(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    bridge.variables.update(_variables(call))


def _channels_for(ast: Asterisk, call: Call) -> list:
    """The channels named in ``channel`` (comma separated); unknown ones are a 400, as in the traces."""
    chans = []
    for cid in call.list("channel"):
        chan = ast.channels.get(cid)
        if chan is None:
            raise AriFailure(400, "Channel not found")
        chans.append(chan)
    return chans


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/addChannel", "addChannel", "void",
              params=[BRIDGE_ID, query("channel", "Ids of the channels to add", required=True, multiple=True),
                      query("role", "Channel's role in the bridge"),
                      query("absorbDTMF", "Absorb DTMF coming from this channel", type="boolean", default=False),
                      query("mute", "Mute audio from this channel", type="boolean", default=False),
                      query("inhibitConnectedLineUpdates", "Do not send connected line updates",
                            type="boolean", default=False)],
              errors={400: "Channel not found", 404: "Bridge not found", 409: "Bridge not in Stasis application",
                      422: "Channel not in Stasis application"},
              summary="Add a channel to a bridge.")
def add_channel(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    chans = _channels_for(ast, call)
    for chan in chans:
        if not chan.in_stasis:
            raise AriFailure(422, "Channel not in Stasis application")
    for chan in chans:
        bridging.add_channel(ast, bridge, chan, role=call.text("role"))


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/removeChannel", "removeChannel", "void",
              params=[BRIDGE_ID, query("channel", "Ids of the channels to remove", required=True, multiple=True)],
              errors={400: "Channel not found", 404: "Bridge not found", 409: "Bridge not in Stasis application",
                      422: "Channel not in this bridge"},
              summary="Remove a channel from a bridge.")
def remove_channel(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    for chan in _channels_for(ast, call):
        bridging.remove_channel(ast, bridge, chan)


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/videoSource/{channelId}", "setVideoSource", "void",
              params=[BRIDGE_ID, path("channelId", "Channel's id")],
              errors={404: "Bridge or Channel not found", 409: "Channel not in Stasis application",
                      422: "Channel not in this Bridge"}, since=("13.13.0", "14.2.0"),
              summary="Set a channel as the video source in a multi-party mixing bridge.")
def set_video_source(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    chan = ast.stasis_channel(call.path["channelId"])
    bridging.set_video_source(ast, bridge, chan)


@ROUTES.route(R, "DELETE", "/bridges/{bridgeId}/videoSource", "clearVideoSource", "void",
              params=[BRIDGE_ID], errors={404: "Bridge not found"}, since=("13.13.0", "14.2.0"),
              summary="Remove the set video source, back to talk detection.")
def clear_video_source(ast: Asterisk, call: Call) -> Any:
    bridging.clear_video_source(ast, ast.bridge(call.path["bridgeId"]))


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/moh", "startMoh", "void",
              params=[BRIDGE_ID, query("mohClass", "Music on hold class")],
              errors={404: "Bridge not found", 409: "Bridge not in Stasis application"},
              summary="Play music on hold to a bridge, or change its class.")
def start_moh(ast: Asterisk, call: Call) -> Any:
    bridging.start_moh(ast, ast.bridge(call.path["bridgeId"]), call.text("mohClass") or "default")


@ROUTES.route(R, "DELETE", "/bridges/{bridgeId}/moh", "stopMoh", "void", params=[BRIDGE_ID],
              errors={404: "Bridge not found", 409: "Bridge not in Stasis application"},
              summary="Stop playing music on hold to a bridge.")
def stop_moh(ast: Asterisk, call: Call) -> Any:
    bridging.stop_moh(ast, ast.bridge(call.path["bridgeId"]))


_PLAY_PARAMS = [
    query("media", "Media URIs to play (comma separated: a playlist)", required=True, multiple=True),
    query("announcer_format", "Format of the announcer channel"),
    query("lang", "Language for sounds"),
    query("offsetms", "Milliseconds to skip before playing", type="int", default=0, min=0),
    query("skipms", "Milliseconds to skip for forward/reverse", type="int", default=3000, min=0),
]
_NO_MEDIA = {"media": (500, "Failed to queue media for playback")}  # quirk, as for channels


def _check_announcer_format(call: Call) -> None:
    from .channels import KNOWN_FORMATS

    fmt = call.text("announcer_format")
    if fmt and fmt not in KNOWN_FORMATS:
        raise AriFailure(422, "specified announcer_format is unknown on this system")


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/play", "play", "Playback",
              params=[BRIDGE_ID, *_PLAY_PARAMS, query("playbackId", "Id for the playback")],
              errors={404: "Bridge not found", 409: "Bridge not in a Stasis application",
                      422: "The format specified is unknown on this system"},
              missing=_NO_MEDIA, summary="Start playback of media on a bridge.")
def play(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    _check_announcer_format(call)
    return play_media(ast, call, f"bridge:{bridge.id}", "en", call.text("playbackId") or None)


@ROUTES.route(R, "POST", "/bridges/{bridgeId}/play/{playbackId}", "playWithId", "Playback",
              params=[BRIDGE_ID, path("playbackId", "Playback id"), *_PLAY_PARAMS],
              errors={404: "Bridge not found", 409: "Bridge not in a Stasis application",
                      422: "The format specified is unknown on this system"},
              missing=_NO_MEDIA, since=("12.3.0",), summary="Start playback of media on a bridge with a given id.")
def play_with_id(ast: Asterisk, call: Call) -> Any:
    bridge = ast.bridge(call.path["bridgeId"])
    _check_announcer_format(call)
    return play_media(ast, call, f"bridge:{bridge.id}", "en", call.path["playbackId"])

