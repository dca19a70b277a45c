"""Which ARI operations the simulator implements, compared with a real Asterisk's api-docs.

Why: the simulator's api-docs are generated from its own route table, so a typo in a path,
a parameter or a response class would silently teach clients the wrong API. ``compare``
lists every difference against a real server's api-docs; the coverage test fails on any;
``python -m ari_notebook.sim.coverage`` writes the table of operations to
``docs/simulator-operations.md`` (and prints the differences when given real api-docs).

    python -m ari_notebook.sim.coverage [--real ../shared/ari-traces/api-docs] [--out docs/simulator-operations.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..spec import Operation, Spec, parse_spec
from .routing import ROUTES


@dataclass
class Coverage:
    """The result of comparing the simulator's operations with a reference spec."""

    implemented: list[str] = field(default_factory=list)
    gaps: dict[str, str] = field(default_factory=dict)        # declared, answers 501, with reason
    missing: list[str] = field(default_factory=list)          # in the reference, not declared at all
    extra: list[str] = field(default_factory=list)            # declared, not in the reference
    mismatches: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.mismatches)

    def problems(self) -> list[str]:
        out = [f"{name}: not declared (neither implemented nor a known gap)" for name in self.missing]
        out += [f"{name}: declared but not in the reference api-docs" for name in self.extra]
        out += [f"{name}: {problem}" for name, problems in self.mismatches.items() for problem in problems]
        return out


def sim_spec() -> tuple[Spec, dict[str, str]]:
    """The simulator's own spec (the package has imported every resource module) and its known gaps."""

    return ROUTES.spec(), dict(ROUTES.gaps)


def load_reference(api_docs: str | Path) -> Spec:
    docs = Path(api_docs)
    listing = json.loads((docs / "resources.json").read_text("utf-8"))
    decls = {p.stem: json.loads(p.read_text("utf-8")) for p in docs.glob("*.json") if p.stem != "resources"}
    return parse_spec(listing, decls)


def limit_differences(mine: Spec, reference: Spec) -> list[str]:
    """Finer points the api-docs also carry: allowable values and defaults of parameters,
    and the models' properties (name, type, required)."""
    out = []
    for name, ref in sorted(reference.operations.items()):
        op = mine.operations.get(name)
        if op is None:
            continue
        for p in ref.parameters:
            q = op.parameter(p.name)
            if q is None:
                continue
            if q.allowable != p.allowable:
                out.append(f"{name}: parameter {p.name!r} allowableValues {q.allowable}, reference {p.allowable}")
            if q.default != p.default:
                out.append(f"{name}: parameter {p.name!r} defaultValue {q.default!r}, reference {p.default!r}")
    for model_id, ref_model in sorted(reference.models.items()):
        model = mine.models.get(model_id)
        if model is None:
            out.append(f"model {model_id}: missing")
            continue
        a = {p.name: (p.type, p.required) for p in model.properties}
        b = {p.name: (p.type, p.required) for p in ref_model.properties}
        if a != b:
            out.append(f"model {model_id}: properties differ: {sorted(set(a.items()) ^ set(b.items()))}")
    return out


def _param_differences(mine: Operation, ref: Operation) -> list[str]:
    out = []
    mine_params = {p.name: p for p in mine.parameters}
    ref_params = {p.name: p for p in ref.parameters}
    for name in ref_params.keys() - mine_params.keys():
        out.append(f"parameter {name!r} missing")
    for name in mine_params.keys() - ref_params.keys():
        out.append(f"parameter {name!r} not in the reference")
    for name in ref_params.keys() & mine_params.keys():
        a, b = mine_params[name], ref_params[name]
        for attr, label in (("param_type", "paramType"), ("data_type", "dataType"), ("required", "required"),
                            ("allow_multiple", "allowMultiple")):
            if getattr(a, attr) != getattr(b, attr):
                out.append(f"parameter {name!r} {label} {getattr(a, attr)!r}, reference {getattr(b, attr)!r}")
    return out


def compare(mine: Spec, reference: Spec, gaps: dict[str, str] | None = None) -> Coverage:
    gaps = dict(gaps or {})
    cov = Coverage()
    for name in sorted(reference.operations):
        ref = reference.operations[name]
        op = mine.operations.get(name)
        if op is None:
            cov.missing.append(name)
            continue
        problems = []
        if (op.method, op.path) != (ref.method, ref.path):
            problems.append(f"{op.method} {op.path}, reference {ref.method} {ref.path}")
        if op.response_class != ref.response_class:
            problems.append(f"responseClass {op.response_class!r}, reference {ref.response_class!r}")
        problems += _param_differences(op, ref)
        if problems:
            cov.mismatches[name] = problems
        if name in gaps:
            cov.gaps[name] = gaps[name]
        else:
            cov.implemented.append(name)
    cov.extra = sorted(set(mine.operations) - set(reference.operations))
    return cov


def table(mine: Spec, gaps: dict[str, str]) -> str:
    """The Markdown table of every operation the simulator declares, per resource."""
    lines = [
        "# Simulator operations",
        "",
        "Generated by `python -m ari_notebook.sim.coverage` from the simulator's route table (the same",
        "table its `/ari/api-docs` are rendered from). *Implemented* operations behave as Asterisk 23;",
        "*gap* operations are declared (so clients see the full API) and answer 501 with the reason.",
        "",
    ]
    total = len(mine.operations)
    lines += [f"{total - len(gaps)} of {total} operations implemented; {len(gaps)} known gaps.", ""]
    for resource in mine.resources.values():
        if not resource.operations:
            continue
        lines += [f"## {resource.name}", "", "| operation | method | path | returns | status |",
                  "|---|---|---|---|---|"]
        for op in resource.operations:
            status = f"gap: {gaps[op.name]}" if op.name in gaps else "implemented"
            lines.append(f"| `{op.name}` | {op.method} | `{op.path}` | {op.response_class} | {status} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ari_notebook.sim.coverage", description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/simulator-operations.md", help="where to write the table")
    parser.add_argument("--real", default=None, help="a real Asterisk's api-docs folder to compare with")
    args = parser.parse_args(argv)
    mine, gaps = sim_spec()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table(mine, gaps) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(mine.operations)} operations, {len(gaps)} gaps)")
    if args.real:
        cov = compare(mine, load_reference(args.real), gaps)
        reference = load_reference(args.real)
        for problem in cov.problems():
            print("DIFFERENCE", problem)
        for detail in limit_differences(mine, reference):
            print("DETAIL", detail)
        print(f"{len(cov.implemented)} implemented, {len(cov.gaps)} gaps, {len(cov.problems())} differences")
        return 0 if cov.ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
