"""``until``: wait on the running loop for a condition that events and tasks make true."""

from __future__ import annotations

import asyncio


async def until(predicate, timeout: float = 15.0, step: float = 0.01):
    """Return ``predicate()``'s first truthy value; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(step)
