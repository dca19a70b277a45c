"""Events WebSocket faults as a notebook user meets them: dropped, cut mid-frame, garbage, unknown
event types, a stalled server, restarts with and without state.

Each test checks what the user sees (events before and after, the ``EventStreamGap`` row in
``client.log``, handler call counts, ``connection_state`` transitions) and ends with
``close_and_check``: no task, no client socket and no stray loop exception left behind.
"""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from ari_notebook._errors import NotFound

from .conftest import close_and_check, connect, until


def _userevents(log) -> list[int]:
    return [e["userevent"]["seq"] for e in log if e["type"] == "ChannelUserevent"]


async def _stasis_start(client, sim, exten="1000"):
    waiter = client.wait_for("StasisStart", timeout=5)
    chan_id = await sim.call("PJSIP/alice", exten)
    event = await waiter
    assert event["channel"]["id"] == chan_id
    return chan_id


async def test_dropped_websocket_reconnects_marks_the_gap_and_keeps_handlers(sim, loop_errors):
    before = asyncio.all_tasks()
    client, watch = await connect(sim)
    log = client.log
    counted = {"start": 0, "any": 0}
    client.on_channel_event("StasisStart", lambda ch, ev: counted.__setitem__("start", counted["start"] + 1))
    client.on_event("*", lambda ev: counted.__setitem__("any", counted["any"] + 1))

    from ari_notebook.widgets import EventLogView

    view = EventLogView(log, rate=50)
    await _stasis_start(client, sim)
    assert await sim.faults.drop_websockets() == 1
    await until(lambda: client.connection_state == "connected" and client.hub.socket.reconnects == 1)
    await _stasis_start(client, sim)  # the app was registered again: the dialplan reaches it
    await until(lambda: any("EventStreamGap" in label for label, _ in view.table.options))  # the user sees it
    view.close()

    types = [e["type"] for e in log]
    gap_at = types.index("EventStreamGap")
    assert "StasisStart" in types[:gap_at] and "StasisStart" in types[gap_at:]
    gap = log[gap_at]
    assert gap["application"] == "hello" and "1006" in gap["reason"]
    assert gap["disconnected_at"] <= gap["reconnected_at"]
    assert counted["start"] == 2 and counted["any"] == len(log)  # handlers kept, each event once
    assert watch.states == ["connected", "reconnecting", "connected"]
    assert list(log.df["type"]).count("EventStreamGap") == 1  # the gap is a row of the frame too
    await close_and_check(client, sim, before, loop_errors)


async def test_events_waiting_before_a_truncated_frame_arrive_then_the_stream_resumes(sim, loop_errors, caplog):
    before = asyncio.all_tasks()
    client, watch = await connect(sim)
    sim.faults.burst(20, app="hello")
    sim.faults.send_truncated_frame()  # queued after the burst: those 20 are on the wire first
    await until(lambda: client.hub.socket.reconnects == 1 and client.connection_state == "connected")
    sim.faults.burst(5, app="hello", eventname="after")

    await until(lambda: len(_userevents(client.log)) == 25)
    types = [e["type"] for e in client.log]
    assert types[:20] == ["ChannelUserevent"] * 20
    assert types[20] == "EventStreamGap" and types[21:] == ["ChannelUserevent"] * 5
    assert _userevents(client.log) == list(range(1, 21)) + list(range(1, 6))
    assert "StasisStart" not in types  # the cut frame never became an event
    assert watch.states == ["connected", "reconnecting", "connected"]
    await close_and_check(client, sim, before, loop_errors)


async def test_malformed_frame_is_logged_and_skipped_without_reconnecting(sim, loop_errors, caplog):
    before = asyncio.all_tasks()
    client, watch = await connect(sim)
    caplog.set_level(logging.DEBUG)
    sim.faults.burst(3, app="hello")
    sim.faults.send_malformed_frame()
    sim.faults.send_malformed_frame(b"[1, 2, 3]")  # JSON, but not an event object
    sim.faults.burst(3, app="hello", eventname="after")

    await until(lambda: len(_userevents(client.log)) == 6)
    assert _userevents(client.log) == [1, 2, 3, 1, 2, 3]  # order kept across the bad frames
    assert client.hub.socket.bad_messages == 2
    errors = [r for r in caplog.records if r.name == "ari_notebook.client" and r.levelno == logging.ERROR]
    assert len(errors) == 2 and all("unreadable message" in r.getMessage() for r in errors)
    assert "EventStreamGap" not in [e["type"] for e in client.log]
    assert watch.states == ["connected"] and client.hub.socket.reconnects == 0
    await close_and_check(client, sim, before, loop_errors)


