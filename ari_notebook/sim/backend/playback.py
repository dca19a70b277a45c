"""Playbacks on channels and bridges, progressing in simulated time.

Behaviour from the traces: ``play`` answers 201 with state ``queued``; ``PlaybackStarted``
follows at once; a playlist goes Started -> Continuing -> Started ... -> Finished; ``unpause``
emits another ``PlaybackStarted``; ``forward``/``reverse``/``restart`` emit nothing; ``DELETE``
finishes with state ``done`` (never "stopped"); a finished playback is gone at once (404); a
missing file gives Started then Finished ``failed``; an unsupported scheme gives Started and
never a Finished; a hangup gives Finished ``failed`` before ``StasisEnd``.

Durations come from the media library (``sim/backend/media.py``) through the ``media_plan`` provider.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .core import AriFailure, Asterisk, Timer, component

OK, MISSING, UNSUPPORTED = "ok", "missing", "unsupported"


def media_plan(ast: Asterisk, uri: str, language: str) -> tuple[str, float | None]:
    """(status, seconds) for one media URI, from the media library (``sim/backend/media.py``, provided
    by the sounds resource); seconds is ``math.inf`` for tones."""
    plan = ast.provider("media_plan")(uri, language)
    return plan.status, plan.duration


def media_seconds(ast: Asterisk, uri: str, language: str) -> float | None:
    status, seconds = media_plan(ast, uri, language)
    return seconds if status == OK else None


@dataclass
class SimPlayback:
    id: str
    media: list[str]
    target_uri: str
    language: str
    skipms: int = 3000
    offsetms: int = 0
    index: int = 0
    state: str = "queued"
    duration: float = 0.0
    remaining: float = 0.0
    started_at: float = 0.0
    timer: Timer | None = None

    @property
    def media_uri(self) -> str:
        return self.media[self.index]

    def json(self, state: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "media_uri": self.media_uri}
        if self.index + 1 < len(self.media):
            out["next_media_uri"] = self.media[self.index + 1]
        out["target_uri"] = self.target_uri
        out["language"] = self.language
        out["state"] = state or self.state
        return out


@component
class Playbacks:
    """Per-simulator playback registry and per-target queues."""

    def __init__(self, ast: Asterisk) -> None:
        self.ast = ast
        self.items: dict[str, SimPlayback] = {}
        self.queues: dict[str, list[SimPlayback]] = {}  # target_uri -> [active, queued...]
        ast.on("channel_media_ends", self._channel_media_ends)

    def _channel_media_ends(self, channel: Any, state: str) -> None:
        stop_channel_playbacks(self.ast, channel, state=state)


def registry(ast: Asterisk) -> Playbacks:
    return ast.component(Playbacks)


def _publish(ast: Asterisk, pb: SimPlayback, event_type: str, state: str | None = None) -> None:
    fields = {"playback": pb.json(state)}
    sources = (f"playback:{pb.id}", pb.target_uri.replace("bridge:", "bridge:", 1))
    ast.publish(event_type, fields, sources=sources)
    if pb.target_uri.startswith("bridge:") and event_type in ("PlaybackStarted", "PlaybackFinished"):
        # quirk: subscribeAll sockets received bridge PlaybackStarted/Finished twice
        ast.publish(event_type, fields, sources=sources, only_all=True)


def start(ast: Asterisk, target_uri: str, media: list[str], language: str, *, playback_id: str | None,
          skipms: int = 3000, offsetms: int = 0) -> SimPlayback:
    """Queue a playback; it starts right after the response (or after the ones before it)."""
    reg = registry(ast)
    pid = playback_id or ast.new_uuid()
    if pid in reg.items:
        raise AriFailure(409, f"Playback with id '{pid}' already exists")
    pb = SimPlayback(id=pid, media=media, target_uri=target_uri, language=language, skipms=skipms,
                  offsetms=offsetms)
    reg.items[pid] = pb
    queue = reg.queues.setdefault(target_uri, [])
    queue.append(pb)
    if len(queue) == 1:
        ast.clock.call_later(0, lambda: _begin(ast, pb))
    return pb


def _begin(ast: Asterisk, pb: SimPlayback) -> None:
    reg = registry(ast)
    if reg.items.get(pb.id) is not pb:
        return
    ast.fire("playback_begins", playback=pb)  # on a bridge, ``bridging`` adds an announcer
    _play_current(ast, pb, first=True)


def _play_current(ast: Asterisk, pb: SimPlayback, *, first: bool) -> None:
    pb.state = "playing"
    status, seconds = media_plan(ast, pb.media_uri, pb.language)
    _publish(ast, pb, "PlaybackStarted")
    if status == UNSUPPORTED:
        ast.write_log("ERROR", f"res_stasis_playback.c: Attempted to play URI '{pb.media_uri}' on "
                               f"{pb.target_uri} but scheme is unsupported")
        # quirk: no PlaybackFinished ever follows; the playback silently goes away
        _forget(ast, pb)
        return
    if status != OK or seconds is None:
        ast.write_log("WARNING", f"file.c: Unable to open {pb.media_uri} (format (ulaw)): No such file or directory")
        _finish(ast, pb, "failed")
        return
    pb.duration = float(seconds)
    offset = pb.offsetms / 1000.0 if first else 0.0
    pb.remaining = max(0.0, pb.duration - offset)
    _schedule(ast, pb)


def _schedule(ast: Asterisk, pb: SimPlayback) -> None:
    if pb.timer is not None:
        pb.timer.cancel()
        pb.timer = None
    pb.started_at = ast.clock.now()
    if math.isinf(pb.remaining):
        return
    pb.timer = ast.clock.call_later(pb.remaining, lambda: _media_done(ast, pb))


def _elapsed(ast: Asterisk, pb: SimPlayback) -> float:
    return max(0.0, ast.clock.now() - pb.started_at)


def _media_done(ast: Asterisk, pb: SimPlayback) -> None:
    pb.timer = None
    if registry(ast).items.get(pb.id) is not pb:
        return
    if pb.index + 1 < len(pb.media):
        _publish(ast, pb, "PlaybackContinuing", "continuing")
        pb.index += 1
        _play_current(ast, pb, first=False)
        return
    _finish(ast, pb, "done")


def _forget(ast: Asterisk, pb: SimPlayback) -> None:
    reg = registry(ast)
    if pb.timer is not None:
        pb.timer.cancel()
        pb.timer = None
    reg.items.pop(pb.id, None)
    queue = reg.queues.get(pb.target_uri, [])
    was_active = bool(queue) and queue[0] is pb
    if pb in queue:
        queue.remove(pb)
    ast.fire("playback_gone", playback=pb)  # ``bridging`` lets the announcer go
    if not queue:
        reg.queues.pop(pb.target_uri, None)
    elif was_active:
        nxt = queue[0]
        ast.clock.call_later(0, lambda: _begin(ast, nxt))


def _finish(ast: Asterisk, pb: SimPlayback, state: str) -> None:
    pb.state = state
    if pb.timer is not None:
        pb.timer.cancel()
        pb.timer = None
    registry(ast).items.pop(pb.id, None)
    _publish(ast, pb, "PlaybackFinished", state)
    _forget(ast, pb)


# ---- REST-facing operations ----------------------------------------------------------------

def get(ast: Asterisk, playback_id: str) -> SimPlayback:
    pb = registry(ast).items.get(playback_id)
    if pb is None:
        raise AriFailure(404, "Playback not found")
    return pb


def stop(ast: Asterisk, pb: SimPlayback) -> None:
    """``DELETE /playbacks/{id}``: quirk, it finishes with state ``done`` (never "stopped")."""
    if pb.state == "queued":
        registry(ast).items.pop(pb.id, None)
        _publish(ast, pb, "PlaybackFinished", "done")
        _forget(ast, pb)
        return
    _finish(ast, pb, "done")


CONTROL_OPERATIONS = ("restart", "pause", "unpause", "reverse", "forward")


def control(ast: Asterisk, pb: SimPlayback, operation: str) -> None:
    if operation not in CONTROL_OPERATIONS:
        raise AriFailure(400, f"Invalid operation {operation}")
    if pb.state == "queued":
        raise AriFailure(409, "Playback not in a state to be controlled")
    if operation == "pause":
        if pb.state == "playing":
            pb.remaining = max(0.0, pb.remaining - _elapsed(ast, pb))
            if pb.timer is not None:
                pb.timer.cancel()
                pb.timer = None
            pb.state = "paused"
        return
    if operation == "unpause":
        if pb.state == "paused":
            pb.state = "playing"
            _publish(ast, pb, "PlaybackStarted")
            _schedule(ast, pb)
        return
    playing = pb.state == "playing"
    if playing:
        pb.remaining = max(0.0, pb.remaining - _elapsed(ast, pb))
    if operation == "restart":
        pb.remaining = pb.duration
    elif operation == "reverse":
        pb.remaining = min(pb.duration, pb.remaining + pb.skipms / 1000.0)
    elif operation == "forward":
        pb.remaining = max(0.0, pb.remaining - pb.skipms / 1000.0)
    if playing:
        _schedule(ast, pb)


def stop_target_playbacks(ast: Asterisk, target_uri: str, *, state: str) -> None:
    """End every playback on a target (active one gets PlaybackFinished; queued ones vanish)."""
    reg = registry(ast)
    queue = list(reg.queues.get(target_uri, []))
    for i, pb in enumerate(queue):
        if reg.items.get(pb.id) is not pb:
            continue
        if i == 0 and pb.state != "queued":
            _finish(ast, pb, state)
        else:
            reg.items.pop(pb.id, None)
            if pb in reg.queues.get(target_uri, []):
                reg.queues[target_uri].remove(pb)
    if not reg.queues.get(target_uri):
        reg.queues.pop(target_uri, None)


def stop_channel_playbacks(ast: Asterisk, chan: Any, *, state: str) -> None:
    stop_target_playbacks(ast, f"channel:{chan.id}", state=state)
