"""Events: the ``EventLog`` (columnar store, typed frames, analysis, storage, plots, replay).

``dispatch`` (the handler registry the client uses) lives here too, because events flow
through it; it is imported by the client, not re-exported here.
"""

from typing import Any

__all__ = ["COLUMNS", "Dataset", "EventLog", "local_cluster"]


def __getattr__(name: str) -> Any:
    # Lazy: the client imports ``events.dispatch`` on every connect; pulling pandas in with it
    # would cost ~0.6 s of import time and tens of MB of RSS for users who never make a log.
    if name == "EventLog":
        from .log import EventLog

        return EventLog
    if name == "Dataset":  # out-of-core analysis of a partitioned dataset (events.dataset)
        from .dataset import Dataset

        return Dataset
    if name == "local_cluster":  # a Dask LocalCluster set up for Dataset's dask engine
        from .dask_cluster import local_cluster

        return local_cluster
    if name == "COLUMNS":
        from .frames import COLUMNS

        return COLUMNS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