async def test_unknown_event_type_reaches_star_handlers_and_the_log(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim)
    star, typed, channel = [], [], []
    client.on_event("*", lambda ev: star.append(ev["type"]))
    with pytest.warns(UserWarning, match="no event type 'ChannelHoldFuture'"):  # a typo check, not a refusal
        client.on_event("ChannelHoldFuture", lambda ev: typed.append(ev))
        client.on_channel_event("ChannelHoldFuture", lambda ch, ev: channel.append(ch.id))

    assert sim.faults.send_unknown_event("ChannelHoldFuture", channel={"id": "c-1", "name": "PJSIP/x"}) == 1
    await until(lambda: "ChannelHoldFuture" in star)
    assert len(typed) == 1 and typed[0]["channel"]["id"] == "c-1"
    assert channel == ["c-1"]  # no api-docs model for it: the client still finds the channel
    assert client.log.counts().get("ChannelHoldFuture") == 1
    assert client.handler_errors == type(client.handler_errors)()  # nothing failed
    await close_and_check(client, sim, before, loop_errors)


async def test_stalled_server_is_detected_by_the_heartbeat(sim, loop_errors):
    before = asyncio.all_tasks()
    client, watch = await connect(sim, heartbeat=0.2)
    sim.faults.burst(2, app="hello")
    await until(lambda: len(_userevents(client.log)) == 2)
    assert sim.faults.stall() == 1
    sim.faults.burst(3, app="hello", eventname="during")  # held behind the stall on the old socket
    await until(lambda: client.hub.socket.reconnects == 1 and client.connection_state == "connected", 5)
    gap = [e for e in client.log if e["type"] == "EventStreamGap"][0]
    assert "PONG" in gap["reason"]  # what the user reads: the server stopped answering
    sim.faults.burst(4, app="hello", eventname="after")
    await until(lambda: len([e for e in client.log if e.get("eventname") == "after"]) == 4)
    assert [e.get("eventname") for e in client.log if e["type"] == "ChannelUserevent"] == \
        ["burst", "burst", "after", "after", "after", "after"]  # the stalled ones never arrived
    assert watch.states == ["connected", "reconnecting", "connected"]
    sim.faults.resume()
    await close_and_check(client, sim, before, loop_errors)


async def test_restart_keeping_state(sim, loop_errors):
    before = asyncio.all_tasks()
    client, watch = await connect(sim)
    starts = []
    client.on_event("StasisStart", lambda ev: starts.append(ev["channel"]["id"]))
    chan_id = await _stasis_start(client, sim, exten="1000")

    await sim.restart(keep_state=True, down_for=0.1)
    await until(lambda: client.hub.socket.reconnects == 1 and client.connection_state == "connected")
    assert (await client.channels.get(channelId=chan_id)).id == chan_id  # the call lived on
    second = await _stasis_start(client, sim)
    assert starts == [chan_id, second]
    assert [e["type"] for e in client.log].count("EventStreamGap") == 1
    assert watch.states == ["connected", "reconnecting", "connected"]
    await close_and_check(client, sim, before, loop_errors)


async def test_restart_without_state_forgets_channels_and_the_dashboard_resyncs(sim, loop_errors):
    from ari_notebook.widgets import Dashboard

    before = asyncio.all_tasks()
    client, watch = await connect(sim)
    dash = Dashboard(client, rate=50)
    try:
        chan_id = await _stasis_start(client, sim)
        await until(lambda: chan_id in {v for _, v in dash.channels.options})
        resyncs = dash.resyncs

        await sim.restart(keep_state=False)
        await until(lambda: client.hub.socket.reconnects == 1 and client.connection_state == "connected")
        await until(lambda: dash.resyncs > resyncs)  # the gap made it list again
        await until(lambda: chan_id not in {v for _, v in dash.channels.options})
        # the header is re-rendered at the dashboard's rate: wait for it, don't read it once
        await until(lambda: "1 reconnect" in dash.connection.value and "connected" in dash.connection.value)
        with pytest.raises(NotFound) as err:
            await client.channels.get(channelId=chan_id)
        assert err.value.status == 404 and "Channel not found" in str(err.value)
        fresh = await _stasis_start(client, sim)  # the new Asterisk knows our app again
        await until(lambda: fresh in {v for _, v in dash.channels.options})
    finally:
        dash.close()
    await close_and_check(client, sim, before, loop_errors)


async def test_refused_reconnects_back_off_until_the_server_accepts(sim, loop_errors):
    before = asyncio.all_tasks()
    client, watch = await connect(sim)
    rule = sim.faults.fail(503, times=3, match="^GET /events$")  # Asterisk still starting up
    await sim.faults.drop_websockets()
    await until(lambda: client.hub.socket.reconnects == 1 and client.connection_state == "connected")
    assert rule.hits == 3
    assert "503" in client.hub.socket.last_error or "refused" in client.hub.socket.last_error
    assert [e["type"] for e in client.log] == ["EventStreamGap"]
    assert watch.states == ["connected", "reconnecting", "connected"]
    await close_and_check(client, sim, before, loop_errors)


async def test_close_during_reconnect_leaves_nothing_behind(sim, loop_errors):
    before = asyncio.all_tasks()
    client, watch = await connect(sim, reconnect_base=5.0, reconnect_max=5.0)
    await sim.faults.drop_websockets()
    await until(lambda: client.connection_state == "reconnecting")
    await close_and_check(client, sim, before, loop_errors)
    assert watch.states[-1] == "closed"


