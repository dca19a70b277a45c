"""Widgets driven like a person would (``.click()``, ``.value =``) against the simulator.

Each test asserts on what the widget displays and on the server's state as the client reads
it back, never on the widget's internals alone.
"""

from __future__ import annotations

import asyncio

import pandas as pd

from ari_notebook.widgets import ChannelControls, Dashboard, EventLogView, Explorer, Phone, workbench

from .conftest import until


async def test_explorer_ping_and_originate(client):
    ex = Explorer(client)
    try:
        ex.select("asterisk.ping")
        assert ex.operation.value == "asterisk.ping" and ex.resource.value == "asterisk"
        assert "await client.asterisk.ping()" in ex.snippets.value
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.status == 200 and ex.last.body["ping"] == "pong"
        assert ">200<" in ex.response.value and "pong" in ex.response.value

        ex.select("channels.originate")
        ex.set_values(endpoint="Local/1000@ARI-test", app="hello", appArgs="a,b",
                      variables='{"CUSTOMER": "42"}')
        assert "channels.originate(" in ex.snippets.value and "CUSTOMER" in ex.snippets.value
        assert f"{client.username}:****" in ex.snippets.value
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.status == 200, ex.last
        cid = ex.last.body["id"]
        assert cid in ex.response.value
        listed = [c.id for c in await client.channels.list()]
        assert cid in listed
    finally:
        ex.close()


async def test_explorer_shows_errors_inside(client):
    ex = Explorer(client)
    try:
        ex.select("channels.answer")
        ex.set_values(channelId="no-such-channel")
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.status == 404
        assert "Channel not found" in ex.response.value and "ari-badge err" in ex.response.value
        ex.select("channels.originate")  # required endpoint left empty: refused before any I/O
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.status is None and "endpoint" in ex.last.error
        assert "required" in ex.response.value
    finally:
        ex.close()


async def test_explorer_offers_live_ids(client):
    chan = await client.channels.create(endpoint="Local/3000@ARI-test", app="hello")
    ex = Explorer(client)
    try:
        ex.select("channels.answer")
        await ex.idle()
        assert chan.id in ex.inputs["channelId"].options
    finally:
        ex.close()


async def incoming(sim, client, endpoint="PJSIP/alice"):
    """A simulated phone calls 5000 = Stasis(hello): the channel waits in the app, ringing."""
    started = client.wait_for(  # registered now, before the call is placed
        "StasisStart", predicate=lambda e: e["channel"]["name"].startswith(endpoint + "-"), timeout=5)
    cid = await sim.call(endpoint, "5000")
    assert (await started)["channel"]["id"] == cid
    return await client.channels.get(channelId=cid)


async def test_channel_controls_answer_hold_play_hangup(sim, client):
    chan = await incoming(sim, client)
    cc = ChannelControls(client, chan)
    try:
        await cc.idle()
        assert cc.model.state == "Ring" and "Ring" in cc.card.value
        assert not cc.buttons["answer"].disabled and cc.buttons["unhold"].disabled
        cc.buttons["answer"].click()
        await cc.idle()
        assert (await client.channels.get(channelId=chan.id)).state == "Up"
        await until(lambda: cc.model.state == "Up")
        await cc.idle()  # the event was applied; its redraw runs on the next loop turn
        assert "ari-state-Up" in cc.card.value and cc.buttons["answer"].disabled
        assert "channels.answer: 204" in cc.status.value

        cc.buttons["hold"].click()
        await cc.idle()
        assert cc.buttons["hold"].disabled and not cc.buttons["unhold"].disabled

        cc.media.value = "sound:hello-world"
        cc.buttons["play"].click()
        await cc.idle()
        assert "channels.play: 201" in cc.status.value
        await until(lambda: not cc.buttons["stopPlayback"].disabled or cc.model.playbacks == {})

        cc.var_name.value = "CUSTOMER"
        cc.var_value.value = "4711"
        cc.buttons["setChannelVar"].click()
        await cc.idle()
        value = await client.channels.getChannelVar(channelId=chan.id, variable="CUSTOMER")
        assert getattr(value, "value", value) == "4711"

        cc.hangup_reason.value = "busy"
        cc.buttons["hangup"].click()
        await cc.idle()
        await until(lambda: cc.model.gone)
        await cc.idle()  # the event was applied; its redraw runs on the next loop turn
        assert all(b.disabled for b in cc.buttons.values())
        assert "ari-state-gone" in cc.card.value
        assert chan.id not in [c.id for c in await client.channels.list()]
    finally:
        cc.close()


async def test_channel_controls_reports_ari_errors(sim, client):
    chan = await incoming(sim, client)
    cc = ChannelControls(client, chan)
    try:
        await cc.idle()
        cc.rec_name.value = ""  # ARI refuses a recording without a name
        cc.buttons["record"].click()
        await cc.idle()
        assert "ari-error" in cc.status.value and "record" in cc.status.value
        assert cc.results[-1][1] is False
    finally:
        cc.close()
        await client.channels.hangup(channelId=chan.id)


