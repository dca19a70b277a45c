"""A fleet of three simulators: one merged log, handlers per server, independent reconnects.

The outage is held open by the test itself (the restarted server refuses the events upgrade
with 503, as an Asterisk still starting up does, until the test lifts it), so "the others
were not stalled" is checked while the server is provably down, with no sleeps.
"""

from __future__ import annotations

import traceback

import pytest
from _asyncwait import until

import ari_notebook
from ari_notebook._errors import ConfigurationError
from ari_notebook.client.fleet import Fleet

pytest.importorskip("ari_notebook.sim")

FAST = dict(reconnect_base=0.02, reconnect_max=0.1, heartbeat=0.3)


def userevents(log, asterisk_id: str) -> list[tuple[str, int]]:
    """(eventname, seq) of one server's ChannelUserevents in the merged log, in log order."""
    return [(ev["eventname"], ev["userevent"]["seq"]) for ev in log
            if ev["type"] == "ChannelUserevent" and ev["asterisk_id"] == asterisk_id]


def burst(fleet, name: str, count: int, label: str) -> int:
    return fleet[name].simulator.faults.burst(count, app="hello", eventname=label)


@pytest.fixture
async def fleet():
    f = await ari_notebook.connect_fleet(3, **FAST)
    try:
        yield f
    finally:
        await f.close()


async def test_one_server_restarted_marks_a_gap_for_it_only_and_the_others_lose_nothing(fleet):
    a, b, c = fleet.names
    ids = fleet.asterisk_ids
    assert len(set(ids.values())) == 3  # three distinct entity ids, as three real servers have
    log = fleet.log  # attached before any event
    only_b: list[dict] = []
    everywhere: list[dict] = []
    fleet.on_event("ChannelUserevent", only_b.append, server=b)
    fleet.on_event("ChannelUserevent", everywhere.append)
    await fleet.start(apps="hello")
    assert fleet.states == {a: "connected", b: "connected", c: "connected"}

    assert [burst(fleet, n, 5, "before") for n in (a, b, c)] == [5, 5, 5]
    await until(lambda: len(everywhere) == 15)

    # b restarts and stays down (503 on the events upgrade) until the test lets it come back
    down = fleet[b].simulator.faults.fail(503, times=None, match=r"^GET /events")
    await fleet[b].simulator.restart()
    await until(lambda: down.hits >= 1 and fleet[b].connection_state == "reconnecting")
    assert burst(fleet, b, 4, "during") == 0  # no app registered on b: these are lost, hence the gap
    assert [burst(fleet, n, 7, "during") for n in (a, c)] == [7, 7]
    await until(lambda: len(everywhere) == 29)
    assert fleet[b].connection_state == "reconnecting"  # a and c delivered while b was still down
    assert fleet.states[a] == fleet.states[c] == "connected"

    gap = fleet.wait_for("EventStreamGap", timeout=10)
    fleet[b].simulator.faults.clear()
    gap_event = await gap
    assert gap_event["asterisk_id"] == ids[b]
    assert fleet.server_of(gap_event) == b

    assert [burst(fleet, n, 3, "after") for n in (a, b, c)] == [3, 3, 3]
    await until(lambda: len(everywhere) == 38)

    df = log.df
    gaps = df[df["type"] == "EventStreamGap"]
    assert gaps["asterisk_id"].astype(str).tolist() == [ids[b]]  # a gap marker for b only
    expected_full = ([("before", i) for i in range(1, 6)] + [("during", i) for i in range(1, 8)]
                     + [("after", i) for i in range(1, 4)])
    assert userevents(log, ids[a]) == expected_full  # nothing lost, nothing reordered
    assert userevents(log, ids[c]) == expected_full
    assert userevents(log, ids[b]) == [("before", i) for i in range(1, 6)] + [("after", i) for i in range(1, 4)]
    # in b's own sequence the gap sits exactly where its events were lost
    b_rows = df[df["asterisk_id"] == ids[b]]["type"].astype(str).tolist()
    assert b_rows == ["ChannelUserevent"] * 5 + ["EventStreamGap"] + ["ChannelUserevent"] * 3
    # one merged log, ordered by the kernel's receive time, every row naming its server
    assert df["received_at"].is_monotonic_increasing
    assert df["asterisk_id"].notna().all()
    assert set(df["asterisk_id"].astype(str)) == set(ids.values())

    assert len(only_b) == 8 and {ev["asterisk_id"] for ev in only_b} == {ids[b]}
    assert len(everywhere) == 38


async def test_object_handlers_are_scoped_and_bound_to_their_own_server():
    from ari_notebook.sim.web.config import default_dialplan

    dialplan = default_dialplan()
    dialplan["ARI-test"]["5000"] = [("Stasis", "hello"), ("Hangup", "")]  # reaches the app ringing
    ringing = {"simulator": {"dialplan": dialplan}}
    async with await ari_notebook.connect_fleet({"a": ringing, "b": ringing}, **FAST) as fleet:
        await _answer_on_b_only(fleet)


