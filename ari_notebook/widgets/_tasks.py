"""Run widget actions as tasks on the kernel's loop and report their outcome inside the widget.

Why: a button callback must never block the kernel (no ``run_until_complete``) and must never
let a traceback spill into the cell (in Voila it would vanish, in Lab it lands in a random
cell). Every outcome is turned into text and handed to a ``report`` callback that sets
widget *state* (``HTML.value``), which renders in JupyterLab and in Voila alike.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any, Awaitable, Callable

from .._errors import AriError, HttpError, ValidationError

log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> str:
    """One readable line for an exception: ARI's status and message, or the problem named."""
    if isinstance(exc, HttpError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return str(exc)
    if isinstance(exc, AriError):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def error_html(text: str) -> str:
    return f'<div class="ari-error">{html.escape(text)}</div>'


def ok_html(text: str) -> str:
    return f'<div class="ari-okmsg">{html.escape(text)}</div>'


def pending_html(text: str) -> str:
    return f'<div class="ari-pending">{html.escape(text)}</div>'


def current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class TaskRunner:
    """Schedules coroutines on one *home* loop, keeps references, never lets an error escape.

    The home loop is the running loop at construction: inside a notebook, the kernel's loop,
    where the client's aiohttp session lives too. Work is always handed to that loop (with
    ``call_soon_threadsafe`` when a callback runs in another thread or loop), never to
    whatever loop happens to be current: a request started outside the session's loop fails
    in aiohttp with "Timeout context manager should be used inside a task", which a
    JupyterLab run showed once inside the Explorer before this rule.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop or current_loop()
        self.tasks: set[asyncio.Task] = set()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run a plain callback on the home loop (now, when already there)."""
        loop = self.loop
        if loop is None or loop.is_closed() or current_loop() is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def spawn(self, make: Callable[[], Awaitable[Any]], *, on_ok: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None, name: str = "") -> None:
        loop = self.loop if self.loop is not None and not self.loop.is_closed() else current_loop()
        if self.loop is None:
            self.loop = loop
        if loop is None or loop.is_closed():
            exc = RuntimeError("no running asyncio loop: create the widget inside a notebook "
                               "cell (or an async function)")
            if on_error:
                on_error(exc)
            return
        if current_loop() is loop:
            self._create(loop, make, on_ok, on_error, name)
        else:
            loop.call_soon_threadsafe(self._create, loop, make, on_ok, on_error, name)

    def _create(self, loop, make, on_ok, on_error, name) -> None:
        async def body():
            try:
                result = await make()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # reported inside the widget, never raised into a cell
                log.debug("widget action %s failed: %s", name, describe_error(exc))
                if on_error:
                    _safe(on_error, exc)
                return
            if on_ok:
                _safe(on_ok, result)

        task = loop.create_task(body(), name=f"ari-widget:{name}" if name else None)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def cancel_all(self) -> None:
        for t in list(self.tasks):
            t.cancel()

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until every spawned action has finished (tests and scripts use this)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.tasks)} widget action(s) still running")
            await asyncio.wait(list(self.tasks), timeout=remaining)


def _safe(fn: Callable[[Any], None], arg: Any) -> None:
    try:
        fn(arg)
    except Exception:  # a bug in a reporter must not kill the loop; keep it visible in logs
        log.exception("widget reporter failed")


class Throttle:
    """A background refresher: calls ``refresh()`` when ``dirty()`` says so, at most ``rate``
    times a second. Work per tick is whatever ``refresh`` does (views keep it proportional to
    what they show)."""

    def __init__(self, refresh: Callable[[], None], dirty: Callable[[], bool], *, rate: float = 4.0,
                 runner: TaskRunner | None = None) -> None:
        self.refresh = refresh
        self.dirty = dirty
        self.interval = 1.0 / rate
        self.refreshes = 0
        self.errors = 0
        self.last_error: str | None = None
        self._task: asyncio.Task | None = None
        self._runner = runner or TaskRunner()

    def start(self) -> bool:
        loop = self._runner.loop or current_loop()
        if loop is None or loop.is_closed() or (self._task and not self._task.done()):
            return False
        if current_loop() is loop:
            self._task = loop.create_task(self._run(), name="ari-widget:refresh")
        else:
            loop.call_soon_threadsafe(self._start_on_loop, loop)
        return True

    def _start_on_loop(self, loop):
        self._task = loop.create_task(self._run(), name="ari-widget:refresh")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                if self.dirty():
                    self.refresh()
                    self.refreshes += 1
            except Exception as exc:  # keep refreshing; the view shows last_error
                self.errors += 1
                self.last_error = describe_error(exc)
                log.exception("widget refresh failed")