async def test_eventlog_view_live_filter_detail_export(client, tmp_path):
    view = EventLogView(client.log, rate=20)
    try:
        chan = await client.channels.originate(endpoint="Local/1000@ARI-test", app="hello")
        await until(lambda: any("StasisStart" in label for label, _ in view.table.options))
        assert "StasisStart" in view.counts.value
        view.type_filter.value = "StasisStart"
        await until(lambda: view.table.options and all("StasisStart" in l for l, _ in view.table.options))
        view.obj_filter.value = chan.id  # both Local halves are in Stasis: pick ours
        await until(lambda: len(view.table.options) == 1)
        view.table.index = 0
        assert '"StasisStart"' in view.detail.value or "StasisStart" in view.detail.value
        assert chan.id in view.detail.value

        view.pause_button.value = True
        before = list(view.table.options)
        await client.channels.hangup(channelId=chan.id)
        await asyncio.sleep(0.3)
        assert list(view.table.options) == before and "view paused" in view.counts.value
        view.pause_button.value = False

        view.type_filter.value = ""
        view.obj_filter.value = chan.id
        await until(lambda: any("StasisEnd" in l for l, _ in view.table.options))

        view.export_path.value = str(tmp_path / "calls")
        view.export_csv.click()
        await view.runner.idle()
        df = pd.read_csv(tmp_path / "calls.csv")
        about = pd.Series(False, index=df.index)
        for col in ("channel_id", "peer_id", "channel_name", "bridge_id"):
            if col in df.columns:
                about |= df[col].astype(str).str.contains(chan.id, regex=False)
        assert len(df) > 0 and about.all() and len(df) < len(client.log.df)
        assert "wrote" in view.status.value
        view.export_parquet.click()
        await view.runner.idle()
        assert len(pd.read_parquet(tmp_path / "calls.parquet")) == len(df)

        view.clear_button.click()
        assert len(client.log) == 0
        await until(lambda: ">0<" in view.counts.value)
    finally:
        view.close()


async def test_dashboard_tables_bridge_and_resync(client):
    dash = Dashboard(client, rate=20)
    try:
        await dash.idle()
        a = await client.channels.create(endpoint="PJSIP/alice", app="hello")
        b = await client.channels.create(endpoint="PJSIP/bob", app="hello")
        await until(lambda: {a.id, b.id} <= {v for _, v in dash.channels.options})
        assert "connected" in dash.connection.value
        await until(lambda: "hello (2 ch" in dash.connection.value)  # app registrations follow
        bridge = await client.bridges.create(type="mixing", name="dash-test")
        await client.bridges.addChannel(bridgeId=bridge.id, channel=[a.id, b.id])
        await until(lambda: bridge.id in {v for _, v in dash.bridges.options})
        dash.bridges.value = bridge.id
        await until(lambda: a.id in dash.bridge_view.value and b.id in dash.bridge_view.value)

        dash.channels.value = a.id  # clicking a channel opens its controls
        assert dash.controls is not None and dash.controls.channel_id == a.id
        assert dash.detail.children == (dash.controls,)

        # a reconnect gap: the dashboard re-lists (here: a channel it never heard of appears)
        resyncs = dash.resyncs
        client.dispatch({"type": "EventStreamGap", "application": "hello", "timestamp": "2026-11-26T00:00:00.000+0000",
                         "disconnected_at": "2026-11-26T00:00:00.000+0000",
                         "reconnected_at": "2026-11-26T00:00:01.000+0000", "reason": "test"})
        await until(lambda: dash.resyncs > resyncs)
        # the counter moves when the list calls return; the label follows on the next throttled redraw
        await until(lambda: "1 reconnect" in dash.connection.value)
    finally:
        dash.close()


async def test_phone_calls_presses_and_hears(sim, client):
    played = []

    async def greet(ev):
        if ev["channel"]["name"].startswith("PJSIP/alice"):
            played.append(await client.channels.play(channelId=ev["channel"]["id"], media="sound:hello-world"))

    client.on_event("StasisStart", greet)
    phone = Phone(sim, client)
    try:
        card = phone.card("PJSIP/alice")
        assert card.hang.disabled and not card.dial.disabled
        card.number.value = "1000"
        card.dial.click()
        await phone.idle()
        assert card.handset.channel_id
        await until(lambda: "hello world" in card.display.value)
        assert "hears" in card.display.value
        card.keypad[0].click()  # "1"
        await phone.idle()
        assert "pressed 1" in card.status.value
        card.hang.click()
        await phone.idle()
        await until(lambda: card.handset.state == "ended")
        assert "call ended" in card.display.value and card.hang.disabled
    finally:
        phone.close()


