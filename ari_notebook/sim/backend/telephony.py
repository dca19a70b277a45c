"""Channel life cycle as Asterisk 23 shows it over ARI: creation, Local pairs, Stasis, answer,
variables, DTMF, hangup with causes. Sans-I/O: functions change ``Asterisk`` state and publish
events; anything that takes time is a clock timer.

The event orders follow the reference traces (``../shared/ari-traces``), e.g. an ARI hangup of a
Local ``;1`` in Stasis whose ``;2`` runs dialplan gives::

    ChannelHangupRequest(;1 cause 32 soft) -> StasisEnd(;1) -> ChannelVarset(;1 STASISSTATUS=SUCCESS)
    -> ChannelHangupRequest(;2 <cause>) -> ChannelDestroyed(;1 <cause>)
    -> ChannelHangupRequest(;2 16 soft) -> ChannelDestroyed(;2 <cause>)
"""

from __future__ import annotations

import re
from typing import Any

from .core import AriFailure, Asterisk
from .objects import CallerId, SimChannel

# Q.850 cause -> Asterisk's cause text (ast_cause2str).
CAUSE_TEXT = {
    0: "Unknown", 1: "Unallocated (unassigned) number", 2: "No route to specified transmit network",
    3: "No route to destination", 16: "Normal Clearing", 17: "User busy", 18: "No user responding",
    19: "User alerting, no answer", 21: "Call Rejected", 22: "Number changed", 26: "Answered elsewhere",
    27: "Destination out of order", 28: "Invalid number format (addresses incomplete)",
    31: "Normal, unspecified", 34: "Circuit/channel congestion", 38: "Network out of order",
    41: "Temporary failure", 58: "Bearer capability not available", 127: "Interworking, unspecified",
}

# ARI hangup ``reason`` -> cause (resource_channels.c).
HANGUP_REASONS = {
    "normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 18, "rejected": 21,
    "unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
    "interworking": 127, "failure": 38, "answered_elsewhere": 26,
}

ARI_SOFT_HANGUP = 32  # ARI's DELETE reports the soft-hangup flag, not a Q.850 cause
PRESENTATION = (0, "Presentation Allowed, Not Screened")
ANSWER_SETTLE = 0.5  # Answer() on a ringing channel lets 500 ms pass before the next priority


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


# ---- events --------------------------------------------------------------------------------

def channel_event(ast: Asterisk, chan: SimChannel, event_type: str, fields: dict | None = None, *,
                  lead: bool | int = False, apps: Any = None, key: str = "channel") -> None:
    """Publish an event about ``chan`` on its topic (``channel:<id>``)."""
    def build() -> dict:
        body = dict(fields) if fields else {}
        body[key] = chan.json()
        return body

    # app-specific events (StasisStart/End, ApplicationMoveFailed) go to the named app only
    sources = () if apps is not None else (f"channel:{chan.id}",)
    ast.publish(event_type, build, sources=sources, lead=lead, apps=apps)


def state_change(ast: Asterisk, chan: SimChannel, state: str) -> None:
    if chan.state == state:
        return
    chan.state = state
    refresh_snapshot(chan)
    channel_event(ast, chan, "ChannelStateChange")
    if state == "Up" and chan.device:
        device_state(ast, chan.device, aggregate_device_state(ast, chan.device))


def aggregate_device_state(ast: Asterisk, device: str, leaving: SimChannel | None = None) -> str:
    """A device is INUSE while any call on it stays up. A channel that is going away takes its
    Local partner with it (Asterisk reported NOT_INUSE for both halves as the first one went)."""
    gone = set()
    if leaving is not None:
        gone.add(leaving.id)
        if leaving.peer is not None and leaving.peer.hangup_requested:
            gone.add(leaving.peer.id)
    for chan in ast.channels.values():
        if chan.device == device and chan.id not in gone and not chan.hangup_requested and chan.state == "Up":
            return "INUSE"
    return "NOT_INUSE"


def device_state(ast: Asterisk, name: str, state: str) -> None:
    """``DeviceStateChanged`` on the device's topic (only subscribeAll apps see channel devices)."""
    ast.publish("DeviceStateChanged", {"application": None, "device_state": {"name": name, "state": state}},
                sources=(f"deviceState:{name}",), lead=False)


