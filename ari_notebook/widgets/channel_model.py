"""A channel as ChannelControls sees it, kept current from events, and which actions apply.

Why a model: the rules "which buttons make sense now" and "what an event changes" are plain
functions of data, tested without widgets. Local channels emit no event for hold, mute, ring,
MOH or silence (see the traces README), so those flags follow our own successful actions.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChannelState:
    id: str
    name: str = ""
    state: str = ""
    caller: dict = field(default_factory=dict)
    connected: dict = field(default_factory=dict)
    dialplan: dict = field(default_factory=dict)
    in_stasis: bool = True
    gone: bool = False
    hangup: str = ""
    bridge_id: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    playbacks: dict[str, str] = field(default_factory=dict)  # id -> media_uri
    recordings: dict[str, str] = field(default_factory=dict)  # name -> state
    dtmf: str = ""
    held: bool = False
    muted: str = ""  # "", "in", "out", "both"
    ringing: bool = False
    moh: bool = False
    silence: bool = False
    events: int = 0

    @classmethod
    def from_json(cls, channel: dict) -> "ChannelState":
        st = cls(id=str(channel.get("id", "")))
        st.update_from(channel)
        dialplan = channel.get("dialplan")
        if isinstance(dialplan, dict) and "app_name" in dialplan:
            st.in_stasis = dialplan.get("app_name") == "Stasis"
        return st

    def update_from(self, channel: dict) -> None:
        self.name = channel.get("name", self.name)
        if not self.gone:
            self.state = channel.get("state", self.state)
        self.caller = channel.get("caller", self.caller) or {}
        self.connected = channel.get("connected", self.connected) or {}
        self.dialplan = channel.get("dialplan", self.dialplan) or {}

    def concerns(self, ev: dict) -> bool:
        ch = ev.get("channel")
        if isinstance(ch, dict) and ch.get("id") == self.id:
            return True
        target = f"channel:{self.id}"
        for key in ("playback", "recording"):
            obj = ev.get(key)
            if isinstance(obj, dict) and obj.get("target_uri") == target:
                return True
        if ev.get("type") == "BridgeDestroyed" and self.bridge_id:
            return (ev.get("bridge") or {}).get("id") == self.bridge_id
        return False

    def apply(self, ev: dict) -> bool:
        """Fold one event in; True when it was about this channel."""
        if not self.concerns(ev):
            return False
        self.events += 1
        t = ev.get("type", "")
        ch = ev.get("channel")
        if isinstance(ch, dict) and ch.get("id") == self.id:
            self.update_from(ch)
        if t == "StasisStart":
            self.in_stasis = True
        elif t == "StasisEnd":
            self.in_stasis = False
            if self.hangup:
                # hung up: for a channel the app did not originate, Asterisk sends nothing after
                # this StasisEnd (no ChannelDestroyed), and the channel is gone a moment later
                self.gone = True
                self.playbacks.clear()
        elif t == "ChannelDestroyed":
            self.gone = True
            self.in_stasis = False
            self.hangup = f"{ev.get('cause', '')} {ev.get('cause_txt', '')}".strip()
            self.playbacks.clear()
        elif t == "ChannelHangupRequest" and not self.hangup:
            self.hangup = f"hangup requested (cause {ev.get('cause', '')})"
        elif t == "ChannelEnteredBridge":
            self.bridge_id = (ev.get("bridge") or {}).get("id")
        elif t == "ChannelLeftBridge":
            if (ev.get("bridge") or {}).get("id") == self.bridge_id:
                self.bridge_id = None
        elif t == "BridgeDestroyed":
            self.bridge_id = None
        elif t == "ChannelVarset":
            self.variables[str(ev.get("variable", ""))] = str(ev.get("value", ""))
        elif t == "ChannelDtmfReceived":
            self.dtmf = (self.dtmf + str(ev.get("digit", "")))[-32:]
        elif t == "ChannelHold":
            self.held = True
        elif t == "ChannelUnhold":
            self.held = False
        elif t in ("PlaybackStarted", "PlaybackContinuing"):
            pb = ev.get("playback") or {}
            self.playbacks[pb.get("id", "")] = pb.get("media_uri", "")
        elif t == "PlaybackFinished":
            self.playbacks.pop((ev.get("playback") or {}).get("id", ""), None)
        elif t in ("RecordingStarted", "RecordingFinished", "RecordingFailed"):
            rec = ev.get("recording") or {}
            if t == "RecordingStarted":
                self.recordings[rec.get("name", "")] = rec.get("state", "recording")
            else:
                self.recordings.pop(rec.get("name", ""), None)
        return True

    def after_action(self, action: str, **kw: Any) -> None:
        """Flags that no event reports (hold/mute/ring/MOH/silence on Local channels)."""
        if action == "hold":
            self.held = True
        elif action == "unhold":
            self.held = False
        elif action == "mute":
            self.muted = kw.get("direction") or "both"
        elif action == "unmute":
            self.muted = ""
        elif action == "ring":
            self.ringing = True
        elif action in ("ringStop", "answer"):
            self.ringing = False
        elif action == "startMoh":
            self.moh = True
        elif action == "stopMoh":
            self.moh = False
        elif action == "startSilence":
            self.silence = True
        elif action == "stopSilence":
            self.silence = False


# An outbound channel not yet answered (created, or being dialled) cannot be answered, rung,
# held, muted or given MOH/silence: ARI answers those requests 412 "Channel in invalid state".
UNANSWERED_OUTBOUND = ("Down", "Rsrved", "Ringing")


def enabled(st: ChannelState) -> dict[str, bool]:
    """Which actions make sense now (the rest are disabled in the widget)."""
    live = not st.gone
    ctl = live and st.in_stasis
    up = st.state == "Up"
    media = ctl and st.state not in UNANSWERED_OUTBOUND
    return {
        "answer": media and not up,
        "ring": media and not up and not st.ringing,
        "ringStop": media and st.ringing,
        "hold": media and not st.held,
        "unhold": media and st.held,
        "mute": media,
        "unmute": media and bool(st.muted),
        "startMoh": media and not st.moh,
        "stopMoh": media and st.moh,
        "startSilence": media and not st.silence,
        "stopSilence": media and st.silence,
        "play": ctl,
        "stopPlayback": ctl and bool(st.playbacks),
        "record": ctl,
        "stopRecording": ctl and bool(st.recordings),
        "sendDTMF": ctl,
        "setChannelVar": ctl,
        "addToBridge": ctl and st.bridge_id is None,
        "removeFromBridge": ctl and st.bridge_id is not None,
        "snoop": ctl,
        "hangup": live,
    }


def state_html(st: ChannelState) -> str:
    """The channel's card: name, state badge, caller, dialplan, bridge, flags, variables."""
    esc = html.escape
    state = "gone" if st.gone else (st.state or "?")
    badge = f'<span class="ari-badge ari-state-{esc(state)} ari-channel-state">{esc(state)}</span>'
    flags = [label for on, label in ((st.in_stasis, "in Stasis"), (st.held, "on hold"),
                                     (bool(st.muted), f"muted {st.muted}"), (st.ringing, "ringing"),
                                     (st.moh, "MOH"), (st.silence, "silence")) if on]
    flag_html = "".join(f'<span class="ari-badge info">{esc(f)}</span>' for f in flags)
    caller = st.caller or {}
    cid = (f"{esc(str(caller.get('name', '')))} &lt;{esc(str(caller.get('number', '')))}&gt;"
           if caller.get("name") or caller.get("number") else "—")
    dp = st.dialplan or {}
    dial = f"{dp.get('context', '')},{dp.get('exten', '')},{dp.get('priority', '')}"
    if dp.get("app_name"):
        dial += f" {dp.get('app_name')}({dp.get('app_data', '')})"
    rows = [("id", f"<code>{esc(st.id)}</code>"), ("caller", cid)]
    rows += [("dialplan", esc(dial)), ("bridge", f"<code>{esc(st.bridge_id)}</code>" if st.bridge_id else "—")]
    if st.playbacks:
        rows.append(("playing", esc(", ".join(st.playbacks.values()))))
    if st.recordings:
        rows.append(("recording", esc(", ".join(st.recordings))))
    if st.dtmf:
        rows.append(("DTMF heard", f"<code>{esc(st.dtmf)}</code>"))
    if st.hangup:
        rows.append(("hangup", esc(st.hangup)))
    shown_vars = list(st.variables.items())[-8:]
    if shown_vars:
        rows.append(("variables", "<br>".join(f"<code>{esc(k)}={esc(v)}</code>" for k, v in shown_vars)))
    table = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return (f'<div class="ari-title">{badge} {esc(st.name or st.id)} {flag_html}</div>'
            f'<table class="ari-kv">{table}</table>')
