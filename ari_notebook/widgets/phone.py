"""Phone: a keypad per simulated endpoint, for classrooms running the embedded simulator.

Duck-typed on purpose: it only needs ``await sim.call(endpoint, extension, context=...)``,
``await sim.press(channel_id, digits)`` and ``await sim.hangup(channel_id)``, and never imports
the simulator package (widgets reach the simulator only through what the caller hands in).
What the caller "hears" (playbacks on its channel, or on the bridge it is in) comes from the
channel events of an optional ``client`` connected to the same server.
"""

from __future__ import annotations

import html
from typing import Any, Iterable

import ipywidgets as w

from ._lifecycle import LiveWidget
from ._style import root, style_widget
from ._tasks import TaskRunner, describe_error, error_html, ok_html, pending_html
from .channel import DTMF_KEYS

DEFAULT_ENDPOINTS = ("PJSIP/alice", "PJSIP/bob")


def sound_words(media_uri: str) -> str:
    """``sound:hello-world`` -> ``hello world``; ``digits:123`` -> ``digits 1 2 3``; tones as is."""
    scheme, _, rest = media_uri.partition(":")
    if scheme == "sound":
        return rest.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")
    if scheme in ("digits", "number", "characters"):
        return f"{scheme} {' '.join(rest) if scheme != 'number' else rest}"
    if scheme == "tone":
        return f"tone {rest}"
    return media_uri


