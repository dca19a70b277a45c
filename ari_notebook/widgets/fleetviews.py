"""The Dashboard of a fleet: one section per server, and a Server filter that shows one or all.

Why sections of one-server Dashboards: a server's channels, bridges, app registrations and
resyncs belong to that server's client (channel ids may even repeat across servers), so each
section is the ordinary Dashboard over its own client and keeps all its rules (resync after
that server's gap, re-list after a bridge change). One server reconnecting shows in its
section only; the others keep updating. ``Dashboard(fleet)`` builds this.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any, Callable

import ipywidgets as w

from ._style import close_children, close_parts, root, style_widget


def server_choices(fleet: Any) -> list[tuple[str, str]]:
    """("all servers", "") then ("name (asterisk_id)", name) for each server of ``fleet``."""
    ids = fleet.asterisk_ids
    return [("all servers", "")] + [(f"{name} ({ids[name]})", name) for name in fleet.names]


def section_title(name: str, asterisk_id: str) -> str:
    esc = html.escape
    return (f"<div class='ari-title ari-server-title'>{esc(name)} "
            f"<span class='ari-muted'>asterisk_id <code>{esc(asterisk_id)}</code></span></div>")


class FleetDashboard(w.VBox):
    """Every server's Dashboard in its own section; ``server`` (a dropdown) picks which show."""

    def __init__(self, fleet: Any, *, section: Callable[..., w.Widget], rate: float = 4.0, **kwargs: Any) -> None:
        """``section``: the one-server view each server gets (``Dashboard``, which builds this)."""
        self.fleet = fleet
        self.dashboards: dict[str, w.Widget] = {}
        self.sections: dict[str, w.VBox] = {}
        ids = fleet.asterisk_ids
        for name in fleet.names:
            dash = section(fleet[name], rate=rate)
            box = w.VBox([w.HTML(section_title(name, ids[name])), dash])
            box.add_class("ari-dashboard-section")
            self.dashboards[name] = dash
            self.sections[name] = box
        self.server = w.Dropdown(options=server_choices(fleet), value="", description="Server",
                                 layout=w.Layout(width="340px"), style={"description_width": "50px"})
        self.server.add_class("ari-dashboard-server")
        self.server.observe(lambda _c: self._show(), names="value")
        super().__init__([style_widget(), self.server, *self.sections.values()], **kwargs)
        root(self, "fleet-dashboard")

    def _show(self) -> None:
        chosen = self.server.value
        for name, box in self.sections.items():
            box.layout.display = "" if not chosen or name == chosen else "none"

    @property
    def shown(self) -> list[str]:
        """The servers whose sections are visible."""
        return [n for n, box in self.sections.items() if box.layout.display != "none"]

    async def idle(self, timeout: float = 5.0) -> None:
        await asyncio.gather(*(d.idle(timeout) for d in self.dashboards.values()))

    def close(self) -> None:
        for dash in getattr(self, "dashboards", {}).values():
            dash.close()
        close_children(self)
        super().close()
        close_parts(self)


__all__ = ["FleetDashboard", "server_choices"]
