"""Stasis bridges: create, add/remove channels, MOH/announcer, video source, destroy.

Rules from the traces: the creating app gets no ``BridgeCreated`` (it is not subscribed yet;
adding one of its channels subscribes it); a mixing bridge with two or more members sets
``BRIDGEPEER`` on every member after each change; leaving resets it to ``""``; removing a
channel (or destroying the bridge around it) drops the app's subscription, so
``BridgeDestroyed`` reaches the app only when the bridge was already empty.
"""

from __future__ import annotations

from typing import Any

from . import telephony as tel
from .core import AriFailure, Asterisk, component
from .objects import SimBridge, SimChannel
from .playback import stop_target_playbacks

BRIDGE_TYPES = {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}


@component
class Bridging:
    """Bridging's reactions to the rest of the backend: a channel that telephony lets go leaves
    its bridge; a playback on a bridge brings an announcer into it while it plays."""

    def __init__(self, ast: Asterisk) -> None:
        self.ast = ast
        self.announcers: dict[str, str] = {}  # playback id -> announcer channel name
        ast.on("channel_leaves_bridge", self._channel_leaves)
        ast.on("playback_begins", self._playback_begins)
        ast.on("playback_gone", self._playback_gone)

    def _channel_leaves(self, channel: SimChannel, by_hangup: bool) -> None:
        leave_bridge(self.ast, channel, by_hangup=by_hangup)

    def _playback_begins(self, playback: Any) -> None:
        bridge = self._bridge_of(playback)
        if bridge is not None:
            self.announcers[playback.id] = announcer_joins(self.ast, bridge, "ARI")

    def _playback_gone(self, playback: Any) -> None:
        name = self.announcers.pop(playback.id, None)
        bridge = self._bridge_of(playback)
        if name and bridge is not None:
            announcer_leaves(self.ast, bridge, name, "ARI")

    def _bridge_of(self, playback: Any) -> SimBridge | None:
        target = playback.target_uri
        return self.ast.bridges.get(target[7:]) if target.startswith("bridge:") else None


def bridge_event(ast: Asterisk, bridge: SimBridge, event_type: str, fields: dict | None = None,
                 chan: SimChannel | None = None) -> None:
    body = dict(fields or {})
    body["bridge"] = bridge.json()
    sources = [f"bridge:{bridge.id}"]
    if chan is not None:
        body["channel"] = chan.json()
        sources.append(f"channel:{chan.id}")
    ast.publish(event_type, body, sources=sources)


def create_bridge(ast: Asterisk, *, bridge_id: str | None, kinds: str, name: str, with_id: bool = False) -> SimBridge:
    if bridge_id and bridge_id in ast.bridges:
        raise AriFailure(409, f"Bridge with id '{bridge_id}' already exists")
    parts = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else ["mixing"]
    if any(p not in BRIDGE_TYPES for p in parts):
        # quirk: an unknown type is reported as a failed creation, with Asterisk's odd text
        if with_id:
            raise AriFailure(500, "Unable to create bridge")
        raise AriFailure(500, f"Unable to create bridge. Possible duplicate bridge id '{bridge_id or '(null)'}'")
    kind = "holding" if "holding" in parts else "mixing"
    bridge = SimBridge(id=bridge_id or ast.new_uuid(), bridge_type=kind, creationtime=ast.timestamp(), name=name)
    if "video_sfu" in parts:
        bridge.video_mode = "sfu"
    ast.bridges[bridge.id] = bridge
    bridge_event(ast, bridge, "BridgeCreated")
    return bridge


def _peer_names(ast: Asterisk, bridge: SimBridge, chan_id: str) -> str:
    names = [ast.channels[c].name for c in bridge.channels if c != chan_id and c in ast.channels]
    names += [n for n in bridge.extra_members if n]
    return ",".join(sorted(names))


def refresh_bridgepeer(ast: Asterisk, bridge: SimBridge) -> None:
    """Every member of a mixing bridge with two or more parties learns who else is there."""
    if bridge.bridge_type != "mixing":
        return
    if len(bridge.channels) + len(bridge.extra_members) < 2:
        return
    for cid in list(bridge.channels):
        chan = ast.channels.get(cid)
        if chan is not None:
            tel.set_variable(ast, chan, "BRIDGEPEER", _peer_names(ast, bridge, cid))


def add_channel(ast: Asterisk, bridge: SimBridge, chan: SimChannel, *, role: str = "") -> None:
    if chan.bridge_id == bridge.id:
        leave_bridge(ast, chan, by_hangup=False)  # re-adding: leave, then enter again
    elif chan.bridge_id is not None:
        old = ast.bridges.get(chan.bridge_id)
        if old is not None:
            leave_bridge(ast, chan, by_hangup=False)
    if chan.stasis_app:
        ast.subscribe(chan.stasis_app, f"bridge:{bridge.id}")
        bridge.subscriptions[chan.stasis_app] = bridge.subscriptions.get(chan.stasis_app, 0) + 1
    chan.in_dial_bridge = False  # it departs the invisible dial bridge first (control.c)
    bridge.channels.append(chan.id)
    chan.bridge_id = bridge.id
    bridge_event(ast, bridge, "ChannelEnteredBridge", chan=chan)
    refresh_bridgepeer(ast, bridge)


