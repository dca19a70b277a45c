"""Remove what a script left on a server: channels, bridges and stored recordings by id prefix.

Why: a tutorial or a test that stops halfway leaves its calls up (extension 3000 of the
tutorials' dialplan waits ten minutes) and its ids taken, so the next run fails with
``409 Channel with given unique ID already exists``. Everything such a script makes carries
a prefix of its own (``nb03-``); ``tidy`` removes exactly that, and nothing else on the server.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .._errors import AriError, NotFound

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client


async def tidy(client: "Client", prefix: str, *, timeout: float = 10.0) -> dict[str, list[str]]:
    """Hang up channels, destroy bridges and delete stored recordings whose id starts with
    ``prefix``; wait until the channels are gone. Returns what was removed, by kind.

    Raises ``AriError`` naming the channels that are still there after ``timeout`` seconds.
    """
    if not prefix:
        raise ValueError("tidy needs a non-empty prefix: it never removes everything on a server")
    removed: dict[str, list[str]] = {"channels": [], "bridges": [], "recordings": []}
    for channel in await client.channels.list():
        if channel.id.startswith(prefix):
            removed["channels"].append(channel.id)
            await _gone_already_is_fine(client.channels.hangup(channelId=channel.id))
    for bridge in await client.bridges.list():
        if bridge.id.startswith(prefix):
            removed["bridges"].append(bridge.id)
            await _gone_already_is_fine(client.bridges.destroy(bridgeId=bridge.id))
    for recording in await client.recordings.listStored():
        if recording.name.startswith(prefix):
            removed["recordings"].append(recording.name)
            await _gone_already_is_fine(client.recordings.deleteStored(recordingName=recording.name))
    if removed["channels"]:
        await _until_channels_gone(client, prefix, timeout)
    return removed


async def _gone_already_is_fine(request) -> None:
    """The other half of a Local pair, or a call ending by itself, may go between list and remove."""
    try:
        await request
    except NotFound:
        pass


async def _until_channels_gone(client: "Client", prefix: str, timeout: float) -> None:
    """A hangup is asynchronous in Asterisk: the id stays taken until the channel is destroyed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = [c.id for c in await client.channels.list() if c.id.startswith(prefix)]
        if not left:
            return
        if loop.time() >= deadline:
            raise AriError(f"tidy({prefix!r}): channels still up {timeout} s after hangup: {left}")
        await asyncio.sleep(0.05)


__all__ = ["tidy"]
