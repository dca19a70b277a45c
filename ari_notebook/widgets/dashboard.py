"""Dashboard: live channels and bridges, connection state and app registrations.

Tables are kept from events and redrawn by a throttled background task; after a reconnect
(``EventStreamGap``) or a bridge-changing request (the app that creates a bridge gets no
``BridgeCreated``) they are resynced with list calls. Selecting a channel opens its
ChannelControls; selecting a bridge shows its members.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as w

from ._lifecycle import LiveWidget
from ._style import root, style_widget
from ._tasks import TaskRunner, Throttle, describe_error
from .channel import ChannelControls
from .dashboard_model import (BRIDGE_HEADER, CHANNEL_HEADER, LiveObjects, bridge_html, bridge_label,
                              channel_label, connection_html)

# the app that creates or destroys a bridge may get no event for it (traces README)
RESYNC_AFTER = ("bridges.create", "bridges.createWithId", "bridges.destroy")
# events after which the app registrations (their channel/bridge counts) are re-listed
APP_CHANGES = ("StasisStart", "StasisEnd", "ApplicationReplaced", "ApplicationMoveFailed",
               "BridgeCreated", "BridgeDestroyed")
APPS_EVERY = 2.0


def _natural_width() -> w.Layout:
    return w.Layout(width="max-content", min_width="100%", margin="0")


def _scroll_table(header: str, rows: w.Select) -> w.VBox:
    """A fixed-width text table: header and rows in one box that scrolls horizontally."""
    head = w.HTML(f"<pre class='ari-muted' style='margin:0'>{header}</pre>", layout=_natural_width())
    box = w.VBox([head, rows], layout=w.Layout(width="100%", overflow="auto hidden"))
    box.add_class("ari-scroll")
    return box


class Dashboard(LiveWidget, w.VBox):
    """Channels, bridges, connection and apps of ``client``, live.

    Given a ``Fleet``, builds a ``fleetviews.FleetDashboard`` instead: one section per server
    and a Server filter."""

    def __new__(cls, client: Any = None, *args: Any, **kwargs: Any):
        from ..client.fleet import Fleet

        if cls is Dashboard and isinstance(client, Fleet):
            from .fleetviews import FleetDashboard

            return FleetDashboard(client, *args, section=Dashboard, **kwargs)
        return super().__new__(cls, client, *args, **kwargs)

    def __init__(self, client: Any, *, rate: float = 4.0, **kwargs: Any) -> None:
        self._client = client
        self.runner = TaskRunner()
        self.objects = LiveObjects()
        self.apps: list[dict] | None = None
        self.resyncs = 0
        self._error: str | None = None
        self._seen: tuple | None = None
        self._programmatic = False
        self.controls: ChannelControls | None = None
        self._apps_stale = False
        self._apps_fetched = time.monotonic()

        self.connection = w.HTML()
        self.connection.add_class("ari-dashboard-connection")
        self.resync_button = w.Button(description="Resync", icon="refresh", tooltip="list channels, bridges, apps")
        self.resync_button.add_class("ari-dashboard-resync")
        self.resync_button.on_click(lambda _b: self.resync())
        # a row is wider than a narrow cell: the table takes its natural width and scrolls
        # sideways inside its own box (header and rows together) instead of spilling past the cell
        self.channels = w.Select(options=[], rows=8, layout=_natural_width())
        self.channels.add_class("ari-rows")
        self.channels.add_class("ari-dashboard-channels")
        self.bridges = w.Select(options=[], rows=4, layout=_natural_width())
        self.bridges.add_class("ari-rows")
        self.bridges.add_class("ari-dashboard-bridges")
        self.bridge_view = w.HTML()
        self.bridge_view.add_class("ari-dashboard-bridge")
        self.detail = w.VBox()
        self.detail.add_class("ari-dashboard-detail")
        self.channels.observe(self._on_channel, names="value")
        self.bridges.observe(self._on_bridge, names="value")

        super().__init__([
            style_widget(),
            w.HBox([self.connection, self.resync_button], layout=w.Layout(flex_flow="row wrap")),
            w.HTML("<div class='ari-title'>Channels</div>"), _scroll_table(CHANNEL_HEADER, self.channels),
            w.HTML("<div class='ari-title'>Bridges</div>"), _scroll_table(BRIDGE_HEADER, self.bridges),
            self.bridge_view, self.detail], **kwargs)
        self.layout.min_width = "0"
        root(self, "dashboard")
        self._handles = []
        if hasattr(client, "on_event"):
            self._handles.append(client.on_event("*", self._on_event))
        if hasattr(client, "add_request_listener"):
            self._handles.append(client.add_request_listener(self._on_request))
        self.throttle = Throttle(self.render, self._dirty, rate=rate, runner=self.runner)
        self.render()
        self.resync()
        self.throttle.start()

    # data ----------------------------------------------------------------------------------
    def _on_event(self, ev: dict) -> None:
        self.objects.apply(ev)
        if self.objects.needs_resync:
            self.resync()
        elif ev.get("type") in APP_CHANGES:
            self._apps_stale = True

    def _refresh_apps(self) -> None:
        """Re-list applications at most every APPS_EVERY seconds while their channels change."""
        now = time.monotonic()
        if self._closed():
            return
        if not self._apps_stale or now - self._apps_fetched < APPS_EVERY:
            return
        self._apps_stale = False
        self._apps_fetched = now

        async def fetch():
            return (await self._client.execute("applications.list")).body

        def ok(body):
            self.apps = body
            self.objects.version += 1

        def failed(exc):
            self._error = f"applications.list failed: {describe_error(exc)}"

        self.runner.spawn(fetch, on_ok=ok, on_error=failed, name="dashboard.apps")

    def _on_request(self, record: dict) -> None:
        status = record.get("status")
        if record.get("operation") in RESYNC_AFTER and status is not None and status < 300:
            self.resync(channels=False, apps=False)

    def resync(self, *, channels: bool = True, bridges: bool = True, apps: bool = True) -> None:
        """Re-list channels, bridges and applications (a task; the tables redraw after)."""
        self.objects.needs_resync = False
        if self._closed():  # nothing to list from; render shows the closed state
            self.objects.version += 1
            return

        async def fetch():
            ex = self._client.execute
            ch = (await ex("channels.list")).body if channels else None
            br = (await ex("bridges.list")).body if bridges else None
            ap = (await ex("applications.list")).body if apps else None
            return ch, br, ap

        def ok(result):
            ch, br, ap = result
            self.objects.resync(ch, br)
            if ap is not None:
                self.apps = ap
            self.resyncs += 1
            self._error = None

        def failed(exc):
            self._error = f"resync failed: {describe_error(exc)}"
            self.objects.version += 1

        self.runner.spawn(fetch, on_ok=ok, on_error=failed, name="dashboard.resync")

    # drawing -------------------------------------------------------------------------------
    def _key(self) -> tuple:
        return (self.objects.version, getattr(self._client, "connection_state", "?"), self.resyncs,
                self._error, len(self.apps or ()), self._handler_failures())

    def _handler_failures(self) -> int:
        return getattr(getattr(self._client, "dispatcher", None), "error_count", 0) or 0

    def _problems(self) -> str | None:
        """What the user should know went wrong: a failed list call, event handlers that raised
        (they are caught, logged and kept in ``client.handler_errors``; here they become visible)."""
        parts = [self._error] if self._error else []
        failures = self._handler_failures()
        if failures:
            last = list(getattr(self._client, "handler_errors", ()))[-1:]
            parts.append(f"{failures} event handler failure{'s' if failures != 1 else ''}"
                         + (f"; last: {last[0]}" if last else "") + " (see client.handler_errors)")
        return "; ".join(parts) or None

    def _dirty(self) -> bool:
        if self.comm is None:
            self.throttle.stop()
            return False
        self._refresh_apps()
        return self._key() != self._seen

    def _closed(self) -> bool:
        return getattr(self._client, "connection_state", None) == "closed"

    def _forget(self) -> None:
        """The client was closed (final): nothing shown may look live any more."""
        if self.objects.channels or self.objects.bridges:
            self.objects.resync([], [])
        self.apps = None
        self._apps_stale = False
        self.resync_button.disabled = True
        if self.controls is not None:
            self.controls.close()
            self.controls = None
            self.detail.children = []

    def render(self) -> None:
        if self._closed():
            self._forget()
        key = self._key()
        c = self._client
        self.connection.value = connection_html(getattr(c, "connection_state", "?"), getattr(c, "url", ""),
                                                getattr(c, "username", None), self.apps,
                                                self.objects.gaps, self._problems())
        self._programmatic = True
        try:
            chans = sorted(self.objects.channels.values(), key=lambda ch: ch.get("creationtime", ""))
            current = self.channels.value
            self.channels.options = [(channel_label(ch), ch["id"]) for ch in chans]
            self.channels.value = current if current in self.objects.channels else None
            bridges = sorted(self.objects.bridges.values(), key=lambda b: b.get("creationtime", ""))
            current_b = self.bridges.value
            self.bridges.options = [(bridge_label(b), b["id"]) for b in bridges]
            self.bridges.value = current_b if current_b in self.objects.bridges else None
        finally:
            self._programmatic = False
        if self.bridges.value:
            self.bridge_view.value = bridge_html(self.objects.bridges[self.bridges.value], self.objects.channels)
        else:
            self.bridge_view.value = ""
        self._seen = key

    def _on_channel(self, change) -> None:
        if self._programmatic or not change["new"]:
            return
        # build the controls on the home loop: their tasks and handlers must live there
        self.runner.call(self.open_channel, change["new"])

    def _on_bridge(self, change) -> None:
        if self._programmatic:
            return
        br = self.objects.bridges.get(change["new"] or "")
        self.bridge_view.value = bridge_html(br, self.objects.channels) if br else ""

    def open_channel(self, channel_id: str) -> ChannelControls:
        """Show the ChannelControls of one channel below the tables (replacing the previous one)."""
        if self.controls is not None:
            if self.controls.channel_id == channel_id:
                return self.controls
            self.controls.close()
        ch = self.objects.channels.get(channel_id) or channel_id
        self.controls = ChannelControls(self._client, ch)
        self.detail.children = [self.controls]
        return self.controls

    def _release(self) -> None:
        self.throttle.stop()
        if self.controls is not None:
            self.controls.close()
