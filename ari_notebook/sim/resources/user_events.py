"""``POST /events/user/{eventName}``: an application-defined event, delivered as
``ChannelUserevent`` to that one application only.

The event carries ``eventname`` and a ``userevent`` object holding the variables plus
``eventname`` (traces), and the snapshots of the ``source`` objects (channel, bridge,
endpoint). Quirks: a ``deviceState:`` source is 400 ``Invalid event source URI scheme``; an
unknown object is 422 ``Event source was not found``.
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure
from ..routing import ROUTES, body, path, query

_SCHEMES = ("channel:", "bridge:", "endpoint:")


@ROUTES.route("events", "POST", "/events/user/{eventName}", "userEvent",
              params=[path("eventName", "Event name"),
                      query("application", "The application that receives the event", required=True),
                      query("source", "URIs of objects the event refers to: channel:{id}, bridge:{id}, "
                            "endpoint:{tech}/{resource}", multiple=True),
                      body("variables", "The event's variables: {\"variables\": {\"key\": \"value\"}}")],
              errors={404: "Application does not exist.", 422: "Event source not found.",
                      400: "Invalid even tsource URI or userevent data."},
              summary="Send an event of your own to an application.", since=("12.3.0",))
def user_event(ast, call):
    app_name = call.text("application")
    if ast.app(app_name) is None:
        raise AriFailure(404, "Application not found")
    fields: dict[str, Any] = {"eventname": call.path["eventName"]}
    for source in (s for s in call.list("source") if s):
        if not source.startswith(_SCHEMES):
            raise AriFailure(400, "Invalid event source URI scheme")
        key, snapshot = _snapshot(ast, source)
        if snapshot is None:
            raise AriFailure(422, "Event source was not found")
        fields[key] = snapshot
    variables = call.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise AriFailure(400, "Invalid userevent data")
    fields["userevent"] = {**variables, "eventname": call.path["eventName"]}
    others = [name for name in ast.apps if name != app_name]
    ast.publish("ChannelUserevent", fields, apps=(app_name,), exclude=others)


def _snapshot(ast: Any, source: str) -> tuple[str, dict | None]:
    scheme, _, rest = source.partition(":")
    if scheme == "channel":
        chan = ast.channels.get(rest)
        return "channel", (chan.json() if chan is not None and not getattr(chan, "destroyed", False) else None)
    if scheme == "bridge":
        bridge = ast.bridges.get(rest)
        return "bridge", (bridge.json() if bridge is not None else None)
    from .endpoints import Endpoints

    endpoints = ast.component(Endpoints)
    tech, _, res = rest.partition("/")
    ep = endpoints.find(tech, res)
    return "endpoint", (endpoints.json(ep) if ep is not None else None)
