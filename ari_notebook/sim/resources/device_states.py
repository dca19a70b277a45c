"""``/deviceStates``: Stasis-controlled device states, and the ``DeviceStateChanged`` event.

Only ``Stasis:<name>`` devices can be set or deleted; others are 409 ``Uncontrolled device
specified``. Quirks kept from Asterisk 23 (traces): an unknown state is 500 ``Unknown device``
(not 400); after a delete the device reads ``UNKNOWN`` and a second delete is still 204; a
delete emits no event. Other modules publish the states of their devices (``Local/...``,
``Announcer/ARI``, ``MWI:...``) through ``DeviceStates.publish``.
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure, component
from ..routing import ROUTES, path, query

STATES = ("NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD")
PREFIX = "Stasis:"


@component
class DeviceStates:
    """The Stasis-controlled devices of one simulator, plus the event publisher for all devices."""

    def __init__(self, ast: Any) -> None:
        self.ast = ast
        self.controlled: dict[str, str] = {}
        self.observed: dict[str, str] = {}  # last published state of any other device

    def state_of(self, name: str) -> str:
        if name in self.controlled:
            return self.controlled[name]
        return self.observed.get(name, "UNKNOWN")

    def publish(self, name: str, state: str) -> None:
        """Announce ``name``'s state to apps subscribed to ``deviceState:<name>`` (and subscribeAll)."""
        if not name.startswith(PREFIX):
            self.observed[name] = state
        self.ast.publish("DeviceStateChanged", {"device_state": {"name": name, "state": state}},
                         sources=(f"deviceState:{name}",))


def _name(call: Any) -> str:
    name = call.path["deviceName"]
    if not name.startswith(PREFIX):
        raise AriFailure(409, "Uncontrolled device specified")
    if name == PREFIX:
        raise AriFailure(404, "Device name is missing")
    return name


@ROUTES.route("deviceStates", "GET", "/deviceStates", "list", "List[DeviceState]",
              summary="List the device states controlled by ARI.", since=("12.0.0",))
def list_states(ast, call):
    return [{"name": n, "state": s} for n, s in ast.component(DeviceStates).controlled.items()]


_DEVICE = path("deviceName", "Name of the device, e.g. Stasis:lamp")


@ROUTES.route("deviceStates", "GET", "/deviceStates/{deviceName}", "get", "DeviceState",
              params=[_DEVICE], summary="One device's state.", since=("12.0.0",))
def get_state(ast, call):
    name = call.path["deviceName"]
    return {"name": name, "state": ast.component(DeviceStates).state_of(name)}


@ROUTES.route("deviceStates", "PUT", "/deviceStates/{deviceName}", "update",
              params=[_DEVICE, query("deviceState", "The new state", required=True, values=STATES)],
              errors={404: "Device name is missing", 409: "Uncontrolled device specified"},
              summary="Set a Stasis device's state.", since=("12.0.0",))
def update_state(ast, call):
    name = _name(call)
    state = call.text("deviceState").upper()
    if state not in STATES:
        raise AriFailure(500, "Unknown device")  # quirk: Asterisk answers a bad state with 500
    devices = ast.component(DeviceStates)
    devices.controlled[name] = state
    devices.publish(name, state)


@ROUTES.route("deviceStates", "DELETE", "/deviceStates/{deviceName}", "delete",
              params=[_DEVICE], errors={404: "Device name is missing", 409: "Uncontrolled device specified"},
              summary="Forget a Stasis device.", since=("12.0.0",))
def delete_state(ast, call):
    name = _name(call)
    ast.component(DeviceStates).controlled.pop(name, None)  # quirk: deleting twice is still 204
