"""Plots: Figures a person would rather look at; PNGs land in test-output/events for review."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from ari_notebook.events import EventLog

from .conftest import log_from_timeline
from .test_analysis import BRIDGED, RING_OUT


def _png(fig: Figure, path) -> None:
    fig.savefig(path)
    assert path.stat().st_size > 5000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_call_timeline_of_a_drawn_call(output_dir):
    log = EventLog()
    from .conftest import parse_timeline

    for ev, recv in parse_timeline(BRIDGED) + parse_timeline(RING_OUT):
        log.append(ev, recv)
    fig = log.plot_timeline()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [lab.splitlines()[0] for lab in labels] == ["PJSIP/alice-00000001", "PJSIP/carol-00000001",
                                                       "PJSIP/bob-00000001"]
    texts = {t.get_text() for t in ax.texts}
    assert {"1", "2", "#"} <= texts                      # DTMF marks
    assert any("by app" in t for t in texts) and any("by channel" in t for t in texts)
    assert any(t.strip().startswith("mixing b1") for t in texts)  # bridge stay label
    _png(fig, output_dir / "timeline_drawn.png")


def test_call_timeline_of_a_bridged_call(output_dir, call_log):
    fig = call_log("bridge").plot_timeline()
    assert len(fig.axes[0].get_yticklabels()) == 2  # the two channels in Stasis
    _png(fig, output_dir / f"timeline_bridge_{call_log.source}.png")


def test_ladder_of_one_real_call(output_dir, scenario_log):
    log = scenario_log("c_bridge")
    fig = log.plot_ladder("br-a")
    texts = [t.get_text() for t in fig.axes[0].texts]
    lanes = [t for t in texts if "\n" in t]
    assert lanes[0] == "app\nhello"
    assert any(t.startswith("br-a\n") for t in lanes) and any(t.startswith("br-b\n") for t in lanes)
    assert any(t.startswith("bridge mixing") for t in lanes) and any(t.startswith("bridge holding") for t in lanes)
    assert any(t.startswith("POST /channels/br-a/answer → 204") for t in texts)   # a request arrow
    assert any(t.startswith("StasisStart") for t in texts)                       # an event arrow
    assert any("→ 422" in t for t in texts)                                       # an error, in red
    _png(fig, output_dir / "ladder_c_bridge.png")


def test_ladder_and_timeline_of_an_empty_log_say_so():
    for fig in (EventLog().plot_timeline(), EventLog().plot_ladder()):
        assert any("no calls" in t.get_text() for t in fig.axes[0].texts)


def test_event_rate(output_dir, scenario_log):
    log = scenario_log("i_load")
    log.append({"type": "EventStreamGap", "application": "hello", "timestamp": "2026-11-26T03:27:25.000+0000",
                "disconnected_at": "2026-11-26T03:27:24.000+0000",
                "reconnected_at": "2026-11-26T03:27:25.000+0000", "reason": "test"}, 0.0)
    fig = log.plot_rate(freq="100ms")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "ChannelHangupRequest" in legend and "event stream gap" in legend
    _png(fig, output_dir / "rate_i_load.png")


@pytest.mark.parametrize("name", ["originate", "playback"])
def test_timelines_of_other_calls(output_dir, call_log, name):
    _png(call_log(name).plot_timeline(), output_dir / f"timeline_{name}_{call_log.source}.png")
