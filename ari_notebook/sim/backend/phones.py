"""Placing calls: ARI originate/create/dial, the Dial() application, and simulated phones.

A simulated endpoint (``PJSIP/alice``) is a phone that answers after ``SimConfig.answer_delay``
seconds when ``online``; ``busy``, ``noanswer`` and ``offline`` behave as their names say.
Local channels are pairs whose ``;2`` half runs the dialplan of ``Local/<exten>@<context>``.
"""

from __future__ import annotations

from typing import Any

from .core import AriFailure, Asterisk
from .objects import CallerId, SimChannel
from . import telephony as tel
from .dialplan import Runner, extension_exists, register_application, run_dialplan


APPDIAL = ("AppDial2", "(Outgoing Line)")


def parse_endpoint(ast: Asterisk, endpoint: str) -> tuple[str, str]:
    """(tech, resource) of an originate endpoint, or the errors Asterisk 23 answers."""
    if not endpoint:
        raise AriFailure(400, "Endpoint must be specified")
    tech, sep, resource = endpoint.partition("/")
    if not sep or not tech or not resource:  # Asterisk checks both halves of tech/resource
        raise AriFailure(400, "Invalid endpoint specified")
    if tech.lower() == "local":
        exten, context, _ = tel.parse_local(resource)
        if not extension_exists(ast, context, exten):
            ast.write_log("WARNING", f"core_local.c: No such extension/context {exten}@{context} while calling "
                                     "Local channel")
            raise AriFailure(500, "Allocation failed", body={"error": "Allocation failed"})
        return "Local", resource
    if tech.upper() == "PJSIP" and f"PJSIP/{resource}" in phone_states(ast):
        return "PJSIP", resource
    # quirk: an unknown technology (or endpoint) answers 500 with "error", not "message"
    raise AriFailure(500, "Allocation failed", body={"error": "Allocation failed"})


def phone_states(ast: Asterisk) -> dict[str, str]:
    return getattr(ast.config, "endpoints", None) or {}


def phone_channel(ast: Asterisk, resource: str, *, channel_id: str | None = None, state: str = "Down",
                  context: str = "default", exten: str = "s") -> SimChannel:
    return tel.new_channel(ast, "PJSIP", f"PJSIP/{resource}-{ast.channel_seq()}", channel_id=channel_id,
                           state=state, context=context, exten=exten, device=f"PJSIP/{resource}",
                           protocol_id=ast.new_uuid())  # chan_pjsip reports the SIP Call-ID here


def _answer_delay(ast: Asterisk) -> float:
    return float(getattr(ast.config, "answer_delay", 1.0))


# ---- originate -----------------------------------------------------------------------------

def originate(ast: Asterisk, *, endpoint: str, app: str = "", app_args: list[str] | None = None,
              context: str = "", extension: str = "", priority: int = 1, caller_id: str = "",
              timeout: int = 30, variables: dict[str, Any] | None = None, channel_id: str | None = None,
              other_id: str | None = None) -> SimChannel:
    """``POST /channels``: create the channel(s) now, dial right after the response."""
    tech, resource = parse_endpoint(ast, endpoint)
    if not app and not extension:
        raise AriFailure(400, "Application or extension must be specified")
    tel.check_new_ids(ast, channel_id, other_id)
    cid = tel.parse_caller_id(caller_id) if caller_id else None
    if tech == "Local":
        one, two = tel.local_pair(ast, resource, channel_id=channel_id, other_id=other_id)
        exten, ctx, _ = tel.parse_local(resource)
        dialstring = f"{exten}@{ctx}"
    else:
        one, two = phone_channel(ast, resource, channel_id=channel_id), None
        dialstring = resource
    one.home_app = APPDIAL
    one.app_name, one.app_data = APPDIAL
    if cid is not None:
        one.caller = CallerId(cid.name, cid.number)
        one.connected = CallerId(cid.name, cid.number)
    tel.dialplan_event(ast, one)
    plain_vars = _apply_variables(ast, one, variables or {})
    if app:
        ast.subscribe(app, f"channel:{one.id}")
        if two is not None:
            ast.subscribe(app, f"channel:{two.id}")
    one.dialstring = dialstring

    def after_answer() -> None:
        _dial_event(ast, one, "ANSWER", dialstring)
        if app:
            one.app_name, one.app_data = "Stasis", ",".join([app, *(app_args or [])])
            if not tel.enter_stasis(ast, one, app, list(app_args or []), from_dialplan=False):
                tel.end_by_dialplan(ast, one)
        else:

            run_dialplan(ast, one, context or "default", extension, priority or 1)

    one.on_answered = after_answer

    def dial() -> None:
        if one.destroyed:
            return
        if two is not None:
            # Local copies ;1's variables to ;2 walking ;1's variable list, which Asterisk keeps
            # newest first (pbx_variables.c inserts at the head): so in reverse order of setting
            for name, value in reversed(list(plain_vars.items())):
                tel.set_variable(ast, two, name, value)
            if cid is None and any(n.upper().startswith("CALLERID(") for n in (variables or {})):
                # a CALLERID(...) variable on ;1 is ;2's connected line (no ChannelCallerId)
                two.connected = CallerId(one.caller.name, one.caller.number)
                tel.channel_event(ast, two, "ChannelConnectedLine")
            if cid is not None:
                two.caller = CallerId(cid.name, cid.number)
                two.connected = CallerId(one.caller.name, one.caller.number)
                tel.channel_event(ast, two, "ChannelCallerId", {
                    "caller_presentation": tel.PRESENTATION[0],
                    "caller_presentation_txt": tel.PRESENTATION[1]})
                tel.channel_event(ast, two, "ChannelConnectedLine")
        _dial_event(ast, one, "", dialstring)
        one.on_abandoned = lambda cause: _dial_event(ast, one, DIALSTATUS_BY_CAUSE.get(cause, "CANCEL"), dialstring)
        _ring(ast, one, two, resource)
        if timeout and timeout > 0:
            tel.later(ast, one, timeout, lambda: _originate_timeout(ast, one))

    tel.later(ast, one, 0, dial)
    return one


