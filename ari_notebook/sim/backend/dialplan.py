"""A small dialplan interpreter: contexts of extensions running NoOp, Answer, Stasis, Hangup,
Playback, Wait, Echo, MusicOnHold, Set and Dial, as ``extensions.conf`` would.

Each priority emits ``ChannelDialplan``; applications that take time (Wait, Playback, ringing
phones) use clock timers, so a 600 s Wait ends in milliseconds on a fast clock with the same
events. Sans-I/O like the rest of the backend.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .core import Asterisk
from .objects import SimChannel
from . import telephony as tel
from .playback import media_seconds


def extension_steps(ast: Asterisk, context: str, exten: str) -> list[tuple[str, str]] | None:
    """The priorities of ``exten`` in ``context``: an exact extension first, else the most
    specific matching pattern (``_NXX``, ``_1.``, ``_[2-4]!``), as extensions.conf matches."""
    plan = getattr(ast.config, "dialplan", None) or {}
    extens = plan.get(context, {})
    if exten in extens:
        return extens[exten]
    best: tuple[int, str] | None = None
    for name in extens:
        if name.startswith("_") and _pattern(name).fullmatch(exten):
            specificity = sum(1 for c in name[1:] if c not in "XZN.!")
            if best is None or specificity > best[0]:
                best = (specificity, name)
    return extens[best[1]] if best else None


def _pattern(name: str) -> "re.Pattern[str]":
    out, i, body = [], 0, name[1:]
    while i < len(body):
        c = body[i]
        if c == "[":
            j = body.index("]", i)
            out.append("[" + re.escape(body[i + 1:j]).replace("\\-", "-") + "]")
            i = j + 1
            continue
        out.append({"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(c.upper() if c in "xzn" else c,
                                                                                      re.escape(c)))
        i += 1
    return re.compile("".join(out))


def extension_exists(ast: Asterisk, context: str, exten: str) -> bool:
    return extension_steps(ast, context, exten) is not None


_VAR = re.compile(r"\$\{([^{}]+)\}")


def expand(chan: SimChannel, data: str) -> str:
    """``${NAME}`` / ``${FUNC(arg)}`` substitution, as pbx_substitute_variables does (unset = "")."""
    if "${" not in data:
        return data
    previous = None
    while previous != data and "${" in data:  # inner ones first: ${A${B}} style nesting
        previous = data
        data = _VAR.sub(lambda m: tel.get_variable(chan, m.group(1)) or "", data)
    return data


class Runner:
    """Runs one channel through the dialplan from (context, exten, priority)."""

    def __init__(self, ast: Asterisk, chan: SimChannel, context: str, exten: str, priority: int = 1) -> None:
        self.ast = ast
        self.chan = chan
        self.context = context
        self.exten = exten
        self.priority = priority
        self.cleanup: Callable[[], None] | None = None  # what an interrupted app still does
        self.on_digit: Callable[[str], None] | None = None  # set while WaitExten()/Background() listen
        self.play_timer: Any = None  # the running Playback()/Background() end

    def start(self) -> None:
        self.chan.runner = self
        self.chan.context, self.chan.exten = self.context, self.exten
        self.step()

    # ---- control
    def step(self) -> None:
        chan = self.chan
        if chan.runner is not self or chan.hangup_requested:
            return
        self.cleanup = None
        self.on_digit = None
        steps = extension_steps(self.ast, self.context, self.exten)
        if steps is None or not (1 <= self.priority <= len(steps)):
            tel.end_by_dialplan(self.ast, chan)  # ran off the end (or no such extension)
            return
        app, data = steps[self.priority - 1]
        data = expand(chan, data)
        chan.context, chan.exten, chan.priority = self.context, self.exten, self.priority
        chan.app_name, chan.app_data = app, data
        tel.dialplan_event(self.ast, chan)
        handler = APPLICATIONS.get(app.lower())
        if handler is None:
            self.ast.write_log("WARNING", f"pbx.c: No application '{app}' for extension "
                                          f"({self.context}, {self.exten}, {self.priority})")
            tel.end_by_dialplan(self.ast, chan)
            return
        handler(self, data)

    def next(self, delay: float = 0.0) -> None:
        self.priority += 1
        if delay > 0:
            tel.later(self.ast, self.chan, delay, self.step)
        else:
            self.step()

    def goto(self, context: str, exten: str, priority: int) -> None:
        self.context, self.exten, self.priority = context, exten, priority
        self.chan.runner = self
        self.step()

    def interrupt(self) -> None:
        """The channel hung up in the middle of an application."""
        if self.cleanup is not None:
            cleanup, self.cleanup = self.cleanup, None
            cleanup()

    def dtmf(self, digit: str) -> None:
        """A digit arrived; only WaitExten() listens (it jumps to that extension)."""
        if self.on_digit is not None:
            handler, self.on_digit = self.on_digit, None
            handler(digit)


# ---- applications --------------------------------------------------------------------------

def _noop(run: Runner, data: str) -> None:
    run.next()


def _answer(run: Runner, data: str) -> None:
    if run.chan.state == "Up":
        run.next()
        return
    tel.answer(run.ast, run.chan)
    run.next(tel.ANSWER_SETTLE)


def _wait(run: Runner, data: str) -> None:
    try:
        seconds = float(data or 0)
    except ValueError:
        seconds = 0.0
    run.next(max(0.0, seconds))


def _hangup(run: Runner, data: str) -> None:
    try:
        cause = int(data) if data else 16
    except ValueError:
        cause = 16
    tel.end_by_dialplan(run.ast, run.chan, cause)


def _set(run: Runner, data: str) -> None:
    name, _, value = data.partition("=")
    if name:
        tel.set_variable(run.ast, run.chan, name.strip(), value)
    run.next()


def _stasis(run: Runner, data: str) -> None:
    parts = data.split(",") if data else [""]
    app, args = parts[0], parts[1:]
    if tel.enter_stasis(run.ast, run.chan, app, args, from_dialplan=True):
        return  # resumes on continue (or ends on hangup)
    tel.set_variable(run.ast, run.chan, "STASISSTATUS", "FAILED")
    run.next()


def _playback(run: Runner, data: str, status_var: str | None = "PLAYBACKSTATUS") -> None:
    """Playback(file[&file...][,options]): answers unless ``noanswer``; sets PLAYBACKSTATUS."""
    files, _, options = data.partition(",")
    if run.chan.state != "Up" and "noanswer" not in options:
        tel.answer(run.ast, run.chan)
    total = 0.0
    for name in files.split("&"):
        seconds = media_seconds(run.ast, f"sound:{name}", run.chan.language)
        if seconds is None:
            run.ast.write_log("WARNING", f"file.c: Unable to open {name} (format (ulaw)): No such file or directory")
            if status_var:
                tel.set_variable(run.ast, run.chan, status_var, "FAILED")
            run.next()
            return
        total += seconds

    def finished() -> None:
        if status_var:
            tel.set_variable(run.ast, run.chan, status_var, "SUCCESS")

    run.cleanup = finished

    def done() -> None:
        run.cleanup = None
        run.on_digit = None
        finished()
        run.next()

    run.play_timer = tel.later(run.ast, run.chan, total, done)


def _forever(run: Runner, data: str) -> None:
    """Echo: until the caller hangs up."""
    return None


def _music_on_hold(run: Runner, data: str) -> None:
    cls, _, duration = data.partition(",")
    run.chan.moh = cls or "default"
    if duration:
        try:
            run.next(float(duration))
        except ValueError:
            pass


def _goto(run: Runner, data: str) -> None:
    """Goto([[context,]exten,]priority)."""
    parts = [p.strip() for p in data.split(",")] if data else []
    context, exten, prio = run.context, run.exten, "1"
    if len(parts) == 1:
        prio = parts[0]
    elif len(parts) == 2:
        exten, prio = parts
    elif len(parts) >= 3:
        context, exten, prio = parts[:3]
    try:
        priority = int(prio)
    except ValueError:
        run.ast.write_log("WARNING", f"pbx.c: Priority '{prio}' must be a number (labels are not simulated)")
        tel.end_by_dialplan(run.ast, run.chan)
        return
    run.goto(context, exten, priority)


def _log_line(run: Runner, data: str) -> None:
    """Verbose([level,]message) / Log(level,message): the text goes to the simulator's log."""
    level, _, message = data.partition(",")
    if not message:
        level, message = "VERBOSE", level
    run.ast.write_log(level.strip().upper() if not level.strip().isdigit() else "VERBOSE",
                      f"pbx.c: {message}")
    run.next()


