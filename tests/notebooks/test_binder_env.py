"""The Binder setup works from scratch: binder/requirements.txt into a fresh venv, then
binder/postBuild, then every tutorial executed by a kernel running in that venv.

Slow (it installs JupyterLab, pandas, pyarrow...) and needs a package index, so it runs only
when ARI_NOTEBOOK_BINDER_TEST=1 (`.ci/run` sets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import venv
from pathlib import Path

import pytest

from ._run import NOTEBOOKS, REPO, errors, execute, failed_checks

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("ARI_NOTEBOOK_BINDER_TEST") != "1",
                       reason="installs the Binder requirements into a fresh venv; set ARI_NOTEBOOK_BINDER_TEST=1"),
]


@pytest.fixture(scope="module")
def binder_kernel():
    """A kernel spec whose Python is a fresh venv built exactly as mybinder builds the image.

    Its own temporary folder (not pytest's basetemp, which a concurrent pytest run may rotate
    away during the minutes this takes), removed afterwards.
    """
    root = Path(tempfile.mkdtemp(prefix="ari-binder-"))
    try:
        yield _build(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _build(root: Path):
    repo = root / "repo"
    shutil.copytree(REPO, repo, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    path = f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "HOME": str(root / "home"), "VIRTUAL_ENV": str(env_dir)}
    (root / "home").mkdir()
    steps = [
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
        ["bash", "binder/postBuild"],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=repo, env=env, capture_output=True, text=True, timeout=1500)
        assert done.returncode == 0, f"{step}: {done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    config = (root / "home" / ".jupyter" / "jupyter_server_config.py").read_text()
    assert "/lab/tree/notebooks/01_getting_started.ipynb" in config
    spec_dir = root / "jupyter" / "kernels" / "binder-venv"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [str(env_dir / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "binder venv", "language": "python"}))
    # The notebooks must import the package installed in the venv, not this checkout.
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import ari_notebook; print(ari_notebook.__file__)"],
                           cwd=root, capture_output=True, text=True, timeout=60)
    assert str(env_dir) in where.stdout, where.stdout + where.stderr
    return root / "jupyter", repo / "notebooks"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_the_binder_venv(name, binder_kernel, tmp_path, monkeypatch):
    jupyter_path, notebooks = binder_kernel
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    nb = execute(name, tmp_path, kernel_name="binder-venv", timeout=180, source_dir=notebooks)
    assert errors(nb) == []
    assert failed_checks(name, nb) == []
