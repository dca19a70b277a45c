"""Plain state of the simulator's telephony objects and their ARI JSON shapes.

``Channel`` and ``Bridge`` hold data only; behaviour (dialplan, Stasis, bridging, playback)
lives in ``telephony.py``. Resource modules read them through ``ast.channels`` /
``ast.bridges`` (or ``ast.channel(id)`` / ``ast.stasis_channel(id)`` / ``ast.bridge(id)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallerId:
    name: str = ""
    number: str = ""

    def json(self) -> dict[str, str]:
        return {"name": self.name, "number": self.number}


@dataclass
class SimChannel:
    """A channel as ARI shows it, plus the simulator's bookkeeping."""

    id: str
    name: str
    tech: str  # "Local", "PJSIP", "Snoop", "Announcer", "UnicastRTP", ...
    creationtime: str
    state: str = "Down"
    caller: CallerId = field(default_factory=CallerId)
    connected: CallerId = field(default_factory=CallerId)
    accountcode: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    language: str = "en"
    protocol_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    # bookkeeping
    stasis_app: str | None = None     # the app the channel is in, None when not in Stasis
    stasis_args: list[str] = field(default_factory=list)
    peer: "SimChannel | None" = None     # the other half of a Local pair / the dialled channel
    local_half: int = 0               # 1 or 2 for Local channels
    bridge_id: str | None = None
    device: str = ""                  # device-state name (Local/1000@ARI-test, PJSIP/alice)
    hangup_requested: bool = False
    destroyed: bool = False
    hangup_cause: int = 16
    muted: set[str] = field(default_factory=set)
    on_hold: bool = False
    moh: str | None = None
    silence: bool = False
    ringing: bool = False
    playbacks: list[str] = field(default_factory=list)  # active playback ids on this channel
    runner: Any = None                # the dialplan interpreter state, when running dialplan
    timers: list[Any] = field(default_factory=list)     # clock timers to cancel on hangup
    apps_seen: set[str] = field(default_factory=set)    # apps that ever subscribed (for cleanup)
    home_app: tuple[str, str] = ("", "")  # dialplan app shown again in ChannelDestroyed
    on_answered: Any = None           # what an originated channel does once answered
    dial_target: tuple[str, str] | None = None  # (exten, context) a created Local ;1 dials later
    dialed: bool = False
    dial_caller: "SimChannel | None" = None  # for a leg created by Dial(): the calling channel
    dialstring: str = ""
    dial_leg: "SimChannel | None" = None     # for a caller in Dial(): the leg it is connected to
    after_hangup: Any = None          # a connected Dial() leg: resume the caller's dialplan
    on_gone: Any = None               # an unanswered Dial() leg: tell the Dial() it failed
    on_abandoned: Any = None          # an originate still ringing: what its hangup tells the app
    # a channel without a PBX of its own (originated or created into Stasis) that continued into
    # the dialplan: Stasis runs that dialplan itself and sets STASISSTATUS only when it ends
    stasis_status_at_end: str | None = None
    snoop_of: str | None = None       # a Snoop channel: the id of the channel it listens to
    # ARI dialled it while it was in no bridge: Stasis keeps it in its invisible "dial_bridge"
    # (res/stasis/control.c) until it joins a real bridge, continues or hangs up
    in_dial_bridge: bool = False
    reported: list[str] = field(default_factory=list)  # variables set with report_events (23.4)
    snapshot_vars: dict[str, str] = field(default_factory=dict)  # channelvars of the cached snapshot

    @property
    def in_stasis(self) -> bool:
        return self.stasis_app is not None

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": self.protocol_id,
            "caller": self.caller.json(),
            "connected": self.connected.json(),
            "accountcode": self.accountcode,
            "dialplan": {"context": self.context, "exten": self.exten, "priority": self.priority,
                         "app_name": self.app_name, "app_data": self.app_data},
            "creationtime": self.creationtime,
            "language": self.language,
            **({"channelvars": dict(self.snapshot_vars)} if self.snapshot_vars else {}),
        }


@dataclass
class SimBridge:
    """A Stasis bridge (mixing or holding)."""

    id: str
    bridge_type: str  # "mixing" | "holding"
    creationtime: str
    name: str = ""
    channels: list[str] = field(default_factory=list)
    creator: str = "Stasis"
    bridge_class: str = "stasis"
    video_mode: str = "talker"
    video_source_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    creator_app: str | None = None
    moh_channel: str | None = None     # Announcer/ARI_MOH channel id while MOH plays
    playbacks: list[str] = field(default_factory=list)
    extra_members: list[str] = field(default_factory=list)  # announcer channels (play, MOH)
    subscriptions: dict[str, int] = field(default_factory=dict)  # app -> channels it added

    @property
    def technology(self) -> str:
        if self.bridge_type == "holding":
            return "holding_bridge"
        members = len(self.channels)
        return "softmix" if members > 2 else "simple_bridge"

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": self.bridge_class,
            "creator": self.creator,
            "name": self.name,
            "channels": list(self.channels),
            "creationtime": self.creationtime,
            "video_mode": self.video_mode,
        }
        if self.video_source_id:
            out["video_source_id"] = self.video_source_id
        return out
