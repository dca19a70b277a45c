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


# Warnings a tutorial shows on purpose (the only stderr allowed): notebook 07 restarts sim-2, and
# its client says so as it happens (the line lands in whichever cell runs then).
EXPECTED_STDERR = {
    "07_many_servers_and_a_month_of_calls.ipynb": ["dropped (closed by the server (code 1000)); reconnecting"],
}


@pytest.mark.timeout(1200)
def test_every_tutorial_renders_in_jupyterlab():
    pytest.importorskip("playwright")
    out = REPO / "test-output" / "screenshots"
    results = lab.screenshot_all(out, NOTEBOOKS)
    for name in NOTEBOOKS:
        png = out / f"{Path(name).stem}.png"
        assert png.stat().st_size > 20_000, f"{png} looks empty"
        unexpected = [text for text in results[name]["error_texts"]
                      if not any(expected in text for expected in EXPECTED_STDERR.get(name, ()))]
        assert unexpected == [], (name, results[name])
        assert results[name]["widget_errors"] == 0, (name, results[name])
    # Widgets really rendered where the tutorials use them (not "Error displaying widget").
    for name in ("01_getting_started.ipynb", "02_first_stasis_app.ipynb", "03_controlling_a_channel.ipynb",
                 "04_bridges.ipynb"):
        assert results[name]["widgets"] > 0, (name, results[name])