def _background(run: Runner, data: str) -> None:
    """Background(file): plays like Playback(), but a digit pressed meanwhile stops it and
    jumps to that extension, as WaitExten() afterwards would."""
    priority = run.priority
    _playback(run, data, status_var=None)  # Background() reports no PLAYBACKSTATUS
    timer = run.play_timer
    if run.priority != priority or run.cleanup is None or timer is None:
        return  # nothing is playing (missing file): the dialplan already moved on

    def pressed(digit: str) -> None:
        timer.cancel()
        run.cleanup = None
        target = digit if extension_exists(run.ast, run.context, digit) else "i"
        if extension_exists(run.ast, run.context, target):
            run.goto(run.context, target, 1)
        else:
            tel.end_by_dialplan(run.ast, run.chan)

    run.on_digit = pressed


def _wait_exten(run: Runner, data: str) -> None:
    """WaitExten([seconds]): a pressed digit jumps to that extension here (``i`` if it does not
    exist), silence for ``seconds`` goes to ``t`` (or hangs up when there is none)."""
    try:
        seconds = float(data.split(",")[0]) if data else 10.0
    except ValueError:
        seconds = 10.0
    timer = tel.later(run.ast, run.chan, seconds, lambda: _timeout(run))

    def pressed(digit: str) -> None:
        timer.cancel()
        target = digit if extension_exists(run.ast, run.context, digit) else "i"
        if not extension_exists(run.ast, run.context, target):
            tel.end_by_dialplan(run.ast, run.chan)
            return
        run.goto(run.context, target, 1)

    run.on_digit = pressed


