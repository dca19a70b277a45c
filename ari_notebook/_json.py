"""JSON for the client's paths (REST bodies, api-docs, WebSocket events) on the standard library.

Why not ``json.loads``: around its C scanner it runs a whitespace regex and type checks on every
call. For ARI's compact messages calling the scanner directly is ~1.3x faster, which keeps the
events loop (decode + dispatch) above ``json.loads`` alone. Anything the fast path does not
consume whole (whitespace, trailing data, an error) goes through ``json.loads``, so results and
error messages are exactly the standard library's.

Why not orjson here: importing it (its library plus the ``dataclasses`` module it loads) costs
~0.35 MiB in every client process, and the client's memory target is aioari's. The event log,
which decodes millions of events into frames, does use orjson.
"""

from __future__ import annotations

import json
from typing import Any

JSONDecodeError = json.JSONDecodeError

_scan_once = json.JSONDecoder().scan_once
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_encode_any = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=repr).encode


def loads(data: str | bytes | bytearray) -> Any:
    """Decode one JSON document (UTF-8 when given bytes); raises ``JSONDecodeError``."""
    if data.__class__ is not str:
        try:
            data = bytes(data).decode()
        except UnicodeDecodeError as exc:
            raise JSONDecodeError(f"not UTF-8 ({exc.reason})", "", exc.start) from None
    try:
        value, end = _scan_once(data, 0)
    except StopIteration:
        end = -1
    if end == len(data):
        return value
    return json.loads(data)


def dumps(value: Any, *, default_repr: bool = False) -> str:
    """Compact JSON text; ``default_repr`` writes ``repr()`` for what JSON cannot hold."""
    return (_encode_any if default_repr else _encode)(value)


__all__ = ["JSONDecodeError", "dumps", "loads"]
