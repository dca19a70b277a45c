"""No credential ever becomes widget state or lands in a saved notebook.

After a full session (Explorer requests including errors, Dashboard, event log, channel
controls, phone, workbench), the synced state of every live widget instance is searched for
the password, the ``user:password`` api_key and the Basic-auth token.
"""

from __future__ import annotations

import base64
import json
import textwrap

import nbformat
import pytest

from .conftest import until

USER, SECRET = "trainer", "Pw-5ecret-91"
FORBIDDEN = (SECRET, f"{USER}:{SECRET}", base64.b64encode(f"{USER}:{SECRET}".encode()).decode())


def live_widget_states() -> dict[str, dict]:
    from ipywidgets.widgets import widget as widget_module

    return {mid: w.get_state() for mid, w in list(widget_module._instances.items())}


def leaks(text: str) -> list[str]:
    return [f for f in FORBIDDEN if f in text]


@pytest.fixture
async def secret_sim():
    try:
        from ari_notebook.sim import Simulator
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"ari_notebook.sim.Simulator is not available yet: {exc}")
    sim = await Simulator.start(port=0, clock_speed=50.0, users={USER: SECRET})
    try:
        yield sim
    finally:
        await sim.stop()


async def test_full_session_keeps_credentials_out_of_widget_state(secret_sim):
    from ari_notebook.client import Client
    from ari_notebook.widgets import ChannelControls, Dashboard, EventLogView, Explorer, Phone, workbench

    by_password = await Client.connect(secret_sim.url, USER, SECRET)
    by_key = await Client.connect(secret_sim.url, api_key=f"{USER}:{SECRET}")
    await by_password.start(apps="hello")
    made = []
    try:
        for client in (by_password, by_key):
            ex = Explorer(client)
            made.append(ex)
            ex.select("asterisk.getInfo")
            ex.execute_button.click()
            await ex.idle()
            assert ex.last.status == 200
            ex.select("channels.originate")
            ex.set_values(endpoint="Local/1000@ARI-test", app="hello")
            ex.execute_button.click()
            await ex.idle()
            ex.select("channels.answer")
            ex.set_values(channelId="nope")
            ex.execute_button.click()
            await ex.idle()
            assert ex.last.status == 404
            assert f"{USER}:****" in ex.snippets.value
        dash = Dashboard(by_password)
        view = EventLogView(by_password.log, rate=20)
        made += [dash, view]
        chan = await by_password.channels.create(endpoint="PJSIP/alice", app="hello")
        cc = ChannelControls(by_password, chan)
        made.append(cc)
        cc.buttons["answer"].click()
        await cc.idle()
        phone = Phone(secret_sim, by_password)
        made.append(phone)
        phone.card("PJSIP/bob").dial.click()
        await phone.idle()
        made.append(workbench(by_key))
        await until(lambda: len(view.table.options) > 0)
        await dash.idle()

        states = live_widget_states()
        assert len(states) > 100  # the whole session is in there
        dumped = json.dumps(states, default=str)
        assert USER in dumped  # the user name is shown (connection line, curl -u user:****)
        assert leaks(dumped) == [], "a credential became widget state"
    finally:
        for w in made:
            w.close()
        await by_password.close()
        await by_key.close()


NOTEBOOK = [
    """
    import os
    from ari_notebook.sim import Simulator
    from ari_notebook.client import Client
    from ari_notebook.widgets import Explorer, EventLogView, Dashboard, workbench
    sim = await Simulator.start(port=0, clock_speed=50.0, users={os.environ["WIDGET_TEST_USER"]: os.environ["WIDGET_TEST_SECRET"]})
    client = await Client.connect(sim.url, os.environ["WIDGET_TEST_USER"], os.environ["WIDGET_TEST_SECRET"])
    await client.start(apps="hello")
    """,
    """
    ex = Explorer(client)
    ex.select("asterisk.getInfo")
    ex.execute()
    await ex.idle()
    ex
    """,
    "client",
    "workbench(client)",
    """
    started = client.wait_for("StasisStart", timeout=5)
    chan = await client.channels.originate(endpoint="Local/1000@ARI-test", app="hello")
    await started
    client.log
    """,
    "chan",
]


def test_saved_notebook_has_no_credentials(tmp_path, monkeypatch):
    pytest.importorskip("ari_notebook.sim.web.server")
    from nbclient import NotebookClient

    for var, sub in (("JUPYTER_RUNTIME_DIR", "rt"), ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipy")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("WIDGET_TEST_USER", USER)
    monkeypatch.setenv("WIDGET_TEST_SECRET", SECRET)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(src).strip()) for src in NOTEBOOK]
    NotebookClient(nb, kernel_name="python3", timeout=60, store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "session.ipynb"
    nbformat.write(nb, path)
    text = path.read_text()
    assert "application/vnd.jupyter.widget-state+json" in text  # widget state was saved
    assert "pong" in text or "system" in text  # the Explorer's response is in there
    assert leaks(text) == [], "a credential was saved in the notebook"
    # one-line rich displays: the event log and a Channel render as HTML
    for cell in nb.cells[-2:]:
        shown = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
        assert shown and "text/html" in shown[0]["data"], cell.source


async def test_a_fleet_keeps_each_servers_credentials_out_of_widget_state():
    """Two servers with their own users: the fleet's workbench, Explorer runs on each server,
    the merged log view; no password of either server becomes widget state."""
    import ari_notebook
    from ari_notebook.widgets import EventLogView, Explorer, workbench

    other_user, other_secret = "second-ops", "Sx-2nd-secret-44"
    fleet = await ari_notebook.connect_fleet({
        "pbx-a": {"simulator": {"clock_speed": 50.0, "users": {USER: SECRET}}},
        "pbx-b": {"simulator": {"clock_speed": 50.0, "users": {other_user: other_secret}}}}, apps="hello")
    made = []
    try:
        tabs = workbench(fleet)
        view = EventLogView(fleet.log, rate=20)
        ex = Explorer(fleet)
        made += [tabs, view, ex]
        for server in ("pbx-a", "pbx-b"):
            ex.server.value = server
            ex.select("channels.originate")
            ex.set_values(endpoint="Local/1000@ARI-test", app="hello")
            ex.execute_button.click()
            await ex.idle()
            assert ex.last.status == 200 and ex.last.server == server
        await until(lambda: len(view.table.options) > 0)
        dumped = json.dumps(live_widget_states(), default=str)
        assert USER in dumped and other_user in dumped  # each server's user is shown
        assert leaks(dumped) == [] and other_secret not in dumped, "a credential became widget state"
        assert other_secret not in repr(fleet) + fleet._repr_html_() and leaks(repr(fleet)) == []
    finally:
        for w in made:
            w.close()
        await fleet.close()
