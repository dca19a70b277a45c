"""End to end: a client against the embedded simulator, its log, and the analysis of what happened."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

pytest.importorskip("ari_notebook.sim")


async def test_a_live_call_lands_in_the_log_and_its_analysis(live, output_dir):
    sim, client = live
    log = client.log
    answered = asyncio.Event()

    async def on_start(channel, event):
        await channel.answer()
        answered.set()

    client.on_channel_event("StasisStart", on_start)
    cid = await sim.call("PJSIP/alice", "1000", context="ARI-test")
    await asyncio.wait_for(answered.wait(), 5)
    await sim.press(cid, "12#")
    await sim.hangup(cid)
    # the app did not originate the call, so StasisEnd is the last it hears of it (Asterisk lets
    # go of a channel's events at StasisEnd unless the app also holds it by originating it)
    await client.wait_for("StasisEnd", timeout=5)
    await asyncio.sleep(0.05)

    calls = log.calls()
    assert calls["channel_id"].tolist() == [cid]
    row = calls.iloc[0]
    assert row["application"] == "hello" and row["exten"] == "1000"
    assert pd.notna(row["answered"]) and row["talk_time"] > pd.Timedelta(0)
    assert row["hangup_by"] == "channel"  # the phone hung up, not the app
    assert log.dtmf()["digits"].tolist() == ["12#"]
    req = log.requests
    assert req[["operation", "method", "status"]].iloc[0].tolist() == ["channels.answer", "POST", 204]
    assert log.counts()["StasisStart"] == 1
    log.plot_ladder().savefig(output_dir / "ladder_live.png")


def _request_arrows(fig) -> list[tuple[str, float]]:
    """(label, x of the arrow head) of every request arrow in a ladder figure."""
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text().startswith(("GET ", "POST ", "DELETE ", "PUT "))]
    heads = {round(a.get_position()[1], 2): a.xy[0] for a in ax.texts
             if a.get_text() == "" and hasattr(a, "xy")}  # annotate("") arrows: xy is the head
    return [(t.get_text(), heads.get(round(t.get_position()[1] + 0.12, 2))) for t in labels]


async def test_concurrent_originates_each_land_in_their_own_ladder(live, output_dir):
    """Two ``POST /channels`` at once (no id in either path): each ladder shows only the
    originate that made its channel, tied by the response's id, not by creation time."""
    _, client = live
    log = client.log
    a, b = await asyncio.gather(
        client.channels.originate(endpoint="PJSIP/alice", app="hello"),
        client.channels.originate(endpoint="PJSIP/bob", app="hello"))
    await asyncio.sleep(0.3)
    req = log.requests
    posts = req[req["path"] == "/ari/channels"]
    assert sorted(posts["object_id"].tolist()) == sorted([a.id, b.id])
    created = log.calls(all_channels=True).set_index("channel_id")["created"]
    assert abs(created[a.id] - created[b.id]) < pd.Timedelta(seconds=1)  # timing could not tell them apart
    for chan in (a, b):
        fig = log.plot_ladder(chan.id, app="hello")
        ax = fig.axes[0]
        lanes = [t for t in ax.texts if "\n" in t.get_text()]
        own_lane_x = next(t.get_position()[0] for t in lanes if t.get_text().startswith(chan.id[:8]))
        arrows = [(label, x) for label, x in _request_arrows(fig) if label.startswith("POST /channels ")]
        assert len(arrows) == 1, arrows
        assert arrows[0][1] == own_lane_x  # drawn to this call's channel lane
        fig.savefig(output_dir / f"ladder_concurrent_{'ab'[chan is b]}.png")
