"""ChannelControls: one channel's card, live from events, with a button for every action.

Every button runs its request as a task on the kernel's loop through ``client.execute`` and
reports the result (or ARI's error) in the widget's status line; buttons that do not apply in
the channel's current state are disabled.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ipywidgets as w

from ._lifecycle import LiveWidget
from ._style import root, style_widget
from ._tasks import TaskRunner, current_loop, describe_error, error_html, ok_html, pending_html
from .channel_model import ChannelState, enabled, state_html

HANGUP_REASONS = ("normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
                  "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking",
                  "failure", "answered_elsewhere")
DTMF_KEYS = "123456789*0#"


def channel_json(channel: Any) -> dict:
    """A Channel object (``.json``), a channel dict, or just an id."""
    if isinstance(channel, str):
        return {"id": channel}
    if isinstance(channel, dict):
        return channel
    data = getattr(channel, "json", None)
    if isinstance(data, dict):
        return data
    return {"id": str(getattr(channel, "id"))}


def _row(label: str, items: list) -> w.HBox:
    """One labelled group of controls; wraps instead of squeezing button captions."""
    head = w.HTML(f"<span class='ari-muted'>{label}</span>", layout=w.Layout(width="62px", flex="0 0 auto"))
    for item in items:
        item.layout.flex = "0 0 auto"
    return w.HBox([head] + items, layout=w.Layout(flex_flow="row wrap", align_items="center"))


def _button(desc: str, action: str, *, icon: str = "", style: str = "", tip: str = "") -> w.Button:
    b = w.Button(description=desc, icon=icon, button_style=style, tooltip=tip or action,
                 layout=w.Layout(width="auto"))
    b.add_class(f"ari-action-{action}")
    return b


class ChannelControls(LiveWidget, w.VBox):
    """Card + action buttons for one channel of ``client``."""

    def __init__(self, client: Any, channel: Any, **kwargs: Any) -> None:
        self._client = client
        self.runner = TaskRunner()
        self.model = ChannelState.from_json(channel_json(channel))
        self.results: list[tuple[str, bool, str]] = []  # (action, ok, text), newest last
        self.card = w.HTML()
        self.card.add_class("ari-channel-card")
        self.status = w.HTML("<div class='ari-muted'>Ready.</div>")
        self.status.add_class("ari-channel-status")
        self.buttons: dict[str, w.Button] = {}

        def b(desc, action, **kw):
            btn = _button(desc, action, **kw)
            self.buttons[action] = btn
            return btn

        cid = self.model.id
        # call control
        self.mute_direction = w.Dropdown(options=["both", "in", "out"], value="both",
                                         layout=w.Layout(width="80px"))
        self.hangup_reason = w.Dropdown(options=HANGUP_REASONS, value="normal", layout=w.Layout(width="150px"))
        self.hangup_reason.add_class("ari-hangup-reason")
        row1 = _row("Call", [b("Answer", "answer", icon="phone", style="success"), b("Ring", "ring", icon="bell"),
                             b("Stop ring", "ringStop", icon="bell-slash"), b("Hold", "hold", icon="pause"),
                             b("Unhold", "unhold", icon="play"),
                             b("Hang up", "hangup", icon="phone-slash", style="danger"), self.hangup_reason])
        row2 = _row("Audio", [b("Mute", "mute", icon="microphone-slash"), self.mute_direction,
                              b("Unmute", "unmute", icon="microphone"), b("MOH", "startMoh", icon="music"),
                              b("Stop MOH", "stopMoh"), b("Silence", "startSilence", icon="volume-off"),
                              b("Stop silence", "stopSilence")])
        # media
        self.media = w.Combobox(value="sound:hello-world", options=[], ensure_option=False,
                                placeholder="sound:… / tone:… / digits:…", layout=w.Layout(width="230px"))
        self.media.add_class("ari-play-media")
        self.rec_name = w.Text(value=f"rec-{cid.replace(';', '-')}"[:60], placeholder="recording name",
                               layout=w.Layout(width="160px"))
        self.rec_format = w.Dropdown(options=["wav", "gsm", "ulaw", "alaw", "sln"], value="wav",
                                     layout=w.Layout(width="80px"))
        self.rec_max = w.BoundedIntText(value=10, min=0, max=86400, description="max s",
                                        layout=w.Layout(width="130px"), style={"description_width": "40px"})
        row3 = _row("Play", [self.media, b("Play", "play", icon="play-circle"),
                       b("Stop playback", "stopPlayback", icon="stop")])
        row4 = _row("Record", [self.rec_name, self.rec_format, self.rec_max, b("Record", "record", icon="circle"),
                       b("Stop rec", "stopRecording", icon="stop-circle")])
        # DTMF pad
        keys = []
        for d in DTMF_KEYS:
            key = w.Button(description=d, layout=w.Layout(width="38px", height="32px"))
            key.add_class("ari-key")
            key.add_class(f"ari-dtmf-{'star' if d == '*' else 'hash' if d == '#' else d}")
            key.on_click(lambda _b, d=d: self.run("sendDTMF", dtmf=d))
            keys.append(key)
        self.dtmf_keys = keys
        pad = w.GridBox(keys, layout=w.Layout(grid_template_columns="repeat(3, 40px)", grid_gap="2px"))
        pad.add_class("ari-dtmf-pad")
        # variables, bridge, snoop
        self.var_name = w.Text(placeholder="variable", layout=w.Layout(width="150px"))
        self.var_value = w.Text(placeholder="value", layout=w.Layout(width="150px"))
        self.bridge = w.Dropdown(options=[], layout=w.Layout(width="230px"))
        self.bridge.add_class("ari-bridge-choice")
        self.snoop_spy = w.Dropdown(options=["none", "both", "out", "in"], value="both", description="spy",
                                    layout=w.Layout(width="120px"), style={"description_width": "initial"})
        self.snoop_whisper = w.Dropdown(options=["none", "both", "out", "in"], value="none",
                                        description="whisper", layout=w.Layout(width="150px"),
                                        style={"description_width": "initial"})
        apps = getattr(client, "apps", None)
        default_app = apps[0] if isinstance(apps, (list, tuple)) and apps else (apps if isinstance(apps, str) else "")
        self.snoop_app = w.Text(value=default_app or "hello", placeholder="app", layout=w.Layout(width="100px"))
        refresh_bridges = w.Button(icon="refresh", tooltip="reload bridges", layout=w.Layout(width="36px"))
        refresh_bridges.on_click(lambda _b: self.load_bridges())
        row5 = _row("Variable", [self.var_name, self.var_value, b("Set variable", "setChannelVar", icon="pencil")])
        row6 = _row("Bridge", [self.bridge, refresh_bridges, b("Add to bridge", "addToBridge", icon="link"),
                       b("Remove from bridge", "removeFromBridge", icon="unlink")])
        row7 = _row("Snoop", [self.snoop_spy, self.snoop_whisper, self.snoop_app, b("Snoop", "snoop", icon="headphones")])
        for action, btn in self.buttons.items():
            btn.on_click(lambda _b, a=action: self.run(a))
        actions = w.VBox([row1, row2, row3, row4, row5, row6, row7], layout=w.Layout(flex="1 1 auto"))
        body = w.HBox([w.VBox([self.card, pad], layout=w.Layout(width="300px", flex="0 0 auto")), actions])
        super().__init__([style_widget(), body, self.status], **kwargs)
        root(self, "channel")
        self._render_pending = False
        self._handles = [client.on_event("*", self._on_event)] if hasattr(client, "on_event") else []
        state = getattr(client, "connection_state", "connected")
        if state not in ("connected", "connecting", "reconnecting"):
            # without the events reader this card cannot follow the channel: say so, and do not
            # lock the buttons on a Stasis state we cannot observe
            self.model.in_stasis = True
            self.status.value = error_html("events are not running, so this card will not update by "
                                           "itself: call client.start(apps=...) first")
        self.render()
        # a create/originate response predates the channel entering Stasis, and events that
        # arrived before this widget existed are gone: ask the server where the channel is now
        self.reload()
        self.load_bridges()
        self.load_sounds()

    # state ---------------------------------------------------------------------------------
    def _on_event(self, ev: dict) -> None:
        if self.model.apply(ev):
            self._render_soon()

    def _render_soon(self) -> None:
        """Coalesce a burst of events for this channel into one redraw per loop turn."""
        loop = current_loop()
        if loop is None:
            self.render()
            return
        if not self._render_pending:
            self._render_pending = True
            loop.call_soon(self._render_now)

    def _render_now(self) -> None:
        self._render_pending = False
        self.render()

    def render(self) -> None:
        self.card.value = state_html(self.model)
        on = enabled(self.model)
        for action, btn in self.buttons.items():
            btn.disabled = not on.get(action, False)
        if on["addToBridge"] and not self.bridge.options:
            self.buttons["addToBridge"].disabled = True
        for key in self.dtmf_keys:
            key.disabled = not on["sendDTMF"]

    @property
    def channel_id(self) -> str:
        return self.model.id

    # loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the channel (GET /channels/{id}) and redraw."""
        async def get():
            return (await self._client.execute("channels.get", channelId=self.model.id)).body

        def ok(body):
            if isinstance(body, dict):
                fresh = ChannelState.from_json(body)
                self.model.update_from(body)
                self.model.in_stasis = fresh.in_stasis
            self.render()

        def failed(exc):
            if getattr(exc, "status", None) == 404:
                self.model.gone = True
                self.render()
            self._report("reload", False, describe_error(exc))

        self.runner.spawn(get, on_ok=ok, on_error=failed, name="channels.get")

    def load_bridges(self) -> None:
        async def get():
            return (await self._client.execute("bridges.list")).body

        def ok(body):
            opts = [(f"{b.get('id')}  ({b.get('bridge_type', '')}, {len(b.get('channels') or [])} ch)", b.get("id"))
                    for b in body or [] if isinstance(b, dict)]
            self.bridge.options = opts
            self.render()

        self.runner.spawn(get, on_ok=ok, on_error=lambda e: self._report("bridges", False, describe_error(e)),
                          name="bridges.list")

    def load_sounds(self) -> None:
        async def get():
            return (await self._client.execute("sounds.list")).body

        def ok(body):
            self.media.options = [f"sound:{s['id']}" for s in body or [] if isinstance(s, dict) and s.get("id")]

        self.runner.spawn(get, on_ok=ok, on_error=lambda e: self._report("sounds", False, describe_error(e)),
                          name="sounds.list")

    # actions -------------------------------------------------------------------------------
    def request_for(self, action: str, **extra: Any) -> tuple[str, dict]:
        """(operation, kwargs) for a button, from the current inputs."""
        cid = self.model.id
        simple = {"answer": "channels.answer", "ring": "channels.ring", "ringStop": "channels.ringStop",
                  "hold": "channels.hold", "unhold": "channels.unhold", "startMoh": "channels.startMoh",
                  "stopMoh": "channels.stopMoh", "startSilence": "channels.startSilence",
                  "stopSilence": "channels.stopSilence"}
        if action in simple:
            return simple[action], {"channelId": cid}
        if action in ("mute", "unmute"):
            return f"channels.{action}", {"channelId": cid, "direction": self.mute_direction.value}
        if action == "hangup":
            return "channels.hangup", {"channelId": cid, "reason": self.hangup_reason.value}
        if action == "play":
            media = [m.strip() for m in (self.media.value or "").split(",") if m.strip()]
            return "channels.play", {"channelId": cid, "media": media[0] if len(media) == 1 else media}
        if action == "stopPlayback":
            return "playbacks.stop", {"playbackId": next(reversed(self.model.playbacks))}
        if action == "record":
            return "channels.record", {"channelId": cid, "name": self.rec_name.value.strip(),
                                       "format": self.rec_format.value, "ifExists": "overwrite",
                                       "maxDurationSeconds": int(self.rec_max.value)}
        if action == "stopRecording":
            return "recordings.stop", {"recordingName": next(reversed(self.model.recordings))}
        if action == "sendDTMF":
            return "channels.sendDTMF", {"channelId": cid, "dtmf": extra.get("dtmf", "")}
        if action == "setChannelVar":
            return "channels.setChannelVar", {"channelId": cid, "variable": self.var_name.value.strip(),
                                              "value": self.var_value.value}
        if action == "addToBridge":
            return "bridges.addChannel", {"bridgeId": self.bridge.value, "channel": cid}
        if action == "removeFromBridge":
            return "bridges.removeChannel", {"bridgeId": self.model.bridge_id, "channel": cid}
        if action == "snoop":
            return "channels.snoopChannel", {"channelId": cid, "app": self.snoop_app.value.strip(),
                                             "spy": self.snoop_spy.value, "whisper": self.snoop_whisper.value}
        raise KeyError(f"unknown action {action!r}")

    def run(self, action: str, **extra: Any) -> None:
        """Press a button: send its request as a task and report the outcome in the widget."""
        try:
            op, kwargs = self.request_for(action, **extra)
        except Exception as exc:
            self._report(action, False, describe_error(exc))
            return
        kwargs = {k: v for k, v in kwargs.items() if v not in (None, "")}
        self.status.value = pending_html(f"{op} …")

        async def send():
            return await self._client.execute(op, **kwargs)

        def ok(resp):
            self.model.after_action(action, **kwargs)
            text = f"{op}: {resp.status} in {resp.elapsed_ms:.1f} ms"
            body = resp.body
            if isinstance(body, dict) and body.get("id"):
                text += f" → {body.get('name') or ''} {body['id']}".rstrip()
            self._report(action, True, text)
            if action in ("addToBridge", "removeFromBridge"):
                self.load_bridges()
            self.render()

        self.runner.spawn(send, on_ok=ok, on_error=lambda e: self._report(action, False, describe_error(e)),
                          name=op)

    def _report(self, action: str, ok: bool, text: str) -> None:
        self.results.append((action, ok, text))
        del self.results[:-50]
        self.status.value = ok_html(text) if ok else error_html(f"{action}: {text}")

    async def idle(self, timeout: float = 5.0) -> None:
        await super().idle(timeout)
        await asyncio.sleep(0)
