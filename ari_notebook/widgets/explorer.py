"""Explorer: the Swagger-UI experience inside the notebook, every request sent by the client.

The browser never talks to Asterisk and never sees a credential: the form's values travel to
the kernel, the kernel's ``client.execute`` sends the request, and only the response (plus a
masked Python call and curl command) comes back as widget state.
"""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as w

from .._errors import AriError, HttpError
from ._lifecycle import LiveWidget
from ._style import close_tree, root, style_widget
from ._tasks import TaskRunner, describe_error, pending_html
from .explorer_model import (LIST_OPERATIONS, Outcome, ids_from_list, operation_html,
                             operation_options, outcome_html, resource_options, snippet_html)
from .forms import Field, FormModel
from .snippets import curl_command, python_call


def input_for(f: Field) -> w.Widget:
    """The ipywidget for one form field (the mapping is all the widget layer decides)."""
    style = {"description_width": "150px"}

    def common() -> dict:  # a fresh Layout per widget: an unused one would linger as a model
        return dict(description=f.label, style=style, layout=w.Layout(width="480px"))

    tip = f"{f.hint}. {f.description}".strip()
    if f.kind == "choice":
        labels = [("— not set —" if o == "" else str(o), o) for o in f.options]
        widget = w.Dropdown(options=labels, value=f.initial, **common())
    elif f.kind == "multichoice":
        widget = w.SelectMultiple(options=list(f.options), value=(), rows=min(4, len(f.options)), **common())
    elif f.kind == "bool":
        widget = w.Checkbox(value=bool(f.initial), indent=False, description=f.label,
                            layout=w.Layout(width="480px"))
    elif f.kind == "int":
        if f.minimum is not None:
            widget = w.BoundedIntText(value=f.initial, min=int(f.minimum),
                                      max=int(f.maximum) if f.maximum is not None else 2**31 - 1, **common())
        else:
            widget = w.IntText(value=f.initial, **common())
    elif f.kind == "float":
        widget = w.FloatText(value=f.initial, **common())
    elif f.kind == "optional_number":
        widget = w.Text(value="", placeholder=f"{f.data_type} (blank: not sent)", **common())
    elif f.kind == "json":
        widget = w.Textarea(value="", placeholder='{"NAME": "value"}' if f.data_type == "containers"
                            else '{"allowed": [{"type": "StasisStart"}]}',
                            description=f.label, style=style, layout=w.Layout(width="480px", height="70px"))
    elif f.kind == "live":
        widget = w.Combobox(value=f.initial, options=[], ensure_option=False,
                            placeholder=f"current {f.live} ids are offered", **common())
    elif f.kind == "list":
        widget = w.Text(value=str(f.initial or ""), placeholder="comma separated", **common())
    else:
        widget = w.Text(value=f.initial, placeholder=f.data_type, **common())
    widget.tooltip = tip
    widget.add_class(f"ari-param-{f.name}")
    if f.required:
        widget.add_class("ari-required-field")
    return widget


def _hint(f: Field) -> w.HTML:
    """Type, place, default and the start of the description, shown beside the input."""
    desc = f.description if len(f.description) <= 90 else f.description[:87] + "…"
    text = f"<div class='ari-muted' style='font-size:11px; line-height:1.35'>{html.escape(f.hint)}"
    text += f" · {html.escape(desc)}</div>" if desc else "</div>"
    return w.HTML(text, layout=w.Layout(margin="0 0 0 8px", flex="1 1 auto"))


