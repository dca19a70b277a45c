"""The generated api-docs carry the same error codes, ``since`` versions and WebSocket upgrade
marks as Asterisk 23's (the coverage test checks paths, parameters and response classes)."""

from __future__ import annotations

from ari_notebook.sim.coverage import sim_spec
from ari_notebook.spec import api_declaration, resource_listing


def test_error_codes_since_and_upgrade_match_the_reference(real_spec):
    mine, _ = sim_spec()
    problems = []
    for name, ref in sorted(real_spec.operations.items()):
        op = mine.operations.get(name)
        if op is None:
            continue
        if sorted(e.code for e in op.error_responses) != sorted(e.code for e in ref.error_responses):
            problems.append(f"{name}: error codes {[e.code for e in op.error_responses]}, "
                            f"reference {[e.code for e in ref.error_responses]}")
        if op.since != ref.since:
            problems.append(f"{name}: since {op.since}, reference {ref.since}")
        if op.upgrade != ref.upgrade:
            problems.append(f"{name}: upgrade {op.upgrade!r}, reference {ref.upgrade!r}")
    assert problems == []


def test_rendered_declarations_have_the_reference_layout(real_api_docs):
    listing, decls = real_api_docs
    mine, _ = sim_spec()
    rendered = resource_listing(mine, "http://x/ari")
    assert [a["path"] for a in rendered["apis"]] == [a["path"] for a in listing["apis"]]
    for name, doc in decls.items():
        ours = api_declaration(mine.resources[name], "http://x/ari")
        assert (ours["apiVersion"], ours["swaggerVersion"]) == (doc["apiVersion"], doc["swaggerVersion"]), name
        assert sorted(ours["models"]) == sorted(doc["models"]), name
        assert ours.get("requiresModules") == doc.get("requiresModules"), name
