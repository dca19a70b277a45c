"""binder/requirements.txt pins everything the tutorials need (checked without building Binder)."""

from __future__ import annotations

import re
import tomllib

from ._run import REPO


def _name(requirement: str) -> str:
    """The distribution name of a requirement line ('dask[dataframe]==1' -> 'dask')."""
    return re.split(r"[\[<>=!~; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_binder_requirements_cover_what_the_tutorials_import():
    """postBuild installs the package with --no-deps, so every runtime dependency (and the
    `scale` extra notebook 07 uses) must be pinned in binder/requirements.txt. Runs without
    the slow venv build, so a new dependency cannot slip past CI unnoticed."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    needed = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["scale"]}
    lines = (REPO / "binder" / "requirements.txt").read_text().splitlines()
    pinned = {_name(line) for line in lines if line.strip() and not line.startswith("#")}
    assert needed <= pinned, f"missing from binder/requirements.txt: {sorted(needed - pinned)}"