class Handset:
    """One endpoint's phone: state of its current call and what it hears, as plain data."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.channel_id: str | None = None
        self.state = "idle"
        self.bridge_id: str | None = None
        self.hearing: dict[str, str] = {}  # playback id -> media uri
        self.heard: list[str] = []  # finished, newest last
        self.ended = ""
        self.hangup_cause: Any = None  # the first hangup request's cause, once one was seen

    def apply(self, ev: dict) -> bool:
        cid = self.channel_id
        if not cid:
            return False
        t = ev.get("type", "")
        ch = ev.get("channel") if isinstance(ev.get("channel"), dict) else None
        if ch is not None and ch.get("id") == cid:
            if t == "ChannelDestroyed":
                self.state = "ended"
                self.ended = f"{ev.get('cause_txt', '') or 'hung up'} (cause {ev.get('cause', '')})"
                self.hearing.clear()
            elif t == "StasisEnd" and self.hangup_cause is not None:
                # the phone's call came in through the dialplan: after its hangup the app gets
                # this StasisEnd and no ChannelDestroyed (Asterisk stops telling it about the call)
                self.state = "ended"
                self.ended = f"hung up (cause {self.hangup_cause})"
                self.hearing.clear()
            else:
                self.state = ch.get("state", self.state)
            if t == "ChannelHangupRequest" and self.hangup_cause is None:
                self.hangup_cause = ev.get("cause", "")
            if t == "ChannelEnteredBridge":
                self.bridge_id = (ev.get("bridge") or {}).get("id")
            elif t == "ChannelLeftBridge":
                self.bridge_id = None
            return True
        pb = ev.get("playback")
        if isinstance(pb, dict):
            targets = {f"channel:{cid}"} | ({f"bridge:{self.bridge_id}"} if self.bridge_id else set())
            if pb.get("target_uri") in targets:
                if t == "PlaybackFinished":
                    uri = self.hearing.pop(pb.get("id", ""), pb.get("media_uri", ""))
                    self.heard = (self.heard + [uri])[-5:]
                else:
                    self.hearing[pb.get("id", "")] = pb.get("media_uri", "")
                return True
        return False

    def new_call(self, channel_id: str) -> None:
        self.channel_id = channel_id
        self.state = "dialing"
        self.bridge_id = None
        self.hearing.clear()
        self.heard = []
        self.ended = ""
        self.hangup_cause = None

    def html(self) -> str:
        esc = html.escape
        live = self.channel_id and self.state not in ("ended", "idle")
        badge = "ok" if self.state == "Up" else ("warn" if live else "count")
        line = (f"<div class='ari-title'>{esc(self.endpoint)} "
                f"<span class='ari-badge {badge} ari-phone-state'>{esc(self.state)}</span></div>")
        if self.channel_id:
            line += f"<div class='ari-muted'>channel <code>{esc(self.channel_id)}</code></div>"
        if self.hearing:
            words = ", ".join(sound_words(u) for u in self.hearing.values())
            line += f"<div class='ari-hears'>hears: “{esc(words)}”</div>"
        elif live:
            line += "<div class='ari-hears ari-muted'>hears: silence</div>"
        if self.heard and not self.hearing:
            line += (f"<div class='ari-muted'>heard: {esc(', '.join(sound_words(u) for u in self.heard))}"
                     "</div>")
        if self.ended:
            line += f"<div class='ari-muted'>call ended: {esc(self.ended)}</div>"
        return line


class _PhoneCard(w.VBox):
    def __init__(self, phone: "Phone", handset: Handset) -> None:
        self.phone = phone
        self.handset = handset
        slug = handset.endpoint.replace("/", "-").lower()
        self.display = w.HTML()
        self.display.add_class("ari-phone-display")
        self.number = w.Text(value="1000", placeholder="extension", layout=w.Layout(width="110px"))
        self.number.add_class("ari-phone-number")
        self.context = w.Text(value=phone.context, layout=w.Layout(width="90px"))
        self.dial = w.Button(description="Call", icon="phone", button_style="success", layout=w.Layout(width="80px"))
        self.dial.add_class("ari-phone-call")
        self.hang = w.Button(description="Hang up", icon="phone-slash", button_style="danger",
                             layout=w.Layout(width="auto"))
        self.hang.add_class("ari-phone-hangup")
        self.keypad = []
        for d in DTMF_KEYS:
            key = w.Button(description=d, layout=w.Layout(width="44px", height="34px"))
            key.add_class("ari-key")
            key.add_class(f"ari-phone-key-{'star' if d == '*' else 'hash' if d == '#' else d}")
            key.on_click(lambda _b, d=d: self.press(d))
            self.keypad.append(key)
        pad = w.GridBox(self.keypad, layout=w.Layout(grid_template_columns="repeat(3, 46px)", grid_gap="3px"))
        self.status = w.HTML()
        self.status.add_class("ari-phone-status")
        self.dial.on_click(lambda _b: self.call())
        self.hang.on_click(lambda _b: self.hangup())
        super().__init__([self.display, w.HBox([self.number, self.context]), w.HBox([self.dial, self.hang]),
                          pad, self.status],
                         layout=w.Layout(border="1px solid #e5e7eb", padding="6px", margin="4px",
                                         width="240px"))
        self.add_class("ari-phone")
        self.add_class(f"ari-phone-{slug}")
        self.render()

    def render(self) -> None:
        h = self.handset
        live = bool(h.channel_id) and h.state not in ("ended", "idle")
        self.display.value = h.html()
        self.dial.disabled = live
        self.hang.disabled = not live
        for key in self.keypad:
            key.disabled = not live

    def call(self) -> None:
        ext = self.number.value.strip()
        ctx = self.context.value.strip() or self.phone.context
        self.status.value = pending_html(f"calling {ext}@{ctx} …")

        async def go():
            return await self.phone.sim.call(self.handset.endpoint, ext, context=ctx)

        def ok(channel_id):
            self.handset.new_call(str(channel_id))
            self.status.value = ok_html(f"dialled {ext}")
            self.render()

        self.phone.runner.spawn(go, on_ok=ok, on_error=self._failed("call"), name="phone.call")

    def press(self, digits: str) -> None:
        cid = self.handset.channel_id

        async def go():
            return await self.phone.sim.press(cid, digits)

        self.phone.runner.spawn(go, on_ok=lambda _r: setattr(self.status, "value", ok_html(f"pressed {digits}")),
                                on_error=self._failed("press"), name="phone.press")

    def hangup(self) -> None:
        cid = self.handset.channel_id

        async def go():
            return await self.phone.sim.hangup(cid)

        def ok(_r):
            self.status.value = ok_html("hung up")
            if self.phone.client is None:  # no events to tell us: assume it ended
                self.handset.state = "ended"
            self.render()

        self.phone.runner.spawn(go, on_ok=ok, on_error=self._failed("hangup"), name="phone.hangup")

    def _failed(self, what: str):
        def report(exc: BaseException) -> None:
            self.status.value = error_html(f"{what}: {describe_error(exc)}")
        return report


class Phone(LiveWidget, w.VBox):
    """Keypads for simulated endpoints: dial, press DTMF, hang up, and see what each caller hears."""

    def __init__(self, sim: Any, client: Any = None, *, endpoints: Iterable[str] | None = None,
                 context: str = "ARI-test", **kwargs: Any) -> None:
        for needed in ("call", "press", "hangup"):
            if not callable(getattr(sim, needed, None)):
                raise TypeError(f"Phone needs a simulator with {needed}(); got {type(sim).__name__}")
        self.sim = sim
        self.client = client
        self.context = context
        self.runner = TaskRunner()
        config = getattr(sim, "config", None)
        names = list(endpoints or getattr(config, "endpoints", None) or DEFAULT_ENDPOINTS)
        self.cards = [_PhoneCard(self, Handset(e)) for e in names]
        super().__init__([style_widget(), w.HBox(self.cards, layout=w.Layout(flex_flow="row wrap"))], **kwargs)
        root(self, "phone")
        self._handles = [client.on_event("*", self._on_event)] if client is not None else []

    def card(self, endpoint: str) -> _PhoneCard:
        for c in self.cards:
            if c.handset.endpoint == endpoint:
                return c
        raise KeyError(endpoint)

    def _on_event(self, ev: dict) -> None:
        for c in self.cards:
            if c.handset.apply(ev):
                c.render()


