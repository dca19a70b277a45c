"""Replay: saved events go back through the same dispatch path as live ones, at a chosen speed."""

from __future__ import annotations

import asyncio
import time

import pytest

from ari_notebook import ConfigurationError
from ari_notebook.events import EventLog
from ari_notebook.events.dispatch import Dispatcher

from .conftest import log_from_timeline
from .test_analysis import BRIDGED


class Recorder:
    """Anything with ``dispatch(event, received_at)``."""

    def __init__(self):
        self.got: list[tuple[float, dict, float]] = []

    def dispatch(self, event, received_at=None):
        self.got.append((time.monotonic(), event, received_at))


async def test_replay_runs_handlers_and_listeners_through_dispatch(tmp_path):
    original = log_from_timeline(BRIDGED)
    saved = EventLog.load(original.save(tmp_path / "s.jsonl"))
    dispatcher = Dispatcher()
    seen_types: list[str] = []
    dispatcher.on("ChannelDtmfReceived", lambda ev: seen_types.append(ev["digit"]))
    copy = EventLog(dispatcher)  # a log attached to the live path records the replay too
    sent = await saved.replay(speed=None, into=dispatcher)
    assert sent == len(original) == len(copy)
    assert seen_types == ["1", "2", "#"]
    assert copy.df["raw"].tolist() == original.df["raw"].tolist()


async def test_replay_keeps_the_rhythm_at_the_chosen_speed():
    log = log_from_timeline("""
        0.0  StasisStart         a  Up
        0.5  ChannelVarset       a  Up  variable=X value=1
        1.0  StasisEnd           a  Up
    """)
    target = Recorder()
    start = time.monotonic()
    await log.replay(speed=10, into=target)
    took = time.monotonic() - start
    assert [e["type"] for _, e, _ in target.got] == ["StasisStart", "ChannelVarset", "StasisEnd"]
    # event i goes out no earlier than its log offset / 10 after the start (0, 50, 100 ms);
    # asyncio may wake up to a clock tick early
    since = [t - start for t, _, _ in target.got]
    assert all(s >= expected - 0.002 for s, expected in zip(since, (0.0, 0.05, 0.1))), since
    assert took >= 0.098
    assert all(isinstance(r, float) for _, _, r in target.got)


async def test_replay_into_a_one_argument_dispatch_and_async_dispatch():
    log = log_from_timeline("0.0 StasisStart a Up\n0.1 StasisEnd a Up")

    class OneArg:
        def __init__(self):
            self.events = []

        def dispatch(self, event):
            self.events.append(event["type"])

    class Async:
        def __init__(self):
            self.events = []

        async def dispatch(self, event, received_at=None):
            await asyncio.sleep(0)
            self.events.append(event["type"])

    a, b = OneArg(), Async()
    await log.replay(speed=None, into=a)
    await log.replay(speed=1000, into=b)
    assert a.events == b.events == ["StasisStart", "StasisEnd"]


async def test_replay_needs_a_target():
    log = log_from_timeline("0.0 StasisStart a Up")
    with pytest.raises(ConfigurationError, match="into="):
        await log.replay()
    with pytest.raises(ConfigurationError, match="no dispatch"):
        await log.replay(into=object())
    with pytest.raises(ValueError, match="speed"):
        await log.replay(speed=-1, into=Recorder())


async def test_replay_defaults_to_the_attached_client_and_snapshots_the_events():
    dispatcher = Dispatcher()
    log = EventLog(dispatcher)
    for line in ("StasisStart", "StasisEnd"):
        dispatcher.dispatch({"type": line, "timestamp": "2026-11-25T10:00:00.000+0000"}, 1.0)
    sent = await log.replay(speed=None)
    assert sent == 2 and len(log) == 4  # replayed into its own client: recorded again, once