# the Dial event an originate still ringing reports when it is hung up (trace p: busy -> BUSY;
# the other causes follow app_dial's mapping, a guess for the originate)
DIALSTATUS_BY_CAUSE = {17: "BUSY", 18: "NOANSWER", 19: "NOANSWER", 34: "CONGESTION", 21: "CHANUNAVAIL"}


def _originate_timeout(ast: Asterisk, chan: SimChannel) -> None:
    """The originate's dial timed out (main/dial.c): the channel is hung up with cause 19, with
    no hangup request of its own and no final Dial event; a Local ``;2`` hears of it first."""
    if chan.destroyed or chan.state == "Up":
        return
    chan.on_abandoned = None
    chan.hangup_requested = True
    tel.destroy_unanswered(ast, chan, 19)


def _apply_variables(ast: Asterisk, chan: SimChannel, variables: dict[str, Any]) -> dict[str, str]:
    """Set originate variables on ``chan``; those with ``report_events`` are reported on it (not
    on a Local ``;2``, which gets the plain values returned here)."""
    plain: dict[str, str] = {}
    reported = []
    for name, value in variables.items():
        if isinstance(value, dict):
            if value.get("report_events"):
                reported.append(name)
            value = value.get("value", "")
        value = "" if value is None else str(value)
        tel.set_variable(ast, chan, name, value)
        if "(" not in name:
            plain[name] = value
    for name in reported:  # after the variables are set (resource_channels.c), before any snapshot
        tel.report_variable(chan, name, True)
    return plain


def _dial_event(ast: Asterisk, peer: SimChannel, status: str, dialstring: str,
                caller: SimChannel | None = None) -> None:
    fields: dict[str, Any] = {"dialstatus": status, "forward": "", "dialstring": dialstring}
    if caller is not None:
        fields["caller"] = caller.json()
    fields["peer"] = peer.json()
    sources = [f"channel:{peer.id}"] + ([f"channel:{caller.id}"] if caller is not None else [])
    ast.publish("Dial", fields, sources=sources)


def _ring(ast: Asterisk, one: SimChannel, two: SimChannel | None, resource: str) -> None:
    """Start the far side: a Local ``;2`` runs its dialplan, a phone rings and may answer."""
    if two is not None:

        exten, ctx, _ = tel.parse_local(resource)
        run_dialplan(ast, two, ctx, exten, 1)
        return
    state = phone_states(ast).get(f"PJSIP/{resource}", "online")
    if state in ("offline", "unavailable"):
        tel.later(ast, one, 0, lambda: tel.hangup(ast, one, 20, soft=False))
        return
    if state == "busy":
        tel.later(ast, one, 0, lambda: tel.hangup(ast, one, 17, soft=False))
        return
    tel.state_change(ast, one, "Ringing")
    if state == "online":
        tel.later(ast, one, _answer_delay(ast), lambda: _phone_answers(ast, one))


