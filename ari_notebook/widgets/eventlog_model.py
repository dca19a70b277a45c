"""What the live event table shows: the newest events that pass the filters, as short rows.

Why bounded: a refresh looks at the newest events only (``log.tail``), never at the whole log,
so its cost is proportional to the rows shown even when thousands of events arrive per second.
When filters are set it widens its window step by step up to ``scan_limit`` events.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Iterable


def event_objects(ev: dict) -> list[str]:
    """Ids and names of the objects an event is about (channel, peer, bridge, playback target...)."""
    out: list[str] = []
    for key in ("channel", "peer", "caller", "forwarded", "replace_channel", "bridge", "playback",
                "recording", "endpoint", "device_state"):
        obj = ev.get(key)
        if isinstance(obj, dict):
            for attr in ("id", "name", "target_uri", "technology", "resource"):
                value = obj.get(attr)
                if isinstance(value, str) and value:
                    out.append(value)
    for key in ("destination_type", "channel_id", "bridge_id"):
        value = ev.get(key)
        if isinstance(value, str):
            out.append(value)
    return out


def event_object(ev: dict) -> str:
    """The one object to show in the table row."""
    for key in ("channel", "bridge", "playback", "recording", "endpoint", "device_state"):
        obj = ev.get(key)
        if isinstance(obj, dict):
            if key == "channel":
                return obj.get("name") or obj.get("id") or ""
            if key == "device_state":
                return obj.get("name", "")
            if key == "endpoint":
                return f"{obj.get('technology', '')}/{obj.get('resource', '')}"
            return obj.get("id") or obj.get("name") or ""
    return ""


def event_detail(ev: dict) -> str:
    """A few words saying what happened (state, digit, variable, dial status, cause...)."""
    t = ev.get("type", "")
    ch = ev.get("channel") if isinstance(ev.get("channel"), dict) else {}
    if t == "ChannelStateChange":
        return ch.get("state", "")
    if t == "ChannelDtmfReceived":
        return f"digit {ev.get('digit', '')}"
    if t == "ChannelVarset":
        return f"{ev.get('variable', '')}={ev.get('value', '')}"
    if t == "Dial":
        peer = ev.get("peer") or {}
        return f"peer {peer.get('name') or peer.get('id', '')} {ev.get('dialstatus', '')}".strip()
    if t in ("ChannelHangupRequest", "ChannelDestroyed"):
        txt = ev.get("cause_txt")
        return f"cause {ev.get('cause', '')}" + (f" {txt}" if txt else "") + (" soft" if ev.get("soft") else "")
    if t == "ChannelDialplan":
        return f"{ev.get('dialplan_app', '')}({ev.get('dialplan_app_data', '')})"
    if t in ("ChannelEnteredBridge", "ChannelLeftBridge"):
        return f"bridge {(ev.get('bridge') or {}).get('id', '')}"
    if t.startswith("Playback"):
        pb = ev.get("playback") or {}
        return f"{pb.get('media_uri', '')} {pb.get('state', '')}".strip()
    if t.startswith("Recording"):
        rec = ev.get("recording") or {}
        return f"{rec.get('name', '')} {rec.get('state', '')}".strip()
    if t == "StasisStart":
        args = ev.get("args") or []
        return ("args " + ",".join(map(str, args))) if args else "no args"
    if t == "ChannelCallerId":
        cid = ch.get("caller") or {}
        return f"{cid.get('name', '')} <{cid.get('number', '')}>"
    if t == "EventStreamGap":
        return f"{ev.get('reason', '')} ({ev.get('disconnected_at', '')} -> {ev.get('reconnected_at', '')})"
    if t == "DeviceStateChanged":
        return (ev.get("device_state") or {}).get("state", "")
    if t == "ChannelUserevent":
        return ev.get("eventname", "")
    return ""


def short_time(ts: Any) -> str:
    """``2026-11-25T10:00:00.123+0000`` -> ``10:00:00.123``."""
    if not isinstance(ts, str) or "T" not in ts:
        return ""
    clock = ts.split("T", 1)[1]
    for sep in ("+", "-", "Z"):
        if sep in clock:
            clock = clock.split(sep, 1)[0]
    return clock[:12]


@dataclass
class Filters:
    """Type, object (channel/bridge id or name, substring), application and server filters
    (``server`` is an ``asterisk_id``: a fleet's log holds several servers' events)."""

    type: str = ""
    obj: str = ""
    app: str = ""
    server: str = ""

    @property
    def active(self) -> bool:
        return bool(self.type or self.obj.strip() or self.app.strip() or self.server)

    def match(self, ev: dict) -> bool:
        if self.type and ev.get("type") != self.type:
            return False
        if self.server and ev.get("asterisk_id") != self.server:
            return False
        app = self.app.strip()
        if app and ev.get("application") != app:
            return False
        obj = self.obj.strip()
        if obj and not any(obj in o for o in event_objects(ev)):
            return False
        return True


def newest(log: Any, n: int, filters: Filters, scan_limit: int = 5000) -> tuple[list[dict], int]:
    """The newest ``n`` events passing ``filters``, newest first, and how many were decoded.

    With an EventLog this uses its indexed ``newest(n, type=, channel=, bridge=, app=)`` (the
    object filter is a channel id or name, else a bridge id); any other log with ``tail`` is
    scanned backwards over at most ``scan_limit`` events."""
    if not filters.active:
        rows = list(log.tail(n))
        rows.reverse()
        return rows, len(rows)
    indexed = getattr(log, "newest", None)
    if callable(indexed):
        common = {"type": filters.type or None, "app": filters.app.strip() or None}
        if filters.server:
            common["asterisk_id"] = filters.server
        obj = filters.obj.strip()
        if not obj:
            rows = indexed(n, **common)
        else:
            rows = indexed(n, channel=obj, **common) or indexed(n, bridge=obj, **common)
        return rows, len(rows)
    window = max(4 * n, 200)
    total = len(log)
    while True:
        window = min(window, scan_limit, total)
        events = list(log.tail(window))
        hits = [ev for ev in reversed(events) if filters.match(ev)]
        if len(hits) >= n or window >= min(scan_limit, total):
            return hits[:n], len(events)
        window *= 4


def row_label(ev: dict, servers: dict[str, str] | None = None) -> str:
    """One fixed-width text row (the table is a list box so a click selects an event).

    ``servers`` ({asterisk_id: name}, a fleet's log) adds the server's name in front."""
    where = ""
    if servers is not None:
        aid = ev.get("asterisk_id")
        where = f"{servers.get(aid, aid or '?'):<10.10}  "
    return (f"{where}{short_time(ev.get('timestamp')):<12}  {ev.get('type', '?'):<22.22}  "
            f"{event_object(ev):<34.34}  {ev.get('application', ''):<10.10}  {event_detail(ev)}")[:172]


HEADER = f"{'time':<12}  {'type':<22}  {'object':<34}  {'app':<10}  detail"
FLEET_HEADER = f"{'server':<10}  {HEADER}"


def server_options(servers: dict[str, str]) -> list[tuple[str, str]]:
    """Server filter choices from {asterisk_id: name}: all, then each by name."""
    return [("all servers", "")] + [(f"{name} ({aid})", aid) for aid, name in servers.items()]


def counts_html(counts: dict[str, int], total: int, *, paused: bool, recording: bool,
                shown: int, limit: int = 12) -> str:
    """Badges: total, live/paused state, then events per type (most frequent first)."""
    esc = html.escape
    state = ('<span class="ari-badge warn">view paused</span>' if paused
             else '<span class="ari-badge ok">live</span>')
    if not recording:
        state += '<span class="ari-badge err">log not recording</span>'
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    badges = "".join(f'<span class="ari-badge count" title="{esc(k)}">{esc(k)} {v}</span>'
                     for k, v in top[:limit])
    more = f"<span class='ari-muted'> +{len(top) - limit} types</span>" if len(top) > limit else ""
    return (f'<div class="ari-counts">{state}<b class="ari-total">{total}</b> events'
            f" <span class='ari-muted'>(showing {shown})</span> {badges}{more}</div>")


def type_options(counts: dict[str, int], known: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Filter choices: every type seen so far plus the spec's event types (stable labels, so a
    refresh never resets the chosen filter)."""
    return [("all types", "")] + [(t, t) for t in sorted(set(counts) | set(known))]
