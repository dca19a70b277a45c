"""The life cycle every live widget shares: actions run as tasks, event registrations are held,
and ``close()`` undoes all of it.

Why one base: a widget that follows a client must, on close, remove its handlers (or the client
keeps calling a dead widget), cancel its tasks, and close every child and its Layout/Style
models (ipywidgets' ``close`` closes only the box itself). Written once here, each widget says
only what it owns beyond that (``_release``).
"""

from __future__ import annotations

from typing import Any

from ._style import close_children, close_parts
from ._tasks import TaskRunner


class LiveWidget:
    """Mixed in before the ipywidgets box: ``class Dashboard(LiveWidget, w.VBox)``.

    A subclass sets ``self.runner`` (its ``TaskRunner``) and keeps the handles of its client
    registrations in ``self._handles``; a widget that failed half-way through ``__init__`` (no
    runner yet) still closes cleanly."""

    runner: TaskRunner
    _handles: list[Any] = []  # each instance sets its own list

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait for the widget's running actions (tests, scripts)."""
        await self.runner.idle(timeout)

    def _release(self) -> None:
        """Stop what the widget owns beyond its children (a throttle, a part it does not show)."""

    def close(self) -> None:
        if hasattr(self, "runner"):
            for handle in self._handles:
                handle.remove()
            self._release()
            self.runner.cancel_all()
        close_children(self)
        super().close()  # type: ignore[misc]  (the ipywidgets box)
        close_parts(self)


__all__ = ["LiveWidget"]
