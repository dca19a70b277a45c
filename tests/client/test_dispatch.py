"""The handler registry: keyed replacement, handles, sync/async callbacks, failure isolation."""

from __future__ import annotations

import asyncio

import pytest

from ari_notebook._errors import AriTimeout
from ari_notebook.events.dispatch import Dispatcher


def test_type_handlers_then_star_and_listeners_first():
    d = Dispatcher()
    seen = []
    d.add_listener(lambda ev, t: seen.append(("listener", ev["type"], isinstance(t, float))))
    d.on("*", lambda ev: seen.append(("star", ev["type"])))
    d.on("StasisStart", lambda ev: seen.append(("typed", ev["type"])))
    d.dispatch({"type": "StasisStart"})
    d.dispatch({"type": "Dial"})
    assert seen == [("listener", "StasisStart", True), ("typed", "StasisStart"), ("star", "StasisStart"),
                    ("listener", "Dial", True), ("star", "Dial")]


def test_rerunning_a_cell_replaces_instead_of_stacking():
    d = Dispatcher()
    calls = []
    for version in (1, 2, 3):  # the same cell run three times defines the function anew each time
        def on_start(ev, version=version):
            calls.append(version)
        d.on("StasisStart", on_start)
    d.dispatch({"type": "StasisStart"})
    assert calls == [3]
    assert d.handlers() == [("StasisStart", "test_rerunning_a_cell_replaces_instead_of_stacking.<locals>.on_start")]


def test_lambdas_stack_unless_keyed_and_explicit_keys_replace():
    d = Dispatcher()
    calls = []
    d.on("X", lambda ev: calls.append("a"))
    d.on("X", lambda ev: calls.append("b"))
    d.on("X", lambda ev: calls.append("k1"), key="mine")
    d.on("X", lambda ev: calls.append("k2"), key="mine")
    d.dispatch({"type": "X"})
    assert calls == ["a", "b", "k2"]


def test_handle_removes_and_is_idempotent():
    d = Dispatcher()
    calls = []
    h = d.on("X", lambda ev: calls.append(1))
    assert h.active
    h.remove()
    h.remove()
    d.dispatch({"type": "X"})
    assert calls == [] and not h.active


def test_replaced_handle_removal_does_not_remove_replacement():
    d = Dispatcher()
    calls = []

    def f(ev):
        calls.append("old")
    old = d.on("X", f, key="k")

    def g(ev):
        calls.append("new")
    d.on("X", g, key="k")
    old.remove()
    d.dispatch({"type": "X"})
    assert calls == ["new"]


def test_failing_callback_is_recorded_and_others_still_run(caplog):
    d = Dispatcher()
    calls = []

    def broken(ev):
        raise KeyError("no such field")
    d.on("X", broken)
    d.on("X", lambda ev: calls.append("after"))
    d.on("*", lambda ev: calls.append("star"))
    d.dispatch({"type": "X"})
    assert calls == ["after", "star"]
    assert len(d.errors) == 1
    failure = d.errors[0]
    assert failure.event_type == "X" and "broken" in failure.callback
    assert isinstance(failure.error, KeyError) and "no such field" in failure.traceback
    assert "broken" in caplog.text


async def test_async_callbacks_run_and_their_failures_are_recorded():
    d = Dispatcher()
    calls = []

    async def ok(ev):
        await asyncio.sleep(0)
        calls.append(ev["type"])

    async def bad(ev):
        raise RuntimeError("async boom")
    d.on("X", ok)
    d.on("X", bad)
    d.dispatch({"type": "X"})
    await d.drain()
    assert calls == ["X"]
    assert [str(f.error) for f in d.errors] == ["async boom"]


async def test_events_iterator_filters_and_unregisters():
    d = Dispatcher()
    stream = d.events(types=["A", "B"])
    for t in ("A", "C", "B"):
        d.dispatch({"type": t})
    got = []
    async for ev in stream:
        got.append(ev["type"])
        if len(got) == 2:
            break
    assert got == ["A", "B"]
    stream.close()
    assert d.handlers() == []


async def test_wait_for_registers_before_the_action_and_times_out():
    d = Dispatcher()
    waiter = d.wait_for("StasisStart", predicate=lambda ev: ev["channel"]["id"] == "2")
    d.dispatch({"type": "StasisStart", "channel": {"id": "1"}})
    d.dispatch({"type": "StasisStart", "channel": {"id": "2"}})  # arrives before anyone awaits
    ev = await waiter
    assert ev["channel"]["id"] == "2"
    assert d.handlers() == []
    with pytest.raises(AriTimeout, match="StasisEnd"):
        await d.wait_for("StasisEnd", timeout=0.05)
    assert d.handlers() == []


def test_clear_keeps_listeners():
    d = Dispatcher()
    seen = []
    d.add_listener(lambda ev, t: seen.append("l"))
    d.on("*", lambda ev: seen.append("h"))
    d.clear()
    d.dispatch({"type": "X"})
    assert seen == ["l"]


async def test_closing_a_stream_wakes_its_reader():
    d = Dispatcher()
    stream = d.events()
    d.dispatch({"type": "A"})
    reader = asyncio.ensure_future(_collect(stream))
    await asyncio.sleep(0)
    stream.close()
    assert [e["type"] for e in await asyncio.wait_for(reader, 1)] == ["A"]
    d.dispatch({"type": "B"})  # after close: not queued
    assert stream.pending() == 0


async def _collect(stream):
    return [ev async for ev in stream]
