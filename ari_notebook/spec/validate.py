"""Check an operation's keyword arguments against the spec and turn them into a request.

Everything here runs before any I/O, so a typo in a notebook cell fails at once with an error
naming the operation and the parameter, never as a puzzling 400 from the server.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

from .._errors import ValidationError
from .._record import Record
from .model import PRIMITIVE_TYPES, Operation, Parameter


class PreparedRequest(Record):
    """What to send: method, the filled-in path (relative to the ARI base), query and JSON body."""

    __slots__ = ("operation", "method", "path", "query", "body")

    def __init__(self, operation: str, method: str, path: str, query: dict[str, str], body: Any = None) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.query = query
        self.body = body


def prepare(op: Operation, arguments: Mapping[str, Any]) -> PreparedRequest:
    """Validate ``arguments`` for ``op`` and build the request. ``None`` means "not given"."""
    given = {k: v for k, v in arguments.items() if v is not None}
    known = {p.name: p for p in op.parameters}
    for name in given:
        if name not in known:
            close = _suggest(name, known)
            hint = f"; did you mean {close!r}?" if close else f"; accepted: {', '.join(known) or 'none'}"
            raise ValidationError(op.name, name, f"unknown parameter{hint}")
    for p in op.parameters:
        # a path parameter is needed whatever the docs say (Asterisk 23 marks endpoints.listByTech's
        # {tech} optional): without it "{tech}" itself would be sent
        if (p.required or p.param_type == "path") and p.name not in given:
            raise ValidationError(op.name, p.name, f"required {p.param_type} parameter is missing")

    path = op.path
    query: dict[str, str] = {}
    body: Any = None
    for name, value in given.items():
        p = known[name]
        value = _check(op, p, value)
        if p.param_type == "path":
            path = path.replace("{" + name + "}", _path_segment(op, p, value))
        elif p.param_type == "body":
            if p.data_type == "object":
                body = value  # e.g. applications.filter: the object is the whole body
            else:
                body = dict(body or {}, **{name: value})  # e.g. {"variables": {...}}
        else:
            query[name] = _wire(value)
    return PreparedRequest(op.name, op.method, path, query, body)


def _suggest(name: str, known: Mapping[str, Parameter]) -> str | None:
    import difflib

    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return match[0] if match else None


def _check(op: Operation, p: Parameter, value: Any) -> Any:
    """Type and allowable-values check; lists are accepted (and checked item by item) for
    allowMultiple parameters."""
    if p.allow_multiple and isinstance(value, (list, tuple)):
        if not value:
            raise ValidationError(op.name, p.name, "an empty list was given")
        return [_check_one(op, p, v) for v in value]
    return _check_one(op, p, value)


def _check_one(op: Operation, p: Parameter, value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)) and _too_deep(value, MAX_DEPTH):
        raise ValidationError(op.name, p.name, f"nested deeper than {MAX_DEPTH} levels (JSON can not carry it)")
    bad_text = _not_utf8(value)
    if bad_text is not None:  # a lone surrogate cannot go in a URL or in JSON
        raise ValidationError(op.name, p.name, f"{_short(bad_text)} is not valid Unicode text "
                              "(it holds a lone surrogate)")
    expected = PRIMITIVE_TYPES.get(p.data_type)
    if expected is not None:
        is_bool = isinstance(value, bool)
        if not isinstance(value, expected) or (is_bool and bool not in expected):
            want = p.data_type + (" or a list of them" if p.allow_multiple else "")
            raise ValidationError(op.name, p.name,
                                  f"expected {want}, got {type(value).__name__} {_short(value)}")
    if p.data_type == "containers" and isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(k, str)]
        if bad:
            raise ValidationError(op.name, p.name, f"keys must be strings, got {bad[0]!r}")
    if p.allowable is not None and not p.allowable.allows(value):
        raise ValidationError(op.name, p.name,
                              f"{_short(value)} is not allowed; allowed: {p.allowable.describe()}")
    return value


MAX_DEPTH = 200  # below Python's recursion limit for encoding; Asterisk's JSON has a handful


def _too_deep(value: Any, limit: int) -> bool:
    """True when ``value`` nests lists/dicts more than ``limit`` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list, tuple)))
    return False


def _not_utf8(value: Any, depth: int = 0) -> str | None:
    """The first string in ``value`` (nested lists/dicts too) that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value
        return None
    if depth > 20:
        return None
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return None
    for item in items:
        found = _not_utf8(item, depth + 1)
        if found is not None:
            return found
    return None


def _path_segment(op: Operation, p: Parameter, value: Any) -> str:
    text = _wire(value)
    if text in ("", ".", ".."):
        raise ValidationError(op.name, p.name, f"{text!r} cannot be used as a path segment")
    return quote(text, safe="")  # '/' becomes %2F, so an id can never escape its segment


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_wire(v) for v in value)
    return str(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