def refresh_snapshot(chan: SimChannel) -> None:
    """A new channel snapshot: its ``channelvars`` are the reported variables' values now.
    Asterisk (stasis_channels.c) makes one on state and dialplan changes and, while the channel
    has reported variables, on every varset; other events reuse the last one, stale values and all."""
    chan.snapshot_vars = {name: chan.variables.get(name, "") for name in chan.reported}


def report_variable(chan: SimChannel, name: str, report: bool) -> None:
    """``report_events`` (23.4): add ``name`` to the reported variables, or drop it (main/channel.c)."""
    if report and name not in chan.reported:
        chan.reported.append(name)
    elif not report and name in chan.reported:
        chan.reported.remove(name)


def dialplan_event(ast: Asterisk, chan: SimChannel) -> None:
    refresh_snapshot(chan)
    channel_event(ast, chan, "ChannelDialplan",
                  {"dialplan_app": chan.app_name, "dialplan_app_data": chan.app_data})


def _set_party(party: CallerId, part: str, value: str) -> bool:
    """Set NAME or NUM(BER) of a caller id / connected line; False for any other part."""
    if part == "NAME":
        party.name = value
    elif part in ("NUM", "NUMBER"):
        party.number = value
    else:
        return False
    return True


def set_variable(ast: Asterisk, chan: SimChannel, name: str, value: str, *, event: bool = True) -> None:
    """Set a channel variable or writable function; ``CALLERID(...)`` emits ChannelCallerId."""
    upper = name.upper()
    if upper.startswith("CALLERID(") and upper.endswith(")"):
        part = upper[9:-1]
        if part == "ALL":
            chan.caller = parse_caller_id(value)
        elif not _set_party(chan.caller, part, value):
            raise AriFailure(400, f"Unable to set variable {name}")
        if event:
            channel_event(ast, chan, "ChannelCallerId",
                          {"caller_presentation": PRESENTATION[0], "caller_presentation_txt": PRESENTATION[1]})
        return
    if upper.startswith("CONNECTEDLINE(") and upper.endswith(")"):
        _set_party(chan.connected, upper[14:-1], value)  # another part changes nothing here
        if event:
            channel_event(ast, chan, "ChannelConnectedLine")
        return
    chan.variables[name] = value
    if chan.reported:
        refresh_snapshot(chan)
    if event:
        channel_event(ast, chan, "ChannelVarset", {"variable": name, "value": value}, lead=2)


def get_variable(chan: SimChannel, name: str) -> str | None:
    """A channel variable or one of the read-only functions ARI users reach for."""
    upper = name.upper()
    if upper == "CHANNEL(STATE)":
        return chan.state
    if upper == "CHANNEL(NAME)":
        return chan.name
    if upper in ("CHANNEL(UNIQUEID)", "UNIQUEID"):
        return chan.id
    if upper == "CHANNEL(LANGUAGE)":
        return chan.language
    if upper == "CALLERID(NAME)":
        return chan.caller.name
    if upper in ("CALLERID(NUM)", "CALLERID(NUMBER)"):
        return chan.caller.number
    if upper == "CALLERID(ALL)":
        return format_caller_id(chan.caller)
    if upper == "CONNECTEDLINE(NAME)":
        return chan.connected.name
    if upper in ("CONNECTEDLINE(NUM)", "CONNECTEDLINE(NUMBER)"):
        return chan.connected.number
    if upper == "CONTEXT":
        return chan.context
    if upper == "EXTEN":
        return chan.exten
    if upper == "PRIORITY":
        return str(chan.priority)
    return chan.variables.get(name)


