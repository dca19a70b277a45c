"""Write the tutorial notebooks 01-07 from the cells below, without outputs.

Run ``python notebooks/build_notebooks.py`` after editing; commit the .ipynb files it writes.
Cells that the tests check carry a fixed ``id`` (``tests/notebooks/`` looks them up by id).
Every notebook works on the built-in simulator by default and, unchanged, on a real Asterisk
when ARI_URL / ARI_USERNAME / ARI_PASSWORD are set (and, for calls, the [ARI-test] dialplan
from notebook 06 is loaded, or ARI_CONTEXT names your own context).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
_counter: dict[str, int] = {}


def md(text: str):
    return ("md", text.strip("\n"), None)


def code(text: str, id: str | None = None):
    return ("code", text.strip("\n"), id)


def connect(prefix: str | None = None):
    """The first code cell; with ``prefix``, it also removes what an interrupted run left."""
    tidy = "" if prefix is None else f'''
# Everything this notebook makes has an id starting with "{prefix}". If an earlier run stopped
# halfway, its calls may still be up (extension 3000 waits ten minutes): remove them first.
await ari_notebook.tidy(client, "{prefix}")'''
    return code(f'''
import asyncio
import os

import ari_notebook

CONTEXT = os.environ.get("ARI_CONTEXT", "ARI-test")   # the dialplan context with 1000..4000
client = await ari_notebook.connect()                 # simulator unless ARI_URL is set{tidy}
client
''', id="connect")


def close(prefix: str | None = None):
    """The last code cell; with ``prefix``, whatever a failed cell left is removed first."""
    tidy = "" if prefix is None else f'''await ari_notebook.tidy(client, "{prefix}")   # nothing, unless a cell failed
'''
    return code(f'''
{tidy}await client.close()   # also stops the built-in simulator, if this notebook started one
''', id="close")


# --------------------------------------------------------------------------- 01
NB01 = [
    md('''
# 01 · Getting started with ARI

The **Asterisk REST Interface** (ARI) lets a program drive calls in Asterisk: answer them,
play sounds, record, bridge them together. It has two halves:

* a **REST API** under `/ari/...` for *doing* things (`POST /ari/channels/{id}/answer`), and
* a **WebSocket** at `/ari/events` where Asterisk *tells* your application what happened
  (`StasisStart`, `ChannelDtmfReceived`, ...).

This notebook connects, asks the server who it is, shows the operations it offers and lists a
few resources. Nothing here changes a call.

**Where is the server?** With no configuration, `ari_notebook.connect()` starts a built-in
*simulator* that behaves like Asterisk 23, so every tutorial runs anywhere. To use your own
Asterisk, set three environment variables before starting JupyterLab
(notebook 06 shows the Asterisk side):

```bash
export ARI_URL=http://my-asterisk:8088  ARI_USERNAME=myuser  ARI_PASSWORD=secret
ari-notebook lab
```
'''),
    connect(),
    md('''
The client read the server's own description of its API (the *api-docs*) and built every
operation from it. Ask Asterisk who it is — this is `GET /ari/asterisk/info`:
'''),
    code('''
info = await client.asterisk.getInfo()
print("Asterisk", info.system["version"], "· entity", info.system["entity_id"])
info
''', id="info"),
    code('''
print("ARI version:", client.api_version)
print("operations:", len(client.operations))
print("resources: ", sorted({name.split(".")[0] for name in client.operations}))
''', id="version"),
    md('''
## Reading the manual from the server

Each operation carries its documentation: summary, parameters with types and allowed
values, and the errors it can return. In JupyterLab, `client.channels.originate?` shows the same.
'''),
    code('''
help(client.channels.originate)
''', id="help"),
    md('''
## The Explorer

The Explorer is Swagger-UI inside the notebook: pick a resource and an operation, fill
the form, press **Execute**. The request goes through this kernel — the browser never talks to
Asterisk and never sees the password. It also shows the equivalent Python call and `curl`
command. Try `asterisk` → `ping`.
'''),
    code('''
from ari_notebook.widgets import Explorer

Explorer(client)
'''),
    md('''
The same request from code. `execute` returns the status and timing as well as the value,
which is handy when you want to see exactly what the server answered:
'''),
    code('''
response = await client.execute("asterisk.ping")
print(response.status, f"{response.elapsed_ms:.1f} ms", response.body)
''', id="ping"),
    md('''
## Listing resources

Every list operation returns objects with the JSON as attributes. Pandas makes a quick table
of them. Sounds are the prompts Asterisk can play:
'''),
    code('''
import pandas as pd

sounds = await client.sounds.list()
print(len(sounds), "sounds")
table = pd.DataFrame([{"id": s.id,
                       "languages": ", ".join(sorted({f["language"] for f in s.formats})),
                       "formats": ", ".join(sorted({f["format"] for f in s.formats}))}
                      for s in sounds])
table[table["id"].str.startswith(("hello", "tt-", "demo-", "beep"))]
''', id="sounds"),
    code('''
channels = await client.channels.list()
bridges = await client.bridges.list()
apps = await client.applications.list()
endpoints = await client.endpoints.list()
print(f"{len(channels)} channels, {len(bridges)} bridges, {len(apps)} applications, "
      f"{len(endpoints)} endpoints")
''', id="lists"),
    md('''
No channels and no applications yet: an *application* exists only while a program holds its
WebSocket open. That is the subject of notebook 02.
'''),
    close(),
]


# --------------------------------------------------------------------------- 02
NB02 = [
    md('''
# 02 · Your first Stasis app

Calls reach an ARI application through the dialplan. In `extensions.conf`:

```ini
[ARI-test]
exten => 1000,1,NoOp()
 same => n,Answer()
 same => n,Stasis(hello)     ; hand the channel to the ARI application "hello"
 same => n,Hangup()
```

When a channel runs `Stasis(hello)`, Asterisk sends **`StasisStart`** to whoever holds the
WebSocket for the app `hello`, and the channel waits there until the app lets it go
(**`StasisEnd`**). While it is in Stasis, only your application controls it.
'''),
    connect("nb02-"),
    md('''
## When nobody listens

An application is *registered* only while its WebSocket is open. We have not opened one, so
Asterisk knows no app called `hello`:
'''),
    code('''
print("applications:", [a.name for a in await client.applications.list()])
''', id="no-apps"),
    md('''
Send a channel to `hello` anyway. Asterisk accepts the request (the channel is created) but
the channel cannot enter an app that does not exist, so it is hung up at once. Asterisk 23 logs
`Stasis app 'hello' doesn't exist` (older versions say *"Stasis app 'hello' not
registered"*) — the classic first mistake.
'''),
    code('''
orphan = await client.channels.originate(endpoint=f"Local/3000@{CONTEXT}", app="hello",
                                         channelId="nb02-orphan")
print("created:", orphan.id, orphan.state)
await asyncio.sleep(0.5)
try:
    await client.channels.get(channelId=orphan.id)
    print("still there?!")
except ari_notebook.NotFound as exc:
    print("gone:", exc)
''', id="orphan"),
    md('''
On a real server the reason is in the Asterisk log (`asterisk -rvvv`). The simulator keeps
the same log lines:
'''),
    code('''
if getattr(client, "simulator", None) is not None:
    for when, level, text in client.simulator.log[-2:]:
        print(level, text)
''', id="asterisk-log"),
    md('''
## The hello app

Now the real thing: register handlers, then open the WebSocket for `hello`. Handlers receive
the `Channel` object and the event. This one answers, plays *hello-world*, and hangs up when the
playback finishes — the "hello world" of telephony.

Handlers run in the background, after their cell has finished, so they write what they did
into a list (`story`) that later cells print, instead of printing into whichever cell happens
to be running. `client.log` starts recording every event from the moment it is first used.
`playback.wait()` returns when Asterisk reports the playback finished, and raises
`PlaybackFailed` the moment Asterisk reports that it failed (a missing sound file, say).
'''),
    code('''
log = client.log          # record every event from now on
story = []                # what the app did, in order

async def on_start(channel, event):
    story.append(f"StasisStart  {channel.name}  args={event['args']}")
    await channel.answer()
    playback = await channel.play(media="sound:hello-world")
    try:
        await playback.wait(timeout=30)   # until PlaybackFinished; raises at once if it failed
        story.append(f"  played hello-world to {channel.name}, hanging up")
    except ari_notebook.PlaybackFailed as exc:
        story.append(f"  {exc}")
    await channel.hangup()

def on_end(channel, event):
    story.append(f"StasisEnd    {channel.name}")

client.on_channel_event("StasisStart", on_start, key="hello-start")   # a key: re-running
client.on_channel_event("StasisEnd", on_end, key="hello-end")         # replaces, never stacks
await client.start(apps="hello")
print("applications:", [a.name for a in await client.applications.list()])
''', id="start"),
    md('''
Place a call to extension 1000. From a notebook we do it with a *Local channel*: a pair of
channels `;1` and `;2` joined back to back. `;2` runs extension 1000 (and so `Stasis(hello)`),
`;1` runs extension 3000 (it answers and waits) — a caller and a callee without any phone.
'''),
    code('''
ended = client.wait_for("StasisEnd", timeout=30, predicate=lambda e: e["channel"]["id"] == "nb02-call;2")
call = await client.channels.originate(endpoint=f"Local/1000@{CONTEXT}", extension="3000",
                                       context=CONTEXT, channelId="nb02-call")
await ended
print("\\n".join(story)); story.clear()
''', id="call-1000"),
    md('''
A channel can also be sent straight to the app by `originate(app=...)`, with arguments.
They arrive in `StasisStart` as `args` — how a dialplan `Stasis(hello,sales,42)` passes them:
'''),
    code('''
ended = client.wait_for("StasisEnd", timeout=30, predicate=lambda e: e["channel"]["id"] == "nb02-args")
await client.channels.originate(endpoint=f"Local/3000@{CONTEXT}", app="hello", appArgs="sales,42",
                                channelId="nb02-args")
await ended
print("\\n".join(story)); story.clear()
''', id="args"),
    md('''
## The event log

Every event the client received since `client.log` was first used is in the log. The view
below is live: it keeps updating while the kernel is idle. Underneath it is a pandas DataFrame.
'''),
    code('''
from ari_notebook.widgets import EventLogView

EventLogView(log)
'''),
    code('''
log.df[["type", "channel_name", "channel_state"]].tail(12)
''', id="log-df"),
    code('''
log.counts()
''', id="counts"),
    md('''
## Your turn: call the app from a phone

The `hello` app is still running. On the simulator, the keypad below is a phone
(`PJSIP/alice`, `PJSIP/bob`): dial **1000**, listen to what the app plays, and watch the event
log above fill up. On a real Asterisk, call extension 1000 from a softphone whose context
includes `[ARI-test]`. Run the last cell only when you are done: it closes the connection.
'''),
    code('''
from ari_notebook.widgets import Phone

if getattr(client, "simulator", None) is not None:
    display(Phone(client.simulator, client))
else:
    print("Call extension 1000 from a phone registered on", client.url)
''', id="phone"),
    close("nb02-"),
]


# --------------------------------------------------------------------------- 03
NB03 = [
    md('''
# 03 · Controlling a channel

Once a channel is in your Stasis app, every ARI channel operation is yours: answer, ring, play,
record, send and receive DTMF, read and set variables, hang up. This notebook does each once
from code; the **ChannelControls** widget does the same with buttons.
'''),
    connect("nb03-"),
    code('''
await client.start(apps="hello")      # open the WebSocket: the app "hello" exists from now on
print("applications:", [a.name for a in await client.applications.list()])
'''),
    md('''
## A channel that starts in Stasis

`channels.create` makes a channel that enters the app straight away, still `Down`;
`dial` then calls the endpoint. Watch the state change from the events:
'''),
    code('''
channel = await client.channels.create(endpoint=f"Local/3000@{CONTEXT}", app="hello",
                                       channelId="nb03-call")
print("after create:", channel.state)
up = client.wait_for("ChannelStateChange", timeout=30,
                     predicate=lambda e: e["channel"]["id"] == channel.id and e["channel"]["state"] == "Up")
await channel.dial(timeout=30)
await up
channel = await client.channels.get(channelId=channel.id)
print("after dial:  ", channel.state)
await channel.answer()     # harmless on an answered channel; an incoming call needs it
''', id="create-dial"),
    md('''
## The controls

Buttons that do not apply in the current state are disabled; each shows its result or error
right there. Try **MOH**, then **Stop MOH**, or key in digits on the pad. (If you ran the whole
notebook at once, the channel is already hung up and the card says *gone*: run the cells one
by one to play with it.)
'''),
    code('''
from ari_notebook.widgets import ChannelControls

ChannelControls(client, channel)
'''),
    md('''
## Play

`play` returns a `Playback` at once (`queued`); `await playback.wait()` returns the
`PlaybackFinished` event when Asterisk reports the end.
'''),
    code('''
playback = await channel.play(media="sound:hello-world")
print("playback", playback.id, playback.state)
print("finished:", (await playback.wait(timeout=30))["playback"]["state"])
''', id="play"),
    md('''
## When Asterisk says no

Some requests are accepted (`201`) and fail a moment later: Asterisk then sends an event that
says so, and `wait()` raises at once with what Asterisk reported — never a timeout 30 seconds
later. A sound that does not exist ends as `PlaybackFinished` with state `failed`:
'''),
    code('''
missing = await channel.play(media="sound:no-such-prompt")
try:
    await missing.wait(timeout=30)
except ari_notebook.PlaybackFailed as exc:
    print("PlaybackFailed:", exc)
''', id="play-missing"),
    md('''
Recording is the same. Asterisk 23 before 23.6.0 keeps a channel that ARI *dialled* in an
internal holding bridge, and refuses to record a channel in a bridge: `record` answers `201`
(state `queued`) and, in the same millisecond, a `RecordingFailed` event whose `cause` is
Asterisk's reason. (From 23.6.0 on, the recording works; the simulator acts as 23.4.1 unless
started with `asterisk_version="23.6.0"`.)
'''),
    code('''
try:
    attempt = await channel.record(name="nb03-dialled", format="wav", maxDurationSeconds=1)
    await attempt.wait(timeout=30)
    print("recorded the dialled channel")
except ari_notebook.RecordingFailed as exc:
    print("RecordingFailed:", exc.cause)
''', id="record-dialled"),
    md('''
## DTMF

DTMF needs someone at the other end. A Local channel to extension 1000 puts *both* halves in
our app: `;1` directly, `;2` through the dialplan's `Stasis(hello)`. Digits sent on one
half arrive as `ChannelDtmfReceived` on the other.
'''),
    code('''
agent_in = client.wait_for("StasisStart", timeout=30,
                           predicate=lambda e: e["channel"]["id"] == "nb03-agent")
caller = await client.channels.originate(endpoint=f"Local/1000@{CONTEXT}", app="hello",
                                         channelId="nb03-caller", otherChannelId="nb03-agent")
await agent_in
agent = await client.channels.get(channelId="nb03-agent")

heard = client.events(types="ChannelDtmfReceived", channel="nb03-agent")   # listen first
await caller.sendDTMF(dtmf="42#")
digits = ""
async with asyncio.timeout(30):
    async for event in heard:
        digits += event["digit"]
        if event["digit"] == "#":
            break
print("the agent heard:", digits)
''', id="dtmf"),
    md('''
## Record

`record` returns a `LiveRecording` at once; `await recording.wait()` returns the
`RecordingFinished` event. The caller came in by `originate`, not `dial`, so it can be
recorded on every version. We record what the caller hears while the agent plays a prompt;
the stored recording comes back as audio. The prompt starts first: Asterisk records only the
audio that arrives and checks `maxDurationSeconds` as it arrives, so a recording that began on a
still-silent Local channel would come out shorter.
'''),
    code('''
playing = client.wait_for("PlaybackStarted", timeout=30,
                          predicate=lambda e: e["playback"]["target_uri"] == "channel:nb03-agent")
prompt = await agent.play(media="sound:tt-monkeys")   # 16 s: sound for the whole recording
await playing                                        # audio flows before the recording starts
recording = await caller.record(name="nb03-greeting", format="wav", maxDurationSeconds=2,
                                ifExists="overwrite")
finished = await recording.wait(timeout=30)
await prompt.stop()
print("recorded", finished["recording"]["duration"], "s")
audio = await client.recordings.getStoredFile(recordingName="nb03-greeting")
print(len(audio), "bytes,", audio[:4])
''', id="record"),
    code('''
from IPython.display import Audio

Audio(data=audio)
'''),
    md('''
## Channel variables

Variables are the dialplan's memory: set one from ARI and the dialplan (or another app) reads it.
Setting one emits `ChannelVarset`.
'''),
    code('''
await channel.setChannelVar(variable="CUSTOMER_ID", value="4711")
variable = await channel.getChannelVar(variable="CUSTOMER_ID")
print("CUSTOMER_ID =", variable.value)
''', id="variables"),
    md('''
## Hang up

`hangup(reason=...)` ends the call; the reason shows up as the cause in `ChannelDestroyed`.
Stored recordings stay on the server until deleted.
'''),
    code('''
destroyed = client.wait_for("ChannelDestroyed", timeout=30,
                             predicate=lambda e: e["channel"]["id"] == "nb03-call")
for ch in (channel, caller):
    await ch.hangup(reason="normal")
destroyed = await destroyed
print("destroyed:", destroyed["cause"], destroyed["cause_txt"])
for stored in await client.recordings.listStored():
    if stored.name.startswith("nb03-"):
        await stored.deleteStored()
await asyncio.sleep(0.3)
print("channels left:", len([c for c in await client.channels.list() if c.id.startswith("nb03-")]))
''', id="hangup"),
    close("nb03-"),
]


# --------------------------------------------------------------------------- 04
NB04 = [
    md('''
# 04 · Bridges

A **bridge** mixes the audio of the channels in it. Two channels in a bridge are a normal call;
five are a conference. The bridge itself can play sounds and music on hold to everyone in it.
'''),
    connect("nb04-"),
    code('''
log = client.log                      # record events from now on (used at the end)
await client.start(apps="hello")

async def new_call(name):
    """A Local channel "nb04-<name>" in our app, answered by extension 3000 (waits 10 minutes)."""
    channel_id = f"nb04-{name}"
    started = client.wait_for("StasisStart", timeout=30, predicate=lambda e: e["channel"]["id"] == channel_id)
    channel = await client.channels.originate(endpoint=f"Local/3000@{CONTEXT}", app="hello",
                                              channelId=channel_id)
    await started
    return channel
''', id="helpers"),
    md('''
## A two-party call

Create a `mixing` bridge and add two channels: they can now hear each other.
'''),
    code('''
alice, bob = await new_call("alice"), await new_call("bob")
bridge = await client.bridges.create(type="mixing", name="call-1", bridgeId="nb04-call-1")
await bridge.addChannel(channel=[alice.id, bob.id])
bridge = await bridge.get()
print(bridge.bridge_type, bridge.technology, "members:", bridge.channels)
''', id="two-party"),
    md('''
The dashboard shows live channels and bridges, kept up to date from the events.
'''),
    code('''
from ari_notebook.widgets import Dashboard

Dashboard(client)
'''),
    md('''
## Playing to the whole bridge

A bridge playback is heard by every member (Asterisk adds an *Announcer* channel for it).
'''),
    code('''
playback = await bridge.play(media="sound:hello-world")
print("target:", playback.target_uri)
print("finished:", (await playback.wait(timeout=30))["playback"]["state"])
''', id="bridge-play"),
    md('''
## Music on hold

`startMoh` plays a music-on-hold class to the bridge until `stopMoh`. Asterisk emits no event
for it, so we just wait a moment.
'''),
    code('''
await bridge.startMoh(mohClass="default")
await asyncio.sleep(1)
await bridge.stopMoh()
print("music on hold started and stopped")
''', id="moh"),
    md('''
## A small conference

Add a third caller, then let one leave. `ChannelEnteredBridge` and `ChannelLeftBridge` tell
who is in the room.
'''),
    code('''
carol = await new_call("carol")
await bridge.addChannel(channel=carol.id)
print("in the room:", sorted((await bridge.get()).channels))

left = client.wait_for("ChannelLeftBridge", timeout=30,
                       predicate=lambda e: e["channel"]["id"] == alice.id)
await bridge.removeChannel(channel=alice.id)
print("left:", (await left)["channel"]["id"])
print("in the room:", sorted((await bridge.get()).channels))
''', id="conference"),
    md('''
## Tidy up

Destroy the bridge and hang up. Bridges live until destroyed, even when empty.
'''),
    code('''
await bridge.destroy()
for ch in (alice, bob, carol):
    await ch.hangup()
await asyncio.sleep(0.3)
mine = lambda items: len([x for x in items if x.id.startswith("nb04-")])
print("bridges:", mine(await client.bridges.list()), "channels:", mine(await client.channels.list()))
''', id="tidy"),
    code('''
log.bridges()
''', id="bridges-frame"),
    close("nb04-"),
]


# --------------------------------------------------------------------------- 05
NB05 = [
    md('''
# 05 · Analysing calls with pandas

The event log turns the stream of ARI events into tidy pandas DataFrames: one row per
event, one row per call, the DTMF each caller pressed. Here we generate some traffic, ask
questions of it, save it, and analyse a saved log of many calls.
'''),
    code('''
import asyncio
import os
import random

import pandas as pd

import ari_notebook

CONTEXT = os.environ.get("ARI_CONTEXT", "ARI-test")
client = await ari_notebook.connect()     # simulator unless ARI_URL is set
await ari_notebook.tidy(client, "nb05-")  # calls an interrupted earlier run left up, if any
log = client.log                      # the event log records from its first use
await client.start(apps="hello")
client
''', id="connect"),
    md('''
## A call load

Each call is a Local pair to extension 1000: the `;1` half comes straight into our app `hello`
as the *caller*, the `;2` half runs the dialplan (`Stasis(hello)`) and enters as the *agent*. The caller keys
in a customer number, the agent plays a prompt, and the caller hangs up.
'''),
    code('''
random.seed(7)

async def one_call(i):
    caller_id, agent_id = f"nb05-caller-{i:03d}", f"nb05-agent-{i:03d}"
    # Subscribe before acting ("stage then exec"): the agent's StasisStart can arrive at once.
    agent_in = client.wait_for("StasisStart", timeout=60, predicate=lambda e: e["channel"]["id"] == agent_id)
    caller = await client.channels.originate(
        endpoint=f"Local/1000@{CONTEXT}", app="hello", channelId=caller_id,
        otherChannelId=agent_id, callerId=f"Customer {i} <555{i:04d}>")
    await agent_in
    await caller.sendDTMF(dtmf=f"{random.randint(10, 99)}#")
    agent = await client.channels.get(channelId=agent_id)
    prompt = await agent.play(media="sound:hello-world")
    await prompt.wait(timeout=60)
    await caller.hangup()

await asyncio.gather(*(one_call(i) for i in range(12)))
await asyncio.sleep(0.5)
print(len(log), "events from 12 calls")
''', id="load"),
    md('''
## One row per event

`log.df` has typed columns (time, type, channel, caller, digit, cause, ...) and keeps the
raw event. Events of a type Asterisk adds tomorrow still land, with their JSON.
'''),
    code('''
df = log.df
df[["time", "type", "channel_id", "digit", "cause"]].head(10)
''', id="df"),
    code('''
df["type"].value_counts().head(10)
''', id="types"),
    md('''
## One row per call

`calls()` is what a CDR user expects: created, answered, entered and left Stasis, ended,
ring and talk time, hangup cause, caller, bridges visited.
'''),
    code('''
calls = log.calls()
print(len(calls), "rows,", len(calls.columns), "columns:", ", ".join(calls.columns))
calls[["channel_id", "caller_number", "exten", "answered", "ring_time", "talk_time",
       "cause_txt", "hangup_by"]].head(6)
''', id="calls"),
    code('''
dtmf = log.dtmf()
dtmf.head()
''', id="dtmf"),
    md('''
## A timeline

One lane per channel: ringing, up, in a bridge, with marks for playbacks and DTMF. Here the
first three calls (six channels: each caller and its agent):
'''),
    code('''
first_three = [f"nb05-{side}-{i:03d}" for i in range(3) for side in ("caller", "agent")]
log.plot_timeline(channels=first_three)
''', id="timeline"),
    md('''
And one call as a *ladder diagram*, the way SIP tools like sngrep draw it: the requests our
app made and the events Asterisk sent, in time order.
'''),
    code('''
log.plot_ladder("nb05-agent-000")
''', id="ladder"),
    md('''
## Save, load, analyse later

A log saves to JSONL (one raw event per line, append-friendly) or Parquet. Loading gives
the same frames, so an analysis written today runs on last month's logs.
'''),
    code('''
log.save("calls.jsonl")
log.save("calls.parquet")
saved = ari_notebook.EventLog.load("calls.parquet")
print(len(saved), "events loaded;", "same frame:", saved.calls().shape == calls.shape)
''', id="save"),
    md('''
## Many calls

A busier day: 200 calls, with the same code, saved and analysed from the file only. (On a
real Asterisk this places 200 short Local calls — reduce `N` if that is too many for yours.)
'''),
    code('''
N = 200
log.clear()
for start in range(0, N, 50):          # 50 calls at a time
    await asyncio.gather(*(one_call(i) for i in range(start, min(start + 50, N))))
log.save("day.jsonl")
await ari_notebook.tidy(client, "nb05-")  # nothing, unless a call failed halfway
await client.close()

day = ari_notebook.EventLog.load("day.jsonl")
day_calls = day.calls()
print(f"{len(day)} events, {len(day_calls)} channels ({N} calls, each a caller and an agent half)")
''', id="many"),
    code('''
summary = day.summary()
summary
''', id="summary"),
    md('''
Plain pandas from here: talk time of the callers, and which customer numbers were keyed in.
'''),
    code('''
callers = day_calls[day_calls["channel_id"].str.startswith("nb05-caller-")]
talk = callers["talk_time"].dt.total_seconds()
print(f"{len(callers)} calls, talk time median {talk.median():.1f} s, max {talk.max():.1f} s")
keyed = day.dtmf().assign(customer=lambda d: d["digits"].str.rstrip("#"))
keyed["customer"].value_counts().head(5)
''', id="pandas"),
    code('''
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3))
talk.plot.hist(bins=20, ax=ax)
ax.set_xlabel("talk time (s)"); ax.set_ylabel("calls"); ax.set_title("Talk time over the day")
plt.show()
day.plot_rate("5s")
''', id="hist"),
    code('''
for path in ("calls.jsonl", "calls.parquet", "day.jsonl"):
    os.remove(path)
'''),
]


# --------------------------------------------------------------------------- 06
NB06 = [
    md('''
# 06 · Setting up a real Asterisk for ARI, and keeping it safe

Everything so far ran on the simulator. This notebook is the checklist for a real Asterisk
(16 to 23): the three configuration files, TLS, who may call ARI from where — and the
**doctor**, which checks a server and names the setting to fix.

## 1. `http.conf`: the built-in web server

ARI is served by Asterisk's own HTTP server. Bind it to an address only your application
servers can reach — loopback if the app runs on the same machine.

```ini
[general]
enabled = yes
bindaddr = 127.0.0.1        ; never 0.0.0.0 on a machine reachable from the internet
bindport = 8088
enablestatic = no
; TLS (section 4)
tlsenable = yes
tlsbindaddr = 10.0.0.5:8089   ; the address your application servers connect to
tlscertfile = /etc/asterisk/keys/asterisk.pem
tlsprivatekey = /etc/asterisk/keys/asterisk.key
```

`asterisk -rx "http show status"` shows what it listens on.

## 2. `ari.conf`: enable ARI and create users

```ini
[general]
enabled = yes
pretty = no
allowed_origins = http://localhost:8888   ; development tools only — see section 5

[myapp]                     ; the user name is the section name
type = user
read_only = no
password = a-long-random-password
password_format = plain     ; or crypt, with a hash from `ari mkpasswd`

[dashboard]                 ; a user that can watch but not act
type = user
read_only = yes
password = another-long-random-password
```

Reload with `asterisk -rx "module reload res_ari.so"`; `asterisk -rx "ari show users"` lists them.
The WebSocket needs `res_http_websocket.so` loaded (it is, by default).

## 3. `extensions.conf`: a way into your app

Calls reach ARI only through `Stasis()`. The tutorials use this context — load it to run them
unchanged against your server (or set `ARI_CONTEXT` to your own context with the same
extensions):

```ini
[ARI-test]
exten => 1000,1,NoOp()
 same => n,Answer()
 same => n,Stasis(hello)
 same => n,Hangup()
exten => 2000,1,Answer()
 same => n,Playback(tt-monkeys)
 same => n,Hangup()
exten => 3000,1,Answer()
 same => n,Wait(600)
 same => n,Hangup()
exten => 4000,1,Wait(30)
 same => n,Hangup()
```

`asterisk -rx "dialplan reload"`. Then point the notebooks at the server:

```bash
export ARI_URL=https://pbx.example.com:8089 ARI_USERNAME=myapp ARI_PASSWORD=...
ari-notebook lab
```
'''),
    md('''
## 4. TLS and WSS

Basic authentication sends the password with every request: outside loopback, use HTTPS
(and so WSS for events). A self-signed certificate is fine for a lab if clients are told to
trust it — never by switching verification off:

```bash
openssl req -new -x509 -days 365 -nodes -subj "/CN=pbx.example.com" \\
    -out /etc/asterisk/keys/asterisk.pem -keyout /etc/asterisk/keys/asterisk.key
```

```python
import ssl
ctx = ssl.create_default_context(cafile="asterisk.pem")      # trust exactly this certificate
client = await ari_notebook.connect("https://pbx.example.com:8089", "myapp", password, ssl=ctx)
```

## 5. Why ARI must not be exposed to a web page

It is tempting to call ARI straight from JavaScript in a web page. Don't: it is like giving the
page your database password. Whoever opens the page can read the credentials and then hang up,
record or redirect *any* call. `allowed_origins` only tells browsers which sites may read ARI's
answers — it is not access control, and Asterisk does not even check the Origin of a WebSocket
upgrade. Put your own application server in front: it holds the ARI credentials, checks who the
user is, logs, and exposes only what the page needs. The widgets in this project work that way:
the browser talks to the kernel, the kernel talks to ARI.

So: keep `allowed_origins` to the development tools you use (Swagger-UI, this notebook's
server), give dashboards a `read_only` user, and use a separate user per application.

## 6. The doctor

`ari_notebook.doctor.check()` (and `ari-notebook doctor URL -u USER -p PASSWORD` in a terminal)
walks through the setup in the order it usually breaks and names the setting to fix. Here it
examines the simulator (or your server, if `ARI_URL` is set):
'''),
    code('''
import os

import ari_notebook
from ari_notebook import doctor

client = await ari_notebook.connect()          # simulator unless ARI_URL is set
url, user = client.url, client.username
password = os.environ.get("ARI_PASSWORD") or client.simulator.password
report = await doctor.check(url, user, password, origin="http://localhost:8888")
report
''', id="doctor-ok"),
    md('''
A wrong password: the doctor stops at the credentials and says where they live. Checks that
depend on a failed one are skipped, so the first failure is the one to fix.
'''),
    code('''
bad = await doctor.check(url, user, "not-the-password")
print(bad.to_text())
''', id="doctor-badpass"),
    md('''
A web origin that is not in `allowed_origins` — here the hosted Swagger-UI at
`http://ari.asterisk.org`, which some guides suggest adding for exploring ARI from a browser
(the Explorer in notebook 01 does the same without opening ARI to any web page):
'''),
    code('''
foreign = await doctor.check(url, user, password, origin="http://ari.asterisk.org")
print(foreign["CORS"].summary)
print("fix:", foreign["CORS"].fix)
''', id="doctor-cors"),
    md('''
On the simulator, the read-only user `viewer` shows what a dashboard account looks like:
it may read, and every attempt to act is refused with `403 Write access denied`.
'''),
    code('''
if getattr(client, "simulator", None) is not None:
    viewer = await doctor.check(url, "viewer", "viewer")
    print(viewer["read-only"].status, "-", viewer["read-only"].summary)
    readonly = await ari_notebook.connect(url, "viewer", "viewer")
    try:
        await readonly.channels.originate(endpoint=f"Local/3000@ARI-test", app="hello")
    except ari_notebook.Forbidden as exc:
        print("refused:", exc)
    finally:
        await readonly.close()
''', id="doctor-readonly"),
    md('''
From a terminal, the same checks print as a table and the exit status is non-zero when one
fails — handy in a deployment script:

```bash
ari-notebook doctor https://pbx.example.com:8089 -u myapp --cafile asterisk.pem \\
    --origin http://localhost:8888
```
'''),
    code('''
await client.close()
'''),
]

# --------------------------------------------------------------------------- 07
NB07 = [
    md('''
# 07 · Many servers and a month of calls

A support team rarely watches one Asterisk. This notebook works the way they do:

1. **a fleet, live**: three servers at once, one merged event log where every row names its
   server, handlers for one server or for all, and one server restarting while the others
   carry on;
2. **a month of calls**: thirty days of five servers' traffic, analysed with DuckDB and with
   a Dask cluster, without ever loading the month into pandas.

Everything runs on built-in simulators, each with its own entity id (the `asterisk_id` a real
Asterisk puts on every event). For real servers, give `connect_fleet` their addresses:

```python
fleet = await ari_notebook.connect_fleet({
    "pbx-a": {"url": "https://pbx-a.example:8089", "username": "ops", "password": pw_a},
    "pbx-b": {"url": "https://pbx-b.example:8089", "username": "ops", "password": pw_b},
    "lab":   None,                       # a simulator beside them
})
```

Each server keeps its own client and credentials; none of them is ever shown or sent to the
browser.
'''),
    code('''
import asyncio

import ari_notebook

fleet = await ari_notebook.connect_fleet(3, simulator={"clock_speed": 20})   # three simulators
log = fleet.log            # one log of every server's events, recording from the first one
fleet
''', id="fleet"),
    code('''
for name, asterisk_id in fleet.asterisk_ids.items():
    print(name, asterisk_id, fleet[name].url)
''', id="ids"),
    md('''
## Handlers for every server, or for one

`fleet.on_event(type, fn)` hears every server; `server="sim-2"` only that one. Object handlers
(`on_channel_event`...) always run on the server's own client, so `channel.play(...)` below
goes to the Asterisk the call is on. `fleet.server_of(event)` names an event's server.
'''),
    code('''
starts = {name: 0 for name in fleet}

def count_start(event):
    starts[fleet.server_of(event)] += 1

async def welcome(channel, event):          # only callers on sim-2 hear a welcome
    await channel.play(media="sound:hello-world")

fleet.on_event("StasisStart", count_start)
fleet.on_channel_event("StasisStart", welcome, server="sim-2")
await fleet.start(apps="hello")
fleet.states
''', id="handlers"),
    md('''
Each simulator's phones call extension 1000 (answered, then into the `hello` app) twice.
`wait_for` is registered before the call, so the event cannot slip past.
'''),
    code('''
phones = {"sim-1": "PJSIP/alice", "sim-2": "PJSIP/bob", "sim-3": "PJSIP/carol"}
for _ in range(2):
    for name, phone in phones.items():
        started = fleet.wait_for("StasisStart", server=name, timeout=10)
        await fleet[name].simulator.call(phone, "1000")
        await started
played = fleet.wait_for("PlaybackFinished", server="sim-2", timeout=10)
await played
print("StasisStart per server:", starts)
''', id="calls"),
    code('''
by_server = log.df.groupby(["asterisk_id", "type"], observed=True).size().unstack(fill_value=0)
by_server.rename(index={aid: name for name, aid in fleet.asterisk_ids.items()})
''', id="by-server"),
    md('''
## One server goes away

`sim-2` restarts and, like an Asterisk still starting up, refuses the events WebSocket for a
while (`503`). Its client logs a warning that the socket dropped (you may see it under one of
these cells) and retries on its own; the others are not held up, as the calls made
meanwhile show. When it is back, its client puts an `EventStreamGap` marker in the log,
stamped with `sim-2`'s id: events sent while it was away are not replayed by Asterisk, and
the marker says so. No other server gets one.
'''),
    code('''
sim2 = fleet["sim-2"].simulator
starting_up = sim2.faults.fail(503, times=None, match=r"^GET /events")
gap = fleet.wait_for("EventStreamGap", timeout=30)
await sim2.restart()
while fleet.states["sim-2"] == "connected":  # until its client has seen the socket close
    await asyncio.sleep(0.01)

for name in ("sim-1", "sim-3"):             # the other servers carry on meanwhile
    started = fleet.wait_for("StasisStart", server=name, timeout=10)
    await fleet[name].simulator.call(phones[name], "1000")
    await started
print("while sim-2 is away:", fleet.states)

sim2.faults.clear()                          # sim-2 has finished starting
marker = await gap
print(fleet.server_of(marker), "was away from", marker["disconnected_at"], "to", marker["reconnected_at"])
print("now:", fleet.states)
''', id="restart"),
    code('''
df = log.df
gaps = df[df["type"] == "EventStreamGap"]
print("gap markers:", {fleet.server_of(a): n for a, n in gaps["asterisk_id"].value_counts().items() if n})
print("StasisStart per server:", starts)
''', id="gaps"),
    md('''
## The widgets, for the whole fleet

The Dashboard has a section per server and a **Server** filter; the event table has a
server column and filter; the Explorer runs an operation on the server you pick.
'''),
    code('''
from ari_notebook.widgets import workbench

workbench(fleet)
''', id="workbench"),
    code('''
await fleet.close()      # every client, and the simulators they started
''', id="close"),
    md('''
## Part 2: a month of calls

The analyst's question — *which server dropped calls last month, at what hour?* — is about a
month of five servers' traffic. The real month is **100 million events**, tens of GiB as ARI
JSON: more than a notebook's memory. So the month is kept as a partitioned Parquet dataset
(`date=…/asterisk_id=…/`, what `fleet.log.save_dataset(root)` writes too) and analysed where
it lies:

* **DuckDB** runs the analysis as SQL over the files, spilling to disk when memory runs short;
* **Dask** runs the same analysis on a cluster: here two worker processes on this machine,
  and unchanged on a real cluster (`Client("tcp://scheduler:8786")`, files on shared storage).

`synthetic.write_month` writes a realistic month: calls shaped after the event sequences a
real Asterisk sent (answered, unanswered, DTMF menus, bridges, playbacks, hangups from either
side), busy office hours, quiet nights and weekends. This notebook writes `MONTH_EVENTS` events
over `DAYS` days (3 million over 30 by default, a minute or two; the tests set
`NB07_MONTH_EVENTS` and `NB07_MONTH_DAYS` lower). The code is the same at 100 million; the
README's benchmark gives the times and memory at that size.
'''),
    code('''
import os
import shutil
import tempfile
from pathlib import Path

from ari_notebook.events import Dataset, plots, synthetic

MONTH_EVENTS = int(os.environ.get("NB07_MONTH_EVENTS", 3_000_000))   # the real month: 100_000_000
DAYS = int(os.environ.get("NB07_MONTH_DAYS", 30))
root = Path(tempfile.mkdtemp(prefix="ari-month-")) / "month"
info = synthetic.write_month(root, events=MONTH_EVENTS, days=DAYS, servers=5)
month = Dataset(root)
as_json = info.events * synthetic.json_bytes_per_event(root)
print(f"{info.events:,} events, {info.calls:,} calls, {len(month.servers())} servers, {len(month.dates())} days")
print(f"{info.bytes / 2**20:,.0f} MiB of Parquet in {info.files} files; about {as_json / 2**30:,.1f} GiB as ARI JSON")
''', id="month"),
    md('''
### On DuckDB

`month.calls()` is one row per call leg, as `log.calls()` gives for a live log, plus the
server of each row. DuckDB is the default engine.
'''),
    code('''
calls = month.calls()
answered = calls["answered"].notna()
print(f"{len(calls):,} call legs, {answered.mean():.0%} answered")
calls[["asterisk_id", "caller_name", "exten", "created", "answered", "talk_time", "cause_txt", "hangup_by"]].head()
''', id="duckdb"),
    code('''
rates = month.rates("hour")       # calls and answered calls per hour per server
plots.calls_per_hour(rates)
''', id="per-hour"),
    code('''
causes = month.causes()           # how calls ended, per server
plots.failure_causes(causes)
''', id="causes"),
    md('''
The heatmap averages each server's answer rate per hour of the day over the month. One row
has a bad stripe in the afternoon:
'''),
    code('''
plots.rate_heatmap(rates)
''', id="heatmap"),
    code('''
failed = calls.assign(hour=calls["created"].dt.hour, trunk=calls["cause"].isin([34, 38]))
stats = failed.groupby(["asterisk_id", "hour"], observed=True)["trunk"].agg(["mean", "size"])
busy = stats[stats["size"] >= 30]["mean"]       # hours with enough calls to mean something
server, hour = busy.idxmax()
print(f"trunk failures peak on {server} at {hour:02d}:00 UTC: {busy.max():.0%} of its call legs")
''', id="finding"),
    md('''
### The same on a Dask cluster

`engine="dask"` computes on the current Dask client. The results are the same frames, row for
row, as DuckDB's (and as pandas', which the test suite checks on smaller data).
'''),
    code('''
import pandas as pd
from dask.distributed import Client
from ari_notebook.events import local_cluster

# two single-threaded worker processes here; on a real cluster: Client("tcp://scheduler:8786")
DASK_DAYS = int(os.environ.get("NB07_DASK_DAYS", DAYS))          # the tests compare one day
days = month.dates()[:DASK_DAYS]
part = month.where(dates=(days[0], days[-1]))
with (local_cluster(n_workers=2) as cluster,
      Client(cluster) as dask_client):
    workers = len(dask_client.scheduler_info()["workers"])
    calls_dask = part.calls(engine="dask")
    rates_dask = part.rates("hour", engine="dask")
pd.testing.assert_frame_equal(calls_dask, part.calls())
pd.testing.assert_frame_equal(rates_dask, part.rates("hour"))
print(f"Dask on {workers} workers, {len(days)} days: the same {len(calls_dask):,} call legs and hourly rates as DuckDB")
''', id="dask"),
    code('''
month.summary()
''', id="summary"),
    code('''
shutil.rmtree(root.parent)        # the month was written to a temporary folder
''', id="cleanup"),
]

NOTEBOOKS = {
    "01_getting_started.ipynb": NB01,
    "02_first_stasis_app.ipynb": NB02,
    "03_controlling_a_channel.ipynb": NB03,
    "04_bridges.ipynb": NB04,
    "05_analysing_calls_with_pandas.ipynb": NB05,
    "06_real_asterisk_setup_and_safety.ipynb": NB06,
    "07_many_servers_and_a_month_of_calls.ipynb": NB07,
}


def build(name: str, cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    prefix = name[:2]
    for n, (kind, text, cell_id) in enumerate(cells):
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell["id"] = f"nb{prefix}-{cell_id}" if cell_id else f"nb{prefix}-{n:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(out: Path = HERE) -> list[Path]:
    written = []
    for name, cells in NOTEBOOKS.items():
        path = out / name
        nbformat.write(build(name, cells), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print("wrote", p)
