"""``/events`` (the WebSocket) and ``/events/claim`` as route-table entries.

The upgrade itself is handled by the aiohttp layer (``sim/web/http.py``); the entry here makes the
operation appear in the api-docs and answers a plain request the way Asterisk does.
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure, Asterisk
from ..routing import ROUTES, Call, query


@ROUTES.route("events", "GET", "/events", "eventWebsocket", "Message", upgrade="websocket",
              params=[query("app", "Applications to subscribe to (comma separated)", required=True,
                            multiple=True),
                      query("subscribeAll", "Subscribe to all Asterisk events", type="boolean")],
              summary="WebSocket connection for events.", missing={"app": None})
def event_websocket(ast: Asterisk, call: Call) -> Any:
    # Reached only without an Upgrade header (or through REST over WebSocket).
    raise AriFailure(426, "Upgrade Required")


ROUTES.gap("events", "POST", "/events/claim", "claimChannel", "void",
           params=[query("channelId", "Channel being claimed", required=True),
                   query("application", "Application claiming the channel", required=True)],
           errors={404: "Channel not found", 409: "Channel already claimed"}, since=("20.17.0", "22.7.0", "23.1.0"),
           summary="Claim a broadcast channel for an application.",
           reason="call broadcasting (CallBroadcast/CallClaimed) is not simulated")
