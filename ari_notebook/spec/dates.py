"""ARI's spelling of a time (Swagger type ``Date``): ``2026-11-25T10:00:00.123+0000``.

One definition for everything that writes one: the simulator's events and the client's
synthetic ``EventStreamGap``.
"""

from __future__ import annotations

from datetime import datetime, timezone

# (millisecond, text, second, "YYYY-MM-DDTHH:MM:SS."): many events share one millisecond, and
# most of the rest one second, so strftime runs about once a second instead of once per event
_stamp_cache: list = [None, "", None, ""]


def ari_timestamp(epoch: float) -> str:
    """ARI's timestamp format: ``2026-11-25T10:00:00.123+0000``."""
    ms = int(epoch * 1000)
    cache = _stamp_cache
    if cache[0] == ms:
        return cache[1]
    sec, milli = divmod(ms, 1000)
    if cache[2] != sec:
        cache[2] = sec
        cache[3] = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
    text = f"{cache[3]}{milli:03d}+0000"
    cache[0], cache[1] = ms, text
    return text


__all__ = ["ari_timestamp"]
