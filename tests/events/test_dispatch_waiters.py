"""Regression: concurrent wait_for()/events() registrations must not replace each other (they
shared one default key, so a second waiter silently unregistered the first)."""

import asyncio
from ari_notebook.events.dispatch import Dispatcher

async def test_two_waiters_and_two_streams_coexist():
    d = Dispatcher()
    first = d.wait_for("StasisEnd", timeout=1)
    second = d.wait_for("PlaybackFinished", timeout=1)
    s1, s2 = d.events("A"), d.events("A")
    d.dispatch({"type": "PlaybackFinished"})
    d.dispatch({"type": "StasisEnd"})
    d.dispatch({"type": "A", "n": 1})
    assert (await first)["type"] == "StasisEnd"
    assert (await second)["type"] == "PlaybackFinished"
    assert (await s1.__anext__())["n"] == 1 and (await s2.__anext__())["n"] == 1
