"""Progress bars for the package's long work (loading and saving logs, datasets, replay...).

Why one module: a 19-second silent ``EventLog.load`` looks like a hung kernel. Every long
operation reports through ``progress_bar`` so all of them look and switch off the same way:

* in a Jupyter kernel (with ipywidgets): a tqdm widget bar in the cell's output;
* in a terminal (stderr is a tty): a tqdm text bar on stderr;
* otherwise (a pipe, a log file, CI): nothing.

In that automatic mode a bar appears only once the work has run for ``delay()`` seconds
(1 s by default), so quick operations leave no trace and create no widget. Forcing progress on
shows the bar at once (a text bar on stderr where no kernel is).

Switches, strongest first: the operation's own ``progress=True/False``; ``set_enabled(True/False)``
for the whole process (``set_enabled(None)`` goes back to the default); the environment variable
``ARI_NOTEBOOK_PROGRESS`` (``0``/``1``; anything else, or unset, means automatic).

Using it in an operation::

    with progress_bar(total=size, desc="Loading events", unit="B", progress=progress) as bar:
        for chunk in chunks:
            ...
            bar.update(len(chunk))   # call per chunk (thousands of items), not per item

``update`` on a bar that is off costs an attribute add and a comparison; on a bar that is on,
redraws are kept to two a second (``MIN_INTERVAL``). Keep calls per chunk anyway.

Stopping: ``update`` is also where work running in a worker thread learns it should stop
(an ``asyncio`` task awaiting it was cancelled). Such work runs inside ``stop_when(event)``;
once ``event`` is set, the next ``update`` raises ``Cancelled``, and the operation cleans up
as it does for a ``KeyboardInterrupt``. On the main thread, Interrupt Kernel / Ctrl-C raises
``KeyboardInterrupt`` directly; operations undo their partial work for both.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["progress_bar", "set_enabled", "enabled", "set_delay", "delay", "Progress", "ENV_VAR",
           "Cancelled", "stop_when"]

ENV_VAR = "ARI_NOTEBOOK_PROGRESS"
_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off"}

_enabled: bool | None = None   # set_enabled; None: follow the environment, then automatic
_delay = 1.0                   # seconds before an automatic bar appears
MIN_INTERVAL = 0.5             # seconds between two redraws of a bar
_stop: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("ari_notebook_stop", default=None)


class Cancelled(Exception):
    """The work was asked to stop (see ``stop_when``); what it had half done is undone."""


@contextmanager
def stop_when(event: threading.Event) -> Iterator[None]:
    """Within this block (in this thread or task), every progress ``update`` raises
    ``Cancelled`` once ``event`` is set: how a worker thread is stopped at its next chunk."""
    token = _stop.set(event)
    try:
        yield
    finally:
        _stop.reset(token)


def set_enabled(value: bool | None) -> None:
    """Turn progress bars on (``True``) or off (``False``) for every operation of the package;
    ``None`` returns to the default (``ARI_NOTEBOOK_PROGRESS``, else automatic)."""
    global _enabled
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"set_enabled takes True, False or None, got {value!r}")
    _enabled = value


def set_delay(seconds: float) -> None:
    """How long an operation runs before an automatic bar appears (default 1 s; 0: at once)."""
    global _delay
    if not isinstance(seconds, (int, float)) or seconds != seconds or seconds < 0:
        raise ValueError(f"delay must be a number of seconds >= 0, got {seconds!r}")
    _delay = float(seconds)


def delay() -> float:
    return _delay


def enabled(progress: bool | None = None) -> bool | None:
    """The setting in force for one operation: ``True`` (forced on), ``False`` (off) or
    ``None`` (automatic: a bar where someone can see it)."""
    if progress is not None:
        if not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, got {progress!r}")
        return progress
    if _enabled is not None:
        return _enabled
    env = os.environ.get(ENV_VAR, "").strip().lower()
    if env in _ON:
        return True
    if env in _OFF:
        return False
    return None


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell); never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an odd IPython build: treat as no kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def _bar_class(forced: bool) -> Any:
    """The tqdm class to draw with, or None where no bar should be drawn."""
    if _in_kernel():
        try:
            import ipywidgets  # noqa: F401  (tqdm.notebook needs it for the widget)
        except ImportError:
            pass
        else:
            from tqdm.notebook import tqdm as notebook_tqdm
            return notebook_tqdm
    if forced or _stderr_is_terminal():
        from tqdm.std import tqdm as text_tqdm
        return text_tqdm
    return None


class Progress:
    """What ``progress_bar`` yields: ``update(n)`` counts work done; ``n`` and ``total`` tell
    how far it got. The tqdm bar behind it (``bar``, None while hidden) is made only when it
    is to be seen, so an operation that ends quickly (or runs with progress off) makes none."""

    __slots__ = ("n", "total", "desc", "unit", "bar", "_show_at", "_cls", "_stop")

    def __init__(self, total: float | None, desc: str, unit: str, cls: Any, show_at: float | None) -> None:
        self.n = 0
        self.total = total
        self.desc = desc
        self.unit = unit
        self.bar: Any = None
        self._cls = cls
        self._show_at = show_at   # monotonic time to make the bar at; None: never
        self._stop = _stop.get()

    def update(self, n: float = 1) -> None:
        """Add ``n`` units of work done (call per chunk, not per item); raises ``Cancelled``
        when the work was asked to stop (``stop_when``)."""
        stop = self._stop
        if stop is not None and stop.is_set():
            raise Cancelled(f"{self.desc}: stopped after {self.n:,.0f} {self.unit}")
        self.n += n
        bar = self.bar
        if bar is not None:
            bar.update(n)
        elif self._show_at is not None and time.monotonic() >= self._show_at:
            self._open()

    def set_total(self, total: float | None) -> None:
        """The amount of work, once it is known (a Dask graph is only seen as it starts)."""
        self.total = total
        if self.bar is not None:  # reset is how tqdm (and its widget) takes a new total
            self.bar.reset(total=total)
            self.bar.update(self.n)

    def _open(self) -> None:
        self._show_at = None
        # two redraws a second: each costs ~0.4 ms of CPU (a text line, or widget messages)
        kwargs: dict[str, Any] = {"total": self.total, "desc": self.desc, "unit": self.unit,
                                  "initial": self.n, "dynamic_ncols": True, "mininterval": MIN_INTERVAL}
        if self.unit == "B":
            kwargs.update(unit_scale=True, unit_divisor=1024)
        if self._cls.__module__ == "tqdm.std":
            kwargs["file"] = sys.stderr
        self.bar = self._cls(**kwargs)

    def close(self, *, failed: bool = False) -> None:
        """End the bar (a widget bar that did not finish turns red, as tqdm shows errors)."""
        self._show_at = None
        bar, self.bar = self.bar, None
        if bar is None:
            return
        if failed and self.total is None and hasattr(bar, "container"):
            bar.disp(bar_style="danger", check_delay=False)
        bar.close()


@contextmanager
def progress_bar(total: float | None = None, *, desc: str, unit: str = "it",
                 progress: bool | None = None) -> Iterator[Progress]:
    """A progress bar for one operation, closed when the block ends (also on an interrupt).

    ``total`` is the amount of work in ``unit``s (``None``: unknown, the bar counts up);
    ``unit="B"`` shows bytes scaled (KiB, MiB). ``progress`` is the operation's own switch:
    ``None`` follows the global setting (see the module doc). Always yields a ``Progress``,
    so the operation's code is the same whether a bar is drawn or not.
    """
    setting = enabled(progress)
    cls = None if setting is False else _bar_class(forced=setting is True)
    if cls is None:
        show_at = None
    else:
        show_at = time.monotonic() + (0.0 if setting is True else _delay)
    state = Progress(total, desc, unit, cls, show_at)
    if show_at is not None and show_at <= time.monotonic():
        state._open()
    failed = True
    try:
        yield state
        failed = False
    finally:
        state.close(failed=failed)
