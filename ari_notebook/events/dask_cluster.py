"""``local_cluster``: a Dask ``LocalCluster`` set up for the Dask engine of ``Dataset``.

Why not a bare ``LocalCluster()``: its defaults suit other work. The engine runs pandas code
that holds the GIL, so one thread per worker process; the dashboard binds a free loopback
port (the fixed :8787 collides with a second cluster and listens past loopback); and worker
processes give Arrow the system allocator, because pyarrow's default pool (mimalloc) keeps
the buffers it frees: over a month of row groups that held ~180 MB more per worker at the
peak (measured on 5.6 M events: 650-690 MB per worker, 475-495 MB with the system pool).
"""

from __future__ import annotations

from typing import Any

#: set in each worker process before it starts (so before pyarrow is imported there)
WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system"}


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
    return LocalCluster(n_workers=n_workers, **settings)
