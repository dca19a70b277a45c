"""``events.local_cluster``: the LocalCluster the notebooks and the benchmark run Dask on."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

distributed = pytest.importorskip("distributed")

from ari_notebook.events import local_cluster  # noqa: E402


def _worker_setup():
    import os

    import pyarrow
    return {"pool": pyarrow.default_memory_pool().backend_name, "marker": os.environ.get("ARI_NB_TEST_MARK")}


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_local_cluster_workers_single_threaded_on_loopback_with_the_system_allocator():
    with local_cluster(1, env={"ARI_NB_TEST_MARK": "kept"}) as cluster, distributed.Client(cluster) as client:
        workers = client.scheduler_info()["workers"]
        assert [w["nthreads"] for w in workers.values()] == [1]
        # the dashboard listens on loopback only, on a port picked free
        assert urlparse(cluster.dashboard_link).hostname == "127.0.0.1"
        # Arrow frees memory back to the system in workers; an env of the caller is kept too
        assert list(client.run(_worker_setup).values()) == [{"pool": "system", "marker": "kept"}]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_worker_restarted_for_memory_is_reported_while_the_rest_is_silenced(capsys):
    import logging

    from ari_notebook.events.dask_cluster import RESTARTS_LOGGER

    with local_cluster(1), local_cluster(1):  # a second cluster adds no second report
        logging.getLogger("distributed.worker").warning("chatter the user did not ask for")
        logging.getLogger(RESTARTS_LOGGER).warning("Worker tcp://127.0.0.1:1 exceeded 95% memory budget. Restarting...")
    err = capsys.readouterr().err
    assert err.count("exceeded 95% memory budget") == 1
    assert "chatter" not in err
