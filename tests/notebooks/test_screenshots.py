"""Each tutorial, run in JupyterLab in headless Chromium, renders without errors; PNGs are saved
under test-output/screenshots/ for a person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import lab
from ._run import NOTEBOOKS, REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(lab.CHROMIUM).exists(), reason="needs Debian's chromium")]


@pytest.mark.timeout(1200)
def test_every_tutorial_renders_in_jupyterlab():
    pytest.importorskip("playwright")
    out = REPO / "test-output" / "screenshots"
    results = lab.screenshot_all(out, NOTEBOOKS)
    for name in NOTEBOOKS:
        png = out / f"{Path(name).stem}.png"
        assert png.stat().st_size > 20_000, f"{png} looks empty"
        assert results[name]["errors"] == 0, (name, results[name])
        assert results[name]["widget_errors"] == 0, (name, results[name])
    # Widgets really rendered where the tutorials use them (not "Error displaying widget").
    for name in ("01_getting_started.ipynb", "02_first_stasis_app.ipynb", "03_controlling_a_channel.ipynb",
                 "04_bridges.ipynb"):
        assert results[name]["widgets"] > 0, (name, results[name])
