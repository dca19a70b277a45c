"""``/endpoints``: the simulated phones (PJSIP/alice, bob, carol by default) and their states.

The trace machine had no PJSIP, so its list was ``[]``; ``endpoints=[]`` reproduces that.
Local channels are not endpoints: ``/endpoints/Local`` is 404 ``No Endpoints found - invalid
tech Local``, as in the traces. Messages and refers to a simulated endpoint succeed (nothing
is delivered anywhere); to anything else they are 404 ``Endpoint not found``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..backend.core import AriFailure, component
from ..routing import ROUTES, body, path, query

STATES = ("unknown", "offline", "online")
# Simulated phone behaviours (config) that ARI shows as a registered, "online" endpoint.
BEHAVIOURS = {"busy": "online", "noanswer": "online"}


@dataclass
class SimEndpoint:
    technology: str
    resource: str
    state: str = "online"

    @property
    def name(self) -> str:
        return f"{self.technology}/{self.resource}"


@component
class Endpoints:
    """The simulated endpoints of one simulator, by ``Tech/resource``."""

    def __init__(self, ast: Any) -> None:
        self.ast = ast
        self.items: dict[str, SimEndpoint] = {}
        for name, state in (getattr(ast.config, "endpoints", None) or {}).items():
            tech, _, res = name.partition("/")
            self.items[name] = SimEndpoint(tech, res, state)
        ast.on("channel_created", self._channels_changed)
        ast.on("channel_destroyed", self._channels_changed)

    def _channels_changed(self, channel: Any = None, **_: Any) -> None:
        """A channel came or went on a simulated endpoint: its snapshot (channel_ids) changed,
        which Asterisk announces as EndpointStateChange to the endpoint's subscribers."""
        device = getattr(channel, "device", "")
        ep = self.items.get(device)
        if ep is not None:
            self._announce(ep)

    def _announce(self, ep: SimEndpoint) -> None:
        self.ast.publish("EndpointStateChange", {"endpoint": self.json(ep)},
                         sources=(f"endpoint:{ep.name}", f"endpoint:{ep.technology}"))

    def find(self, tech: str, resource: str) -> SimEndpoint | None:
        for ep in self.items.values():
            if ep.technology.lower() == tech.lower() and ep.resource == resource:
                return ep
        return None

    def by_tech(self, tech: str) -> list[SimEndpoint]:
        return [ep for ep in self.items.values() if ep.technology.lower() == tech.lower()]

    def channel_ids(self, ep: SimEndpoint) -> list[str]:
        prefix = f"{ep.name}-"
        return [c.id for c in self.ast.channels.values()
                if not getattr(c, "destroyed", False)
                and (getattr(c, "device", "") == ep.name or c.name.startswith(prefix))]

    def json(self, ep: SimEndpoint) -> dict[str, Any]:
        return {"technology": ep.technology, "resource": ep.resource,
                "state": BEHAVIOURS.get(ep.state, ep.state), "channel_ids": self.channel_ids(ep)}

    def set_state(self, name: str, state: str) -> None:
        """Change a phone's state (it registers, goes away, turns busy): EndpointStateChange to
        apps subscribed to the endpoint or its technology. The phone behaves accordingly on
        the next call (the config the telephony core reads is updated, copy-on-write)."""
        if state not in STATES and state not in BEHAVIOURS:
            raise ValueError(f"endpoint state must be one of {STATES + tuple(BEHAVIOURS)}, got {state!r}")
        ep = self.items[name]
        ep.state = state
        config = self.ast.config
        if config is not None and isinstance(getattr(config, "endpoints", None), dict):
            config.endpoints = {**config.endpoints, name: state}
        self._announce(ep)

    def receive_text(self, name: str, body: str, *, to: str = "", variables: dict | None = None) -> None:
        """The phone ``name`` (``PJSIP/alice``) sends a text message to Asterisk: its
        subscribers get ``TextMessageReceived`` (the teaching hook for messaging apps)."""
        ep = self.items.get(name)
        if ep is None:
            raise KeyError(f"no simulated endpoint {name!r}; known: {', '.join(self.items) or 'none'}")
        message: dict[str, Any] = {"from": f'"{ep.resource}" <sip:{ep.resource}@127.0.0.1>',
                                   "to": to or "sip:asterisk@127.0.0.1", "body": body}
        if variables:
            message["variables"] = {str(k): str(v) for k, v in variables.items()}
        self.ast.publish("TextMessageReceived", {"message": message, "endpoint": self.json(ep)},
                         sources=(f"endpoint:{ep.name}", f"endpoint:{ep.technology}"))

    def source_exists(self, rest: str) -> bool:
        """``endpoint:<tech>`` or ``endpoint:<tech>/<resource>`` names something simulated."""
        tech, sep, res = rest.partition("/")
        return bool(self.find(tech, res)) if sep else bool(self.by_tech(tech))


def _state(ast: Any) -> Endpoints:
    return ast.component(Endpoints)


