"""Security after a fault-injection run: no credential in any log line (everything captured at
DEBUG), exception, repr, widget state, saved event log or saved notebook; the simulator binds
only loopback unless told otherwise; read-only users and CORS hold on the fault paths too.

(Basic 401/403/CORS/preflight rules are in tests/sim/test_security.py, TLS verification in
tests/client/test_tls.py; this file adds what faults and the control path could break.)
"""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback
from urllib.parse import quote

import aiohttp
import nbformat
import pytest

from ari_notebook._errors import AriError, ConfigurationError, Forbidden, Unauthorized
from ari_notebook.client import Client
from ari_notebook.sim import Simulator

from .conftest import FAST, until

USER, SECRET, WRONG = "ops", "Zq9-topsecret-77", "Wr0ng-guess-55"
FORBIDDEN = tuple({
    SECRET, WRONG, f"{USER}:{SECRET}", f"{USER}:{WRONG}",
    base64.b64encode(f"{USER}:{SECRET}".encode()).decode(),
    base64.b64encode(f"{USER}:{WRONG}".encode()).decode(),
    quote(f"{USER}:{SECRET}", safe=""), quote(SECRET, safe=""),
})


def leaks(text: str) -> list[str]:
    return [secret for secret in FORBIDDEN if secret in text]


def exception_text(exc: BaseException) -> str:
    """str, repr and the full traceback, causes and contexts included."""
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


async def test_no_credential_anywhere_after_a_fault_run(tmp_path, caplog):
    from ari_notebook.widgets import ChannelControls, Dashboard, EventLogView, Explorer

    caplog.set_level(logging.DEBUG)  # every logger, ours, aiohttp's and asyncio's
    errors: list[BaseException] = []
    texts: list[str] = []
    sim = await Simulator.start(port=0, clock_speed=50.0,
                                users={USER: SECRET, "viewer": {"password": "viewer", "read_only": True}})
    client = await Client.connect(sim.url, USER, SECRET, apps="hello", retries=1, timeout=1.0, **FAST)
    try:
        log = client.log
        dash, view, explorer = Dashboard(client, rate=50), EventLogView(log, rate=50), Explorer(client)
        waiter = client.wait_for("StasisStart", timeout=5)
        chan_id = await sim.call("PJSIP/alice", "1000")
        await waiter
        controls = ChannelControls(client, chan_id)

        async def expect_error(coro):
            try:
                await coro
            except AriError as exc:
                errors.append(exc)
            else:
                raise AssertionError("the fault did not surface as an error")

        sim.faults.fail(503, times=2, match="^GET /channels$")
        await expect_error(client.channels.list())  # one retry, then the error
        sim.faults.fail(500, times=1, match="^POST /channels$", message="Allocation failed")
        await expect_error(client.channels.originate(endpoint="Local/3000@ARI-test", app="hello"))
        sim.faults.delay(1.5, times=2, match="^GET /endpoints$")
        await expect_error(client.endpoints.list())  # times out twice (one retry): TransportError
        await expect_error(Client.connect(sim.url, USER, WRONG, **FAST))
        await expect_error(Client.connect(f"http://127.0.0.1:{_free_port()}", USER, SECRET, **FAST))
        await expect_error(_viewer_write(sim))
        for fault in (sim.faults.drop_websockets, sim.faults.send_truncated_frame):
            before = client.hub.socket.reconnects
            result = fault()
            if asyncio.iscoroutine(result):
                await result
            await until(lambda: client.hub.socket.reconnects > before and client.connection_state == "connected")
        sim.faults.send_malformed_frame()
        sim.faults.send_unknown_event("Mystery", detail="x")
        before = client.hub.socket.reconnects
        sim.faults.stall()
        await until(lambda: client.hub.socket.reconnects > before and client.connection_state == "connected")
        sim.faults.clear()
        before = client.hub.socket.reconnects
        await sim.restart(keep_state=False)
        await until(lambda: client.hub.socket.reconnects > before and client.connection_state == "connected")
        await dash.idle()
        keyed = await Client.connect(sim.url, api_key=f"{USER}:{SECRET}", **FAST)
        texts += [repr(keyed), keyed.url]
        await keyed.close()

        # everything a user can look at
        texts += [repr(client), repr(sim), repr(client._credentials), client.url, repr(sim.faults),
                  str(sim.faults.state()), repr(log), log.df.to_csv(), log.requests.to_csv(),
                  "\n".join(str(f) for f in client.handler_errors), "\n".join(map(str, sim.log))]
        texts += [exception_text(e) for e in errors]
        from ipywidgets.widgets import widget as widget_module

        state = {mid: w.get_state() for mid, w in list(widget_module._instances.items())}
        texts.append(str(state))
        saved = log.save(tmp_path / "session.jsonl")
        texts.append(saved.read_text())
        nb = nbformat.v4.new_notebook()
        nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
            "version_major": 2, "version_minor": 0,
            "state": {mid: {"model_name": s.get("_model_name"), "model_module": s.get("_model_module"),
                            "model_module_version": s.get("_model_module_version"), "state": s}
                      for mid, s in state.items()}}}
        cell = nbformat.v4.new_code_cell("client")
        cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": repr(client)}, execution_count=1),
                        nbformat.v4.new_output("error", ename=type(errors[0]).__name__, evalue=str(errors[0]),
                                               traceback=traceback.format_exception(errors[0]))]
        nb.cells = [cell]
        nbformat.write(nb, tmp_path / "session.ipynb")
        texts.append((tmp_path / "session.ipynb").read_text())
        for widget in (controls, explorer, view, dash):
            widget.close()
    finally:
        await client.close()
        await sim.stop()
    texts.append(caplog.text)
    texts += [exception_text(r.exc_info[1]) for r in caplog.records if r.exc_info and r.exc_info[1]]

    assert len(errors) >= 5 and any(isinstance(e, Unauthorized) for e in errors)
    assert any(isinstance(e, Forbidden) for e in errors)
    assert logging.getLogger("ari_notebook.client").isEnabledFor(logging.DEBUG)
    logged = {r.name for r in caplog.records}
    assert "ari_notebook.client" in logged  # the capture saw the faults' warnings and errors
    # the scan saw real traffic: one DEBUG line per request (the failed ones included) and the
    # events socket's INFO lines; each names operation, method, path and status, no credential
    ours = [r for r in caplog.records if r.name == "ari_notebook.client"]
    requests = [r.getMessage() for r in ours if r.levelno == logging.DEBUG and r.getMessage().startswith("request ")]
    assert len(requests) >= 10, requests
    assert any("channels.list GET /ari/channels -> 503 in " in m for m in requests), requests
    assert any("channels.originate POST /ari/channels -> 500 in " in m for m in requests), requests
    assert any("endpoints.list GET /ari/endpoints -> no response after " in m for m in requests), requests
    assert any(" -> 200 in " in m and " ms" in m for m in requests), requests
    socket_lines = [r.getMessage() for r in ours if r.levelno == logging.INFO and "events WebSocket" in r.getMessage()]
    assert any(" connected: ws://127.0.0.1:" in m for m in socket_lines), socket_lines
    assert sum(" reconnected: ws://127.0.0.1:" in m for m in socket_lines) >= 4, socket_lines
    assert any(" disconnected: ws://127.0.0.1:" in m for m in socket_lines), socket_lines
    for line in requests + socket_lines:
        assert not leaks(line) and "api_key" not in line and "Authorization" not in line, line
        assert SECRET not in line and f"{USER}:{SECRET}" not in line
        assert base64.b64encode(f"{USER}:{SECRET}".encode()).decode() not in line
    found = {secret for text in texts for secret in leaks(text)}
    assert not found, f"credential(s) leaked: {sorted(found)}"


