"""EventLogView: the newest events of an EventLog as a live, filterable table.

A background task wakes at most ``rate`` times a second and redraws only when the log's
``version`` (or a filter) changed, reading ``log.tail``/``log.counts`` (cheap by contract), so
a burst of thousands of events per second costs a few small redraws, not one per event.
"""

from __future__ import annotations

import asyncio
import html
import json
from pathlib import Path
from typing import Any

import ipywidgets as w

from ._lifecycle import LiveWidget
from ._style import close_tree, root, style_widget
from ._tasks import TaskRunner, Throttle, describe_error, error_html, ok_html, pending_html
from .eventlog_model import (FLEET_HEADER, HEADER, Filters, counts_html, newest, row_label, server_options,
                             type_options)
from .jsontree import json_tree


class EventLogView(LiveWidget, w.VBox):
    """Live table of ``log``'s newest events: filters, pause, clear, counts, detail, export.

    A fleet's log (``fleet.log``) adds a server column and a Server filter."""

    def __init__(self, log: Any, *, rows: int = 40, rate: float = 4.0, **kwargs: Any) -> None:
        self.event_log = log  # not .log: ipywidgets' Widget already has a ``log`` trait
        self.n_rows = rows
        self.filters = Filters()
        self.runner = TaskRunner()
        self._seen: tuple | None = None
        self._shown: list[dict] = []
        self._selected: dict | None = None
        self._programmatic = False
        self._types: tuple = ()
        self._frozen = 0  # the log version shown when the view was paused
        self.scanned = 0

        client = getattr(log, "client", None)
        # a fleet's log: {asterisk_id: server name}, for the Server filter and column
        ids = getattr(client, "asterisk_ids", None)
        self.servers: dict[str, str] | None = {a: n for n, a in ids.items()} if isinstance(ids, dict) else None
        members = [client[n] for n in client.names] if self.servers is not None else [client]
        self._known_types = tuple(sorted({t for m in members
                                          for t in (getattr(getattr(m, "spec", None), "event_types", ()) or ())}))

        self.counts = w.HTML()
        self.counts.add_class("ari-eventlog-counts")
        self.type_filter = w.Dropdown(options=type_options({}, self._known_types), value="",
                                      description="Type", layout=w.Layout(width="260px"),
                                      style={"description_width": "40px"})
        self.type_filter.add_class("ari-eventlog-type")
        self.obj_filter = w.Text(placeholder="channel / bridge id or name", description="Object",
                                 continuous_update=False, layout=w.Layout(width="280px"),
                                 style={"description_width": "50px"})
        self.obj_filter.add_class("ari-eventlog-object")
        self.app_filter = w.Text(placeholder="app", description="App", continuous_update=False,
                                 layout=w.Layout(width="170px"), style={"description_width": "35px"})
        self.app_filter.add_class("ari-eventlog-app")
        self.server_filter = w.Dropdown(options=server_options(self.servers or {}), value="",
                                        description="Server", layout=w.Layout(width="300px"),
                                        style={"description_width": "50px"})
        self.server_filter.add_class("ari-eventlog-server")
        self.pause_button = w.ToggleButton(value=False, description="Pause", icon="pause",
                                           tooltip="Freeze the table (the log keeps recording)",
                                           layout=w.Layout(width="90px"))
        self.pause_button.add_class("ari-eventlog-pause")
        self.recording = w.Checkbox(value=not bool(getattr(log, "paused", False)), description="record",
                                    indent=False, layout=w.Layout(width="80px"),
                                    tooltip="Untick to stop the log recording events (log.pause())")
        self.recording.add_class("ari-eventlog-recording")
        self.clear_button = w.Button(description="Clear", icon="trash", tooltip="log.clear()",
                                     layout=w.Layout(width="80px"))
        self.clear_button.add_class("ari-eventlog-clear")
        header = HEADER if self.servers is None else FLEET_HEADER
        self.header = w.HTML(f"<pre class='ari-muted' style='margin:0'>{header}</pre>")
        self.table = w.Select(options=[], rows=min(rows, 16), layout=w.Layout(width="98%"))
        self.table.add_class("ari-rows")
        self.table.add_class("ari-eventlog-rows")
        self.detail = w.HTML("<div class='ari-muted'>Select an event to see its raw JSON.</div>")
        self.detail.add_class("ari-eventlog-detail")
        self.export_path = w.Text(value="events", description="Export to", layout=w.Layout(width="280px"),
                                  style={"description_width": "65px"})
        self.export_csv = w.Button(description="CSV", icon="download", layout=w.Layout(width="80px"))
        self.export_csv.add_class("ari-eventlog-export-csv")
        self.export_parquet = w.Button(description="Parquet", icon="download", layout=w.Layout(width="90px"))
        self.export_parquet.add_class("ari-eventlog-export-parquet")
        self.status = w.HTML()
        self.status.add_class("ari-eventlog-status")

        for widget in (self.type_filter, self.obj_filter, self.app_filter, self.server_filter):
            widget.observe(self._on_filter, names="value")
        self.pause_button.observe(self._on_pause, names="value")
        self.recording.observe(self._on_recording, names="value")
        self.clear_button.on_click(lambda _b: self.clear())
        self.table.observe(self._on_select, names="index")
        self.export_csv.on_click(lambda _b: self.export("csv"))
        self.export_parquet.on_click(lambda _b: self.export("parquet"))

        server = [self.server_filter] if self.servers is not None else []
        bar = w.HBox([*server, self.type_filter, self.obj_filter, self.app_filter, self.pause_button,
                      self.recording, self.clear_button], layout=w.Layout(flex_flow="row wrap"))
        export = w.HBox([self.export_path, self.export_csv, self.export_parquet])
        super().__init__([style_widget(), self.counts, bar, self.header, self.table, self.detail,
                          export, self.status], **kwargs)
        root(self, "eventlog")
        self.throttle = Throttle(self.refresh, self._dirty, rate=rate, runner=self.runner)
        self.refresh()
        self.throttle.start()

    # refresh -------------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.pause_button.value

    def _key(self) -> tuple:
        f = self.filters
        version = self._frozen if self.paused else getattr(self.event_log, "version", len(self.event_log))
        return (version, f.type, f.obj, f.app, f.server, self.paused, bool(getattr(self.event_log, "paused", False)))

    def _dirty(self) -> bool:
        if self.comm is None:  # the widget was closed: stop the background task
            self.throttle.stop()
            return False
        return self._key() != self._seen

    def refresh(self) -> None:
        """Redraw from the newest events (called by the background task; callable directly)."""
        key = self._key()
        rows, scanned = newest(self.event_log, self.n_rows, self.filters)
        self.scanned = scanned
        self._shown = rows
        counts = dict(self.event_log.counts())
        if tuple(sorted(counts)) != self._types:
            self._types = tuple(sorted(counts))
            current = self.type_filter.value
            self._programmatic = True
            try:
                self.type_filter.options = type_options(counts, self._known_types)
                self.type_filter.value = current if current in dict(self.type_filter.options).values() else ""
            finally:
                self._programmatic = False
        self.counts.value = counts_html(counts, len(self.event_log), paused=self.paused,
                                        recording=not bool(getattr(self.event_log, "paused", False)),
                                        shown=len(rows))
        self._programmatic = True
        try:
            self.table.options = [(row_label(ev, self.servers), i) for i, ev in enumerate(rows)]
            index = None
            if self._selected is not None:
                for i, ev in enumerate(rows):
                    if ev is self._selected or ev == self._selected:
                        index = i
                        break
            self.table.index = index
        finally:
            self._programmatic = False
        self._seen = key

    # handlers ------------------------------------------------------------------------------
    def _on_filter(self, _change=None) -> None:
        if self._programmatic:
            return
        self.filters = Filters(type=self.type_filter.value or "", obj=self.obj_filter.value or "",
                               app=self.app_filter.value or "", server=self.server_filter.value or "")
        if not self.throttle.running:
            self.runner.call(self.refresh)

    def _on_pause(self, change) -> None:
        self.pause_button.description = "Resume" if change["new"] else "Pause"
        self.pause_button.icon = "play" if change["new"] else "pause"
        if change["new"]:
            self._frozen = getattr(self.event_log, "version", len(self.event_log))
        self.runner.call(self.refresh)

    def _on_recording(self, change) -> None:
        def apply():
            if change["new"]:
                self.event_log.resume()
            else:
                self.event_log.pause()
            self.refresh()
        self.runner.call(apply)

    def _on_select(self, change) -> None:
        if self._programmatic:
            return
        index = change["new"]
        if index is None or index >= len(self._shown):
            return
        self.select(index)

    def select(self, index: int) -> None:
        """Show row ``index`` (0 = newest shown) in the detail pane."""
        ev = self._shown[index]
        self._selected = ev
        raw = html.escape(json.dumps(ev, indent=2, ensure_ascii=False))
        self.detail.value = (f"<div class='ari-title'>{html.escape(str(ev.get('type', '?')))}</div>"
                             + json_tree(ev, open_depth=3)
                             + f"<details><summary class='ari-muted'>raw JSON</summary>"
                               f"<pre class='ari-snippet ari-raw'>{raw}</pre></details>")

    def clear(self) -> None:
        def apply():
            self.event_log.clear()
            self._selected = None
            self.detail.value = "<div class='ari-muted'>Select an event to see its raw JSON.</div>"
            self.refresh()
        self.runner.call(apply)

    # export --------------------------------------------------------------------------------
    def export(self, fmt: str) -> None:
        """Write the events that pass the current filters to ``<path>.csv`` / ``.parquet``.

        The DataFrame is taken on the loop (a consistent snapshot); the file is written in a
        worker thread so a big export does not stall the kernel."""
        path = Path(self.export_path.value or "events")
        if path.suffix.lower() not in (".csv", ".parquet"):
            path = path.with_suffix("." + fmt)
        try:
            df = self.filtered_frame()
        except Exception as exc:
            self.status.value = error_html(f"export failed: {describe_error(exc)}")
            return
        self.status.value = pending_html(f"writing {len(df)} events to {path} …")

        async def write():
            def run():
                path.parent.mkdir(parents=True, exist_ok=True)
                if fmt == "csv":
                    df.to_csv(path, index=False)
                else:
                    df.to_parquet(path, index=False)
            await asyncio.to_thread(run)
            return len(df)

        self.runner.spawn(write, name=f"export:{fmt}",
                          on_ok=lambda n: setattr(self.status, "value", ok_html(f"wrote {n} events to {path}")),
                          on_error=lambda e: setattr(self.status, "value",
                                                     error_html(f"export failed: {describe_error(e)}")))

    def filtered_frame(self):
        """The log's DataFrame restricted to the current filters."""
        df = self.event_log.df
        if not self.filters.active or df.empty:
            return df
        mask = None
        f = self.filters
        if f.type and "type" in df.columns:
            mask = df["type"] == f.type
        if f.app.strip() and "application" in df.columns:
            m = df["application"] == f.app.strip()
            mask = m if mask is None else mask & m
        if f.server and "asterisk_id" in df.columns:
            m = df["asterisk_id"] == f.server
            mask = m if mask is None else mask & m
        if f.obj.strip():
            cols = [c for c in df.columns if c in ("channel_id", "channel_name", "bridge_id", "peer_id",
                                                   "playback_id", "playback_target", "recording_name",
                                                   "recording_target", "endpoint")]
            if cols:
                m = None
                for c in cols:
                    hit = df[c].astype("string").str.contains(f.obj.strip(), regex=False, na=False)
                    m = hit if m is None else m | hit
                mask = m if mask is None else mask & m
        return df if mask is None else df[mask]

    def _release(self) -> None:
        if hasattr(self, "throttle"):  # __init__ may have failed before the throttle was made
            self.throttle.stop()
        if getattr(self, "servers", 0) is None:
            close_tree(self.server_filter)  # made, but not shown: not among the children