@ROUTES.route("endpoints", "GET", "/endpoints", "list", "List[Endpoint]",
              summary="List all endpoints.", since=("12.0.0",))
def list_endpoints(ast, call):
    state = _state(ast)
    return [state.json(ep) for ep in state.items.values()]


_VARIABLES = body("variables", "Extra variables: {\"variables\": {\"key\": \"value\"}}")


def _message_target(ast: Any, uri: str) -> bool:
    """``pjsip:alice`` / ``PJSIP/alice`` / ``sip:alice@host`` -> is it a simulated endpoint?"""
    tech, sep, rest = uri.partition(":")
    if not sep:
        tech, sep, rest = uri.partition("/")
    if not sep:
        return False
    resource = rest.split("@", 1)[0].removeprefix("sip:")
    return _state(ast).find(tech, resource) is not None


def _check_variables(call: Any, problem: str) -> None:
    value = call.get("variables")
    if value is not None and not isinstance(value, dict):
        raise AriFailure(400, problem)


@ROUTES.route("endpoints", "PUT", "/endpoints/sendMessage", "sendMessage",
              params=[query("to", "Destination URI, e.g. pjsip:alice", required=True),
                      query("from", "Sender URI", required=True),
                      query("body", "The message text"), _VARIABLES],
              errors={400: "Invalid parameters for sending a message.", 404: "Endpoint not found"},
              summary="Send a text message to a technology URI.", since=("13.0.0",))
def send_message(ast, call):
    _check_variables(call, "Invalid parameters for sending a message.")
    if not _message_target(ast, call.text("to")):
        raise AriFailure(404, "Endpoint not found")


@ROUTES.route("endpoints", "POST", "/endpoints/refer", "refer",
              params=[query("to", "Destination of the REFER", required=True),
                      query("from", "Sender of the REFER", required=True),
                      query("refer_to", "Where the endpoint should go", required=True),
                      query("to_self", "Refer to the endpoint itself", type="boolean", default=False),
                      _VARIABLES],
              errors={400: "Invalid parameters for referring.", 404: "Endpoint not found"},
              summary="Send a REFER to a technology URI.", since=("18.20.0", "20.5.0"))
def refer(ast, call):
    _check_variables(call, "Invalid parameters for referring.")
    if not _message_target(ast, call.text("to")):
        raise AriFailure(404, "Endpoint not found")


_TECH = path("tech", "Technology, e.g. PJSIP", required=False)
_RES = path("resource", "The endpoint's id within its technology", required=False)


@ROUTES.route("endpoints", "GET", "/endpoints/{tech}", "listByTech", "List[Endpoint]",
              params=[_TECH], errors={404: "Endpoints not found"},
              summary="List the endpoints of one technology.", since=("12.0.0",))
def list_by_tech(ast, call):
    state = _state(ast)
    tech = call.path["tech"]
    found = state.by_tech(tech)
    if not found:
        raise AriFailure(404, f"No Endpoints found - invalid tech {tech}")
    return [state.json(ep) for ep in found]


def _endpoint(ast: Any, call: Any) -> SimEndpoint:
    ep = _state(ast).find(call.path["tech"], call.path["resource"])
    if ep is None:
        raise AriFailure(404, "Endpoint not found")
    return ep


@ROUTES.route("endpoints", "GET", "/endpoints/{tech}/{resource}", "get", "Endpoint",
              params=[_TECH, _RES], errors={400: "Invalid parameters for sending a message.",
                                            404: "Endpoints not found"},
              summary="One endpoint's state and channels.", since=("12.0.0",))
def get_endpoint(ast, call):
    return _state(ast).json(_endpoint(ast, call))


@ROUTES.route("endpoints", "PUT", "/endpoints/{tech}/{resource}/sendMessage", "sendMessageToEndpoint",
              params=[_TECH, _RES, query("from", "Sender URI", required=True),
                      query("body", "The message text"), _VARIABLES],
              errors={400: "Invalid parameters for sending a message.", 404: "Endpoint not found"},
              summary="Send a text message to one endpoint.", since=("13.0.0",))
def send_message_to_endpoint(ast, call):
    _endpoint(ast, call)
    _check_variables(call, "Invalid parameters for sending a message.")


@ROUTES.route("endpoints", "POST", "/endpoints/{tech}/{resource}/refer", "referToEndpoint",
              params=[_TECH, _RES, query("from", "Sender of the REFER", required=True),
                      query("refer_to", "Where the endpoint should go", required=True),
                      query("to_self", "Refer to the endpoint itself", type="boolean", default=False),
                      _VARIABLES],
              errors={400: "Invalid parameters for referring.", 404: "Endpoint not found"},
              summary="Send a REFER to one endpoint.", since=("18.20.0", "20.5.0"))
def refer_to_endpoint(ast, call):
    _endpoint(ast, call)
    _check_variables(call, "Invalid parameters for referring.")
