"""The one place that knows about IPython's running loop.

Why it exists: in a notebook the kernel's asyncio loop is always running. Top-level ``await``
works, ``client.start(...)`` puts the events reader on that loop as a background task, and the
task keeps running while no cell runs: tested against a real kernel (tests/client/test_kernel.py).

ipykernel issue 1510 ("ipykernel 7.x does not schedule async background tasks after cell
completion"): investigated by starting real kernels with jupyter_client for ipykernel 7.0.1,
7.1.0, 7.3.0 and 7.4.0 and running (a) a timer task, (b) a task reading an aiohttp WebSocket fed
from outside the kernel, and (c) the issue's own example (an ``asyncio.Queue`` consumer fed by
widget ``comm_msg`` clicks, with and without ``set_parent``, also with the clicks sent to a
kernel subshell). In every version every background
task kept running while the kernel was idle; the stall did not reproduce outside the frontend
it was reported with. So there is no pin and no workaround in the event path: the reader is a
plain task on the kernel's loop, and the real-kernel tests (events while idle, and the issue's
own example) fail if a future ipykernel stalls it.

One compatibility shim lives here: aioari's classic example ends with
``loop.run_until_complete(client.run(apps="hello"))``. In a kernel the loop is already running,
so that call raises. nest-asyncio would make it re-enter the loop, but it is archived and
re-entering the loop breaks ipykernel >= 7's per-message task contexts ("cannot enter context",
reported against nest_asyncio2 in inspect_ai issue 4530), so it is not used. Instead this
module wraps ``run_until_complete`` *of the kernel's loop only* so that, only while the loop is running and only for our ``client.run()`` awaitable, it
starts the reader in the background and returns the task; every other call behaves as before.
The wrapper is installed when a client connects inside a kernel (``loop.run_until_complete``
is looked up before ``client.run(...)`` is evaluated, so installing it in ``run`` would be too
late). The example therefore works unchanged and the notebook stays responsive.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from .client import Client
from .client.events_hub import Run

log = logging.getLogger("ari_notebook.jupyter")

_PATCHED_ATTR = "_ari_notebook_run_shim"


def in_kernel() -> bool:
    """True inside a Jupyter kernel (not a terminal IPython, not a script)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # IPython half-imported or shutting down
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def kernel_versions() -> dict[str, str]:
    """Versions that matter for the loop (shown by ``ari-notebook doctor``)."""
    out = {"python": sys.version.split()[0]}
    for name in ("ipykernel", "IPython", "jupyter_client", "tornado", "anyio"):
        try:
            module = __import__(name)
            out[name] = getattr(module, "__version__", "?")
        except ImportError:
            continue
    return out


def _shim(loop: asyncio.AbstractEventLoop) -> None:
    if getattr(loop, _PATCHED_ATTR, False):
        return
    original = loop.run_until_complete

    def run_until_complete(future: Any) -> Any:
        if isinstance(future, Run) and loop.is_running():
            task = loop.create_task(future.main(), name="ari-notebook client.run")
            task.add_done_callback(_report)
            print("client.run(...) is running in the background on the notebook's loop; "
                  "events arrive while cells are idle. Stop it with: await client.stop()")
            return task
        return original(future)

    loop.run_until_complete = run_until_complete  # type: ignore[method-assign]
    setattr(loop, _PATCHED_ATTR, True)


def _report(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("client.run() ended with an error: %s", task.exception())


def kernel_run_hook(client: Client) -> None:
    """Called through ``Client.run_hook`` (at connect and at ``run``): in a kernel, start
    ``client.log`` so it holds every event from the first one (a notebook user asks the log
    after the fact; a script stays free of pandas), and prepare the loop for the aioari idiom."""
    if not in_kernel():
        return
    client.log  # noqa: B018  creating it attaches the recorder
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        return
    if loop.is_running():
        _shim(loop)


__all__ = ["in_kernel", "kernel_run_hook", "kernel_versions"]
