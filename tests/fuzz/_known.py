"""Which 5xx answers are Asterisk's own (so the simulator must give them too) and which are the
simulator's declared gaps; any other 5xx is a bug."""

from __future__ import annotations

from ari_notebook.sim.routing import ROUTES

# 5xx answers a real Asterisk 23 gives (traces README and Asterisk's resource code)
KNOWN_5XX = (
    (500, "Failed to queue media for playback"),  # play with no/empty media: Asterisk's own quirk
    (501, "The encapsulation and/or transport is not supported"),  # externalMedia, as Asterisk
    (500, "Unable to create bridge"),  # an unknown bridge type (traces: type=nonsense)
    (500, "Allocation failed"),  # originate/create to a technology Asterisk has not (traces: Bogus/123)
)


def gap_operations() -> set[str]:
    """Operations the simulator declares it does not simulate (answered 501, documented)."""
    gaps = ROUTES.gaps
    return set(gaps() if callable(gaps) else gaps)


def allowed_5xx(op, status: int, message: str) -> bool:
    if status in {e.code for e in op.error_responses}:
        return True
    if any(status == code and message.startswith(text) for code, text in KNOWN_5XX):
        return True
    return status == 501 and op.name in gap_operations() and "Not implemented in the simulator" in message
