"""Plots of an event log: a call timeline, a sngrep-style ladder of one call, the event rate;
and of a fleet's dataset (``Dataset.rates``/``causes``): calls per hour per server, failure
causes, a server x hour heatmap.

Why matplotlib ``Figure`` objects (not pyplot): they carry no global state, so a notebook shows
each once (Jupyter renders a returned Figure), tests save them as PNG, and widgets can embed
them. Times are UTC on every axis.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .log import EventLog

COLORS = {
    "ringing": "#f4b942", "up": "#5cb85c", "bridge": "#2a6fbb", "stasis": "#7a7a7a",
    "playback": "#8e44ad", "dtmf": "#d35400", "hangup": "#c0392b", "gap": "#e74c3c",
    "request": "#1f4e79", "request_error": "#c0392b", "event": "#2e7d32",
}


def _figure(width: float, height: float) -> "Figure":
    from matplotlib.figure import Figure

    _register_display()
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


_registered = False


def _register_display() -> None:
    """Let IPython show a bare ``Figure`` as PNG even if pyplot was never imported."""
    global _registered
    if _registered:
        return
    _registered = True
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    from matplotlib.figure import Figure

    formatter = ip.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        def png(fig: Figure) -> bytes:
            import io
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            return buf.getvalue()
        formatter.for_type(Figure, png)


def _num(values: Any) -> np.ndarray:
    """tz-aware timestamps -> matplotlib date numbers (NaT -> nan)."""
    import matplotlib.dates as mdates

    s = pd.Series(values)
    if len(s) == 0:
        return np.zeros(0)
    s = pd.to_datetime(s, utc=True).dt.tz_convert(None)
    out = np.full(len(s), np.nan)
    ok = s.notna().to_numpy()
    if ok.any():
        out[ok] = mdates.date2num(s[ok].to_numpy())
    return out


def _time_axis(ax, span_s: float) -> None:
    import matplotlib.dates as mdates

    fmt = "%H:%M:%S" if span_s > 5 else "%H:%M:%S.%f"
    formatter = mdates.DateFormatter(fmt)
    if span_s <= 5:
        formatter = _MilliFormatter()
    ax.xaxis.set_major_formatter(formatter)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.set_xlabel("time (UTC)")


class _MilliFormatter:
    """HH:MM:SS.mmm tick labels for short spans."""

    def __new__(cls):
        import matplotlib.dates as mdates
        import matplotlib.ticker as mticker

        def fmt(x, _pos=None):
            return mdates.num2date(x).strftime("%H:%M:%S.%f")[:-3]
        return mticker.FuncFormatter(fmt)


def _gap_spans(df: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(disconnected_at, reconnected_at) of every EventStreamGap marker."""
    import orjson

    spans = []
    for raw in df.loc[df["type"] == "EventStreamGap", "raw"]:
        ev = orjson.loads(raw)
        a = pd.to_datetime(ev.get("disconnected_at"), utc=True, errors="coerce", format="ISO8601")
        b = pd.to_datetime(ev.get("reconnected_at") or ev.get("timestamp"), utc=True, errors="coerce",
                           format="ISO8601")
        if pd.notna(b):
            spans.append((a if pd.notna(a) else b, b))
    return spans


