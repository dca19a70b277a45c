"""Resource modules of the simulator: each registers its routes and ``@component`` state.

Every module in this package is imported here, so adding ``<name>.py`` is all it takes to
plug a resource in (see ``sim/backend/core.py`` for the contract).
"""

from __future__ import annotations

import importlib
import pkgutil

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
