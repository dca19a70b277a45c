"""Execute a tutorial notebook with nbclient and read its outputs back as text.

Shared by the notebook tests, the fresh-venv (Binder) test and the screenshot script.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))

# Per notebook: cell id -> substrings (or compiled patterns) its outputs must contain (what a
# reader would check).
CHECKS: dict[str, dict[str, list[str | re.Pattern]]] = {
    "01_getting_started.ipynb": {
        "nb01-info": ["Asterisk 23", "entity"],
        "nb01-version": ["ARI version: ", "'channels'", "'bridges'", "'recordings'"],
        "nb01-help": ["endpoint", "originate"],
        "nb01-ping": ["200 ", "pong"],
        "nb01-sounds": [" sounds", "hello-world"],
        "nb01-lists": ["0 channels, 0 bridges, 0 applications"],
    },
    "02_first_stasis_app.ipynb": {
        "nb02-no-apps": ["applications: []"],
        "nb02-orphan": ["created:", "Down", "gone: 404"],
        "nb02-asterisk-log": ["WARNING", "Stasis app 'hello' doesn't exist"],
        "nb02-start": ["applications: ['hello']"],
        "nb02-call-1000": ["StasisStart", "args=[]", "StasisEnd"],
        "nb02-args": ["args=['sales', '42']", "StasisEnd"],
        "nb02-log-df": ["StasisStart", "StasisEnd"],
        "nb02-counts": ["StasisStart", "PlaybackFinished"],
    },
    "03_controlling_a_channel.ipynb": {
        "nb03-02": ["applications: ['hello']"],
        "nb03-create-dial": ["after create: Down", "after dial:   Up"],
        "nb03-play": ["finished: done"],
        "nb03-play-missing": ["PlaybackFailed: playback ", " of sound:no-such-prompt on channel:nb03-call failed"],
        # Asterisk 23.4.1 keeps a created+dialled channel in its internal dial bridge (fixed in 23.6.0)
        "nb03-record-dialled": ["RecordingFailed: Cannot record channel while in bridge"],
        # maxDurationSeconds=2: Asterisk compares whole seconds of time() as frames arrive and
        # reports the duration in whole seconds, so it says 1, 2 or 3 (all seen live on 23.4.1,
        # 1 with 1.8 s of audio in the file); the file holds at least 0.6 s of audio (10 kB)
        "nb03-record": [re.compile(r"recorded [123] s"), re.compile(r"\b\d{5,} bytes, b'RIFF'")],
        "nb03-dtmf": ["the agent heard: 42#"],
        "nb03-variables": ["CUSTOMER_ID = 4711"],
        "nb03-hangup": ["destroyed: 16 Normal Clearing", "channels left: 0"],
    },
    "04_bridges.ipynb": {
        "nb04-two-party": ["mixing", "members:", "nb04-alice", "nb04-bob"],
        "nb04-bridge-play": ["target: bridge:nb04-call-1", "finished: done"],
        "nb04-moh": ["music on hold started and stopped"],
        "nb04-conference": ["'nb04-alice', 'nb04-bob', 'nb04-carol'", "left: nb04-alice",
                            "in the room: ['nb04-bob', 'nb04-carol']"],
        "nb04-tidy": ["bridges: 0 channels: 0"],
        "nb04-bridges-frame": ["call-1", "alice"],
    },
    "05_analysing_calls_with_pandas.ipynb": {
        "nb05-load": ["events from 12 calls"],
        # the first rows of 12 concurrent calls: which events come first differs on a real server
        "nb05-df": ["time", "type", "channel_id", "nb05-caller-"],
        "nb05-types": ["ChannelDtmfReceived", "StasisStart"],
        "nb05-calls": ["caller-000", "agent-000"],
        "nb05-dtmf": ["agent-0"],
        "nb05-save": ["same frame: True"],
        "nb05-many": ["400 channels (200 calls"],
        "nb05-pandas": ["200 calls, talk time median", "customer"],
        "nb05-timeline": ["Figure"],
        "nb05-ladder": ["Figure"],
    },
    "06_real_asterisk_setup_and_safety.ipynb": {
        "nb06-doctor-ok": ["no check failed", "credentials", "WebSocket", "CORS"],
        "nb06-doctor-badpass": ["FAIL  credentials", "ari.conf", "SKIP  WebSocket"],
        "nb06-doctor-cors": ["not allowed", "allowed_origins = http://ari.asterisk.org"],
        "nb06-doctor-readonly": ["warn - user 'viewer' is read-only", "refused: 403 Write access denied"],
    },
    "07_many_servers_and_a_month_of_calls.ipynb": {
        "nb07-ids": ["sim-1 02:fc:00:00:01:01", "sim-2 02:fc:00:00:01:02", "sim-3 02:fc:00:00:01:03"],
        "nb07-handlers": ["'sim-1': 'connected'", "'sim-3': 'connected'"],
        "nb07-calls": ["StasisStart per server: {'sim-1': 2, 'sim-2': 2, 'sim-3': 2}"],
        "nb07-by-server": ["PlaybackFinished", "sim-2"],
        "nb07-restart": ["while sim-2 is away: {'sim-1': 'connected', 'sim-2': 'reconnecting', "
                         "'sim-3': 'connected'}", "sim-2 was away from",
                         "now: {'sim-1': 'connected', 'sim-2': 'connected', 'sim-3': 'connected'}"],
        "nb07-gaps": ["gap markers: {'sim-2': 1}", "{'sim-1': 3, 'sim-2': 2, 'sim-3': 3}"],
        "nb07-month": [" events, ", "5 servers, 7 days", "GiB as ARI JSON"],
        "nb07-duckdb": ["call legs", "answered", "02:fc:00:00:00:0"],
        "nb07-per-hour": ["Figure"],
        "nb07-causes": ["Figure"],
        "nb07-heatmap": ["Figure"],
        "nb07-finding": ["trunk failures peak on 02:fc:00:00:00:03 at 1"],
        "nb07-dask": ["Dask on 2 workers, 1 days: the same", "call legs and hourly rates as DuckDB"],
        "nb07-summary": ["calls", "answered"],
    },
}


# Checks that need the simulator started inside the kernel (its log, its phones, its users):
# a notebook pointed at a server by ARI_URL shows something else there, by design.
EMBEDDED_ONLY = {"nb02-asterisk-log", "nb06-doctor-readonly"}


def server_checks(name: str) -> dict[str, list[str]]:
    """CHECKS for a run against a server given by ARI_URL (a simulator process or a real Asterisk
    23.4.1: the same checks, since the simulator models 23.4.1's behaviour)."""
    return {cell: needles for cell, needles in CHECKS[name].items() if cell not in EMBEDDED_ONLY}


def kernel_env(server: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: the simulator unless ``server`` gives ARI_URL and credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARI_")}
    env.update(server or {})
    # notebook 07's synthetic month, small in tests (the generator's cost is mostly per
    # server-day, Dask's per partition): 60k events over a week, Dask on one day of it
    env.setdefault("NB07_MONTH_EVENTS", "60000")
    env.setdefault("NB07_MONTH_DAYS", "7")
    env.setdefault("NB07_DASK_DAYS", "1")
    return env


def execute(name: str, workdir: Path, *, kernel_name: str = "python3", timeout: int = 120,
            source_dir: Path = NOTEBOOK_DIR, server: dict[str, str] | None = None,
            allow_errors: bool = True) -> nbformat.NotebookNode:
    """Copy notebook ``name`` into ``workdir`` and run it top to bottom there; returns it with outputs.

    ``server``: ARI_URL / ARI_USERNAME / ARI_PASSWORD for the kernel (default: its own simulator).
    ``allow_errors=False`` stops at the first failing cell, as JupyterLab's "Run All" does
    (nbclient then raises ``CellExecutionError``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / name
    shutil.copyfile(source_dir / name, path)
    nb = nbformat.read(path, as_version=4)
    saved, env = dict(os.environ), kernel_env(server)
    try:
        os.environ.clear()
        os.environ.update(env)
        client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=allow_errors,
                                store_widget_state=True, resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute()
        finally:
            nbformat.write(nb, path)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def cell_text(cell) -> str:
    """A cell's outputs as a reader sees them: consecutive pieces of one stream are one text
    (the kernel may flush a single ``print`` in two messages; frontends show them joined)."""
    parts = []
    previous_stream = None
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            if previous_stream == out.get("name") and parts:
                parts[-1] += out.get("text", "")
            else:
                parts.append(out.get("text", ""))
            previous_stream = out.get("name")
            continue
        previous_stream = None
        if out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}")
        else:
            data = out.get("data", {})
            parts.append(data.get("text/plain", ""))
            parts.append(data.get("text/html", ""))
    return "\n".join(parts)


def errors(nb) -> list[str]:
    """Every error output and every stderr stream that shows a traceback, with the cell id."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{cell.get('id')}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr" \
                    and ("Traceback" in out.get("text", "") or "Error" in out.get("text", "")):
                found.append(f"{cell.get('id')}: stderr: {out['text'][:500]}")
    return found


def failed_checks(name: str, nb, checks: dict[str, list[str]] | None = None) -> list[str]:
    by_id = {c.get("id"): c for c in nb.cells}
    missing = []
    for cell_id, needles in (CHECKS[name] if checks is None else checks).items():
        if cell_id not in by_id:
            missing.append(f"{cell_id}: no such cell")
            continue
        text = cell_text(by_id[cell_id])
        for needle in needles:
            found = needle.search(text) if isinstance(needle, re.Pattern) else needle in text
            if not found:
                shown = needle.pattern if isinstance(needle, re.Pattern) else needle
                missing.append(f"{cell_id}: {shown!r} not in output {text[:800]!r}")
    return missing
