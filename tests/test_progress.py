"""ari_notebook.progress: where a bar is drawn (kernel widget, terminal text, nothing in a pipe)
and how it is switched off. The bars of real operations are tested in tests/events/test_progress.py."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

from ari_notebook import progress

# a child process that runs one operation-like loop through progress_bar with no delay
CHILD = """
import sys
from ari_notebook import progress
progress.set_delay(0)
setting = {"auto": None, "on": True, "off": False}[sys.argv[1]]
with progress.progress_bar(total=10, desc="Counting widgets", progress=setting) as bar:
    for _ in range(10):
        bar.update(1)
print("done", bar.n)
"""


def run_child(mode: str, *, env_value: str | None = None, tty: bool = False) -> tuple[str, str]:
    """(stdout, stderr) of CHILD; with ``tty`` its stderr is a pseudo-terminal, as in a shell."""
    env = {k: v for k, v in os.environ.items() if k != progress.ENV_VAR}
    if env_value is not None:
        env[progress.ENV_VAR] = env_value
    if not tty:
        done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                              env=env, timeout=60, check=True)
        return done.stdout, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE,
                                stderr=follower, env=env, text=True)
        os.close(follower)
        follower = -1
        out, _ = proc.communicate(timeout=60)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        assert proc.returncode == 0
        return out, b"".join(chunks).decode(errors="replace")
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)


def test_no_bar_in_a_pipe():
    out, err = run_child("auto")
    assert out.strip() == "done 10"
    assert err == ""


def test_text_bar_in_a_terminal():
    out, err = run_child("auto", tty=True)
    assert out.strip() == "done 10"
    assert "Counting widgets" in err and "10/10" in err


def test_forced_on_draws_even_in_a_pipe():
    _, err = run_child("on")
    assert "Counting widgets" in err and "10/10" in err


def test_progress_false_and_environment_switch_it_off():
    _, err = run_child("off", tty=True)
    assert err == ""
    _, err = run_child("auto", env_value="0", tty=True)
    assert err == ""
    _, err = run_child("auto", env_value="1")   # forced on by the environment
    assert "10/10" in err


def test_global_setting_overrides_environment_and_resets(monkeypatch):
    monkeypatch.setenv(progress.ENV_VAR, "1")
    try:
        progress.set_enabled(False)
        assert progress.enabled() is False
        assert progress.enabled(True) is True      # an operation's own switch wins
        progress.set_enabled(None)
        assert progress.enabled() is True          # back to the environment
        monkeypatch.delenv(progress.ENV_VAR)
        assert progress.enabled() is None          # automatic
    finally:
        progress.set_enabled(None)


def test_bad_switch_values_are_named():
    with pytest.raises(TypeError, match="True, False or None"):
        progress.set_enabled("yes")
    with pytest.raises(TypeError, match="progress must be"):
        with progress.progress_bar(desc="x", progress="on"):
            pass
    with pytest.raises(ValueError, match="delay"):
        progress.set_delay(-1)


def test_disabled_bar_still_counts_and_makes_no_tqdm():
    with progress.progress_bar(total=3, desc="quiet", progress=False) as bar:
        bar.update(2)
        bar.update()
    assert bar.n == 3 and bar.bar is None


def test_interrupt_closes_the_bar(capsys):
    with pytest.raises(KeyboardInterrupt):
        with progress.progress_bar(total=100, desc="Interrupted", progress=True) as bar:
            bar.update(5)
            assert bar.bar is not None
            raise KeyboardInterrupt
    assert bar.bar is None
    assert "5/100" in capsys.readouterr().err


def test_stop_when_cancels_at_the_next_update():
    import threading

    stop = threading.Event()
    with progress.stop_when(stop):
        with pytest.raises(progress.Cancelled, match="Stoppable: stopped after 2 it"):
            with progress.progress_bar(desc="Stoppable", progress=False) as bar:
                bar.update(2)
                stop.set()
                bar.update(1)
    with progress.progress_bar(desc="outside", progress=False) as bar:
        bar.update(1)   # the stop request ended with its block
    assert bar.n == 1
