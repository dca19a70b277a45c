"""End to end: a client against the embedded simulator, its log, and the analysis of what happened."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

pytest.importorskip("ari_notebook.sim")


async def test_a_live_call_lands_in_the_log_and_its_analysis(output_dir):
    from ari_notebook.client import Client
    from ari_notebook.sim import Simulator

    sim = await Simulator.start(port=0)
    try:
        client = await Client.connect(sim.url, sim.username, sim.password)
        try:
            log = client.log
            await client.start(apps="hello")
            answered = asyncio.Event()

            async def on_start(channel, event):
                await channel.answer()
                answered.set()

            client.on_channel_event("StasisStart", on_start)
            cid = await sim.call("PJSIP/alice", "1000", context="ARI-test")
            await asyncio.wait_for(answered.wait(), 5)
            await sim.press(cid, "12#")
            await sim.hangup(cid)
            await client.wait_for("ChannelDestroyed", timeout=5)
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
        finally:
            await client.close()
    finally:
        await sim.stop()
