"""The simulator's operation set against a real Asterisk 23's api-docs (``../shared/ari-traces``).

Fails on any operation that is neither implemented nor declared as a known gap with a reason,
and on any difference in method, path, parameters (name, paramType, dataType, required,
allowMultiple) or responseClass, since the served api-docs are generated from the same table.
"""

from __future__ import annotations

import pytest

from ari_notebook.sim.coverage import compare, limit_differences, main, sim_spec, table


@pytest.fixture(scope="module")
def mine():
    return sim_spec()


def test_every_real_operation_is_declared_and_identical(mine, real_spec):
    spec, gaps = mine
    cov = compare(spec, real_spec, gaps)
    assert cov.problems() == []
    assert len(cov.implemented) + len(cov.gaps) == len(real_spec.operations)


def test_gaps_carry_a_reason(mine):
    _, gaps = mine
    for name, reason in gaps.items():
        assert len(reason) > 15, f"{name}: the gap needs a real reason, got {reason!r}"


def test_parameter_limits_and_models_match(mine, real_spec):
    spec, _ = mine
    assert limit_differences(spec, real_spec) == []


def test_script_writes_the_table(tmp_path, traces_dir, capsys):
    out = tmp_path / "ops.md"
    assert main(["--out", str(out), "--real", str(traces_dir / "api-docs")]) == 0
    text = out.read_text()
    spec, gaps = sim_spec()
    assert text == table(spec, gaps) + "\n"
    assert "| `channels.originate` | POST | `/channels` | Channel | implemented |" in text
    assert "| `recordings.getStoredFile` | GET | `/recordings/stored/{recordingName}/file` | binary | implemented |" in text
    for name in gaps:
        assert f"| `{name}` |" in text and "gap: " in text
    assert "0 differences" in capsys.readouterr().out


def test_docs_table_is_current(mine):
    """docs/simulator-operations.md is generated; regenerate it with
    ``python -m ari_notebook.sim.coverage`` after changing a route."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "simulator-operations.md"
    spec, gaps = mine
    assert doc.read_text() == table(spec, gaps) + "\n", "run: python -m ari_notebook.sim.coverage"
