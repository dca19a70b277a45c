"""The simulator's load helpers report progress (burst, gen.wait) and stop cleanly."""

from __future__ import annotations

import asyncio

import pytest

from ari_notebook import progress


async def test_burst_reports_every_event(sim, bars):
    assert sim.faults.burst(10_000, app="nobody", progress=False) == 0  # no such app: none delivered
    assert [(b.desc, b.n, b.total) for b in bars] == [("Sending a burst to 'nobody'", 10_000, 10_000)]


async def test_an_interrupted_burst_is_noted_with_what_it_sent(sim, monkeypatch):
    real = progress.Progress.update

    def update(self, n=1):
        if self.n >= 4096:
            raise KeyboardInterrupt
        real(self, n)

    monkeypatch.setattr(progress.Progress, "update", update)
    with pytest.raises(KeyboardInterrupt):
        sim.faults.burst(100_000, app="nobody", progress=False)
    assert sim.faults.history[-1]["fault"] == "burst"
    assert sim.faults.history[-1]["stopped"] is True


async def test_waiting_for_a_generator_shows_the_events_due_and_a_cancelled_wait_leaves_it_running(sim, bars):
    gen = sim.faults.generate(rate=2000, seconds=0.3, app="nobody")
    waiter = asyncio.create_task(gen.wait(progress=False))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not gen.done  # cancelling the wait did not stop the generator
    assert await gen.wait(progress=False) == 0  # nobody listens: all due events were skipped
    assert gen.skipped == 600
    assert [(b.n, b.total) for b in bars][-1] == (600, 600)