async def test_app_exists_as_soon_as_the_upgrade_completes(sim, loop_errors):
    """Asterisk registers the apps before its 101, so dialling right after start() reaches them
    (and after a reconnect, nothing raised once the client says "connected" is lost)."""
    before = asyncio.all_tasks()
    client, _ = await connect(sim, apps=None)
    for attempt in range(5):
        name = f"early{attempt}"
        await client.start(apps=name)
        assert sim.asterisk.app(name) is not None  # no sleep, no yield
        await client.stop()
    await client.start(apps="hello")
    await sim.faults.drop_websockets()
    await until(lambda: client.connection_state == "connected" and client.hub.socket.reconnects == 1)
    assert sim.faults.burst(3, app="hello") == 3
    await until(lambda: len(_userevents(client.log)) == 3)
    await close_and_check(client, sim, before, loop_errors)


async def test_reconnect_backs_off_exponentially_while_the_server_is_down(sim, loop_errors, caplog):
    before = asyncio.all_tasks()
    client, watch = await connect(sim, reconnect_base=0.05, reconnect_max=0.4)
    caplog.set_level(logging.WARNING, logger="ari_notebook.client")
    await sim.restart(keep_state=True, down_for=1.5)
    await until(lambda: client.connection_state == "connected" and client.hub.socket.reconnects == 1)
    delays = [float(m) for m in re.findall(r"retrying in ([0-9.]+) s", caplog.text)]
    assert 3 <= len(delays) <= 15  # tried again and again, but not in a tight loop
    for attempt, delay in enumerate(delays, start=2):  # attempt 1 is the pause right after the drop
        ceiling = min(0.4, 0.05 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling + 1e-9, (attempt, delay)
    assert max(delays) <= 0.4 and "cannot connect" in caplog.text
    assert watch.states == ["connected", "reconnecting", "connected"]
    await close_and_check(client, sim, before, loop_errors)


async def test_failing_handlers_and_iterators_across_a_reconnect(sim, loop_errors):
    """Handlers that raise (sync or async) are recorded and logged, never reach the loop; an
    ``events()`` iterator keeps going across the gap."""
    before = asyncio.all_tasks()
    client, _ = await connect(sim)
    stream = client.events(types=["ChannelUserevent", "EventStreamGap"])

    def broken(event):
        raise RuntimeError("handler bug")

    async def broken_async(event):
        await asyncio.sleep(0)
        raise ValueError("async handler bug")

    client.on_event("ChannelUserevent", broken)
    client.on_event("ChannelUserevent", broken_async)
    sim.faults.burst(2, app="hello")
    await until(lambda: len(_userevents(client.log)) == 2)  # on our side before the cut
    await sim.faults.drop_websockets()
    await until(lambda: client.connection_state == "connected" and client.hub.socket.reconnects == 1)
    sim.faults.burst(1, app="hello", eventname="after")
    got = [await stream.get(timeout=5) for _ in range(4)]
    assert [e["type"] for e in got] == ["ChannelUserevent"] * 2 + ["EventStreamGap", "ChannelUserevent"]
    await until(lambda: len(client.handler_errors) == 6)
    kinds = sorted(type(f.error).__name__ for f in client.handler_errors)
    assert kinds == ["RuntimeError"] * 3 + ["ValueError"] * 3
    assert all("ChannelUserevent" == f.event_type for f in client.handler_errors)
    stream.close()
    await close_and_check(client, sim, before, loop_errors)


async def test_rest_over_websocket_survives_a_drop_and_a_stall(sim, loop_errors):
    before = asyncio.all_tasks()
    client, _ = await connect(sim, apps=None, transport="websocket", timeout=3)
    assert client.transport == "websocket"
    chan_id = await sim.call("PJSIP/alice", "3000")
    await until(lambda: sim.asterisk.channels.get(chan_id) is not None)
    assert await sim.faults.drop_websockets() == 1  # the REST socket
    assert [c.id for c in await client.channels.list()] == [chan_id]  # answered, not lost
    sim.faults.stall()
    assert [c.id for c in await client.channels.list()] == [chan_id]  # the heartbeat notices; still answered
    sim.faults.resume()
    assert (await client.execute("asterisk.ping")).status == 200
    await close_and_check(client, sim, before, loop_errors)


async def test_dashboard_shows_handler_failures(sim, loop_errors):
    from ari_notebook.widgets import Dashboard

    before = asyncio.all_tasks()
    client, _ = await connect(sim)
    dash = Dashboard(client, rate=50)
    try:
        def on_user_event(event):
            raise KeyError("no such caller")

        client.on_event("ChannelUserevent", on_user_event)
        sim.faults.burst(2, app="hello")
        await until(lambda: "2 event handler failures" in dash.connection.value)
        assert "on_user_event failed on ChannelUserevent" in dash.connection.value
        assert "no such caller" in dash.connection.value
    finally:
        dash.close()
    await close_and_check(client, sim, before, loop_errors)
