"""The house rules of docs/architecture.md that a reader cannot see at a glance: no import cycles
between modules (function-level imports count: they hide a cycle rather than remove it; imports
under ``if TYPE_CHECKING:`` do not, since they never run and only name types for annotations),
no module reaching into another object's private attributes, and no class name that means two
things (the simulator's state objects are ``SimChannel``..., the client's results ``Channel``...)."""

from __future__ import annotations

import ast
from pathlib import Path

import ari_notebook

PKG = Path(ari_notebook.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in MODULES.items()}


def _imported(module: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> list[str]:
    """Module names of ours that one import statement loads (``from .x import y`` may name a
    module ``x.y`` or a name in ``x``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module if modules[module].name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        base = package
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def _annotation_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def import_graph(trees: dict[str, ast.AST] = TREES, modules: dict[str, Path] = MODULES) -> dict[str, set[str]]:
    """module -> modules of ours it imports anywhere in its body, functions included. A module
    importing its own package (``from . import x``) is an edge to the module ``x``, not to the
    package's ``__init__``."""
    graph: dict[str, set[str]] = {}
    for module, tree in trees.items():
        deps: set[str] = set()
        skipped = _annotation_only(tree)
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _imported(module, node, modules):
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != module and not module.startswith(target + "."):
                    deps.add(target)
        graph[module] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_a_hidden_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_function_level_imports_and_skips_annotation_ones():
    modules = {name: Path(name.replace(".", "/") + ".py") for name in ("p.a", "p.b", "p.c")}
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n"
                     "def f():\n    from .c import g\n")
    assert import_graph({"p.a": tree}, modules) == {"p.a": {"p.c"}}


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    detail = "; ".join(" <-> ".join(group) + " (" + ", ".join(
        f"{m} -> {sorted(graph[m] & set(group))}" for m in group) + ")" for group in found)
    assert not found, f"modules that import each other (directly or round a loop): {detail}"


def _own_private_names(tree: ast.AST) -> set[str]:
    """Private names a module may use: the ones it defines itself (functions, classes, module
    names, attributes it assigns on ``self``/``cls``, ``__slots__`` entries, parameters)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            names.add(node.attr)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__"
                                                   for t in node.targets):
            names.update(c.value for c in ast.walk(node.value)
                         if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reach(tree: ast.AST) -> list[str]:
    """``obj._name`` / ``getattr(obj, "_name")`` where this module does not define ``_name``:
    another module's (or a library's, e.g. aiohttp's ``ws._writer``) private attribute."""
    own = _own_private_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and _private(node.args[1].value) and node.args[1].value not in own):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_private_scan_sees_a_reach_and_allows_own_names():
    tree = ast.parse("class A:\n    def __init__(self):\n        self._mine = 1\n"
                     "    def f(self, ws):\n        return self._mine, ws._writer, getattr(ws, '_x', None)\n")
    assert private_reach(tree) == ["5: ws._writer", "5: getattr(ws, '_x', None)"]


def test_no_private_reach():
    found = {}
    for module, tree in TREES.items():
        hits = private_reach(tree)
        if hits:
            found[module] = hits
    assert not found, f"private attributes used from outside their module: {found}"


def classes_by_name(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    """class name -> modules that make a class of that name at their top level (``class X`` or
    ``X = factory(...)``, as the client's result objects are made)."""
    found: dict[str, list[str]] = {}
    for module, tree in trees.items():
        for node in tree.body:
            names = []
            if isinstance(node, ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)
                         and t.id[:1].isupper() and not t.id.isupper()]
            for name in names:
                found.setdefault(name, []).append(module)
    return found


def test_the_name_scan_sees_a_class_made_twice():
    one = ast.parse("class Channel:\n    pass\n")
    two = ast.parse("Channel = make('Channel')\n")
    assert classes_by_name({"a": one, "b": two}) == {"Channel": ["a", "b"]}


def test_a_class_name_means_one_thing():
    twice = {name: where for name, where in classes_by_name(TREES).items() if len(where) > 1}
    assert not twice, f"class names made in more than one module: {twice}"


SIM = "ari_notebook.sim"
FLOORS = {  # the simulator's floors, top to bottom; a floor imports only the ones below it
    "web": (f"{SIM}.web",),
    "resources": (f"{SIM}.routing", f"{SIM}.api_models", f"{SIM}.coverage", f"{SIM}.resources"),
    "backend": (f"{SIM}.backend",),
}


def floor_of(module: str) -> str | None:
    for floor, prefixes in FLOORS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return floor
    return None


def test_the_simulator_floors_import_downwards_only():
    order = list(FLOORS)
    upward = []
    for module, deps in import_graph().items():
        here = floor_of(module)
        for dep in deps:
            there = floor_of(dep)
            if here and there and order.index(there) < order.index(here):
                upward.append(f"{module} ({here}) -> {dep} ({there})")
    assert not upward, "a simulator floor imports one above it: " + "; ".join(upward)
