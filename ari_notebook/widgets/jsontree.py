"""Render any JSON value as a collapsible HTML tree made of ``<details>`` elements.

Why plain HTML: ``<details>`` folds and unfolds in the browser with no JavaScript and no
round trip to the kernel, so large responses stay cheap and the tree works in Voila too.
"""

from __future__ import annotations

import html
import json
from typing import Any

MAX_ITEMS = 200  # per container; the rest is summarised so a 5,000-item list stays small


def json_tree(value: Any, *, open_depth: int = 2, max_items: int = MAX_ITEMS) -> str:
    """The whole tree wrapped in a ``div.ari-json``; containers deeper than ``open_depth`` start folded."""
    return f'<div class="ari-json">{_node(None, value, 0, open_depth, max_items)}</div>'


def _scalar(value: Any) -> str:
    if value is None:
        return '<span class="z">null</span>'
    if isinstance(value, bool):
        return f'<span class="b">{"true" if value else "false"}</span>'
    if isinstance(value, (int, float)):
        return f'<span class="n">{html.escape(json.dumps(value))}</span>'
    if isinstance(value, str):
        return f'<span class="s">{html.escape(json.dumps(value, ensure_ascii=False))}</span>'
    return f'<span class="s">{html.escape(repr(value))}</span>'


def _key(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f'<span class="z">{key}</span>: '
    return f'<span class="k">{html.escape(json.dumps(str(key), ensure_ascii=False))}</span>: '


def _node(key: Any, value: Any, depth: int, open_depth: int, max_items: int) -> str:
    if isinstance(value, dict):
        items = list(value.items())
        opener, closer, kind = "{", "}", f"{len(items)} key{'s' if len(items) != 1 else ''}"
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
        opener, closer, kind = "[", "]", f"{len(items)} item{'s' if len(items) != 1 else ''}"
    else:
        return f"<div>{_key(key)}{_scalar(value)}</div>"
    if not items:
        return f"<div>{_key(key)}{opener}{closer}</div>"
    shown = items[:max_items]
    children = "".join(_node(k, v, depth + 1, open_depth, max_items) for k, v in shown)
    if len(items) > max_items:
        children += f'<div class="z">… {len(items) - max_items} more not shown</div>'
    is_open = " open" if depth < open_depth else ""
    summary = f'{_key(key)}{opener} <span class="z">{kind}</span> {closer}'
    return f"<details{is_open}><summary>{summary}</summary>{children}</details>"
