"""A playback or recording that Asterisk reports as failed is an error at once, with its reason,
never a timeout later (issue 11: notebook 03 waited 30 s for a RecordingFinished that could not come)."""

import asyncio

import pytest

from ari_notebook import AriTimeout, PlaybackFailed, RecordingFailed
from ari_notebook.events.dispatch import Dispatcher
from ari_notebook.events.waiting import MediaOutcome

CAUSE = "Cannot record channel while in bridge"  # what Asterisk 23.4.1 says (fixed in 23.6.0)


def _recording(kind: str, name: str, **extra) -> dict:
    return {"type": kind, "recording": {"name": name, "target_uri": "channel:c1", **extra}}


def _playback(pid: str, state: str) -> dict:
    return {"type": "PlaybackFinished",
            "playback": {"id": pid, "state": state, "media_uri": "sound:nope", "target_uri": "channel:c1"}}


async def test_wait_for_recording_finished_raises_on_the_matching_recording_failed():
    d = Dispatcher()
    waiter = d.wait_for("RecordingFinished", timeout=5, predicate=lambda e: e["recording"]["name"] == "mine")
    d.dispatch(_recording("RecordingFailed", "other", state="failed", cause="x"))  # not ours
    assert not waiter.done()
    d.dispatch(_recording("RecordingFailed", "mine", state="failed", cause=CAUSE))
    with pytest.raises(RecordingFailed, match=CAUSE) as info:
        await waiter
    assert info.value.cause == CAUSE and info.value.event["recording"]["name"] == "mine"


async def test_a_predicate_for_another_shape_does_not_break_the_wait():
    d = Dispatcher()
    waiter = d.wait_for("RecordingFinished", timeout=5, predicate=lambda e: e["only_in_finished"])
    d.dispatch(_recording("RecordingFailed", "mine", cause=CAUSE))
    assert not waiter.done()
    d.dispatch({**_recording("RecordingFinished", "mine"), "only_in_finished": True})
    assert (await waiter)["type"] == "RecordingFinished"


async def test_outcome_keeps_an_end_that_came_before_the_id_was_known():
    d = Dispatcher()
    outcome = MediaOutcome(d, "playback")      # registered before the request is sent
    d.dispatch(_playback("other", "done"))
    d.dispatch(_playback("p1", "failed"))      # the end arrived before the 201 was read
    outcome.bind("p1")
    with pytest.raises(PlaybackFailed, match="playback p1 of sound:nope on channel:c1 failed"):
        await outcome.wait(timeout=5)


async def test_outcome_returns_the_finishing_event_and_stops_listening():
    d = Dispatcher()
    outcome = MediaOutcome(d, "recording", key="greeting")
    d.dispatch(_recording("RecordingFinished", "greeting", duration=2))
    assert (await outcome.wait(timeout=5))["recording"]["duration"] == 2
    assert d.handlers() == []


async def test_outcome_of_a_recording_failure_carries_asterisks_cause():
    d = Dispatcher()
    outcome = MediaOutcome(d, "recording", key="greeting")
    d.dispatch(_recording("RecordingFailed", "greeting", state="failed", cause=CAUSE))
    with pytest.raises(RecordingFailed) as info:
        await outcome.wait(timeout=5)
    assert str(info.value) == f"recording 'greeting' on channel:c1 failed: {CAUSE}"


async def test_outcome_times_out_when_nothing_ends_it_and_ends_on_close():
    d = Dispatcher()
    outcome = MediaOutcome(d, "playback", key="p1")
    with pytest.raises(AriTimeout, match="playback p1 did not end within 0.01 s"):
        await outcome.wait(timeout=0.01)
    d.close_streams("the client was closed")
    with pytest.raises(Exception, match="the client was closed"):
        await asyncio.wait_for(outcome.wait(), 5)
    assert d.handlers() == []
