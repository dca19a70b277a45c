"""The async ARI client: operations built from the server's api-docs, result objects, events.

    client = await Client.connect("http://127.0.0.1:8088", "asterisk", "asterisk")
    channel = await client.channels.originate(endpoint="Local/1000@ARI-test", app="hello")
    client.on_channel_event("StasisStart", lambda ch, ev: print(ch.name))
    client.start(apps="hello")
"""

from ..events.dispatch import Handle, HandlerFailure
from .client import AriResponse, Client
from .objects import (
    Application, AriObject, AsteriskInfo, Bridge, Channel, DeviceState, Endpoint, LiveRecording, Mailbox,
    Playback, Sound, StoredRecording, Variable,
)
from .transport import InsecureConnectionWarning

__all__ = [
    "Application", "AriObject", "AriResponse", "AsteriskInfo", "Bridge", "Channel", "Client", "DeviceState",
    "Endpoint", "Handle", "HandlerFailure", "InsecureConnectionWarning", "LiveRecording", "Mailbox",
    "Playback", "Sound", "StoredRecording", "Variable",
]
