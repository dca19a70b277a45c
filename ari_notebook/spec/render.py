"""Help text and call signatures for operations, so ``client.channels.originate?`` explains itself."""

from __future__ import annotations

import inspect
import textwrap

from .model import Operation, Parameter


def type_label(p: Parameter) -> str:
    label = p.data_type + ("[]" if p.allow_multiple else "")
    return label


def signature(op: Operation) -> inspect.Signature:
    """Keyword-only parameters: required first (no default), then optional ones (default None)."""
    required = [p for p in op.parameters if p.required]
    optional = [p for p in op.parameters if not p.required]
    params = [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY) for p in required]
    params += [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=None) for p in optional]
    return inspect.Signature(params)


def help_text(op: Operation) -> str:
    """Plain-text help: what it does, every parameter with type/where/default/allowed, errors."""
    lines = [f"{op.name}{signature(op)}", "", f"{op.method} {op.path}"]
    if op.summary:
        lines += ["", op.summary]
    if op.notes:
        lines += [""] + textwrap.wrap(op.notes, 88)
    if op.parameters:
        lines += ["", "Parameters:"]
        for p in op.parameters:
            facts = [type_label(p), p.param_type, "required" if p.required else "optional"]
            if p.default is not None:
                facts.append(f"default {p.default!r}")
            if p.allowable is not None:
                facts.append(f"allowed: {p.allowable.describe()}")
            lines.append(f"  {p.name} ({', '.join(facts)})")
            if p.description:
                lines += textwrap.wrap(p.description, 84, initial_indent="      ",
                                       subsequent_indent="      ")
    lines += ["", f"Returns: {op.response_class}"]
    if op.error_responses:
        lines += ["", "Errors:"]
        lines += [f"  {e.code}: {e.reason}" for e in op.error_responses]
    return "\n".join(lines)
