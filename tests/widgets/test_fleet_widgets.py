"""The widgets over a fleet: EventLogView and Dashboard filter by server, Explorer runs on the
server picked. Driven like a person (values set, buttons clicked), no browser."""

from __future__ import annotations

import pytest

from .conftest import until

pytest.importorskip("ari_notebook.sim")

FAST = dict(reconnect_base=0.02, reconnect_max=0.1, heartbeat=0.3)


@pytest.fixture
async def fleet():
    import ari_notebook

    f = await ari_notebook.connect_fleet({"pbx-a": None, "pbx-b": None}, **FAST)
    f.log  # noqa: B018  attached before the first event
    await f.start(apps="hello")
    try:
        yield f
    finally:
        await f.close()


async def test_eventlogview_filters_the_merged_log_by_server(fleet):
    from ari_notebook.widgets import EventLogView

    ids = fleet.asterisk_ids
    view = EventLogView(fleet.log, rate=50)
    try:
        assert view.server_filter.options == (("all servers", ""), (f"pbx-a ({ids['pbx-a']})", ids["pbx-a"]),
                                              (f"pbx-b ({ids['pbx-b']})", ids["pbx-b"]))
        assert "server" in view.header.value
        fleet["pbx-a"].simulator.faults.burst(3, app="hello", eventname="from-a")
        fleet["pbx-b"].simulator.faults.burst(2, app="hello", eventname="from-b")
        await until(lambda: len(fleet.log) == 5)
        view.refresh()
        labels = [label for label, _ in view.table.options]
        assert sorted(label.split()[0] for label in labels) == ["pbx-a"] * 3 + ["pbx-b"] * 2

        view.server_filter.value = ids["pbx-b"]
        await until(lambda: len(view.table.options) == 2)
        assert all(label.startswith("pbx-b") and "from-b" in label for label, _ in view.table.options)
        frame = view.filtered_frame()
        assert frame["asterisk_id"].astype(str).tolist() == [ids["pbx-b"]] * 2
        view.type_filter.value = "ChannelUserevent"
        view.server_filter.value = ids["pbx-a"]
        await until(lambda: len(view.table.options) == 3)
        assert all("from-a" in label for label, _ in view.table.options)
    finally:
        view.close()


async def test_dashboard_of_a_fleet_has_a_section_per_server_and_a_server_filter(fleet):
    from ari_notebook.widgets import Dashboard
    from ari_notebook.widgets.fleetviews import FleetDashboard

    dash = Dashboard(fleet, rate=50)
    try:
        assert isinstance(dash, FleetDashboard)
        assert dash.shown == ["pbx-a", "pbx-b"]
        a_chan = await fleet["pbx-a"].simulator.call("PJSIP/alice", "1000")
        b_chan = await fleet["pbx-b"].simulator.call("PJSIP/bob", "1000")

        def listed(name: str) -> list[str]:
            return [value for _label, value in dash.dashboards[name].channels.options]

        await until(lambda: listed("pbx-a") == [a_chan] and listed("pbx-b") == [b_chan])
        dash.server.value = "pbx-b"
        assert dash.shown == ["pbx-b"]
        assert dash.sections["pbx-a"].layout.display == "none"
        # b's reconnect shows in b's section only; a's keeps its rows and state
        gap = fleet.wait_for("EventStreamGap", server="pbx-b", timeout=10)
        await fleet["pbx-b"].simulator.faults.drop_websockets()
        await gap
        await until(lambda: dash.dashboards["pbx-b"].objects.gaps == 1)
        assert dash.dashboards["pbx-a"].objects.gaps == 0
        await until(lambda: "1 reconnect" in dash.dashboards["pbx-b"].connection.value)
        assert "reconnect" not in dash.dashboards["pbx-a"].connection.value
        dash.server.value = ""
        assert dash.shown == ["pbx-a", "pbx-b"]
        await dash.idle()
    finally:
        dash.close()


async def test_explorer_runs_the_operation_on_the_server_picked(fleet):
    from ari_notebook.widgets import Explorer, workbench

    a_chan = await fleet["pbx-a"].simulator.call("PJSIP/alice", "1000")
    b_chan = await fleet["pbx-b"].simulator.call("PJSIP/bob", "1000")
    ex = Explorer(fleet)
    tabs = workbench(fleet)
    try:
        assert ex.server.value == "pbx-a"
        assert fleet["pbx-a"].url in ex.snippets.value  # the curl command names the server
        ex.select("channels.list")
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.server == "pbx-a" and [c["id"] for c in ex.last.body] == [a_chan]
        assert "pbx-a" in ex.response.value

        ex.server.value = "pbx-b"
        assert ex.operation.value == "channels.list"  # the same operation, on the other server
        assert fleet["pbx-b"].url in ex.snippets.value
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.server == "pbx-b" and [c["id"] for c in ex.last.body] == [b_chan]

        ex.select("channels.hangup")
        ex.set_values(channelId=b_chan)  # (two servers may well use the same id: Asterisk's are time-based)
        ex.execute_button.click()
        await ex.idle()
        assert ex.last.status == 204 and ex.last.server == "pbx-b"
        await until(lambda: not fleet["pbx-b"].simulator.asterisk.channels)
        assert [c["id"] for c in (await fleet["pbx-a"].execute("channels.list")).body] == [a_chan]
        assert [type(v).__name__ for v in tabs.children] == ["FleetDashboard", "EventLogView", "Explorer"]
    finally:
        ex.close()
        tabs.close()