async def _viewer_write(sim: Simulator) -> None:
    viewer = await Client.connect(sim.url, "viewer", "viewer", **FAST)
    try:
        await viewer.channels.originate(endpoint="Local/3000@ARI-test", app="hello")
    finally:
        await viewer.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", "[::]"])
def test_public_bind_is_refused_without_the_flag(host):
    with pytest.raises(ConfigurationError) as err:
        Simulator.start(host=host)
    assert "allow_public=True" in str(err.value) and host in str(err.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.53"])
def test_loopback_binds_need_no_flag(host):
    Simulator.start(host=host)  # builds the simulator; nothing is bound until awaited


def test_public_bind_with_the_flag_is_accepted():
    Simulator.start(host="0.0.0.0", allow_public=True)  # not awaited: nothing is bound in a test


def test_cli_refuses_a_public_address(capsys):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "ari_notebook", "sim", "--host", "0.0.0.0", "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "refusing to bind" in out and "--allow-public" in out
    assert "Traceback" not in out


async def test_read_only_user_cannot_inject_faults_or_write_over_the_websocket():
    async with Simulator.start(port=0) as sim:
        viewer = await Client.connect(sim.url, "viewer", "viewer", transport="websocket", **FAST)
        try:
            assert viewer.transport == "websocket"
            with pytest.raises(Forbidden) as err:
                await viewer.channels.originate(endpoint="Local/3000@ARI-test", app="hello")
            assert err.value.status == 403 and "Write access denied" in str(err.value)
            assert (await viewer.execute("channels.list")).status == 200
        finally:
            await viewer.close()
        auth = {"Authorization": "Basic " + base64.b64encode(b"viewer:viewer").decode()}
        async with aiohttp.ClientSession(headers=auth) as http:
            for name in ("fail", "restart", "drop_websockets", "clear"):
                async with http.post(f"{sim.url}/_sim/faults/{name}", json={}) as r:
                    assert r.status == 403
            async with http.get(f"{sim.url}/_sim/faults") as r:
                assert r.status == 403
        assert sim.faults.history == []


async def test_injected_errors_follow_the_cors_rules():
    async with Simulator.start(port=0) as sim:
        sim.faults.fail(503, times=None, match="^GET /asterisk/ping$")
        auth = {"Authorization": "Basic " + base64.b64encode(b"asterisk:asterisk").decode()}
        async with aiohttp.ClientSession(headers=auth) as http:
            async with http.get(f"{sim.url}/ari/asterisk/ping", headers={"Origin": "http://localhost:8888"}) as r:
                assert r.status == 503
                assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:8888"
            async with http.get(f"{sim.url}/ari/asterisk/ping", headers={"Origin": "http://evil.example"}) as r:
                assert r.status == 503 and "Access-Control-Allow-Origin" not in r.headers
        async with aiohttp.ClientSession() as anonymous:  # no credentials: 401 first, never the fault
            async with anonymous.get(f"{sim.url}/ari/asterisk/ping") as r:
                assert r.status == 401
