"""Point 8 of the client issue: the client inside a real ipykernel, events arriving while no
cell runs; and aioari's hello example with only the import changed, in a kernel and a script."""

from __future__ import annotations

import asyncio
import base64
import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .fakeari import FakeAri

pytestmark = pytest.mark.slow


class ServerThread:
    """The fake ARI server on its own loop in a thread, so a kernel (another process) can use it."""

    def __init__(self, docs: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = FakeAri(docs)
        ready = threading.Event()

        def main():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            ready.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        assert ready.wait(10)

    @property
    def url(self) -> str:
        return self.server.url

    def sockets(self) -> int:
        return len(self.server.sockets)

    def call(self, method: str, path: str) -> int:
        """An HTTP call from outside the kernel (like a phone or another program would)."""
        req = urllib.request.Request(self.url + path, method=method)
        req.add_header("Authorization", "Basic " + base64.b64encode(b"asterisk:asterisk").decode())
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def wait_until(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def server(api_docs_dir):
    s = ServerThread(api_docs_dir)
    yield s
    s.stop()


@pytest.fixture
def kernel(tmp_path):
    """A python3 kernel on IPC sockets in this test's folder: TCP ports are chosen free and bound
    later, and on a busy shared machine another process's kernel can take one in between (seen
    once as jupyter_client failing to parse a message that was not for it)."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3", transport="ipc", ip=str(tmp_path / "kernel"))
    km.start_kernel(cwd=str(Path(__file__).resolve().parents[2]))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_cell(kc, code: str, timeout: float = 30) -> tuple[dict, list[dict]]:
    outputs: list[dict] = []
    reply = kc.execute_interactive(textwrap.dedent(code), timeout=timeout, output_hook=outputs.append)
    import re
    errors = [re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(o["content"]["traceback"]))
              for o in outputs if o["msg_type"] == "error"]
    assert reply["content"]["status"] == "ok", errors or reply["content"]
    return reply, outputs


def test_events_arrive_while_no_cell_runs(server, kernel, tmp_path):
    log_path = tmp_path / "events.txt"
    run_cell(kernel, f"""
        import ari_notebook
        client = await ari_notebook.Client.connect({server.url!r}, "asterisk", "asterisk")
        def on_any(event):
            with open({str(log_path)!r}, "a") as f:
                f.write(event["type"] + "\\n")
        client.on_event("*", on_any)
    """)
    run_cell(kernel, 'client.start(apps="hello")')  # a plain synchronous cell, no await
    wait_until(lambda: server.sockets() == 1, what="the kernel's events socket")
    # the kernel is idle now; everything below happens outside it
    assert server.call("POST", "/ari/channels?endpoint=Local/1000@ARI-test&app=hello&channelId=k1") == 200
    wait_until(lambda: log_path.exists() and "StasisStart" in log_path.read_text(), what="StasisStart")
    assert server.call("DELETE", "/ari/channels/k1") == 204
    wait_until(lambda: "ChannelDestroyed" in log_path.read_text(), what="ChannelDestroyed")
    assert log_path.read_text().split() == ["StasisStart", "ChannelHangupRequest", "StasisEnd",
                                            "ChannelDestroyed"]
    _, outputs = run_cell(kernel, """
        print(client.connection_state)
        print(*client.log.df["type"].astype(str))   # recorded from connect, in arrival order
        await client.close()
        print(client.connection_state)
    """)
    text = "".join(o["content"].get("text", "") for o in outputs if o["msg_type"] == "stream")
    assert text.split() == ["connected", "StasisStart", "ChannelHangupRequest", "StasisEnd",
                            "ChannelDestroyed", "closed"]


def _stream_text(kc, timeout: float) -> str:
    text = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=0.1)
        except queue.Empty:
            continue
        if msg["msg_type"] == "stream":
            text.append(msg["content"]["text"])
            if "stop" in "".join(text):
                break
    return "".join(text)


def test_aioari_hello_example_in_a_kernel_with_only_the_import_changed(server, kernel):
    run_cell(kernel, f"""
        import ari_notebook as aioari
        import asyncio
        client = await aioari.connect({server.url!r}, 'asterisk', 'asterisk')
        def stasis_start(obj, event):
            print('start')
        def stasis_end(obj, event):
            print('stop')
        client.on_channel_event('StasisStart', stasis_start)
        client.on_channel_event('StasisEnd', stasis_end)
    """)
    _, outputs = run_cell(kernel, """
        loop = asyncio.get_event_loop()
        loop.run_until_complete(client.run(apps="hello"))
    """)
    wait_until(lambda: server.sockets() == 1, what="the events socket")
    server.call("POST", "/ari/channels?endpoint=Local/1000@ARI-test&app=hello&channelId=h1")
    time.sleep(0.3)
    server.call("DELETE", "/ari/channels/h1")
    text = _stream_text(kernel, 10)
    assert "start" in text.split() and "stop" in text.split(), text
    run_cell(kernel, "await client.close()")


def test_aioari_hello_example_as_a_script(server, tmp_path):
    script = tmp_path / "hello.py"
    script.write_text(textwrap.dedent(f"""
        import ari_notebook as aioari
        import asyncio
        loop = asyncio.get_event_loop()
        client = loop.run_until_complete(aioari.connect({server.url!r}, 'asterisk', 'asterisk'))
        def stasis_start(obj, event):
            print('start', obj.id, flush=True)
        def stasis_end(obj, event):
            print('stop', obj.id, flush=True)
        client.on_channel_event('StasisStart', stasis_start)
        client.on_channel_event('StasisEnd', stasis_end)
        loop.run_until_complete(client.run(apps="hello"))
    """))
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        wait_until(lambda: server.sockets() == 1 or proc.poll() is not None, what="the script's socket")
        assert proc.poll() is None, proc.stderr.read()
        server.call("POST", "/ari/channels?endpoint=Local/1000@ARI-test&app=hello&channelId=s1")
        time.sleep(0.3)
        server.call("DELETE", "/ari/channels/s1")
        lines = []
        deadline = time.monotonic() + 10
        while len(lines) < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line:
                lines.append(line.strip())
        assert lines == ["start s1", "stop s1"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_ipykernel_1510_example_does_not_stall(kernel, tmp_path):
    """The example of ipykernel issue 1510: a queue consumer task fed by widget clicks (comm
    messages, here also routed to a subshell) must run while the kernel is idle."""
    out = tmp_path / "clicks.txt"
    _, outputs = run_cell(kernel, f"""
        import asyncio
        import ipywidgets as W
        from IPython import get_ipython
        q = asyncio.Queue()
        button = W.Button(description="Click me")
        parent = get_ipython().get_parent()
        button.on_click(lambda _: q.put_nowait("click"))
        async def consumer():
            get_ipython().set_parent(parent)
            while True:
                await q.get()
                with open({str(out)!r}, "a") as f:
                    f.write("GOT click\\n")
        task = asyncio.ensure_future(consumer())
        print(button.model_id)
    """)
    model_id = "".join(o["content"].get("text", "") for o in outputs if o["msg_type"] == "stream").strip()
    request = kernel.session.msg("create_subshell_request", {})
    kernel.control_channel.send(request)
    subshell = kernel.control_channel.get_msg(timeout=10)["content"].get("subshell_id")
    for i in range(4):
        msg = kernel.session.msg("comm_msg", {"comm_id": model_id,
                                              "data": {"method": "custom", "content": {"event": "click"}}})
        if i % 2 and subshell:
            msg["header"]["subshell_id"] = subshell
        kernel.shell_channel.send(msg)
    wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 4, what="4 clicks handled while idle")
