"""One stylesheet for every ari_notebook widget, shipped inside an HTML widget.

Why an HTML widget: a ``<style>`` block in a widget's value renders the same way in
JupyterLab, Notebook 7 and Voila, without a labextension. All rules are scoped under
``ari-`` classes so they never restyle the rest of the notebook.
"""

from __future__ import annotations

import ipywidgets as w

CSS = """
<style>
.ari-root { font-family: var(--jp-ui-font-family, system-ui, sans-serif); font-size: 13px; }
.ari-root .ari-title { font-weight: 600; font-size: 14px; margin: 2px 0 6px 0; }
.ari-root .ari-muted { color: #6b7280; }
.ari-root .ari-badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 11px;
  font-weight: 600; color: #fff; background: #6b7280; margin-right: 4px; white-space: nowrap; }
.ari-root .ari-badge.GET { background: #2563eb; } .ari-root .ari-badge.POST { background: #16a34a; }
.ari-root .ari-badge.PUT { background: #d97706; } .ari-root .ari-badge.DELETE { background: #dc2626; }
.ari-root .ari-badge.ok { background: #16a34a; } .ari-root .ari-badge.err { background: #dc2626; }
.ari-root .ari-badge.warn { background: #d97706; } .ari-root .ari-badge.info { background: #2563eb; }
.ari-root .ari-badge.count { background: #e5e7eb; color: #111827; font-weight: 500; }
.ari-root .ari-state-Up { background: #16a34a; } .ari-root .ari-state-Ring,
.ari-root .ari-state-Ringing { background: #d97706; } .ari-root .ari-state-Down { background: #6b7280; }
.ari-root .ari-state-gone { background: #9ca3af; }
.ari-root code, .ari-root pre { font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.ari-root pre.ari-snippet { background: #f6f8fa; border: 1px solid #e5e7eb; border-radius: 4px;
  padding: 6px 8px; margin: 2px 0 8px 0; white-space: pre-wrap; word-break: break-all; user-select: all; }
.ari-root .ari-error { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca;
  border-radius: 4px; padding: 4px 8px; white-space: pre-wrap; }
.ari-root .ari-okmsg { color: #166534; background: #f0fdf4; border: 1px solid #bbf7d0;
  border-radius: 4px; padding: 4px 8px; white-space: pre-wrap; }
.ari-root .ari-pending { color: #1e40af; }
.ari-root table.ari-table { border-collapse: collapse; width: 100%; font-size: 12px; }
.ari-root table.ari-table th { text-align: left; background: #f3f4f6; border-bottom: 1px solid #d1d5db;
  padding: 3px 6px; position: sticky; top: 0; }
.ari-root table.ari-table td { border-bottom: 1px solid #f0f0f0; padding: 2px 6px;
  font-family: var(--jp-code-font-family, monospace); white-space: nowrap; }
.ari-root table.ari-table tr:nth-child(even) td { background: #fafafa; }
.ari-root .ari-json details { margin-left: 14px; }
.ari-root .ari-json summary { cursor: pointer; margin-left: -14px; }
.ari-root .ari-json .k { color: #7c3aed; } .ari-root .ari-json .s { color: #047857; }
.ari-root .ari-json .n { color: #1d4ed8; } .ari-root .ari-json .b { color: #b45309; }
.ari-root .ari-json .z { color: #6b7280; }
.ari-root .ari-json { font-family: var(--jp-code-font-family, monospace); font-size: 12px;
  max-height: 420px; overflow: auto; border: 1px solid #e5e7eb; border-radius: 4px; padding: 4px 8px; }
.ari-root .ari-json div, .ari-root .ari-json summary, .ari-root table.ari-kv td,
.ari-root pre.ari-snippet, .ari-root .ari-error, .ari-root .ari-okmsg { line-height: 1.45; }
.ari-root .ari-rows select { font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.ari-root .ari-required::after { content: " *"; color: #dc2626; }
.ari-root .ari-kv td:first-child { color: #6b7280; padding-right: 10px; }
.ari-root .ari-panel { border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px 10px; }
.ari-root .ari-hears { font-style: italic; color: #374151; }
.ari-root .widget-button.ari-danger { background: #fee2e2; }
.ari-root .widget-button.ari-key { font-weight: 600; font-size: 15px; }
</style>
"""


def style_widget() -> w.HTML:
    """A tiny HTML widget carrying the stylesheet; every composite includes one."""
    return w.HTML(CSS, layout=w.Layout(height="0px", margin="0"))


def root(box: w.Box, name: str) -> w.Box:
    """Mark a composite as an ari widget root: scoped CSS plus a stable ``ari-<name>`` class."""
    box.add_class("ari-root")
    box.add_class(f"ari-{name}")
    return box


def close_tree(widget: w.Widget) -> None:
    """Close a widget, every descendant, and the Layout/Style models each of them owns."""
    close_children(widget)
    widget.close()
    _close_parts(widget)


def close_children(box: w.Widget) -> None:
    """Close every descendant of a composite (ipywidgets' ``close`` only closes the box itself,
    leaving its children alive in the kernel and in the widget registry).

    A box that is already closed is still walked: a composite child (ChannelControls, a phone
    card) may have been closed on its own first, and its subtree must not outlive it."""
    for child in list(getattr(box, "children", ()) or ()):
        if not isinstance(child, w.Widget):
            continue
        if isinstance(child, w.Box):
            close_children(child)
        if child.comm is not None:
            child.close()
        _close_parts(child)


def close_parts(widget: w.Widget) -> None:
    """Close a (closed) composite's own Layout and Style models, which ``close`` leaves alive."""
    _close_parts(widget)


def _close_parts(widget: w.Widget) -> None:
    for part in ("layout", "style"):  # every widget here owns its Layout/Style (none are shared)
        sub = getattr(widget, part, None)
        if isinstance(sub, w.Widget) and sub.comm is not None:
            sub.close()