async def test_workbench_tabs(client):
    tabs = workbench(client)
    try:
        assert [tabs.get_title(i) for i in range(3)] == ["Dashboard", "Events", "Explorer"]
        assert isinstance(tabs.children[2], Explorer)
    finally:
        for child in tabs.children:
            child.close()
        tabs.close()


async def test_channel_controls_dtmf_bridge_snoop_mute_moh(sim, client):
    a = await incoming(sim, client, "PJSIP/alice")
    b = await incoming(sim, client, "PJSIP/bob")
    bridge = await client.bridges.create(type="mixing", name="cc-test")
    cc = ChannelControls(client, a)
    try:
        await cc.idle()
        await until(lambda: not cc.buttons["answer"].disabled)
        cc.buttons["answer"].click()
        await cc.idle()
        await until(lambda: cc.model.state == "Up")

        cc.mute_direction.value = "in"
        cc.buttons["mute"].click()
        await cc.idle()
        assert not cc.buttons["unmute"].disabled and "muted in" in cc.card.value
        cc.buttons["startMoh"].click()
        await cc.idle()
        assert cc.buttons["startMoh"].disabled and not cc.buttons["stopMoh"].disabled
        cc.buttons["stopMoh"].click()
        await cc.idle()
        assert not cc.buttons["startMoh"].disabled

        cc.dtmf_keys[0].click()  # "1"
        await cc.idle()
        assert "channels.sendDTMF: 204" in cc.status.value

        cc.load_bridges()
        await cc.idle()
        assert bridge.id in [v for _, v in cc.bridge.options]
        cc.bridge.value = bridge.id
        cc.buttons["addToBridge"].click()
        await cc.idle()
        await until(lambda: cc.model.bridge_id == bridge.id)
        assert a.id in (await client.bridges.get(bridgeId=bridge.id)).channels
        assert not cc.buttons["removeFromBridge"].disabled and cc.buttons["addToBridge"].disabled
        cc.buttons["removeFromBridge"].click()
        await cc.idle()
        await until(lambda: cc.model.bridge_id is None)
        assert a.id not in (await client.bridges.get(bridgeId=bridge.id)).channels

        cc.buttons["snoop"].click()
        await cc.idle()
        assert "channels.snoopChannel: 200" in cc.status.value and "Snoop/" in cc.status.value
    finally:
        cc.close()
        for ch in (a, b):
            try:
                await client.channels.hangup(channelId=ch.id)
            except Exception:
                pass


async def test_widgets_do_not_pile_up(sim, client):
    """Only widgets made here are counted: whatever earlier tests left alive in the registry
    (it is process-wide) must not decide this test, so it passes alone and in a full run."""
    from ipywidgets.widgets import widget as widget_module

    registry = widget_module._instances
    preexisting = set(registry)

    def ours() -> list[str]:
        return [type(v).__name__ for k, v in list(registry.items()) if k not in preexisting]

    ex = Explorer(client)
    ex.select("channels.originate")
    await ex.idle()
    one_form = len(ours())
    for name in ("channels.answer", "bridges.create", "channels.record", "channels.originate") * 3:
        ex.select(name)
    await ex.idle()
    assert len(ours()) <= one_form + 5, ours()  # old forms are closed, not leaked
    ex.close()
    assert ours() == []  # closing closes everything it made, its own Layout too
    dash = Dashboard(client)
    await dash.idle()
    dash.open_channel((await client.channels.create(endpoint="PJSIP/alice", app="hello")).id)
    dash.close()  # the ChannelControls it opened go with it
    assert ours() == []
    wb = workbench(client)
    await asyncio.sleep(0.05)
    wb.close()  # the tabs' views (and their refresh tasks) go with the Tab
    assert ours() == [] and not any(v.throttle.running for v in wb.children if hasattr(v, "throttle"))
    Phone(sim, client).close()  # a phone's cards and keypads go with it
    assert ours() == []


async def test_dashboard_shows_a_closed_client_as_closed(sim):
    from ari_notebook.client import Client

    c = await Client.connect(sim.url, sim.username, sim.password)
    await c.start(apps="hello")
    dash = Dashboard(c, rate=20)
    try:
        a = await c.channels.create(endpoint="PJSIP/alice", app="hello")
        await c.bridges.create(type="mixing", name="closing")
        await until(lambda: a.id in {v for _, v in dash.channels.options} and dash.bridges.options)
        await until(lambda: "hello (1 ch" in dash.connection.value)
        dash.channels.value = a.id
        assert dash.controls is not None
        await c.close()
        await until(lambda: "closed" in dash.connection.value)
        # every part says so: no stale rows, no stale app counts, no live controls, no resync
        assert dash.channels.options == () and dash.bridges.options == ()
        assert "ch," not in dash.connection.value and "client closed" in dash.connection.value
        assert dash.resync_button.disabled and dash.controls is None and dash.detail.children == ()
        assert "ari-error" not in dash.connection.value  # no failed list calls after close
    finally:
        dash.close()
        await c.close()
