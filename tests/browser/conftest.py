"""JupyterLab / Notebook 7 / Voila servers and a headless Debian Chromium driven by Playwright.

Follows ``../shared/reference/jupyter-browser-tests.md``: fresh port, token and temporary
Jupyter/IPython/XDG directories per test, a unique notebook name, token-checked servers on
127.0.0.1, every non-local request aborted, and Debian's ``/usr/bin/chromium`` (Playwright
never downloads a browser here).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

CHROMIUM = os.environ.get("ARI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyter_env(tmp_path):
    """Environment for servers, kernels and Chromium: nothing is written to $HOME."""
    env = dict(os.environ)
    for var, sub in (("JUPYTER_RUNTIME_DIR", "rt"), ("JUPYTER_CONFIG_DIR", "cfg"), ("JUPYTER_DATA_DIR", "data"),
                     ("IPYTHONDIR", "ipython"), ("XDG_CACHE_HOME", "xdg-cache"), ("XDG_CONFIG_HOME", "xdg-cfg")):
        path = tmp_path / "env" / sub
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    # JupyterLab must still find the ipywidgets labextension and the kernel spec of this venv
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    return env


def write_notebook(folder: Path, name: str, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    path = folder / name
    nbformat.write(nb, path)
    return path


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout}s:\n{log.read_text()[-3000:]}")


class Server:
    def __init__(self, proc, base, token, log, notebooks):
        self.proc, self.base, self.token, self.log, self.notebooks = proc, base, token, log, notebooks

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def notebook_dir(tmp_path):
    d = tmp_path / "notebooks"
    d.mkdir()
    return d


def _jupyter_server(app: str, options: list[str], env, notebook_dir, tmp_path):
    """Start ``jupyter <app>`` on a fresh port and token; yields a ready Server, then stops it."""
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / f"{app}.log"
    cmd = [str(BIN / "jupyter"), app, "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebook_dir}", *options]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=notebook_dir)
    server = Server(proc, f"http://127.0.0.1:{port}", token, log, notebook_dir)
    try:
        _wait_ready(proc, f"{server.base}/api/status?token={token}", log)
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab_server(jupyter_env, notebook_dir, tmp_path):
    yield from _jupyter_server("lab", [
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"], jupyter_env, notebook_dir, tmp_path)


@pytest.fixture
def notebook7_server(jupyter_env, notebook_dir, tmp_path):
    """``jupyter notebook`` (Notebook 7: the classic-looking UI built on JupyterLab's components)."""
    yield from _jupyter_server("notebook", [f"--JupyterNotebookApp.workspaces_dir={tmp_path / 'workspaces'}"],
                               jupyter_env, notebook_dir, tmp_path)


def wait_kernel_connected(server, timeout: float = 60) -> None:
    """Until the server has an idle kernel with a browser connected to it.

    The page's own idle indicators can show before the kernel's WebSocket is open, and a Run All
    clicked then is dropped (seen in Notebook 7 on a busy machine): ask the server instead.
    """
    url = f"{server.base}/api/kernels?token={server.token}"
    deadline = time.monotonic() + timeout
    kernels: list = []
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as resp:
            kernels = json.loads(resp.read())
        if any(k.get("connections", 0) > 0 and k.get("execution_state") == "idle" for k in kernels):
            return
        time.sleep(0.2)
    raise AssertionError(f"no idle kernel with a connected browser after {timeout}s: {kernels}")


def saving_failure(script, page, shots, prefix: str) -> None:
    """Run ``script(page, shots, prefix)``; on failure save the page as ``<prefix>-failure.png``
    and the browser console beside it, then re-raise."""
    try:
        script(page, shots, prefix)
    except BaseException:
        page.screenshot(path=str(shots / f"{prefix}-failure.png"), full_page=True)
        (shots / f"{prefix}-console.txt").write_text("\n".join(page.console_messages))
        raise


def run_all_in_lab(page, server, name: str, cells: list[str]) -> None:
    """Write a notebook of ``cells``, open it in JupyterLab once its kernel is idle, and Run All."""
    write_notebook(server.notebooks, name, cells)
    page.goto(f"{server.base}/lab/tree/{name}?reset&token={server.token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60000)
    page.wait_for_selector("#jp-main-statusbar >> text=/Idle$/", timeout=60000)
    wait_kernel_connected(server)
    page.click(".lm-MenuBar-itemLabel:text-matches('^Run$')")
    page.click(".lm-Menu-item[data-command='runmenu:run-all']")


@pytest.fixture
def voila_server(jupyter_env, notebook_dir, tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "voila.log"
    cmd = [str(BIN / "voila"), str(notebook_dir), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
           f"--Voila.token={token}", "--show_tracebacks=True"]
    env = dict(jupyter_env, TMPDIR=str(tmp_path))
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=notebook_dir)
    server = Server(proc, f"http://127.0.0.1:{port}", token, log, notebook_dir)
    try:
        _wait_port(proc, port, log)
        yield server
    finally:
        server.stop()


def _wait_port(proc, port, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"voila not listening after {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def page(jupyter_env, tmp_path):
    """A fresh Chromium context (1280x900) that can only reach 127.0.0.1/localhost."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in jupyter_env.items()}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, env=env)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]|data:|blob:)"), lambda r: r.abort())
        pg = ctx.new_page()
        pg.console_messages = []
        pg.on("console", lambda m: pg.console_messages.append(f"{m.type}: {m.text}"))
        try:
            yield pg
        finally:
            ctx.close()
            browser.close()


@pytest.fixture
def shots(request, tmp_path):
    """Where screenshots go: ``test-output/<test name>/`` in the repo (kept for looking at)."""
    root = Path(__file__).resolve().parents[2] / "test-output" / re.sub(r"[^\w.-]", "_", request.node.name)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return root
