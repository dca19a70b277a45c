"""``compute`` for the Dask engine: ``dask.compute`` with a progress bar, stoppable.

Why its own module: the engine builds graphs; how their running is shown and stopped is one
concern, the same for every question. Only public APIs of dask and distributed:

* on a ``distributed.Client`` (the scheduler dask would use): ``client.persist`` the answer and
  count its partitions as they finish (``as_completed``), then gather them (several answers at
  once are computed together, and counted). Ctrl-C or a stop request cancels those futures, so
  the cluster stops working for a question nobody awaits.
* on Dask's local schedulers: a ``dask.callbacks.Callback`` counts finished tasks against the
  size of each graph it sees start.
"""

from __future__ import annotations

import sys
from typing import Any

from ..progress import Progress, progress_bar


def compute(*collections: Any, desc: str, progress: bool | None = None) -> tuple:
    """``dask.compute(*collections)`` with a bar named ``desc``."""
    import dask

    client = _current_client()
    if client is None:
        from dask.callbacks import Callback

        with progress_bar(None, desc=desc, unit="tasks", progress=progress) as bar:
            with Callback(start_state=_graph_counter(bar), posttask=lambda *_: bar.update(1)):
                return dask.compute(*collections)

    import distributed

    import dask.dataframe as dd

    partitioned = len(collections) == 1 and isinstance(collections[0], (dd.DataFrame, dd.Series))
    if partitioned:  # one frame or series: count its partitions
        # optimized before persisting: else the persisted collection keeps the partition count
        # from before optimization and drops the rest (a groupby's split output loses rows)
        answer = client.persist(collections[0].optimize())
        running, unit = distributed.futures_of(answer), "partitions"
    else:  # several (summary's reductions, a partition each), computed together: count the answers
        running, unit = client.compute(list(collections)), "results"
    try:
        with progress_bar(len(running), desc=desc, unit=unit, progress=progress) as bar:
            for _ in distributed.as_completed(running):
                bar.update(1)
        return dask.compute(answer) if partitioned else tuple(client.gather(running))
    except BaseException:  # Ctrl-C, a stop request (Cancelled), a failed task
        client.cancel(running)
        raise


def _graph_counter(bar: Progress):
    def start_state(dsk: Any, state: Any) -> None:
        # the tasks to run (data already in the graph is not run); a question may run several graphs
        bar.set_total((bar.total or 0) + len(state["ready"]) + len(state["waiting"]))
    return start_state


def _current_client() -> Any:
    """The ``distributed.Client`` dask computes on now, or None (local threads or processes)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:  # never imported: no client can exist
        return None
    import dask.base

    owner = getattr(dask.base.get_scheduler(), "__self__", None)
    return owner if isinstance(owner, distributed.Client) else None