async def _answer_on_b_only(fleet):
    a, b = fleet.names
    answered: list[tuple[str, str]] = []

    async def answer(channel, event):
        await channel.answer()  # goes to the channel's own server
        answered.append((fleet.server_of(event), channel.id))

    fleet.on_channel_event("StasisStart", answer, server=b)
    await fleet.start(apps="hello")
    started_a = fleet.wait_for("StasisStart", server=a, timeout=5)
    states_b = fleet.wait_for("ChannelStateChange", lambda ev: ev["channel"]["state"] == "Up",
                              server=b, timeout=5)
    chan_a = await fleet[a].simulator.call("PJSIP/alice", "5000")
    chan_b = await fleet[b].simulator.call("PJSIP/alice", "5000")
    await started_a
    up = await states_b
    assert up["channel"]["id"] == chan_b
    await until(lambda: answered)
    assert answered == [(b, chan_b)]
    channels_a = (await fleet[a].execute("channels.list")).body
    assert [ch["state"] for ch in channels_a if ch["id"] == chan_a] == ["Ring"]  # a's call untouched


async def test_fleet_names_and_errors():
    with pytest.raises(ConfigurationError, match="at least one server"):
        await ari_notebook.connect_fleet(0)
    with pytest.raises(ConfigurationError, match="'pbx': expected a URL"):
        await ari_notebook.connect_fleet({"pbx": 8088})
    with pytest.raises(ConfigurationError, match="entity_id 'pbx-1' must be a MAC address"):
        await ari_notebook.connect_fleet({"x": {"simulator": {"entity_id": "pbx-1"}}})
    two = await ari_notebook.connect_fleet({"x": None, "y": {"simulator": {"entity_id": "02:fc:00:00:09:09"}}})
    try:
        assert two.asterisk_ids == {"x": "02:fc:00:00:01:01", "y": "02:fc:00:00:09:09"}
        with pytest.raises(KeyError, match="no server 'z'.*x, y"):
            two.on_event("StasisStart", print, server="z")
        assert two.server_of({"asterisk_id": "02:fc:00:00:09:09"}) == "y"
        # two servers with one entity id could not be told apart: refused, naming both
        with pytest.raises(ConfigurationError, match="'x' and 'y' both report entity id"):
            Fleet({"x": two["x"], "y": two["y"]}, {"x": "same", "y": "same"})
    finally:
        await two.close()
    assert two["x"].closed and two["y"].closed
    assert "stopped" in repr(two["x"].simulator)


async def test_a_server_that_cannot_connect_is_named_and_the_others_closed(unused_tcp_port):
    with pytest.raises(ari_notebook.TransportError) as info:
        await ari_notebook.connect_fleet({"lab": None, "dead": {
            "url": f"http://127.0.0.1:{unused_tcp_port}", "username": "u", "password": "p-9-secret"}},
            timeout=2)
    assert info.value.server == "dead"
    assert "(fleet server 'dead')" in info.value.__notes__
    text = "".join(traceback.format_exception(info.value))
    assert "p-9-secret" not in text and "dead" in text


async def test_credentials_stay_in_each_client(caplog, tmp_path):
    """Per-server users; after requests, an error and one server's reconnect (everything
    logged at DEBUG), no password is in a repr, a log line, an exception or a saved log."""
    import base64
    import logging

    caplog.set_level(logging.DEBUG)
    secrets = {"a": ("alice-ops", "Fa-1-secret-77"), "b": ("bob-ops", "Fb-2-secret-88")}
    servers = {n: {"simulator": {"users": {u: p}}} for n, (u, p) in secrets.items()}
    async with await ari_notebook.connect_fleet(servers, **FAST) as fleet:
        fleet.log  # noqa: B018
        await fleet.start(apps="hello")
        assert fleet["a"].username == "alice-ops" and fleet["b"].username == "bob-ops"
        with pytest.raises(ari_notebook.NotFound) as info:
            await fleet["b"].channels.get(channelId="nope")
        gap = fleet.wait_for("EventStreamGap", timeout=10)
        await fleet["a"].simulator.faults.drop_websockets()
        await gap
        fleet.log.save(tmp_path / "fleet.jsonl")
        fleet.log.save(tmp_path / "fleet.parquet")
        shown = " ".join([repr(fleet), fleet._repr_html_(), repr(fleet.log), fleet.log._repr_html_(),
                          "".join(traceback.format_exception(info.value)), caplog.text,
                          (tmp_path / "fleet.jsonl").read_text(), str((tmp_path / "fleet.parquet").read_bytes())])
    for user, password in secrets.values():
        for secret in (password, f"{user}:{password}", base64.b64encode(f"{user}:{password}".encode()).decode()):
            assert secret not in shown
    assert "alice-ops" in shown and "bob-ops" in shown  # user names are shown, passwords never
    assert "reconnected" in caplog.text  # the fault run was logged
