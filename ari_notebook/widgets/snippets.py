"""The Python call and the curl command equivalent to an Explorer request, ready to copy.

Why masked: the snippets are displayed in the browser and may be saved in the notebook, so the
password (or api_key) is always written as ``****``; the reader substitutes their own.
"""

from __future__ import annotations

import json
import shlex
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..spec import Operation, PreparedRequest

MASK = "****"


def python_call(op: Operation, kwargs: Mapping[str, Any], *, client_name: str = "client") -> str:
    """``await client.channels.originate(endpoint='…', app='hello')``, one argument per line
    when it gets long."""
    args = [f"{k}={v!r}" for k, v in kwargs.items()]
    head = f"await {client_name}.{op.resource}.{op.nickname}("
    one_line = head + ", ".join(args) + ")"
    if len(one_line) <= 100:
        return one_line
    return head + "\n" + "".join(f"    {a},\n" for a in args) + ")"


def ari_base(url: str) -> str:
    """The ``.../ari`` base for a root URL (or one already ending in /ari), without any userinfo."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/")
    if not path.endswith("/ari"):
        path += "/ari"
    return urlunsplit((parts.scheme or "http", netloc, path, "", ""))


def curl_command(url: str, prepared: PreparedRequest, *, username: str | None = None,
                 api_key: bool = False) -> str:
    """A curl command line for the prepared request against the server at ``url``.

    Credentials: ``-u user:****`` for basic auth, or ``api_key=user:****`` in the query."""
    query = dict(prepared.query)
    if api_key:
        query["api_key"] = f"{username or 'user'}:{MASK}"
    full = ari_base(url) + prepared.path
    if query:
        full += "?" + urlencode(query, safe=":,/@*")
    parts = ["curl", "-X", prepared.method]
    if not api_key:
        parts += ["-u", f"{username or 'user'}:{MASK}"]
    parts.append(full)
    if prepared.body is not None:
        parts += ["-H", "Content-Type: application/json",
                  "-d", json.dumps(prepared.body, ensure_ascii=False, separators=(",", ":"))]
    return " ".join(shlex.quote(p) for p in parts)
