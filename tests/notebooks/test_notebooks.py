"""Every tutorial runs top to bottom against the simulator with no error, and says what it should."""

from __future__ import annotations

import pytest

import shutil

from ._run import CHECKS, NOTEBOOKS, REPO, errors, execute, failed_checks


def test_every_notebook_has_checks():
    assert NOTEBOOKS == sorted(CHECKS), "add output checks for each new notebook"


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_clean_and_shows_results(name, tmp_path):
    nb = execute(name, tmp_path, timeout=120)
    executed = REPO / "test-output" / "notebooks"  # kept for a person (and CI artifacts) to read
    executed.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / name, executed / name)
    assert errors(nb) == []
    assert failed_checks(name, nb) == []
    # Never a credential in a saved notebook (the simulator's default password included).
    text = (tmp_path / name).read_text()
    assert "api_key=asterisk:asterisk" not in text
    assert "asterisk:asterisk" not in text


def test_committed_notebooks_have_no_outputs_and_match_their_generator(tmp_path):
    """The .ipynb files are what notebooks/build_notebooks.py writes: no outputs, no drift."""
    import importlib.util

    import nbformat

    spec = importlib.util.spec_from_file_location("build_notebooks", REPO / "notebooks" / "build_notebooks.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    fresh = {p.name: p for p in builder.main(tmp_path)}
    assert sorted(fresh) == NOTEBOOKS
    for name in NOTEBOOKS:
        committed = nbformat.read(REPO / "notebooks" / name, as_version=4)
        for cell in committed.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (name, cell.id)
        assert (REPO / "notebooks" / name).read_text() == fresh[name].read_text(), \
            f"{name} differs from build_notebooks.py: run `python notebooks/build_notebooks.py`"
