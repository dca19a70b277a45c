"""``local_cluster``: a Dask ``LocalCluster`` set up for the Dask engine of ``Dataset``.

Why not a bare ``LocalCluster()``: its defaults suit other work. The engine runs pandas code
that holds the GIL, so one thread per worker process; the dashboard binds a free loopback
port (the fixed :8787 collides with a second cluster and listens past loopback); and worker
processes give Arrow the system allocator, because pyarrow's default pool (mimalloc) keeps
the buffers it frees: over a month of row groups that held ~180 MB more per worker at the
peak (measured on 5.6 M events: 650-690 MB per worker, 475-495 MB with the system pool).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

#: set in each worker process before it starts (so before pyarrow is imported there)
WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
#: the nannies (in this process) log here when they restart a worker that outgrew its memory
RESTARTS_LOGGER = "distributed.nanny.memory"


def local_cluster(n_workers: int = 2, **options: Any) -> Any:
    """A ``distributed.LocalCluster`` of ``n_workers`` single-threaded worker processes;
    ``options`` go to ``LocalCluster`` and win over these defaults. Use it as a context
    manager, with a ``distributed.Client`` on it, and every ``engine="dask"`` question
    runs there."""
    from distributed import LocalCluster

    settings: dict[str, Any] = {"threads_per_worker": 1, "processes": True,
                                "dashboard_address": "127.0.0.1:0", "silence_logs": 40}
    settings.update(options)
    settings["env"] = {**WORKER_ENV, **settings.get("env", {})}
    cluster = LocalCluster(n_workers=n_workers, **settings)
    show_worker_restarts()
    return cluster


def show_worker_restarts() -> None:
    """Print the nanny's "exceeded 95% memory budget. Restarting..." even while the rest of
    Dask's log is silenced (``silence_logs``): without it a run whose workers outgrow their
    memory only gets slower, and nothing says why."""
    logger = logging.getLogger(RESTARTS_LOGGER)
    if not any(getattr(h, "ari_notebook", False) for h in logger.handlers):
        handler = _ToCurrentStderr()
        handler.setLevel(logging.WARNING)
        handler.ari_notebook = True
        logger.addHandler(handler)


class _ToCurrentStderr(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is at each message (a kernel or a test may replace it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.__init__ sets it; always stderr
        pass
