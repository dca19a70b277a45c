"""Notebook widgets over an ari_notebook Client: thin ipywidgets composites over plain view-models.

Every action runs as a task on the kernel's loop, every outcome is shown inside the widget,
and no credential ever becomes widget state. Widgets import ``client``/``events`` (never the
simulator: ``Phone`` takes a simulator object handed in by the caller).
"""

from .channel import ChannelControls
from .dashboard import Dashboard
from .eventlog import EventLogView
from .explorer import Explorer
from .phone import Phone
from .workbench import workbench

__all__ = ["ChannelControls", "Dashboard", "EventLogView", "Explorer", "Phone", "workbench"]