def _phone_answers(ast: Asterisk, chan: SimChannel) -> None:
    if chan.destroyed or chan.state == "Up":
        return
    tel.state_change(ast, chan, "Up")
    then = chan.on_answered
    chan.on_answered = None
    if then is not None:
        then()


def _no_answer(ast: Asterisk, chan: SimChannel, dialstring: str) -> None:
    if chan.destroyed or chan.state == "Up":
        return
    _dial_event(ast, chan, "NOANSWER", dialstring)
    tel.hangup(ast, chan, 19, soft=False)


# ---- create + dial -------------------------------------------------------------------------

def create(ast: Asterisk, *, endpoint: str, app: str, app_args: list[str] | None = None,
           channel_id: str | None = None, other_id: str | None = None,
           variables: dict[str, Any] | None = None) -> SimChannel:
    """``POST /channels/create``: the channel enters Stasis (state Down) without being dialled."""
    tech, resource = parse_endpoint(ast, endpoint)
    tel.check_new_ids(ast, channel_id, other_id)
    if tech == "Local":
        one, _ = tel.local_pair(ast, resource, channel_id=channel_id, other_id=other_id)
        exten, ctx, _ = tel.parse_local(resource)
        one.dial_target = (exten, ctx)
        one.dialstring = f"{exten}@{ctx}"
    else:
        one = phone_channel(ast, resource, channel_id=channel_id)
        one.dialstring = resource
        one.dial_target = (resource, "")
    _apply_variables(ast, one, variables or {})
    args = list(app_args or [])

    def enter() -> None:
        if one.destroyed:
            return
        one.app_name, one.app_data = "Stasis", ",".join([app, *args])
        if ast.app(app) is not None:
            ast.subscribe(app, f"channel:{one.id}")
        tel.dialplan_event(ast, one)
        if not tel.enter_stasis(ast, one, app, args, from_dialplan=False):
            tel.end_by_dialplan(ast, one)

    tel.later(ast, one, 0, enter)
    return one


def dial(ast: Asterisk, chan: SimChannel, *, caller: SimChannel | None = None, timeout: int = 0) -> None:
    """``POST /channels/{id}/dial`` for a created channel."""
    if chan.dialed:
        raise AriFailure(409, "Channel is already dialed")
    chan.dialed = True
    if chan.bridge_id is None:
        chan.in_dial_bridge = True  # invisible: no events, not listed; record() notices (versions.py)
    _dial_event(ast, chan, "", chan.dialstring, caller)

    def after_answer() -> None:
        _dial_event(ast, chan, "ANSWER", "", caller)

    chan.on_answered = after_answer
    if chan.tech == "Local" and chan.peer is not None:
        _ring(ast, chan, chan.peer, f"{chan.dial_target[0]}@{chan.dial_target[1]}" if chan.dial_target else "")
    else:
        _ring(ast, chan, None, chan.name.split("/", 1)[1].rsplit("-", 1)[0])
    if timeout and timeout > 0:
        tel.later(ast, chan, timeout, lambda: _no_answer(ast, chan, chan.dialstring))


# ---- inbound calls (teaching hook) ---------------------------------------------------------

def inbound_call(ast: Asterisk, endpoint: str, exten: str, context: str) -> SimChannel:
    """A simulated phone calls ``exten@context``: its channel runs the dialplan from priority 1."""

    tech, _, resource = endpoint.partition("/")
    if not resource:
        raise ValueError(f"endpoint must look like 'PJSIP/alice', got {endpoint!r}")
    if f"{tech.upper()}/{resource}" not in phone_states(ast):
        known = ", ".join(sorted(phone_states(ast))) or "none"
        raise ValueError(f"{endpoint!r} is not a simulated endpoint (known: {known})")
    if not extension_exists(ast, context, exten):
        raise ValueError(f"no extension {exten!r} in context {context!r}")
    chan = phone_channel(ast, resource, state="Ring", context=context, exten=exten)
    chan.caller = CallerId(resource, resource)
    tel.later(ast, chan, 0, lambda: run_dialplan(ast, chan, context, exten, 1))
    return chan


# ---- the Dial() application ----------------------------------------------------------------