def _timeout(run: Runner) -> None:
    run.on_digit = None
    if extension_exists(run.ast, run.context, "t"):
        run.goto(run.context, "t", 1)
    else:
        tel.end_by_dialplan(run.ast, run.chan)


def _progress_like(run: Runner, data: str) -> None:
    """Progress(), Ringing(): indications only; nothing ARI shows."""
    run.next()


def _busy(cause: int):
    def app(run: Runner, data: str) -> None:
        """Busy()/Congestion([timeout]): signal it, then hang up after the timeout (or wait)."""
        run.chan.hangup_cause = cause
        try:
            seconds = float(data) if data else 0.0
        except ValueError:
            seconds = 0.0
        if seconds > 0:
            tel.later(run.ast, run.chan, seconds, lambda: tel.end_by_dialplan(run.ast, run.chan, cause))
    return app


APPLICATIONS: dict[str, Callable[[Runner, str], Any]] = {
    "noop": _noop, "answer": _answer, "wait": _wait, "hangup": _hangup, "set": _set, "stasis": _stasis,
    "playback": _playback, "echo": _forever, "musiconhold": _music_on_hold,
    # a few more that tutorial dialplans use
    "goto": _goto, "verbose": _log_line, "log": _log_line, "background": _background,
    "waitexten": _wait_exten, "progress": _progress_like, "ringing": _progress_like,
    "busy": _busy(17), "congestion": _busy(34),
}


def register_application(name: str, app: Callable[[Runner, str], Any]) -> None:
    """Make ``app`` runnable as ``name`` (case-insensitive); ``phones`` registers ``Dial``, so the
    PBX runs Dial() without knowing about phones."""
    APPLICATIONS[name.lower()] = app


def run_dialplan(ast: Asterisk, chan: SimChannel, context: str, exten: str, priority: int = 1) -> Runner:
    runner = Runner(ast, chan, context, exten, priority)
    runner.start()
    return runner
