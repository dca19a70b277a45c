"""The answer of ``GET /channels|bridges/{id}/variables``: several variables read at once, with
Asterisk's errors for an empty name, a function it cannot read and a variable that is not set."""

from __future__ import annotations

from typing import Callable, Iterable

from ..backend.core import AriFailure


def read_variables(names: Iterable[str], read: Callable[[str], str | None]) -> dict:
    """``{"variables": {name: value}}``; ``read(name)`` is None for what cannot be read."""
    out = {}
    for name in (n.strip() for n in names):
        if not name:
            raise AriFailure(400, "Variable names are required")
        value = read(name)
        if value is None:
            if name.endswith(")"):
                raise AriFailure(500, "Unable to read provided function")
            raise AriFailure(404, "Provided variable was not found")
        out[name] = value
    return {"variables": out}