def dial_app(run: Runner, data: str) -> None:
    """Dial(PJSIP/bob&Local/2000@ctx[,timeout]): ring the targets, connect the first to answer."""
    ast, caller = run.ast, run.chan
    targets_text, _, rest = data.partition(",")
    timeout_text = rest.partition(",")[0]
    try:
        timeout = float(timeout_text) if timeout_text else 0.0
    except ValueError:
        timeout = 0.0
    legs: list[SimChannel] = []
    for target in filter(None, targets_text.split("&")):
        try:
            tech, resource = parse_endpoint(ast, target)
        except AriFailure:
            ast.write_log("WARNING", f"app_dial.c: Unable to create channel of type '{target.split('/')[0]}'")
            continue
        if tech == "Local":
            one, two = tel.local_pair(ast, resource, channel_id=None, other_id=None)
            exten, ctx, _ = tel.parse_local(resource)
            one.dialstring = f"{exten}@{ctx}"
        else:
            one, two = phone_channel(ast, resource), None
            one.dialstring = resource
        one.home_app = APPDIAL
        one.app_name, one.app_data = APPDIAL
        one.dial_caller = caller
        legs.append(one)
        _dial_event(ast, one, "", one.dialstring, caller)

        def connected(leg: SimChannel = one) -> None:
            _dial_event(ast, leg, "ANSWER", leg.dialstring, caller)
            for other in legs:
                if other is not leg and not other.destroyed:
                    tel.hangup(ast, other, 26, soft=False)
            if caller.state != "Up":
                tel.answer(ast, caller)
            caller.dial_leg = leg
            tel.set_variable(ast, caller, "DIALSTATUS", "ANSWER", event=False)

            def resume() -> None:  # the called party hung up: Dial returns, the dialplan goes on
                if not caller.destroyed and caller.runner is run:
                    caller.dial_leg = None
                    run.next()

            leg.after_hangup = resume

        one.on_answered = connected
        _ring(ast, one, two, resource)
    if not legs:
        tel.set_variable(ast, caller, "DIALSTATUS", "CHANUNAVAIL")
        run.next()
        return

    def give_up() -> None:
        if caller.destroyed or any(leg.state == "Up" for leg in legs):
            return
        for leg in legs:
            _dial_event(ast, leg, "NOANSWER", leg.dialstring, caller)
            tel.hangup(ast, leg, 19, soft=False)
        tel.set_variable(ast, caller, "DIALSTATUS", "NOANSWER")
        run.next()

    def leg_gone(leg: SimChannel) -> None:
        if caller.destroyed or caller.dial_leg is leg:
            return
        if all(other.destroyed for other in legs) and caller.runner is run:
            status = "BUSY" if leg.hangup_cause == 17 else "CHANUNAVAIL"
            tel.set_variable(ast, caller, "DIALSTATUS", status)
            run.next()

    for leg in legs:
        leg.on_gone = leg_gone
    if timeout > 0:
        tel.later(ast, caller, timeout, give_up)

    def caller_left() -> None:
        for leg in legs:
            if not leg.destroyed:
                tel.hangup(ast, leg, 16, soft=False)

    run.cleanup = caller_left


register_application("dial", dial_app)


# ---- external media ------------------------------------------------------------------------

def external_media(ast: Asterisk, host: str, *, app: str, tech: str, channel_id: str | None,
                   variables: dict[str, Any]) -> dict:
    """``POST /channels/externalMedia``: Asterisk originates to ``UnicastRTP/<host>`` (an
    endpoint that answers at once) into ``app``: Dial, Up, Dial ANSWER, then Stasis as for any
    originate; no ChannelDialplan, no second half. The answer lists the channel's variables as
    ``channelvars`` (the RTP socket's local address and port); later snapshots do not."""
    tel.check_new_ids(ast, channel_id)
    chan = tel.new_channel(ast, tech, f"{tech}/{host}-0x{ast.new_uuid().replace('-', '')[:12]}",
                           channel_id=channel_id, state="Down")
    chan.home_app = APPDIAL
    chan.app_name, chan.app_data = APPDIAL
    _apply_variables(ast, chan, variables)
    if tech == "UnicastRTP":
        chan.variables.update({"UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1", "UNICASTRTP_LOCAL_PORT": "17000"})
    ast.subscribe(app, f"channel:{chan.id}")
    chan.dialstring = host

    def connect() -> None:
        if chan.destroyed:
            return
        _dial_event(ast, chan, "", chan.dialstring)
        tel.state_change(ast, chan, "Up")
        _dial_event(ast, chan, "ANSWER", chan.dialstring)
        chan.app_name, chan.app_data = "Stasis", app
        if not tel.enter_stasis(ast, chan, app, [], from_dialplan=False):
            tel.end_by_dialplan(ast, chan)

    tel.later(ast, chan, 0, connect)
    out = chan.json()
    if chan.variables:
        out["channelvars"] = dict(chan.variables)
    return out
