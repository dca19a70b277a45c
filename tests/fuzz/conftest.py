"""Fuzz settings: bounded example counts (``ARI_FUZZ_EXAMPLES`` raises them for a long run)."""

from __future__ import annotations

import os

import pytest

from ._background import Background

EXAMPLES = int(os.environ.get("ARI_FUZZ_EXAMPLES", "6"))
BUDGET_S = float(os.environ.get("ARI_FUZZ_BUDGET_S", "45"))


@pytest.fixture(scope="module")
def bg():
    server = Background()
    try:
        yield server
    finally:
        server.close()