def leave_bridge(ast: Asterisk, chan: SimChannel, *, by_hangup: bool, unsubscribe: bool = True) -> None:
    bridge = ast.bridges.get(chan.bridge_id or "")
    chan.bridge_id = None
    if bridge is None or chan.id not in bridge.channels:
        return
    bridge.channels.remove(chan.id)
    if not by_hangup and chan.dialed and chan.state != "Up" and chan.runner is None and not chan.hangup_requested:
        chan.in_dial_bridge = True  # still being dialled: back into the dial bridge (control.c)
    if chan.variables.get("BRIDGEPEER"):
        tel.set_variable(ast, chan, "BRIDGEPEER", "")
    bridge_event(ast, bridge, "ChannelLeftBridge", chan=chan)
    if bridge.video_source_id == chan.id:
        bridge.video_source_id = None
    if unsubscribe and not by_hangup and chan.stasis_app:
        app = chan.stasis_app
        left = bridge.subscriptions.get(app, 0) - 1
        if left <= 0:
            bridge.subscriptions.pop(app, None)
            registered = ast.apps.get(app)
            if registered is not None:
                registered.sources.discard(f"bridge:{bridge.id}")
        else:
            bridge.subscriptions[app] = left
    if by_hangup:
        refresh_bridgepeer(ast, bridge)


def remove_channel(ast: Asterisk, bridge: SimBridge, chan: SimChannel) -> None:
    if chan.bridge_id != bridge.id:
        raise AriFailure(422, "Channel not in this bridge")
    leave_bridge(ast, chan, by_hangup=False)
    refresh_bridgepeer(ast, bridge)


def destroy_bridge(ast: Asterisk, bridge: SimBridge) -> None:
    stop_moh(ast, bridge, quiet=True)
    for cid in list(bridge.channels):
        chan = ast.channels.get(cid)
        if chan is not None:
            leave_bridge(ast, chan, by_hangup=False)
    ast.bridges.pop(bridge.id, None)
    bridge_event(ast, bridge, "BridgeDestroyed")
    # a playback still running loses its Announcer channel with the bridge: it fails, after
    # BridgeDestroyed (trace l_bridge_peer_hangup; whether the app hears it is racy there)
    stop_target_playbacks(ast, f"bridge:{bridge.id}", state="failed")
    ast.forget_source(f"bridge:{bridge.id}")
    ast.fire("bridge_destroyed", bridge=bridge)


# ---- announcers (bridge playback and MOH) --------------------------------------------------

def announcer_joins(ast: Asterisk, bridge: SimBridge, kind: str = "ARI") -> str:
    """An ``Announcer/<kind>-<seq>;2`` channel joins the bridge (not an ARI channel of its own)."""
    name = f"Announcer/{kind}-{ast.channel_seq()};2"
    bridge.extra_members.append(name)
    refresh_bridgepeer(ast, bridge)
    tel.device_state(ast, f"Announcer/{kind}", "INUSE")
    return name


def announcer_leaves(ast: Asterisk, bridge: SimBridge, name: str, kind: str = "ARI", *, quiet: bool = False) -> None:
    if name in bridge.extra_members:
        bridge.extra_members.remove(name)
        if not quiet:
            refresh_bridgepeer(ast, bridge)
        tel.device_state(ast, f"Announcer/{kind}", "UNKNOWN")


def start_moh(ast: Asterisk, bridge: SimBridge, moh_class: str) -> None:
    if bridge.moh_channel is not None:
        return
    bridge.moh_channel = announcer_joins(ast, bridge, "ARI_MOH")


def stop_moh(ast: Asterisk, bridge: SimBridge, *, quiet: bool = False) -> None:
    if bridge.moh_channel is None:
        if not quiet:
            raise AriFailure(409, "Bridge isn't playing music")
        return
    name, bridge.moh_channel = bridge.moh_channel, None
    announcer_leaves(ast, bridge, name, "ARI_MOH", quiet=quiet)


def set_video_source(ast: Asterisk, bridge: SimBridge, chan: SimChannel) -> None:
    if chan.bridge_id != bridge.id:
        raise AriFailure(422, "Channel not in this Bridge")
    bridge.video_source_id = chan.id
    bridge.video_mode = "single"
    bridge_event(ast, bridge, "BridgeVideoSourceChanged", {"old_video_source_id": ""})


def clear_video_source(ast: Asterisk, bridge: SimBridge) -> None:
    bridge.video_source_id = None
    bridge.video_mode = "talker"
