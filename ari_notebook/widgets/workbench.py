"""workbench(client): Explorer, Dashboard and event log as tabs, the one-cell way in."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from .dashboard import Dashboard
from .eventlog import EventLogView
from .explorer import Explorer


def workbench(client: Any, *, log: Any = None) -> w.Tab:
    """Tabs over one client; the event log defaults to ``client.log``."""
    tabs = w.Tab(children=[Dashboard(client), EventLogView(log if log is not None else client.log),
                           Explorer(client)])
    for i, title in enumerate(("Dashboard", "Events", "Explorer")):
        tabs.set_title(i, title)
    tabs.add_class("ari-workbench")
    return tabs
