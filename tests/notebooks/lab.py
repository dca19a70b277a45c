"""Drive JupyterLab in headless Chromium: open a notebook, Run All, screenshot the result.

Used by ``test_screenshots.py`` and runnable on its own to refresh the PNGs:
``python -m tests.notebooks.lab [OUTDIR]`` writes one PNG per tutorial and ``docs/workbench.png``.
Follows ../shared/reference/jupyter-browser-tests.md (Debian chromium, token, temp Jupyter dirs).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from ._run import kernel_env

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

WORKBENCH_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "wb", "metadata": {}, "outputs": [],
               "source": ("import ari_notebook\nfrom ari_notebook.widgets import workbench\n"
                          "client = await ari_notebook.connect()\nawait client.start(apps='hello')\n"
                          "a = await client.channels.originate(endpoint='Local/3000@ARI-test', app='hello',"
                          " channelId='alice', callerId='Alice <1001>')\n"
                          "b = await client.channels.originate(endpoint='Local/3000@ARI-test', app='hello',"
                          " channelId='bob', callerId='Bob <1002>')\n"
                          "import asyncio; await asyncio.sleep(0.5)\n"
                          "br = await client.bridges.create(type='mixing', name='support-call')\n"
                          "await br.addChannel(channel=['alice', 'bob'])\n"
                          "wb = workbench(client)\nwb.add_class('e2e-workbench')\nwb")}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


_CONTENT_HEIGHT = """() => {
    for (const el of document.querySelectorAll('.jp-NotebookPanel .jp-WindowedPanel-outer, .jp-NotebookPanel-notebook')) {
        el.scrollTop = 0;
    }
    const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell')];
    const top = cells[0].getBoundingClientRect().top;
    return top + cells[cells.length - 1].getBoundingClientRect().bottom - top + 40;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_lab(root_dir: Path):
    """A JupyterLab server on loopback with a token and throwaway config/runtime dirs."""
    tmp = Path(tempfile.mkdtemp(prefix="ari-lab-"))
    env = kernel_env()  # the tutorials' test environment: simulator, notebook 07's small month
    for name in ("JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "IPYTHONDIR"):
        env[name] = str(tmp / name.lower())
    labconfig = tmp / "jupyter_config_dir" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    token, port = secrets.token_hex(16), _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "lab.log", "w"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(tmp / 'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start within 60 s")
                time.sleep(0.3)
        yield base, token, env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def browser(env: dict):
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="ari-chromium-"))
    benv = {**env, "XDG_CACHE_HOME": str(tmp / "cache"), "XDG_CONFIG_HOME": str(tmp / "config")}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, env=benv)
        try:
            yield b
        finally:
            b.close()
            shutil.rmtree(tmp, ignore_errors=True)


def _new_page(b, width=1280, height=900):
    ctx = b.new_context(viewport={"width": width, "height": height})
    ctx.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:)"), lambda r: r.abort())
    return ctx, ctx.new_page()


def run_all_and_shoot(b, base: str, token: str, name: str, png: Path, *, timeout_s: float = 240) -> dict:
    """Open ``name``, Run All, wait until every cell ran, screenshot the whole notebook.

    Returns what the DOM shows: error outputs (count and text) and rendered widgets.
    """
    ctx, page = _new_page(b)
    try:
        page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        page.locator("#jp-main-statusbar >> text=/Idle$/").wait_for(timeout=60_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # Done when no prompt shows [*] and the kernel is idle again.
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", timeout=timeout_s * 1000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # let widgets and live views finish rendering
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
        # Make the window as tall as the notebook, scrolled to the top, so one PNG shows it all.
        height = page.evaluate(_CONTENT_HEIGHT)
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 120, 20000)})
        page.wait_for_timeout(800)
        page.evaluate(_CONTENT_HEIGHT)  # scroll to the top again after the resize
        page.wait_for_timeout(400)
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png))
        return page.evaluate("""() => { const ERRORS = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'; return {
            errors: document.querySelectorAll(ERRORS).length,
            error_texts: [...document.querySelectorAll(ERRORS)].map(e => e.textContent.slice(0, 300)),
            widgets: document.querySelectorAll('.jupyter-widgets').length,
            widget_errors: [...document.querySelectorAll('.jp-OutputArea-output')].filter(e => /Error displaying widget/.test(e.textContent)).length,
        }; }""")
    finally:
        ctx.close()


def shoot_workbench(b, base: str, token: str, png: Path) -> int:
    """Run the workbench cell and save a screenshot of just the widget; returns the file size."""
    ctx, page = _new_page(b, 1280, 900)
    try:
        page.goto(f"{base}/lab/tree/workbench.ipynb?reset&token={token}")
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        page.locator("#jp-main-statusbar >> text=/Idle$/").wait_for(timeout=60_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        widget = page.locator(".e2e-workbench")
        widget.wait_for(timeout=120_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:hide-all-cell-code')")
        page.wait_for_timeout(2500)
        png.parent.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(png))
        return png.stat().st_size
    finally:
        ctx.close()


def screenshot_all(outdir: Path, names: list[str] | None = None, workbench_png: Path | None = None) -> dict:
    """Copy the tutorials to a temp folder, run each in JupyterLab, save ``outdir/<name>.png``."""
    work = Path(tempfile.mkdtemp(prefix="ari-shots-"))
    names = names or sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for n in names:
        shutil.copyfile(REPO / "notebooks" / n, work / n)
    (work / "workbench.ipynb").write_text(json.dumps(WORKBENCH_NOTEBOOK))
    results = {}
    try:
        with jupyter_lab(work) as (base, token, env), browser(env) as b:
            for n in names:
                results[n] = run_all_and_shoot(b, base, token, n, outdir / f"{Path(n).stem}.png")
            if workbench_png is not None:
                results["workbench"] = shoot_workbench(b, base, token, workbench_png)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "test-output" / "screenshots"
    print(screenshot_all(out, workbench_png=REPO / "docs" / "workbench.png"))
