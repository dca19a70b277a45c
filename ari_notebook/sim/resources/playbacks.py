"""``/playbacks``: get, stop and control a playback (see ``sim/backend/playback.py`` for behaviour)."""

from __future__ import annotations

from typing import Any

from ..backend.core import Asterisk
from ..routing import ROUTES, Call, path, query
from ..backend import playback

R = "playbacks"
PLAYBACK_ID = path("playbackId", "Playback's id")


@ROUTES.route(R, "GET", "/playbacks/{playbackId}", "get", "Playback", params=[PLAYBACK_ID],
              errors={404: "The playback cannot be found"}, summary="Get a playback's details.")
def get_playback(ast: Asterisk, call: Call) -> Any:
    return playback.get(ast, call.path["playbackId"]).json()


@ROUTES.route(R, "DELETE", "/playbacks/{playbackId}", "stop", "void", params=[PLAYBACK_ID],
              errors={404: "The playback cannot be found"}, summary="Stop a playback.")
def stop_playback(ast: Asterisk, call: Call) -> Any:
    playback.stop(ast, playback.get(ast, call.path["playbackId"]))


@ROUTES.route(R, "POST", "/playbacks/{playbackId}/control", "control", "void",
              params=[PLAYBACK_ID, query("operation", "Operation to perform on the playback", required=True,
                                         values=playback.CONTROL_OPERATIONS)],
              errors={400: "The provided operation parameter was invalid", 404: "The playback cannot be found",
                      409: "The operation cannot be performed in the playback's current state"},
              missing={"operation": None}, summary="Control a playback.")
def control_playback(ast: Asterisk, call: Call) -> Any:
    pb = playback.get(ast, call.path["playbackId"])
    operation = call.text("operation")
    if not operation:
        from ..backend.core import AriFailure

        raise AriFailure(400, "Missing operation")
    playback.control(ast, pb, operation)
