"""Every tutorial runs twice in a row on one server and leaves nothing on it, even after a run
that stopped halfway (issue 11: a failed notebook 03 left its call up for ten minutes, and its
fixed ids made the next run fail with 409).

The server is a simulator process of its own in the normal suite, and a real Asterisk 23.4.1
(marker ``asterisk``) when ARI_TEST_URL / ARI_TEST_USER / ARI_TEST_PASSWORD are set.
"""

from __future__ import annotations

import asyncio

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from _server import SimulatorProcess, inventory, leftovers, real_asterisk
from ._run import NOTEBOOK_DIR, NOTEBOOKS, errors, execute, failed_checks, server_checks

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module", params=[pytest.param("sim", id="sim"),
                                        pytest.param("asterisk", id="asterisk", marks=pytest.mark.asterisk)])
def ari_server(request):
    if request.param == "asterisk":
        yield real_asterisk()
        return
    sim = SimulatorProcess()
    try:
        yield sim.server
    finally:
        sim.stop()


def _run_clean(name, server, workdir):
    nb = execute(name, workdir, server=server.kernel_env, timeout=300)
    assert errors(nb) == []
    assert failed_checks(name, nb, server_checks(name)) == []


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tutorial_twice_in_a_row_leaves_nothing_behind(name, ari_server, tmp_path):
    before = asyncio.run(inventory(ari_server))
    for attempt in ("first", "second"):
        _run_clean(name, ari_server, tmp_path / attempt)
        assert asyncio.run(leftovers(ari_server, before)) == {}, f"after the {attempt} run"


@pytest.mark.timeout(900)
def test_a_run_that_stopped_halfway_does_not_poison_the_next(ari_server, tmp_path):
    """Notebook 03 stops with an error after its calls are up and a recording is stored (as
    JupyterLab's Run All stops at the first error); the unchanged notebook then runs clean."""
    name = "03_controlling_a_channel.ipynb"
    before = asyncio.run(inventory(ari_server))
    broken = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    cell = next(c for c in broken.cells if c.get("id") == "nb03-variables")
    cell.source = 'raise RuntimeError("stopped halfway")\n' + cell.source
    (tmp_path / "broken").mkdir()
    nbformat.write(broken, tmp_path / "broken" / name)
    with pytest.raises(CellExecutionError, match="stopped halfway"):
        execute(name, tmp_path / "failed", source_dir=tmp_path / "broken", server=ari_server.kernel_env,
                timeout=300, allow_errors=False)
    left = asyncio.run(inventory(ari_server))
    assert {"nb03-call", "nb03-caller"} <= left["channels"] - before["channels"]
    assert "nb03-greeting" in left["recordings"] - before["recordings"]

    _run_clean(name, ari_server, tmp_path / "rerun")
    assert asyncio.run(leftovers(ari_server, before)) == {}