class Explorer(LiveWidget, w.VBox):
    """Resources -> operations -> form -> Execute -> response, Python call and curl command.

    Given a ``Fleet``, a Server dropdown picks the server the operation runs on (``server=``
    the first one; default: the fleet's first server); each server's own spec builds the form.
    """

    def __init__(self, client: Any, *, server: str | None = None, **kwargs: Any) -> None:
        from ..client.fleet import Fleet

        self.fleet = client if isinstance(client, Fleet) else None
        if self.fleet is not None:
            server = server if server is not None else self.fleet.names[0]
            client = self.fleet[server]
        self._client = client
        self.spec = client.spec
        self.runner = TaskRunner()
        self.server = w.Dropdown(options=[(f"{n} ({a})", n) for n, a in self.fleet.asterisk_ids.items()]
                                 if self.fleet is not None else [], value=server, description="Server",
                                 layout=w.Layout(width="420px"), style={"description_width": "80px"})
        self.server.add_class("ari-explorer-server")
        self.resource = w.Dropdown(options=resource_options(self.spec), description="Resource",
                                   layout=w.Layout(width="420px"), style={"description_width": "80px"})
        self.resource.add_class("ari-explorer-resource")
        self.operation = w.Select(options=[], description="Operation", rows=8,
                                  layout=w.Layout(width="640px"), style={"description_width": "80px"})
        self.operation.add_class("ari-explorer-operation")
        self.header = w.HTML()
        self.header.add_class("ari-explorer-header")
        self.form_box = w.VBox()
        self.form_box.add_class("ari-explorer-form")
        self.execute_button = w.Button(description="Execute", button_style="primary", icon="play")
        self.execute_button.add_class("ari-explorer-execute")
        self.snippets = w.HTML()
        self.snippets.add_class("ari-explorer-snippets")
        self.response = w.HTML("<div class='ari-muted'>Choose an operation, fill the form, press Execute.</div>")
        self.response.add_class("ari-explorer-response")
        self.inputs: dict[str, w.Widget] = {}
        self.form: FormModel | None = None
        self.last: Outcome | None = None
        self.executions = 0

        self._playbacks: dict[str, bool] = {}
        self._handles: list = []
        self._watch_playbacks()
        self.server.observe(self._on_server, names="value")
        self.resource.observe(self._on_resource, names="value")
        self.operation.observe(self._on_operation, names="value")
        self.execute_button.on_click(lambda _b: self.execute())
        left = w.VBox([*([self.server] if self.fleet is not None else []), self.resource, self.operation,
                       self.header, self.form_box, w.HBox([self.execute_button])])
        super().__init__([style_widget(), left,
                          w.HTML("<div class='ari-title'>Request</div>"), self.snippets,
                          w.HTML("<div class='ari-title'>Response</div>"), self.response], **kwargs)
        root(self, "explorer")
        self._on_resource()

    # server (a fleet) ------------------------------------------------------------------------
    def _watch_playbacks(self) -> None:
        client = self._client
        if hasattr(client, "on_event"):
            self._handles = [client.on_event(t, self._on_playback)
                             for t in ("PlaybackStarted", "PlaybackContinuing", "PlaybackFinished")]

    def _on_server(self, change) -> None:
        """Another server of the fleet: its client, its spec; the same operation if it has it."""
        if self.fleet is None or not change["new"]:
            return
        for h in self._handles:
            h.remove()
        self._playbacks.clear()
        self._client = self.fleet[change["new"]]
        self.spec = self._client.spec
        self._watch_playbacks()
        chosen = self.operation.value
        self.resource.options = resource_options(self.spec)
        if chosen in self.spec.operations:
            self.select(chosen)
        self._on_operation()  # the form, snippets and live ids of this server

    # selection -----------------------------------------------------------------------------
    def select(self, name: str) -> None:
        """Choose an operation by qualified name, e.g. ``"channels.originate"``."""
        op = self.spec.operation(name)
        self.resource.value = op.resource
        self.operation.value = op.name

    def _on_resource(self, _change=None) -> None:
        opts = operation_options(self.spec, self.resource.value)
        self.operation.options = opts
        self.operation.value = opts[0][1] if opts else None

    def _on_operation(self, _change=None) -> None:
        name = self.operation.value
        if not name:
            return
        op = self.spec.operation(name)
        self.form = FormModel(op)
        self.header.value = operation_html(op)
        old_rows = self.form_box.children
        self.inputs = {f.name: input_for(f) for f in self.form.fields}
        for widget in self.inputs.values():
            widget.observe(self._on_input, names="value")
        for widget in self.inputs.values():
            widget.layout.flex = "0 0 auto"
        rows = [w.HBox([self.inputs[f.name], _hint(f)], layout=w.Layout(align_items="center"))
                for f in self.form.fields] \
            or [w.HTML("<div class='ari-muted'>No parameters.</div>")]
        self.form_box.children = rows
        for row in old_rows:  # the previous operation's inputs are gone for good
            close_tree(row)
        self.execute_button.disabled = bool(op.upgrade)
        self._on_input()
        self._offer_live_ids()

    def values(self) -> dict[str, Any]:
        return {name: widget.value for name, widget in self.inputs.items()}

    def set_values(self, **values: Any) -> None:
        """Fill form fields (tests and tutorials use this like a person typing)."""
        for name, value in values.items():
            if name not in self.inputs:
                raise KeyError(f"{self.form.operation.name if self.form else '?'} has no parameter {name!r}")
            self.inputs[name].value = value

    def _on_input(self, _change=None) -> None:
        try:
            kwargs, prepared = self.form.prepare(self.values())
        except AriError as exc:
            self.snippets.value = snippet_html(None, None, problem=describe_error(exc))
            return
        self.snippets.value = snippet_html(
            python_call(self.form.operation, kwargs),
            curl_command(self._client.url, prepared, username=getattr(self._client, "username", None),
                         api_key=False))  # the client always sends an Authorization header

    # live ids ------------------------------------------------------------------------------
    def _offer_live_ids(self) -> None:
        for name, f in ((f.name, f) for f in self.form.fields if f.kind == "live"):
            widget = self.inputs[name]
            kind = f.live
            if kind == "playback":
                widget.options = self._playback_ids()
                continue
            list_op = LIST_OPERATIONS.get(kind)
            if list_op is None or list_op not in self.spec.operations:
                continue

            async def fetch(list_op=list_op):
                return (await self._client.execute(list_op)).body

            def offer(body, widget=widget, kind=kind):
                if widget in self.inputs.values():
                    widget.options = ids_from_list(kind, body)

            self.runner.spawn(fetch, on_ok=offer, on_error=lambda exc: None, name=f"ids:{kind}")

    def _playback_ids(self) -> list[str]:
        """Playbacks still running, as this Explorer saw them in events (ARI has no playback list)."""
        return list(self._playbacks)

    def _on_playback(self, ev: dict) -> None:
        pid = (ev.get("playback") or {}).get("id")
        if not pid:
            return
        if ev.get("type") == "PlaybackFinished":
            self._playbacks.pop(pid, None)
        else:
            self._playbacks[pid] = True
        while len(self._playbacks) > 200:
            self._playbacks.pop(next(iter(self._playbacks)))

    # execute -------------------------------------------------------------------------------
    def execute(self) -> None:
        """Send the form through the client as a task on the kernel's loop."""
        op = self.form.operation
        try:
            kwargs, prepared = self.form.prepare(self.values())
        except AriError as exc:
            self.last = Outcome(op.name, op.method, op.path, error=describe_error(exc))
            self.response.value = outcome_html(self.last)
            return
        client = self._client  # the server chosen now, even if the dropdown moves meanwhile
        server = self.server.value if self.fleet is not None else None
        self.response.value = pending_html(f"{server + ': ' if server else ''}{prepared.method} {prepared.path} …")
        self.execute_button.disabled = True
        started = time.perf_counter()

        async def send():
            return await client.execute(op.name, **kwargs)

        def done(resp):
            self._show(Outcome(op.name, prepared.method, prepared.path, status=resp.status,
                               elapsed_ms=resp.elapsed_ms, body=resp.body, headers=dict(resp.headers or {}),
                               server=server))

        def failed(exc):
            elapsed = (time.perf_counter() - started) * 1000
            if isinstance(exc, HttpError):
                self._show(Outcome(op.name, prepared.method, prepared.path, status=exc.status,
                                   elapsed_ms=elapsed, body=exc.body, error=describe_error(exc), server=server))
            else:
                self._show(Outcome(op.name, prepared.method, prepared.path, elapsed_ms=elapsed,
                                   error=describe_error(exc), server=server))

        self.runner.spawn(send, on_ok=done, on_error=failed, name=op.name)

    def _show(self, outcome: Outcome) -> None:
        self.last = outcome
        self.executions += 1
        self.response.value = outcome_html(outcome)
        self.execute_button.disabled = bool(self.form and self.form.operation.upgrade)
        if self.form is not None and any(f.kind == "live" for f in self.form.fields):
            self._offer_live_ids()

    def _release(self) -> None:
        if self.fleet is None:
            close_tree(self.server)  # made, but not shown: not among the children
