"""The form for one operation, as plain data: which input each parameter gets, its initial
value, and how a raw input value turns into a keyword argument.

Why a separate model: the Explorer widget only maps ``Field.kind`` to an ipywidget; the rules
(what "empty" means, JSON bodies, comma lists, defaults) are tested here without any widget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from .._errors import ValidationError
from ..spec import Operation, Parameter, PreparedRequest, prepare

# Parameters whose values name live objects, and which kind of object they name.
LIVE_KINDS: dict[str, str] = {
    "channelId": "channel",
    "otherChannelId": "channel",
    "channel": "channel",  # bridges.addChannel/removeChannel (comma-separated ids also work)
    "bridgeId": "bridge",
    "playbackId": "playback",
    "recordingName": "recording",
    "endpoint": "endpoint",
}

INTEGER_TYPES = ("int", "long")
FLOAT_TYPES = ("double", "float")


@dataclass(frozen=True)
class Field:
    """One input of the form.

    kind: ``choice`` (dropdown), ``multichoice``, ``bool`` (checkbox), ``int``/``float``
    (numeric field with a value), ``optional_number`` (blank means "not sent"), ``json``
    (editor for body parameters), ``list`` (comma separated), ``live`` (text offering the
    current ids), ``text``.
    """

    name: str
    kind: str
    where: str
    data_type: str
    required: bool
    default: Any
    initial: Any
    options: tuple = ()
    live: str | None = None
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None

    @property
    def label(self) -> str:
        return self.name + (" *" if self.required else "")

    @property
    def hint(self) -> str:
        facts = [self.data_type + ("[]" if self.kind in ("list", "multichoice") else ""), self.where]
        if self.default is not None:
            facts.append(f"default {self.default!r}")
        return ", ".join(facts)


def field_for(p: Parameter) -> Field:
    common = dict(name=p.name, where=p.param_type, data_type=p.data_type, required=p.required,
                  default=p.default, description=p.description)
    allow = p.allowable
    if allow is not None and allow.values is not None:
        if p.allow_multiple:
            return Field(kind="multichoice", initial=(), options=tuple(allow.values), **common)
        options = tuple(allow.values)
        initial = p.default if p.default in options else ""
        return Field(kind="choice", initial=initial, options=("",) + options, **common)
    if p.data_type == "boolean":
        return Field(kind="bool", initial=bool(p.default), **common)
    if p.param_type == "body" or p.data_type in ("containers", "object"):
        return Field(kind="json", initial="", **common)
    limits = dict(minimum=allow.minimum if allow else None, maximum=allow.maximum if allow else None)
    if p.data_type in INTEGER_TYPES + FLOAT_TYPES:
        is_int = p.data_type in INTEGER_TYPES
        if p.default is not None or p.required:
            start = p.default if p.default is not None else (limits["minimum"] or 0)
            return Field(kind="int" if is_int else "float", initial=int(start) if is_int else float(start),
                         **limits, **common)
        return Field(kind="optional_number", initial="", **limits, **common)
    if p.name in LIVE_KINDS and p.param_type in ("path", "query"):
        return Field(kind="live", initial=p.default or "", live=LIVE_KINDS[p.name], **common)
    if p.allow_multiple:
        return Field(kind="list", initial=p.default or "", **common)
    return Field(kind="text", initial="" if p.default is None else str(p.default), **common)


class FormModel:
    """All fields of one operation, path parameters first (they identify the object)."""

    def __init__(self, op: Operation) -> None:
        self.operation = op
        order = {"path": 0, "query": 1, "body": 2}
        params = sorted(op.parameters, key=lambda p: (order.get(p.param_type, 3), not p.required))
        self.fields: list[Field] = [field_for(p) for p in params]
        self.by_name = {f.name: f for f in self.fields}

    def initial(self) -> dict[str, Any]:
        return {f.name: f.initial for f in self.fields}

    def kwargs(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the operation from raw input values (missing = initial).

        Values equal to a parameter's documented default are left out: the server behaves the
        same, and the rendered Python call stays short. Raises ``ValidationError`` naming the
        operation and the parameter."""
        out: dict[str, Any] = {}
        for f in self.fields:
            value = parse(self.operation.name, f, raw.get(f.name, f.initial))
            if value is None:
                continue
            if not f.required and f.default is not None and value == f.default \
                    and type(value) is type(f.default):
                continue
            out[f.name] = value
        return out

    def prepare(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], PreparedRequest]:
        """Parse and validate against the spec (required, types, allowed values) before any I/O."""
        kwargs = self.kwargs(raw)
        return kwargs, prepare(self.operation, kwargs)


def parse(op_name: str, f: Field, raw: Any) -> Any:
    """One raw widget value -> a keyword argument value, or None for "not given"."""
    kind = f.kind
    if kind == "bool":
        value = bool(raw)
        if not value and f.default is None and not f.required:
            return None  # an unticked box with no documented default is simply not sent
        return value
    if kind == "choice":
        if raw in ("", None):
            return None
        return _coerce_choice(f, raw)
    if kind == "multichoice":
        values = [v for v in (raw or ()) if v not in ("", None)]
        return values or None
    if kind in ("int", "float"):
        if raw is None or raw == "":
            return None
        return _number(op_name, f, raw)
    if kind == "optional_number":
        text = str(raw).strip() if raw is not None else ""
        return _number(op_name, f, text) if text else None
    if kind == "json":
        if isinstance(raw, (dict, list)):
            return raw
        text = (raw or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(op_name, f.name, f"not valid JSON: {exc.msg} at line {exc.lineno} "
                                  f"column {exc.colno}") from None
        except RecursionError:  # '[[[[...' thousands deep: say so instead of a traceback
            raise ValidationError(op_name, f.name, "JSON nested too deeply") from None
        if f.data_type == "containers" and not isinstance(value, dict):
            raise ValidationError(op_name, f.name, 'expected a JSON object like {"NAME": "value"}')
        return value
    if kind == "list":
        if isinstance(raw, (list, tuple)):
            items = [str(v).strip() for v in raw if str(v).strip()]
        else:
            items = [v.strip() for v in str(raw or "").split(",") if v.strip()]
        if not items:
            return None
        return items[0] if len(items) == 1 else items
    text = "" if raw is None else str(raw).strip()
    return text or None


def _coerce_choice(f: Field, raw: Any) -> Any:
    for option in f.options:
        if option == raw or str(option) == str(raw):
            return option
    return raw  # prepare() reports it as not allowed


def _number(op_name: str, f: Field, raw: Any) -> Any:
    is_int = f.data_type in INTEGER_TYPES
    if isinstance(raw, bool):
        raise ValidationError(op_name, f.name, "expected a number")
    if isinstance(raw, (int, float)):
        if is_int and isinstance(raw, float):
            if not raw.is_integer():
                raise ValidationError(op_name, f.name, f"expected a whole number, got {raw!r}")
            return int(raw)
        return raw
    try:
        return int(raw) if is_int else float(raw)
    except (TypeError, ValueError):
        want = "a whole number" if is_int else "a number"
        raise ValidationError(op_name, f.name, f"expected {want}, got {raw!r}") from None