def parse_caller_id(text: str) -> CallerId:
    """``"Alice" <100>`` / ``Alice <100>`` / ``100`` -> CallerId."""
    text = text.strip()
    match = re.match(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$', text)
    if match:
        return CallerId(match.group(1).strip(), match.group(2).strip())
    if text and all(c.isdigit() or c in "+*#" for c in text):
        return CallerId("", text)
    return CallerId(text, "")


def format_caller_id(cid: CallerId) -> str:
    if cid.name and cid.number:
        return f'"{cid.name}" <{cid.number}>'
    if cid.number:
        return f"<{cid.number}>"
    return f'"{cid.name}"' if cid.name else ""


# ---- creation ------------------------------------------------------------------------------

def new_channel(ast: Asterisk, tech: str, name: str, *, channel_id: str | None = None, state: str = "Down",
                context: str = "default", exten: str = "s", priority: int = 1, device: str = "",
                caller: CallerId | None = None, protocol_id: str = "") -> SimChannel:
    chan = SimChannel(id=channel_id or ast.unique_id(), name=name, tech=tech, creationtime=ast.timestamp(),
                   state=state, context=context, exten=exten, priority=priority, device=device,
                   caller=caller or CallerId(), protocol_id=protocol_id)
    ast.channels[chan.id] = chan
    channel_event(ast, chan, "ChannelCreated")
    ast.fire("channel_created", channel=chan)  # e.g. a phone's endpoint gains a channel
    return chan


def check_new_ids(ast: Asterisk, *ids: str | None) -> None:
    for cid in ids:
        if cid and cid in ast.channels:
            raise AriFailure(409, "Channel with given unique ID already exists")


def parse_local(target: str) -> tuple[str, str, str]:
    """``1000@ARI-test/n`` -> (exten, context, options)."""
    rest, _, options = target.partition("/")
    exten, _, context = rest.partition("@")
    return exten, context or "default", options


def local_pair(ast: Asterisk, target: str, *, channel_id: str | None, other_id: str | None) -> tuple[SimChannel, SimChannel]:
    """A Local channel pair ``Local/<exten>@<ctx>-<seq>;1`` / ``;2`` (``;2`` id defaults to ``<id>;2``)."""
    exten, context, _ = parse_local(target)
    seq = ast.channel_seq()
    base = f"Local/{exten}@{context}-{seq}"
    one_id = channel_id or ast.unique_id()
    two_id = other_id or (f"{channel_id};2" if channel_id else ast.unique_id())
    device = f"Local/{exten}@{context}"
    one = new_channel(ast, "Local", base + ";1", channel_id=one_id, context=context, exten=exten, device=device)
    two = new_channel(ast, "Local", base + ";2", channel_id=two_id, state="Ring", context=context, exten=exten,
                      device=device)
    one.local_half, two.local_half = 1, 2
    one.peer, two.peer = two, one
    return one, two


# ---- Stasis --------------------------------------------------------------------------------

def enter_stasis(ast: Asterisk, chan: SimChannel, app_name: str, args: list[str], *,
                 from_dialplan: bool) -> bool:
    """Put ``chan`` into ``app_name``: STASISSTATUS="" then StasisStart. False if the app is absent.

    Asterisk 23 logs two warnings when the app has no WebSocket (see the traces README).
    """
    app = ast.app(app_name)
    if app is None:
        ast.write_log("WARNING", f"ari/ari_websockets.c: {chan.name}: Failed to find outbound websocket "
                                 f"per-call config for app '{app_name}'")
        ast.write_log("WARNING", f"app_stasis.c: {chan.name}: Stasis app '{app_name}' doesn't exist")
        return False
    chan.app_name, chan.app_data = "Stasis", ",".join([app_name, *args])
    # Stasis() sets STASISSTATUS before the app takes its hold on the channel, so only an app
    # that already held it (it originated the channel) hears this varset (app_stasis.c, res_stasis.c)
    set_variable(ast, chan, "STASISSTATUS", "")
    ast.subscribe(app_name, f"channel:{chan.id}")
    chan.apps_seen.add(app_name)
    chan.stasis_app = app_name
    chan.stasis_args = list(args)
    channel_event(ast, chan, "StasisStart", {"args": list(args)}, apps=[app_name])
    return True


def leave_stasis(ast: Asterisk, chan: SimChannel, *, status: str | None = "SUCCESS") -> None:
    """StasisEnd to the app, then STASISSTATUS (None: not yet); playbacks stop, the channel leaves
    its bridge, and the app lets go of the hold Stasis had on the channel (res_stasis.c)."""
    app = chan.stasis_app
    if app is None:
        return
    _let_go(ast, chan, by_hangup=chan.hangup_requested)
    channel_event(ast, chan, "StasisEnd", apps=[app])
    ast.unsubscribe(app, f"channel:{chan.id}")  # the app keeps hearing it only if it originated it
    chan.stasis_app = None
    ast.cleanup_apps()  # a channel leaving Stasis is one of the moments Asterisk tidies up apps
    if status is not None:
        set_variable(ast, chan, "STASISSTATUS", status)


def move(ast: Asterisk, chan: SimChannel, app_name: str, args: list[str]) -> None:
    """Move a channel from its app to another: StasisEnd on the old one, StasisStart on the new."""
    old = chan.stasis_app
    if ast.app(app_name) is None:
        ast.write_log("ERROR", f"res_stasis.c: Could not move to Stasis app '{app_name}' - not registered")
        channel_event(ast, chan, "ApplicationMoveFailed", {"destination": app_name, "args": list(args)},
                      apps=[old] if old else None)
        return
    channel_event(ast, chan, "StasisEnd", apps=[old] if old else None)
    if old:
        ast.unsubscribe(old, f"channel:{chan.id}")
    ast.subscribe(app_name, f"channel:{chan.id}")
    chan.apps_seen.add(app_name)
    chan.stasis_app = app_name
    chan.stasis_args = list(args)
    channel_event(ast, chan, "StasisStart", {"args": list(args)}, apps=[app_name])


def _let_go(ast: Asterisk, chan: SimChannel, *, by_hangup: bool) -> None:
    """Announce that the channel stops what it was doing, in Asterisk's order: its media ends
    (``playback`` reacts: PlaybackFinished), then it leaves its bridge (``bridging`` reacts:
    ChannelLeftBridge). Telephony knows neither module; they subscribe with ``ast.on``."""
    ast.fire("channel_media_ends", channel=chan, state="failed" if by_hangup else "done")
    if chan.bridge_id:
        ast.fire("channel_leaves_bridge", channel=chan, by_hangup=by_hangup)


# ---- answer / Local call progress ----------------------------------------------------------

def answer(ast: Asterisk, chan: SimChannel) -> None:
    """Answer ``chan``; answering a Local ``;2`` answers its ``;1`` (which then moves on)."""
    if chan.state == "Up":
        return
    state_change(ast, chan, "Up")
    peer = chan.peer
    if chan.tech == "Local" and chan.local_half == 2 and peer is not None and not peer.destroyed:
        on_answered = getattr(peer, "on_answered", None)
        state_change(ast, peer, "Up")
        if on_answered is not None:
            peer.on_answered = None
            on_answered()


# ---- hangup --------------------------------------------------------------------------------

def hangup(ast: Asterisk, chan: SimChannel, cause: int = 16, *, soft: bool = True) -> None:
    """Hang ``chan`` up. ``soft``: asked through ARI (``ChannelHangupRequest`` 32 soft first);
    otherwise the far end hung up (a plain ``ChannelHangupRequest`` with the cause)."""
    if chan.destroyed:
        return
    pending = getattr(chan, "pending_teardown", None)
    if chan.hangup_requested:
        if pending is None or not soft:
            return
        # The peer's hang-up is still on its way through Stasis: an ARI DELETE now finds the
        # channel and asks again (traces g_errors: cleanup of both Local halves is 204, 204).
        pending.cancel()
        chan.pending_teardown = None
        cause = chan.hangup_cause
    chan.hangup_requested = True
    chan.hangup_cause = cause
    if soft:
        channel_event(ast, chan, "ChannelHangupRequest", {"cause": ARI_SOFT_HANGUP, "soft": True}, lead=2)
    else:
        channel_event(ast, chan, "ChannelHangupRequest", {"cause": cause}, lead=1)
    _unwind(ast, chan)
    if chan.snoop_of is not None and chan.snoop_of in ast.channels:
        # Asterisk 23.4.1: the hangup only ends the snoop channel's Stasis; the channel stays
        # (Up, no dialplan app) until the channel it snoops on goes (trace o_snoop_externalmedia)
        chan.app_name, chan.app_data = "", ""
        return
    _destroy(ast, chan, cause)


def _unwind(ast: Asterisk, chan: SimChannel) -> None:
    """Stop what the channel is doing: playbacks, bridge, Stasis, then its dialplan."""
    for timer in chan.timers:
        timer.cancel()
    chan.timers.clear()
    ast.fire("channel_hangup", channel=chan)  # live recordings end here, before StasisEnd
    abandoned, chan.on_abandoned = chan.on_abandoned, None
    if abandoned is not None and chan.state != "Up":
        abandoned(chan.hangup_cause)
    if chan.stasis_app is not None:
        leave_stasis(ast, chan)
    else:
        _let_go(ast, chan, by_hangup=True)
    runner = chan.runner
    if runner is not None:
        chan.runner = None
        runner.interrupt()
        if not _stasis_returns(ast, chan):
            channel_event(ast, chan, "ChannelHangupRequest", {"cause": 16, "soft": True}, lead=2)


def _stasis_returns(ast: Asterisk, chan: SimChannel) -> bool:
    """The dialplan a PBX-less channel continued into has ended: Stasis() returns and sets its
    STASISSTATUS (res_stasis.c runs that dialplan without hanging up; the hangup that follows
    is the originate's, with no second hangup request). False for an ordinary channel."""
    status, chan.stasis_status_at_end = chan.stasis_status_at_end, None
    if status is None:
        return False
    set_variable(ast, chan, "STASISSTATUS", status)
    return True


def destroy_unanswered(ast: Asterisk, chan: SimChannel, cause: int) -> None:
    """An outgoing channel that never answered goes away without a hangup request of its own."""
    for timer in chan.timers:
        timer.cancel()
    chan.timers.clear()
    _destroy(ast, chan, cause)


def _destroy(ast: Asterisk, chan: SimChannel, cause: int) -> None:
    peer = chan.peer if chan.tech == "Local" and chan.peer is not None and not chan.peer.destroyed else None
    if peer is not None and not peer.hangup_requested:
        peer.hangup_requested = True
        channel_event(ast, peer, "ChannelHangupRequest", {"cause": cause}, lead=1)
    else:
        peer = None
    chan.destroyed = True
    chan.hangup_cause = cause
    was_up = chan.state == "Up"
    chan.app_name, chan.app_data = chan.home_app
    chan.snapshot_vars = {}  # the final snapshot is made anew: the reported list is gone by then
    channel_event(ast, chan, "ChannelDestroyed", {"cause": cause, "cause_txt": cause_text(cause)})
    ast.channels.pop(chan.id, None)
    ast.forget_source(f"channel:{chan.id}")
    if chan.device and was_up:
        device_state(ast, chan.device, aggregate_device_state(ast, chan.device, chan))
    ast.fire("channel_destroyed", channel=chan)
    for snoop in [c for c in ast.channels.values() if c.snoop_of == chan.id]:
        snoop.snoop_of = None  # what it listened to is gone: it goes too (a guess: cause 16)
        if snoop.hangup_requested:
            _destroy(ast, snoop, 16)
        else:
            hangup(ast, snoop, 16, soft=False)
    if peer is not None and peer.stasis_app is not None:
        # A Local half in Stasis learns of its peer's hang-up through its Stasis control loop,
        # a moment later (STASIS_NOTICE); until then the channel still exists for ARI.
        peer.hangup_cause = cause
        peer.pending_teardown = ast.clock.call_later(STASIS_NOTICE, lambda: _peer_gone(ast, peer, cause))
    elif peer is not None:
        _unwind(ast, peer)
        _destroy(ast, peer, cause)
    leg = chan.dial_leg
    if leg is not None and not leg.destroyed and not leg.hangup_requested:
        hangup(ast, leg, cause, soft=False)  # the caller left a connected Dial(): the callee goes too
    if chan.dial_caller is not None:
        connected = chan.dial_caller.dial_leg is chan
        resume, gone = chan.after_hangup, chan.on_gone
        chan.after_hangup = chan.on_gone = None
        if connected and resume is not None:
            resume()
        elif not connected and gone is not None:
            gone(chan)


SHUTDOWN = 4  # the soft-hangup flag Asterisk's shutdown sets on every channel


def shutdown_all(ast: Asterisk) -> None:
    """``core restart now``/``core stop now``: every channel is hung up before the sockets close.
    Trace j_reconnect (a Local pair, ;1 in Stasis, ;2 in Wait): the dialplan half gets the
    shutdown request (cause 4 soft) and its PBX ends (16 soft); the Stasis half gets the shutdown
    request, then its partner's hangup (cause 0); the dialplan half is destroyed with cause 0,
    then the Stasis half leaves Stasis and is destroyed with cause 0. A lone channel is
    handled like the Stasis half, a channel in a bridge leaves it on the way (a guess)."""
    for chan in list(ast.channels.values()):
        if chan.destroyed or chan.hangup_requested:
            continue
        peer = chan.peer if chan.tech == "Local" and chan.peer is not None and not chan.peer.destroyed else None
        first, second = (chan, peer) if peer is None or chan.runner is not None or peer.runner is None else (peer, chan)
        for c in filter(None, (first, second)):
            c.hangup_requested = True
            c.hangup_cause = 0
        channel_event(ast, first, "ChannelHangupRequest", {"cause": SHUTDOWN, "soft": True}, lead=2)
        if second is None:
            _unwind(ast, first)
            _destroy(ast, first, 0)
            continue
        runner, first.runner = first.runner, None
        for timer in first.timers:
            timer.cancel()
        first.timers.clear()
        if runner is not None:
            runner.interrupt()
            channel_event(ast, first, "ChannelHangupRequest", {"cause": 16, "soft": True}, lead=2)
        channel_event(ast, second, "ChannelHangupRequest", {"cause": SHUTDOWN, "soft": True}, lead=2)
        channel_event(ast, second, "ChannelHangupRequest", {"cause": 0}, lead=1)
        _destroy(ast, first, 0)
        _unwind(ast, second)
        _destroy(ast, second, 0)


STASIS_NOTICE = 0.001  # seconds a Stasis channel takes to notice its Local peer hung up


def _peer_gone(ast: Asterisk, chan: SimChannel, cause: int) -> None:
    chan.pending_teardown = None
    if not chan.destroyed:
        _unwind(ast, chan)
        _destroy(ast, chan, cause)


def end_by_dialplan(ast: Asterisk, chan: SimChannel, cause: int = 16) -> None:
    """The dialplan ran out or ran Hangup(): the PBX hangs the channel up."""
    if chan.hangup_requested or chan.destroyed:
        return
    chan.hangup_requested = True
    chan.runner = None
    for timer in chan.timers:
        timer.cancel()
    chan.timers.clear()
    channel_event(ast, chan, "ChannelHangupRequest", {"cause": cause, "soft": True}, lead=2)
    _stasis_returns(ast, chan)
    _destroy(ast, chan, cause)


def later(ast: Asterisk, chan: SimChannel, seconds: float, fn: Any) -> Any:
    """A timer owned by ``chan`` (cancelled when it hangs up)."""
    timer = ast.clock.call_later(seconds, fn)
    chan.timers.append(timer)
    return timer


# ---- DTMF ----------------------------------------------------------------------------------

VALID_DTMF = set("0123456789ABCDabcd*#,")


def send_dtmf(ast: Asterisk, chan: SimChannel, digits: str, *, before: int = 0, between: int = 100,
              duration: int = 100, after: int = 0, done: Any = None) -> float:
    """DTMF from ``chan``: a Local half's digits arrive as ChannelDtmfReceived on the other half;
    other channels send to the (simulated) far end, which ARI cannot see. Returns seconds taken."""
    receiver = chan.peer if chan.tech == "Local" else None
    t = before / 1000.0
    for digit in digits:
        if digit == ",":
            t += 0.5
            continue
        if receiver is not None:
            later(ast, chan, t + duration / 1000.0, _dtmf_arrives(ast, receiver, digit.upper(), duration))
        t += (duration + between) / 1000.0
    t += after / 1000.0
    if done is not None:
        later(ast, chan, t, done)
    return t


def _dtmf_arrives(ast: Asterisk, chan: SimChannel, digit: str, duration: int):
    def fire() -> None:
        if chan.destroyed:
            return
        channel_event(ast, chan, "ChannelDtmfReceived", {"digit": digit, "duration_ms": duration})
        ast.fire("channel_dtmf", channel=chan, digit=digit)  # recordings' terminateOn
        runner = chan.runner
        if runner is not None:
            runner.dtmf(digit)
    return fire


def receive_dtmf(ast: Asterisk, chan: SimChannel, digits: str, *, duration: int = 100, gap: int = 100,
                 done: Any = None) -> float:
    """Digits pressed on the caller's phone arrive on ``chan`` (the teaching hook ``sim.press``)."""
    t = 0.0
    for digit in digits:
        if digit.upper() not in VALID_DTMF or digit == ",":
            continue
        t += duration / 1000.0
        later(ast, chan, t, _dtmf_arrives(ast, chan, digit.upper(), duration))
        t += gap / 1000.0
    if done is not None:
        later(ast, chan, t, done)
    return t
