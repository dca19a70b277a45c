"""Notebook widgets over an ari_notebook Client: thin ipywidgets composites over plain view-models.

Every action runs as a task on the kernel's loop, every outcome is shown inside the widget,
and no credential ever becomes widget state. Widgets import ``client``/``events`` (never the
simulator: ``Phone`` takes a simulator object handed in by the caller).

    from ari_notebook.widgets import workbench, ChannelControls, Phone
    await client.start(apps="hello")       # the live widgets follow the client's events
    workbench(client)                      # Dashboard | Events | Explorer tabs
    ChannelControls(client, channel)       # a Channel, a channel dict, or an id
    Phone(sim, client)                     # classroom keypads (simulator only)
    workbench(fleet)                       # a Fleet too: every view shows and filters by server

Every composite carries ``ari-<name>`` CSS classes (``ari-explorer-execute``,
``ari-action-answer``, ``ari-eventlog-rows``...) for styling and browser tests, and has
``close()`` (also closes its children) and ``idle()`` (await running actions).
"""

from .channel import ChannelControls
from .dashboard import Dashboard
from .eventlog import EventLogView
from .explorer import Explorer
from .phone import Phone
from .workbench import workbench

__all__ = ["ChannelControls", "Dashboard", "EventLogView", "Explorer", "Phone", "workbench"]
