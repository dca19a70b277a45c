"""Channels and bridges as the events describe them, for the Dashboard.

Why from events: a table that re-lists on every refresh would hammer the server; events keep
it current for free. After a reconnect the client dispatches ``EventStreamGap`` (events may
have been missed), and the Dashboard then resyncs with ``channels.list``/``bridges.list``.
"""

from __future__ import annotations

import html


from .eventlog_model import short_time

CHANNEL_GONE = ("ChannelDestroyed",)
BRIDGE_GONE = ("BridgeDestroyed",)


class LiveObjects:
    """id -> latest JSON for channels and bridges, with a version that moves on every change."""

    def __init__(self) -> None:
        self.channels: dict[str, dict] = {}
        self.bridges: dict[str, dict] = {}
        self.version = 0
        self.gaps = 0
        self.needs_resync = False
        self.hanging_up: set[str] = set()  # channels with a hangup request seen

    def apply(self, ev: dict) -> bool:
        t = ev.get("type", "")
        changed = False
        if t == "EventStreamGap":
            self.gaps += 1
            self.needs_resync = True
            changed = True
        ch = ev.get("channel")
        if isinstance(ch, dict) and ch.get("id"):
            if t == "ChannelHangupRequest":
                self.hanging_up.add(ch["id"])
            # a hung-up channel the app did not originate: its StasisEnd is the last event the
            # app gets (Asterisk sends that app no ChannelDestroyed)
            if t in CHANNEL_GONE or (t == "StasisEnd" and ch["id"] in self.hanging_up):
                self.hanging_up.discard(ch["id"])
                changed |= self.channels.pop(ch["id"], None) is not None
            elif t not in ("StasisEnd", "ChannelHangupRequest") or ch["id"] in self.channels:
                self.channels[ch["id"]] = ch
                changed = True
        br = ev.get("bridge")
        if isinstance(br, dict) and br.get("id"):
            if t in BRIDGE_GONE:
                changed |= self.bridges.pop(br["id"], None) is not None
            else:
                self.bridges[br["id"]] = br
                changed = True
        if changed:
            self.version += 1
        return changed

    def resync(self, channels: list | None = None, bridges: list | None = None) -> None:
        """Replace the tables with what ``list`` returned (after a reconnect or on demand)."""
        if channels is not None:
            self.channels = {c["id"]: c for c in channels if isinstance(c, dict) and c.get("id")}
        if bridges is not None:
            self.bridges = {b["id"]: b for b in bridges if isinstance(b, dict) and b.get("id")}
        self.needs_resync = False
        self.version += 1


def channel_label(ch: dict) -> str:
    caller = ch.get("caller") or {}
    cid = caller.get("number") or caller.get("name") or ""
    dp = ch.get("dialplan") or {}
    where = dp.get("app_name") or f"{dp.get('exten', '')}@{dp.get('context', '')}"
    return (f"{ch.get('state', ''):<9.9} {ch.get('name', ''):<36.36} {cid:<10.10} "
            f"{where:<10.10} {short_time(ch.get('creationtime')):<12} {ch.get('id', '')}")


CHANNEL_HEADER = f"{'state':<9} {'name':<36} {'caller':<10} {'in':<10} {'created':<12} id"


def bridge_label(br: dict) -> str:
    return (f"{br.get('bridge_type', ''):<8.8} {br.get('technology', ''):<14.14} "
            f"{len(br.get('channels') or []):>3} ch  {br.get('name', ''):<16.16} {br.get('id', '')}")


BRIDGE_HEADER = f"{'type':<8} {'technology':<14} {'members':>6}  {'name':<16} id"


def bridge_html(br: dict, channels: dict[str, dict]) -> str:
    """A bridge and its members (names and states when the channel is known)."""
    esc = html.escape
    rows = []
    for cid in br.get("channels") or []:
        ch = channels.get(cid, {})
        rows.append(f"<tr><td><code>{esc(cid)}</code></td><td>{esc(ch.get('name', ''))}</td>"
                    f"<td>{esc(ch.get('state', ''))}</td></tr>")
    members = ("<table class='ari-table'><tr><th>channel</th><th>name</th><th>state</th></tr>"
               + "".join(rows) + "</table>") if rows else "<div class='ari-muted'>no members</div>"
    return (f"<div class='ari-title'>Bridge <code>{esc(br.get('id', ''))}</code> "
            f"<span class='ari-badge info'>{esc(br.get('bridge_type', ''))}</span>"
            f"<span class='ari-muted'>{esc(br.get('technology', ''))} {esc(br.get('name', ''))}</span></div>"
            + members)


def connection_html(state: str, url: str, username: str | None, apps: list[dict] | None,
                    gaps: int, error: str | None = None) -> str:
    esc = html.escape
    kind = {"connected": "ok", "connecting": "warn", "reconnecting": "warn"}.get(state, "err")
    app_txt = ""
    if state == "closed":
        app_txt = "client closed: no live channels, bridges or app registrations"
    elif apps is not None:
        names = [f"{a.get('name', '')} ({len(a.get('channel_ids') or [])} ch, "
                 f"{len(a.get('bridge_ids') or [])} br)" for a in apps if isinstance(a, dict)]
        app_txt = ("apps: " + ", ".join(esc(n) for n in names)) if names else "no app registered"
    gap_txt = f" <span class='ari-badge warn'>{gaps} reconnect{'s' if gaps != 1 else ''}</span>" if gaps else ""
    err = f"<div class='ari-error'>{esc(error)}</div>" if error else ""
    return (f"<div class='ari-title'><span class='ari-badge {kind} ari-connection'>{esc(state)}</span>"
            f"<code>{esc(url)}</code> <span class='ari-muted'>as {esc(username or '?')}</span>{gap_txt}</div>"
            f"<div class='ari-muted ari-apps'>{app_txt}</div>{err}")


