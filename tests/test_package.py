"""Package-level rules: the one-way doors between subpackages, and a complete, sorted ``__all__``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ari_notebook

PKG = Path(ari_notebook.__file__).parent

# subpackage -> the subpackages of ours it may import (DESIGN.md, "Doors open one way")
# ("progress" is a leaf every layer may report through: it imports nothing of ours, see below)
ALLOWED = {
    "spec": {"_errors", "_record"},
    "events": {"_errors", "_json", "_record", "spec", "progress"},
    "client": {"_errors", "_json", "_record", "spec", "events", "progress"},
    "sim": {"_errors", "spec", "progress"},
    "widgets": {"_errors", "spec", "events", "client", "progress"},
}


def _our_imports(path: Path) -> set[str]:
    """First-level ari_notebook modules imported by a file (absolute or relative imports)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    depth_of_file = len(path.relative_to(PKG).parts) - 1  # 1 for ari_notebook/<sub>/x.py
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names = [node.module or ""]
            elif node.level > depth_of_file:  # climbs to the top package: from .. import x / ..x
                base = node.module
                names = [base] if base else [a.name for a in node.names]
                names = ["ari_notebook." + n for n in names]
            else:
                continue  # relative import inside the same subpackage
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "ari_notebook" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("sub", sorted(ALLOWED))
def test_doors_open_one_way(sub):
    folder = PKG / sub
    if not folder.is_dir():
        pytest.skip(f"ari_notebook.{sub} does not exist yet")
    broken = {}
    for path in folder.rglob("*.py"):
        extra = _our_imports(path) - ALLOWED[sub] - {sub}
        if extra:
            broken[str(path.relative_to(PKG))] = sorted(extra)
    assert not broken, f"{sub} imports what DESIGN.md forbids: {broken}"


def test_progress_is_a_leaf():
    assert _our_imports(PKG / "progress.py") == set()


def test_all_is_sorted_complete_and_importable():
    names = ari_notebook.__all__
    assert list(names) == sorted(names), "keep __all__ sorted"
    for name in names:
        assert hasattr(ari_notebook, name), f"__all__ names {name!r} but it is not importable"
    public = {n for n, v in vars(ari_notebook).items()
              if not n.startswith("_") and not isinstance(v, type(ari_notebook))}
    assert public <= set(names), f"public names missing from __all__: {sorted(public - set(names))}"


def test_a_script_client_loads_nothing_it_does_not_use():
    """The client's memory target is aioari's: pandas, widgets, the simulator, orjson (the event
    log's decoder) and the help/kernel modules load only when something asks for them."""
    import subprocess
    import sys

    # only what our import adds counts: aiohttp's own imports are not ours to decide
    code = ("import sys, aiohttp; before = set(sys.modules); import ari_notebook; "
            "from ari_notebook.client import Client; print(' '.join(sorted(set(sys.modules) - before)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True, timeout=60).stdout.split())
    assert "ari_notebook.client.client" in loaded
    heavy = {"pandas", "numpy", "ipywidgets", "IPython", "orjson", "dataclasses", "matplotlib",
             "ari_notebook.sim", "ari_notebook.events.log", "ari_notebook.events.waiting",
             "ari_notebook.spec.render", "ari_notebook.spec.swagger", "ari_notebook.jupyter",
             "ari_notebook.client.restws"}
    assert not heavy & loaded, f"loaded on import: {sorted(heavy & loaded)}"
