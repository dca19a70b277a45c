"""The ``ari-notebook`` command: help, the tutorials copy, the simulator process, the doctor."""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

import aiohttp
import pytest

from ari_notebook import cli

REPO = Path(__file__).resolve().parent.parent
# Every tutorial of the checkout: the package must ship and copy each one of them.
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))


BASIC_ASTERISK = "Basic " + base64.b64encode(b"asterisk:asterisk").decode()


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "ari_notebook", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


@pytest.mark.parametrize("sub", [[], ["lab"], ["sim"], ["doctor"]])
def test_help_for_every_subcommand(sub):
    out = run_cli(*sub, "--help")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: ari-notebook" + (f" {sub[0]}" if sub else ""))
    if not sub:
        for name in ("lab", "sim", "doctor"):
            assert name in out.stdout


def test_no_subcommand_is_a_usage_error():
    out = run_cli()
    assert out.returncode == 2
    assert "required" in out.stderr


def test_tutorials_are_found_in_the_package():
    assert [p.name for p in cli.tutorial_notebooks()] == NOTEBOOKS


def test_lab_copies_tutorials_and_keeps_edited_ones(tmp_path):
    dest = tmp_path / "work"
    out = run_cli("lab", "--no-start", "--dir", str(dest), env={**os.environ, "ARI_URL": ""})
    assert out.returncode == 0, out.stderr
    assert f"{len(NOTEBOOKS)} copied" in out.stdout and "simulator" in out.stdout
    assert sorted(p.name for p in dest.iterdir()) == NOTEBOOKS
    edited = dest / NOTEBOOKS[0]
    edited.write_text("my own notes")
    (dest / NOTEBOOKS[1]).unlink()
    out = run_cli("lab", "--no-start", "--dir", str(dest))
    assert "1 copied" in out.stdout
    assert edited.read_text() == "my own notes"
    assert (dest / NOTEBOOKS[1]).stat().st_size > 1000


def _start_sim_process(*extra: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "ari_notebook", "sim", "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"no ready line: {line!r} {proc.stderr.read()}")
    return proc, match.group(1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_sim_serves_ari_and_stops_cleanly_on_signal(sig):
    proc, url = _start_sim_process("--clock-speed", "5")
    try:
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{url}/ari/asterisk/ping", headers={"Authorization": BASIC_ASTERISK}) as r:
                assert r.status == 200
                assert (await r.json())["ping"] == "pong"
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        rest = proc.stdout.read()
        assert "simulator stopped" in rest
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sim_reads_a_config_file(tmp_path):
    conf = tmp_path / "sim.toml"
    conf.write_text('[users.trainer]\npassword = "s3cret"\n')
    proc, url = _start_sim_process("--config", str(conf))
    try:
        import urllib.request

        req = urllib.request.Request(f"{url}/ari/asterisk/ping")
        req.add_header("Authorization", "Basic " + base64.b64encode(b"trainer:s3cret").decode())
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_doctor_command_exit_status_and_no_password(tmp_path):
    proc, url = _start_sim_process()
    try:
        good = run_cli("doctor", url, "-u", "asterisk", "-p", "asterisk", "--origin", "http://localhost:8888")
        assert good.returncode == 0, good.stdout + good.stderr
        assert "No check failed." in good.stdout
        bad = run_cli("doctor", url, "-u", "asterisk", "-p", "Hunter2-wrong")
        assert bad.returncode == 1
        assert re.search(r"FAIL\s+credentials", bad.stdout)
        assert "ari.conf" in bad.stdout
        assert "Hunter2-wrong" not in bad.stdout + bad.stderr
        env = {**os.environ, "ARI_PASSWORD": "asterisk"}
        from_env = run_cli("doctor", url, "-u", "asterisk", env=env)
        assert from_env.returncode == 0, from_env.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_doctor_command_unreachable_server():
    out = run_cli("doctor", "http://127.0.0.1:9", "-u", "a", "-p", "b", "--timeout", "2")
    assert out.returncode == 1
    assert re.search(r"FAIL\s+reachable", out.stdout)
    assert "bindaddr" in out.stdout


@pytest.mark.slow
def test_non_editable_install_ships_the_tutorials(tmp_path):
    """``pip install .`` (not editable) into a fresh venv: the command and the tutorials work from
    another directory, so the notebooks really are package data."""
    src = tmp_path / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", "tests", "benchmarks", "docs", ".pytest_cache"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    # Dependencies come from this test run's environment (appended to sys.path by a .pth
    # line, which does not activate its editable install); ari_notebook itself from the wheel.
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "aiohttp").is_dir())
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "zz_test_deps.pth").write_text(f"{deps}\n")
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(src)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(src)  # nothing may come from the source tree any more
    helped = subprocess.run([str(env_dir / "bin" / "ari-notebook"), "lab", "--help"], cwd=elsewhere,
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "--dir" in helped.stdout
    copied = subprocess.run([str(env_dir / "bin" / "ari-notebook"), "lab", "--no-start", "--dir", "tut"],
                            cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert copied.returncode == 0, copied.stderr
    assert sorted(p.name for p in (elsewhere / "tut").iterdir()) == NOTEBOOKS
    located = subprocess.run([str(py), "-c", "from ari_notebook import cli; print(cli.tutorials_dir())"],
                             cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert str(site) in located.stdout, located.stdout + located.stderr


def test_lab_starts_jupyterlab_with_extra_arguments(tmp_path):
    """Everything after the known options goes to JupyterLab (here: --version, so it exits)."""
    out = run_cli("lab", "--dir", str(tmp_path / "tut"), "--version", timeout=120)
    assert out.returncode == 0, out.stderr
    import jupyterlab

    assert out.stdout.strip().splitlines()[-1] == jupyterlab.__version__
    assert len(list((tmp_path / "tut").glob("*.ipynb"))) == len(NOTEBOOKS)
