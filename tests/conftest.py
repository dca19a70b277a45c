"""Shared fixtures: where the real-Asterisk traces live, and a clean Jupyter environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("ARI_TRACES", REPO.parent / "shared" / "ari-traces"))


@pytest.fixture(scope="session")
def traces_dir() -> Path:
    """The recorded real Asterisk 23 traffic; tests that compare with it skip without it."""
    if not (TRACES / "api-docs" / "resources.json").is_file():
        pytest.skip(f"real-Asterisk traces not found at {TRACES} (set ARI_TRACES to their folder)")
    return TRACES


@pytest.fixture(scope="session")
def real_api_docs(traces_dir: Path) -> tuple[dict, dict[str, dict]]:
    """(resources.json, {name: declaration}) exactly as Asterisk 23.4.1 served them."""
    docs = traces_dir / "api-docs"
    listing = json.loads((docs / "resources.json").read_text())
    decls = {p.stem: json.loads(p.read_text()) for p in docs.glob("*.json") if p.stem != "resources"}
    return listing, decls


@pytest.fixture(scope="session")
def real_spec(real_api_docs):
    from ari_notebook.spec import parse_spec

    return parse_spec(*real_api_docs)


def load_scenario(traces_dir: Path, name: str) -> list[dict]:
    """Every record of one scenario file, in order."""
    path = traces_dir / "scenarios" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
