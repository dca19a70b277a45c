"""Schemathesis against the simulator, driven by the OpenAPI 3.0 export of the spec the client read
(``client.spec.to_openapi()``): positive and negative cases for every operation, bounded in
examples and time. The simulator must never crash and never answer 5xx where the api-docs
declare none for that operation; the count of cases is printed."""

from __future__ import annotations

import base64
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings

schemathesis = pytest.importorskip("schemathesis")
import schemathesis.openapi  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from ._known import allowed_5xx  # noqa: E402
from .conftest import BUDGET_S, EXAMPLES  # noqa: E402

pytestmark = pytest.mark.slow  # bounded by ARI_FUZZ_BUDGET_S (default 45 s)


def _message(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return ""
    return str(body.get("message", body.get("error", "")))  # {"error": ...}: the originate quirk


def test_openapi_export_is_loadable_and_complete(bg):
    doc = bg.client.spec.to_openapi(bg.sim.ari_url)
    assert doc["openapi"].startswith("3.0")
    schema = schemathesis.openapi.from_dict(doc)
    ops = [r.ok() for r in schema.get_all_operations()]
    labels = {op.label for op in ops}
    wanted = {f"{op.method} {op.path}" for op in bg.client.spec.operations.values() if not op.upgrade}
    assert labels == wanted


def test_schemathesis_against_the_simulator(bg):
    doc = bg.client.spec.to_openapi(bg.sim.ari_url)
    schema = schemathesis.openapi.from_dict(doc)
    auth = {"Authorization": "Basic " + base64.b64encode(f"{bg.sim.username}:{bg.sim.password}".encode()).decode()}
    by_label = {f"{op.method} {op.path}": op for op in bg.client.spec.operations.values()}
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    cases = 0
    started = time.monotonic()
    ops = [r.ok() for r in schema.get_all_operations()]
    # destructive for the rest of the run, and covered by the simulator's own tests
    ops = [op for op in ops if op.label not in ("DELETE /asterisk/modules/{moduleName}",)]

    covered = 0
    for op in ops:
        if time.monotonic() - started > BUDGET_S:
            break
        covered += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategy = op.as_strategy(generation_mode=mode)
            except Exception as exc:  # pragma: no cover - a schema schemathesis cannot turn into data
                problems.append(f"{op.label} {mode.value}: no strategy: {exc}")
                continue

            @settings(max_examples=max(2, EXAMPLES // 2), deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(strategy)
            def run(case):
                nonlocal cases
                if time.monotonic() - started > BUDGET_S:
                    return
                cases += 1
                case.headers = {**(case.headers or {}), **auth}  # fuzz the request, not the login
                response = case.call(base_url=bg.sim.ari_url, timeout=10)
                statuses[response.status_code] += 1
                if response.status_code >= 500 and not allowed_5xx(by_label[op.label], response.status_code,
                                                                    _message(response)):
                    problems.append(f"{op.label} [{mode.value}] -> {response.status_code} {response.text[:120]}"
                                    f"\n    {case.as_curl_command()[:300]}")

            run()
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {cases} cases over {covered} of {len(ops)} operations (positive + negative) "
          f"in {elapsed:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}; parser-refused request lines: {bg.crashes.refused}")
    assert covered and cases >= covered  # a slow machine may cover fewer operations within the budget (printed)
    assert not bg.crashes.records, [r.getMessage() for r in bg.crashes.records][:5]
    assert not problems, "\n".join(problems[:15])
    assert bg.alive()
