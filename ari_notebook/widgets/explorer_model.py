"""What the Explorer shows, as plain functions of the spec and of a response.

Why separate: the resource/operation lists, the operation header and the response panel are
checked in tests against the real Asterisk api-docs without creating any widget.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from ..spec import Operation, Spec
from .jsontree import json_tree


def resource_options(spec: Spec) -> list[tuple[str, str]]:
    """(label, resource name) for every resource, in the server's order."""
    out = []
    for name, res in spec.resources.items():
        n = len(res.operations)
        out.append((f"{name}  ({n} operation{'s' if n != 1 else ''})", name))
    return out


def operation_options(spec: Spec, resource: str) -> list[tuple[str, str]]:
    """(``"POST /channels  ·  Create a new channel."``, qualified name) per operation."""
    res = spec.resources[resource]
    return [(f"{op.method:<6} {op.path}  ·  {op.summary or op.nickname}", op.name)
            for op in res.operations]


def operation_html(op: Operation) -> str:
    """Header for the chosen operation: method badge, path, name, summary, notes, errors."""
    esc = html.escape
    parts = [f'<div class="ari-title"><span class="ari-badge {esc(op.method)}">{esc(op.method)}</span>'
             f"<code>{esc(op.path)}</code> <span class='ari-muted'>{esc(op.name)}</span></div>"]
    if op.summary:
        parts.append(f"<div>{esc(op.summary)}</div>")
    if op.notes:
        parts.append(f'<div class="ari-muted">{esc(op.notes)}</div>')
    if op.error_responses:
        errs = ", ".join(f"{e.code} {esc(e.reason)}" for e in op.error_responses)
        parts.append(f'<div class="ari-muted">Errors: {errs}</div>')
    if op.upgrade:
        parts.append('<div class="ari-error">This is the events WebSocket: use '
                     "<code>client.start(apps=...)</code> and the EventLog instead of Execute.</div>")
    return "".join(parts)


@dataclass
class Outcome:
    """One Execute: what was sent and what came back (or the error)."""

    operation: str
    method: str
    path: str
    status: int | None = None
    elapsed_ms: float | None = None
    body: Any = None
    error: str | None = None
    headers: dict = field(default_factory=dict)
    server: str | None = None  # the fleet server it ran on (None: a single client)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and self.status < 400


def outcome_html(o: Outcome) -> str:
    """The response panel: status badge, elapsed time, then the body as a collapsible tree."""
    esc = html.escape
    kind = "ok" if o.ok else "err"
    status = "no response" if o.status is None else str(o.status)
    elapsed = "" if o.elapsed_ms is None else f" <span class='ari-muted'>{o.elapsed_ms:.1f} ms</span>"
    server = f"<span class='ari-badge info ari-server'>{esc(o.server)}</span>" if o.server else ""
    head = (f'<div class="ari-response-head"><span class="ari-badge {kind} ari-status">{esc(status)}</span>'
            f"{server}<code>{esc(o.method)} {esc(o.path)}</code>{elapsed}</div>")
    parts = [head]
    if o.error:
        parts.append(f'<div class="ari-error">{esc(o.error)}</div>')
    location = o.headers.get("Location") or o.headers.get("location")
    if location:
        parts.append(f"<div class='ari-muted'>Location: <code>{esc(location)}</code></div>")
    if o.body is None or o.body == "" or o.body == b"":
        if o.error is None:
            parts.append("<div class='ari-muted'>(empty body)</div>")
    elif isinstance(o.body, (dict, list)):
        parts.append(json_tree(o.body))
    elif isinstance(o.body, (bytes, bytearray)):
        parts.append(binary_html(bytes(o.body), o.headers))
    else:
        text = o.body.decode("utf-8", "replace") if isinstance(o.body, bytes) else str(o.body)
        if len(text) > 4000:
            text = text[:4000] + "…"
        parts.append(f"<pre class='ari-snippet'>{esc(text)}</pre>")
    return "".join(parts)


def binary_html(data: bytes, headers: dict) -> str:
    """A binary body (a stored recording): its size and type, and a player when it is audio."""
    ctype = headers.get("Content-Type") or headers.get("content-type") or "application/octet-stream"
    head = f"<div class='ari-muted'>binary body: {len(data)} bytes, {html.escape(ctype)}</div>"
    is_audio = ctype.startswith("audio/") or data[:4] == b"RIFF"
    if is_audio and len(data) <= 2_000_000:
        import base64

        mime = ctype if ctype.startswith("audio/") else "audio/wav"
        src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        head += f'<audio controls src="{src}"></audio>'
    return head


def snippet_html(python: str | None, curl: str | None, problem: str | None = None) -> str:
    esc = html.escape
    if problem:
        return f'<div class="ari-error">{esc(problem)}</div>'
    return ("<div class='ari-muted'>Python</div>"
            f"<pre class='ari-snippet ari-python'>{esc(python or '')}</pre>"
            "<div class='ari-muted'>curl</div>"
            f"<pre class='ari-snippet ari-curl'>{esc(curl or '')}</pre>")


def ids_from_list(kind: str, body: Any) -> list[str]:
    """Current object ids from a list response (channels.list, bridges.list, ...)."""
    if not isinstance(body, list):
        return []
    out = []
    for item in body:
        if not isinstance(item, dict):
            continue
        if kind == "endpoint":
            if item.get("technology") and item.get("resource"):
                out.append(f"{item['technology']}/{item['resource']}")
        elif kind == "recording":
            if item.get("name"):
                out.append(str(item["name"]))
        elif item.get("id"):
            out.append(str(item["id"]))
    return out


LIST_OPERATIONS = {
    "channel": "channels.list",
    "bridge": "bridges.list",
    "recording": "recordings.listStored",
    "endpoint": "endpoints.list",
}