# ---------------------------------------------------------------------------------- timeline
def timeline(log: "EventLog", channels: Iterable[str] | None = None, *, max_channels: int = 40,
             all_channels: bool = False, width: float = 12.0) -> "Figure":
    """One lane per channel: ringing, up, in a bridge, Stasis, playback and DTMF marks, hangup.

    ``channels`` picks channel ids (default: every call of ``log.calls()``, the first
    ``max_channels`` by creation time). A live channel's bars run to the newest event.
    Shaded red spans are ``EventStreamGap`` outages (events may be missing there).
    """
    from matplotlib.patches import Patch
    from matplotlib.lines import Line2D

    df = log.df
    calls = log.calls(all_channels=all_channels)
    if channels is not None:
        wanted = list(channels)
        calls = calls[calls["channel_id"].isin(wanted)]
    truncated = max(0, len(calls) - max_channels)
    calls = calls.head(max_channels).reset_index(drop=True)
    fig = _figure(width, 1.6 + 0.62 * max(1, len(calls)))
    ax = fig.add_subplot()
    if calls.empty:
        ax.text(0.5, 0.5, "no calls in this log", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    when = df["time"].fillna(df["received_at"])
    log_end = when.max()
    bridges = log.bridges()
    playbacks = log.playbacks()
    presses = log.dtmf(per="digit")
    lanes = {cid: i for i, cid in enumerate(calls["channel_id"])}
    start = calls["created"].min()
    lo, hi = _num([start, log_end])
    x_range = max(hi - lo, 1e-9)
    h = 0.36
    for i, row in calls.iterrows():
        y = i
        end = row["ended"] if pd.notna(row["ended"]) else log_end
        created, answered = row["created"], row["answered"]
        ring_end = answered if pd.notna(answered) else end
        x0, x1, x2 = _num([created, ring_end, end])
        if np.isfinite(x0) and np.isfinite(x1):
            ax.barh(y, max(x1 - x0, 0), left=x0, height=h, color=COLORS["ringing"], zorder=2)
        if pd.notna(answered) and np.isfinite(x1) and np.isfinite(x2):
            ax.barh(y, max(x2 - x1, 0), left=x1, height=h, color=COLORS["up"], zorder=2)
        if pd.notna(row["stasis_start"]):
            s0, s1 = _num([row["stasis_start"], row["stasis_end"] if pd.notna(row["stasis_end"]) else end])
            ax.plot([s0, s1], [y + h / 2 + 0.07] * 2, color=COLORS["stasis"], lw=2, solid_capstyle="butt", zorder=2)
        if pd.notna(row["ended"]):
            ax.plot([x2], [y], marker="X", color=COLORS["hangup"], ms=9, zorder=4)
            why = row["cause_txt"] if isinstance(row["cause_txt"], str) else ""
            by = f" by {row['hangup_by']}" if isinstance(row["hangup_by"], str) else ""
            ax.annotate(f"{why}{by}", (x2, y), xytext=(6, -2), textcoords="offset points",
                        fontsize=7, color=COLORS["hangup"], va="center", zorder=5)
    # bridge stays, drawn inside the lane
    for _, b in bridges[bridges["channel_id"].isin(lanes)].iterrows():
        y = lanes[b["channel_id"]]
        b0, b1 = _num([b["entered"], b["left"] if pd.notna(b["left"]) else log_end])
        ax.barh(y, max(b1 - b0, 0), left=b0, height=h * 0.5, color=COLORS["bridge"], zorder=3)
        if (b1 - b0) > 0.08 * x_range:  # label stays wide enough to hold it
            ax.text(b0, y, f" {b['bridge_type'] or 'bridge'} {_short(str(b['bridge_id']), 12)}",
                    va="center", ha="left", fontsize=6.5, color="white", zorder=5, clip_on=True)
    # playbacks on a channel, or on a bridge the channel was in at the time
    for _, p in playbacks.iterrows():
        t = p["started"]
        targets: list[str] = []
        if p["target_type"] == "channel" and p["target_id"] in lanes:
            targets = [p["target_id"]]
        elif p["target_type"] == "bridge" and pd.notna(t):
            stay = bridges[(bridges["bridge_id"] == p["target_id"]) & (bridges["entered"] <= t)
                           & (bridges["left"].isna() | (bridges["left"] >= t))]
            targets = [c for c in stay["channel_id"] if c in lanes]
        px, pf = _num([t, p["finished"] if pd.notna(p["finished"]) else log_end])
        for cid in targets:
            y = lanes[cid] + h / 2 + 0.07
            ax.plot([px, pf], [y, y], color=COLORS["playback"], lw=3, alpha=0.6, solid_capstyle="butt", zorder=3)
            ax.plot([px], [y], marker=">", color=COLORS["playback"], ms=7, zorder=4)
    # DTMF marks with the digit
    for _, d in presses[presses["channel_id"].isin(lanes)].iterrows():
        dx = _num([d["time"]])[0]
        y = lanes[d["channel_id"]]
        ax.plot([dx], [y - h / 2 - 0.04], marker="v", color=COLORS["dtmf"], ms=5, zorder=4)
        ax.annotate(str(d["digit"]), (dx, y - h / 2 - 0.04), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7.5, fontweight="bold", color=COLORS["dtmf"], zorder=5)
    for a, b in _gap_spans(df):
        ga, gb = _num([a, b])
        ax.axvspan(ga, gb, color=COLORS["gap"], alpha=0.15, zorder=1)
    labels = []
    for _, row in calls.iterrows():
        who = row["caller_number"] if isinstance(row["caller_number"], str) and row["caller_number"] else ""
        ext = row["exten"] if isinstance(row["exten"], str) else ""
        extra = " ".join(x for x in (f"from {who}" if who else "", f"to {ext}" if ext else "") if x)
        name = row["channel_name"] if isinstance(row["channel_name"], str) else ""
        second = " · ".join(x for x in (str(row["channel_id"]) if row["channel_id"] != name else "", extra) if x)
        labels.append(f"{name}\n{second}" if second else name)
    ax.set_yticks(range(len(calls)), labels, fontsize=8)
    ax.set_ylim(len(calls) - 0.4, -0.6)
    span = (log_end - start).total_seconds() if pd.notna(start) and pd.notna(log_end) else 0.0
    pad = max((hi - lo) * 0.12, 1e-6)
    ax.set_xlim(lo - pad * 0.15, hi + pad)
    _time_axis(ax, span)
    ax.grid(axis="x", alpha=0.3)
    title = f"Call timeline: {len(calls)} channel{'s' if len(calls) != 1 else ''}"
    if truncated:
        title += f" (first {len(calls)}; {truncated} more not shown)"
    ax.set_title(title, loc="left", fontsize=11)
    handles = [Patch(color=COLORS["ringing"], label="ringing"), Patch(color=COLORS["up"], label="up (answered)"),
               Patch(color=COLORS["bridge"], label="in bridge"),
               Line2D([], [], color=COLORS["stasis"], lw=2, label="in Stasis"),
               Line2D([], [], color=COLORS["playback"], marker=">", lw=0, label="playback"),
               Line2D([], [], color=COLORS["dtmf"], marker="v", lw=0, label="DTMF digit"),
               Line2D([], [], color=COLORS["hangup"], marker="X", lw=0, label="hangup")]
    if _gap_spans(df):
        handles.append(Patch(color=COLORS["gap"], alpha=0.15, label="event stream gap"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    return fig


# ---------------------------------------------------------------------------------- ladder
_ID_IN_PATH = re.compile(r"/(channels|bridges|playbacks|recordings/live)/([^/?]+)")


def _short(text: str, n: int = 18) -> str:
    """``text`` cut to ``n`` characters in the middle, so the end (``;1``/``;2``) stays visible."""
    if len(text) <= n:
        return text
    tail = max(3, n // 3)
    return text[: n - tail - 1] + "…" + text[-tail:]


_LONG_ID = re.compile(r"(?<=/)([0-9a-f]{8})[0-9a-f-]{20,}")


def _short_path(path: str) -> str:
    """A request path with ``/ari`` dropped and long uuids cut to 8 characters."""
    return _LONG_ID.sub(r"\1…", re.sub(r"^/ari", "", path))


def _event_label(row: pd.Series) -> str:
    t = str(row["type"])
    detail = ""
    if t == "ChannelStateChange":
        detail = str(row["channel_state"])
    elif t == "ChannelVarset":
        detail = f"{row['variable']}={_short(str(row['value'] if pd.notna(row['value']) else ''), 24)}"
    elif t == "ChannelDtmfReceived":
        detail = f"digit {row['digit']}"
    elif t in ("ChannelHangupRequest", "ChannelDestroyed"):
        detail = f"cause {row['cause']}" + (" soft" if row["soft"] is True else "")
    elif t == "Dial":
        detail = str(row["dialstatus"] or "(dialling)")
    elif t.startswith("Playback"):
        detail = f"{row['media_uri']} {row['playback_state']}"
    elif t.startswith("Recording"):
        detail = f"{row['recording_name']} {row['recording_state']}"
    elif t == "ChannelDialplan":
        detail = f"prio {row['priority']}"
    elif t == "StasisStart" and isinstance(row["args"], list) and row["args"]:
        detail = "args " + ",".join(map(str, row["args"]))
    return f"{t} {detail}".strip()


def _call_members(log: "EventLog", channel: str) -> tuple[list[str], list[str]]:
    """The channel, its Local partner half, channels bridged with it, and those bridges."""
    df = log.df
    names = df[["channel_id", "channel_name"]].dropna().drop_duplicates("channel_id")
    name_of = dict(zip(names["channel_id"].astype(object), names["channel_name"].astype(object)))
    chans = [channel]
    name = name_of.get(channel, "")
    if name.startswith("Local/") and name[-2:] in (";1", ";2"):
        partner = name[:-1] + ("2" if name.endswith("1") else "1")
        chans += [cid for cid, n in name_of.items() if n == partner and cid != channel]
    stays = log.bridges()
    mine = stays[stays["channel_id"].isin(chans)]
    bridges = list(dict.fromkeys(mine["bridge_id"].astype(object)))
    for _, s in mine.iterrows():
        left = s["left"] if pd.notna(s["left"]) else pd.Timestamp.max.tz_localize("UTC")
        other = stays[(stays["bridge_id"] == s["bridge_id"]) & (stays["entered"] <= left)
                      & (stays["left"].isna() | (stays["left"] >= s["entered"]))]
        for cid in other["channel_id"].astype(object):
            if cid not in chans:
                chans.append(cid)
    return chans, bridges


def ladder(log: "EventLog", channel: str | None = None, *, app: str | None = None, max_rows: int = 70,
           skip_types: Iterable[str] = ("ChannelVarset",), width: float | None = None) -> "Figure":
    """A ladder diagram of one call, as sngrep draws SIP: a lane for the application, one per
    channel (the call, its Local partner half, channels bridged with it) and one per bridge;
    arrows for the requests the app made (app -> object, with status and time taken) and the
    events it received (object -> app), top to bottom in time order, one row each. Events are
    those of one application (``app``; default the one the call entered Stasis in), as one
    WebSocket saw them.

    ``channel`` picks the call (default: the first call of ``log.calls()``). Requests belong to
    a lane when their path names its id, or when their record's ``object_id`` does (the id in
    the response body, or the ``channelId`` the caller chose: so an originate without an id in
    its path, ``POST /ari/channels``, lands on the channel it made, never on one that merely
    appeared at the same time; requests whose object is unknown are left out). ``skip_types`` hides chatty
    events (``ChannelVarset`` by default; pass ``()`` for everything). At most ``max_rows``
    rows are drawn; the title says how many more there were.
    """
    df = log.df
    calls = log.calls(all_channels=True)
    if channel is None:
        stasis = calls[calls["stasis_start"].notna()]
        channel = (stasis if len(stasis) else calls)["channel_id"].iloc[0] if len(calls) else None
    if channel is None:
        fig = _figure(width or 7.0, 2)
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no calls in this log", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    chans, bridges = _call_members(log, channel)
    playback_ids = set(df.loc[df["target_uri"].isin([f"channel:{c}" for c in chans] +
                                                     [f"bridge:{b}" for b in bridges]), "playback_id"].dropna().astype(object))
    skip = set(skip_types)
    sel = df["channel_id"].isin(chans) | df["peer_id"].isin(chans) | df["playback_id"].isin(playback_ids)
    sel |= df["bridge_id"].isin(bridges) & df["type"].isin(("BridgeCreated", "BridgeDestroyed", "BridgeMerged"))
    if app is None:
        row = calls[calls["channel_id"] == channel]
        app = row["application"].iloc[0] if len(row) and isinstance(row["application"].iloc[0], str) else None
    if app is not None:
        sel &= df["application"] == app
    ev = df[sel & ~df["type"].isin(skip)].copy()
    ev["when"] = ev["time"].fillna(ev["received_at"])
    app = app or next((a for a in ev["application"].astype(object).dropna()), "app")

    lane_names = [f"app\n{app}"]
    lane_of: dict[str, int] = {}
    call_row = calls.set_index("channel_id")
    for cid in chans:
        lane_of[cid] = len(lane_names)
        nm = call_row["channel_name"].get(cid, cid) if cid in call_row.index else cid
        lane_names.append(f"{_short(cid, 22)}\n{_short(str(nm), 24)}")
    for bid in bridges:
        lane_of[bid] = len(lane_names)
        btype = df.loc[df["bridge_id"] == bid, "bridge_type"].dropna()
        lane_names.append(f"bridge {btype.iloc[0] if len(btype) else ''}\n{_short(bid, 24)}")
    pb_lane = {}
    for _, r in df[df["playback_id"].isin(playback_ids)].drop_duplicates("playback_id").iterrows():
        kind, _, oid = str(r["target_uri"]).partition(":")
        pb_lane[r["playback_id"]] = lane_of.get(oid, 0)

    rows: list[tuple[pd.Timestamp, int, int, str, str]] = []  # when, from, to, label, kind
    for _, r in ev.iterrows():
        t = str(r["type"])
        if r["playback_id"] in pb_lane and t.startswith("Playback"):
            src = pb_lane[r["playback_id"]]
        elif t.startswith("Bridge") and r["bridge_id"] in lane_of:
            src = lane_of[r["bridge_id"]]
        elif t in ("ChannelEnteredBridge", "ChannelLeftBridge") and r["bridge_id"] in lane_of:
            src = lane_of[r["bridge_id"]]
        elif r["channel_id"] in lane_of:
            src = lane_of[r["channel_id"]]
        elif r["peer_id"] in lane_of:
            src = lane_of[r["peer_id"]]
        else:
            continue
        label = _event_label(r)
        if t in ("ChannelEnteredBridge", "ChannelLeftBridge"):
            label = f"{t} {_short(str(r['channel_id']), 14)}"
        rows.append((r["when"], src, 0, label, "event"))

    req = log.requests
    if len(req):
        for _, r in req.iterrows():
            path = str(r["path"] or "")
            target = None
            for m in _ID_IN_PATH.finditer(path):
                oid = m.group(2)
                if oid in lane_of:
                    target = lane_of[oid]
                elif m.group(1) == "playbacks" and oid in pb_lane:
                    target = pb_lane[oid]
            oid = r["object_id"]
            if target is None and isinstance(oid, str):
                # what the request made or answered (see requests_frame): facts, not timing
                target = lane_of.get(oid, pb_lane.get(oid))
            if target is None:
                continue
            status = "" if pd.isna(r["status"]) else f" → {int(r['status'])}"
            ms = "" if pd.isna(r["elapsed_ms"]) else f" ({r['elapsed_ms']:.0f} ms)"
            short_path = _short_path(path)
            kind = "request_error" if (pd.isna(r["status"]) or int(r["status"]) >= 400) else "request"
            rows.append((r["time"], 0, target, f"{r['method']} {_short(short_path, 44)}{status}{ms}", kind))

    rows.sort(key=lambda x: (x[0] if pd.notna(x[0]) else pd.Timestamp.max.tz_localize("UTC")))
    more = max(0, len(rows) - max_rows)
    rows = rows[:max_rows]
    n_lanes = len(lane_names)
    fig = _figure(width or max(7.0, 3.6 + 2.3 * n_lanes), 1.5 + 0.3 * max(len(rows), 3))
    ax = fig.add_subplot()
    xs = np.arange(n_lanes) * 2.4
    top = -0.9
    for x, name in zip(xs, lane_names):
        ax.plot([x, x], [top + 0.3, len(rows) + 0.2], color="#999999", lw=1, ls="--", zorder=1)
        ax.text(x, top, name, ha="center", va="center", fontsize=7.5, zorder=3,
                bbox={"boxstyle": "round,pad=0.35", "fc": "#eef3f8", "ec": "#4a6f94"})
    t_first = rows[0][0] if rows else None
    for i, (t, src, dst, label, kind) in enumerate(rows):
        y = i + 0.6
        color = COLORS[kind]
        ax.annotate("", xy=(xs[dst], y), xytext=(xs[src], y),
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.1, "shrinkA": 0, "shrinkB": 0})
        mid = (xs[src] + xs[dst]) / 2
        ax.text(mid, y - 0.12, label, ha="center", va="bottom", fontsize=6.8, color=color, zorder=4,
                bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.85})
        if pd.notna(t):
            rel = (t - t_first).total_seconds() if t_first is not None and pd.notna(t_first) else 0.0
            ax.text(xs[0] - 1.3, y, f"{t.strftime('%H:%M:%S.%f')[:-3]}  +{rel:.3f}s", ha="right",
                    va="center", fontsize=6.5, color="#555555", family="monospace")
    ax.set_xlim(xs[0] - 3.6, xs[-1] + 1.3)
    ax.set_ylim(len(rows) + 0.4, top - 0.6)
    ax.set_axis_off()
    title = f"Ladder: call {channel}, events of app {app!r}"
    if more:
        title += f"  (first {max_rows} messages; {more} more not shown)"
    ax.set_title(title, loc="left", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------- rate
def event_rate(log: "EventLog", *, freq: str = "1s", top: int = 6, width: float = 11.0) -> "Figure":
    """Events per ``freq`` interval over time, stacked by the ``top`` most frequent types
    (the rest as "other"); ``EventStreamGap`` outages shaded."""
    df = log.df
    fig = _figure(width, 3.8)
    ax = fig.add_subplot()
    when = df["time"].fillna(df["received_at"])
    ok = when.notna()
    if not ok.any():
        ax.text(0.5, 0.5, "no timed events in this log", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    types = df.loc[ok, "type"].astype(object)
    keep = types.value_counts().index[:top]
    kinds = types.where(types.isin(keep), "other")
    bins = when[ok].dt.floor(freq)
    table = pd.crosstab(bins, kinds)
    full = pd.date_range(table.index.min(), table.index.max(), freq=freq)
    table = table.reindex(full, fill_value=0)
    order = [t for t in keep if t in table.columns] + (["other"] if "other" in table.columns else [])
    table = table[order]
    step = pd.Timedelta(freq).total_seconds()
    x = _num(table.index)
    width_days = pd.Timedelta(freq) / pd.Timedelta(days=1)
    bottom = np.zeros(len(table))
    cmap = __import__("matplotlib").colormaps["tab10"]
    for i, col in enumerate(order):
        vals = table[col].to_numpy(dtype=float) / step
        ax.bar(x, vals, width=width_days, bottom=bottom, align="edge", color=cmap(i % 10), label=col, lw=0)
        bottom += vals
    for a, b in _gap_spans(df):
        ga, gb = _num([a, b])
        ax.axvspan(ga, gb, color=COLORS["gap"], alpha=0.2, label="event stream gap")
    span = (table.index.max() - table.index.min()).total_seconds() + step
    _time_axis(ax, span)
    ax.set_ylabel(f"events / s (per {freq})")
    ax.set_title(f"Event rate: {int(ok.sum())} events", loc="left", fontsize=11)
    ax.legend(fontsize=7, ncol=min(4, len(order) + 1), loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


# ---------------------------------------------------------------------------------- fleets
# Plots of a ``Dataset``'s aggregates (``Dataset.rates()``/``causes()``), one colour per server.
def _server_label(server: str) -> str:
    return _short(str(server), 20)


def calls_per_hour(rates: pd.DataFrame, *, answered: bool = False, width: float = 11.0) -> "Figure":
    """Calls per period per server over time, one line each, from ``Dataset.rates("hour")``
    (any ``freq``); ``answered=True`` also draws each server's answered calls dashed."""
    fig = _figure(width, 3.8)
    ax = fig.add_subplot()
    if rates.empty:
        ax.text(0.5, 0.5, "no calls", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    cmap = __import__("matplotlib").colormaps["tab10"]
    servers = sorted(rates["asterisk_id"].astype(object).unique())
    for i, server in enumerate(servers):
        sub = rates[rates["asterisk_id"] == server].sort_values("period")
        x = _num(sub["period"])
        ax.plot(x, sub["calls"], color=cmap(i % 10), lw=1.2, label=_server_label(server))
        if answered:
            ax.plot(x, sub["answered"], color=cmap(i % 10), lw=0.8, ls="--")
    span = (rates["period"].max() - rates["period"].min()).total_seconds()
    _time_axis(ax, max(span, 3600.0))
    step = rates["period"].sort_values().diff().dropna()
    unit = {3600: "hour", 60: "minute", 86400: "day"}.get(int(step.min().total_seconds()) if len(step) else 3600,
                                                             "period")
    ax.set_ylabel(f"calls per {unit}")
    ax.set_title(f"Calls per {unit} per server: {int(rates['calls'].sum())} calls", loc="left", fontsize=11)
    ax.legend(fontsize=7, ncol=min(5, len(servers)), loc="upper right", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def failure_causes(causes: pd.DataFrame, *, top: int = 8, width: float = 9.0) -> "Figure":
    """How calls ended, per server: stacked bars of the ``top`` hangup causes (the rest as
    "other"), from ``Dataset.causes()``; normal clearing (16) is left out so failures show."""
    fig = _figure(width, 3.8)
    ax = fig.add_subplot()
    df = causes[causes["cause"].fillna(-1) != 16].copy()
    if df.empty:
        ax.text(0.5, 0.5, "no failed calls", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    df["label"] = [f"{int(c)} {t}" if c is not pd.NA and pd.notna(c) else str(t)
                   for c, t in zip(df["cause"], df["cause_txt"].astype(object).fillna("?"))]
    keep = df.groupby("label")["calls"].sum().sort_values(ascending=False).index[:top]
    df["label"] = df["label"].where(df["label"].isin(keep), "other")
    table = df.pivot_table(index="asterisk_id", columns="label", values="calls", aggfunc="sum", fill_value=0)
    table = table[[c for c in keep if c in table.columns] + (["other"] if "other" in table.columns else [])]
    cmap = __import__("matplotlib").colormaps["tab10"]
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for i, col in enumerate(table.columns):
        vals = table[col].to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=cmap(i % 10), label=col)
        left += vals
    ax.set_yticks(y, [_server_label(s) for s in table.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("call legs")
    ax.set_title("Failure causes per server (Q.850, normal clearing left out)", loc="left", fontsize=11)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def rate_heatmap(rates: pd.DataFrame, *, value: str = "answer_rate", width: float = 11.0) -> "Figure":
    """A server x hour-of-day heatmap of ``value`` (``answer_rate`` or ``calls``) from
    ``Dataset.rates("hour")``, averaged over days: where and when calls fail."""
    if value not in ("answer_rate", "calls", "answered"):
        raise ValueError(f"value must be answer_rate, calls or answered, got {value!r}")
    fig = _figure(width, 0.9 + 0.45 * max(1, rates["asterisk_id"].nunique()))
    ax = fig.add_subplot()
    if rates.empty:
        ax.text(0.5, 0.5, "no calls", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    hour = rates["period"].dt.hour
    grid = rates.assign(hour=hour).groupby(["asterisk_id", "hour"])[["calls", "answered"]].sum()
    if value == "answer_rate":
        cell = grid["answered"] / grid["calls"]
    else:
        cell = grid[value] / rates["period"].dt.normalize().nunique()
    table = cell.unstack("hour").reindex(columns=range(24))
    im = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="RdYlGn" if value == "answer_rate" else "viridis",
                   interpolation="nearest")
    ax.set_yticks(range(len(table)), [_server_label(s) for s in table.index], fontsize=8)
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize=7)
    ax.set_xlabel("hour of day (UTC)")
    title = {"answer_rate": "Answer rate", "calls": "Calls per day", "answered": "Answered calls per day"}[value]
    ax.set_title(f"{title} by server and hour", loc="left", fontsize=11)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01)
    return fig
