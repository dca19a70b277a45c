"""workbench(client): Explorer, Dashboard and event log as tabs, the one-cell way in."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ._style import close_parts
from .dashboard import Dashboard
from .eventlog import EventLogView
from .explorer import Explorer


class Workbench(w.Tab):
    """The tabs; ``close()`` also closes the views inside (their refresh tasks, handlers and
    widgets), which a plain ``Tab.close()`` would leave running and registered."""

    def close(self) -> None:
        for view in self.children:
            view.close()
        super().close()
        close_parts(self)


def workbench(client: Any, *, log: Any = None) -> Workbench:
    """Tabs over one client; the event log defaults to ``client.log``."""
    tabs = Workbench(children=[Dashboard(client), EventLogView(log if log is not None else client.log),
                           Explorer(client)])
    for i, title in enumerate(("Dashboard", "Events", "Explorer")):
        tabs.set_title(i, title)
    tabs.add_class("ari-workbench")
    return tabs
