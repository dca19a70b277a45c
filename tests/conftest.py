"""Shared fixtures: the api-docs the client, spec, widget and fuzz tests run on, where the
real-Asterisk traces live, and the helpers that read them.

Api-docs: every test that needs a server's api-docs asks for ``api_docs_dir`` (or ``api_docs``,
``api_spec``). It always runs on the simulator's own generated api-docs (all 11 families,
rendered exactly as the simulator serves them), so a fresh clone checks everything; where the
recordings of a real Asterisk 23.4.1 are present (``../shared/ari-traces`` or ``ARI_TRACES``)
the same test runs a second time on the api-docs that Asterisk served. Test ids say which:
``[sim-docs]`` / ``[ast23-docs]``. Event data for the widget view-models works the same way
(``call_events``: ``[sim-calls]`` made on the simulator, ``[ast23-calls]`` recorded). Only tests whose point is a comparison with a recording ask
for ``traces_dir``/``real_spec`` and skip, with the reason, without it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TRACES = Path(os.environ.get("ARI_TRACES", REPO.parent / "shared" / "ari-traces"))
HAVE_TRACES = (TRACES / "api-docs" / "resources.json").is_file()
NO_TRACES = f"real-Asterisk traces not found at {TRACES} (set ARI_TRACES to their folder)"

#: the api-docs a server may serve: always the simulator's, and the recorded ones when present
API_DOCS_SOURCES = [pytest.param("simulator", id="sim-docs")]
if HAVE_TRACES:
    API_DOCS_SOURCES.append(pytest.param("asterisk-23.4.1 recording", id="ast23-docs"))

#: the event data of a few calls: made on the simulator, and the recorded ones when present
CALL_SOURCES = [pytest.param("simulator", id="sim-calls")]
if HAVE_TRACES:
    CALL_SOURCES.append(pytest.param("asterisk-23.4.1 recording", id="ast23-calls"))
#: the recorded scenario each simulator call stands in for
RECORDED_CALLS = {"originate": "a_originate", "playback": "b_playback", "bridge": "c_bridge"}

#: what a real Asterisk puts in basePath (the simulator rewrites it to the request's host)
DOCS_BASE_PATH = "http://127.0.0.1:8088/ari"


def pytest_report_header(config):
    if HAVE_TRACES:
        return f"ari-traces: {TRACES} (api-docs tests also run on the recorded api-docs: [ast23-docs])"
    return (f"ari-traces: not found at {TRACES}: api-docs tests run on the simulator's api-docs only; "
            "comparisons with a recording skip")


@pytest.fixture(scope="session")
def traces_dir() -> Path:
    """The recorded real Asterisk 23 traffic; tests that compare with it skip without it."""
    if not HAVE_TRACES:
        pytest.skip(NO_TRACES)
    return TRACES


def read_api_docs(folder: Path) -> tuple[dict, dict[str, dict]]:
    """(resources.json, {name: declaration}) from a folder of api-docs files."""
    listing = json.loads((folder / "resources.json").read_text("utf-8"))
    decls = {p.stem: json.loads(p.read_text("utf-8")) for p in folder.glob("*.json") if p.stem != "resources"}
    return listing, decls


def write_simulator_api_docs(folder: Path) -> Path:
    """The simulator's api-docs as files: rendered from its route table by the same functions
    its ``/ari/api-docs`` handler uses (``tests/sim/test_server.py`` checks they are equal)."""
    from ari_notebook.sim.coverage import sim_spec
    from ari_notebook.spec import api_declaration, resource_listing

    spec, _ = sim_spec()
    folder.mkdir(parents=True, exist_ok=True)
    docs = {"resources": resource_listing(spec, DOCS_BASE_PATH)}
    docs.update({name: api_declaration(r, DOCS_BASE_PATH) for name, r in spec.resources.items()})
    for name, doc in docs.items():
        (folder / f"{name}.json").write_text(json.dumps(doc, indent=2), "utf-8")
    return folder


@pytest.fixture(scope="session")
def sim_api_docs_dir(tmp_path_factory) -> Path:
    """A folder with the simulator's own api-docs (resources.json + one file per family)."""
    return write_simulator_api_docs(tmp_path_factory.mktemp("sim-api-docs"))


@pytest.fixture(scope="session", params=API_DOCS_SOURCES)
def api_docs_dir(request) -> Path:
    """A folder of api-docs to serve or parse: the simulator's, then (with traces) Asterisk's."""
    if request.param == "simulator":
        return request.getfixturevalue("sim_api_docs_dir")
    return TRACES / "api-docs"


@pytest.fixture(scope="session")
def api_docs(api_docs_dir: Path) -> tuple[dict, dict[str, dict]]:
    """(resources.json, {name: declaration}) of ``api_docs_dir``."""
    return read_api_docs(api_docs_dir)


@pytest.fixture(scope="session")
def api_spec(api_docs):
    """The parsed ``Spec`` of ``api_docs``."""
    from ari_notebook.spec import parse_spec

    return parse_spec(*api_docs)


@pytest.fixture(scope="session")
def sim_calls():
    """The calls in ``tests/_simcalls.py``, made once on a simulator: {name: its ``events``,
    ``received`` (arrival times) and ``requests``}."""
    from _simcalls import record_simulator_calls

    return record_simulator_calls()


@pytest.fixture(scope="session", params=CALL_SOURCES)
def call_events(request) -> dict[str, list[dict]]:
    """{"originate"|"playback"|"bridge": the app socket's events}: made on the simulator, then
    (with traces) those a real Asterisk sent in the matching recorded scenario."""
    if request.param == "simulator":
        return {name: call.events for name, call in request.getfixturevalue("sim_calls").items()}
    return {name: [r["event"] for r in load_scenario(TRACES, scenario) if r["kind"] == "event" and r.get("ws") == "ws"]
            for name, scenario in RECORDED_CALLS.items()}


@pytest.fixture(scope="session")
def real_api_docs(traces_dir: Path) -> tuple[dict, dict[str, dict]]:
    """(resources.json, {name: declaration}) exactly as Asterisk 23.4.1 served them (for comparisons)."""
    return read_api_docs(traces_dir / "api-docs")


@pytest.fixture(scope="session")
def real_spec(real_api_docs):
    from ari_notebook.spec import parse_spec

    return parse_spec(*real_api_docs)


def load_scenario(traces_dir: Path, name: str) -> list[dict]:
    """Every record of one scenario file, in order."""
    path = traces_dir / "scenarios" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """How many tests ran and how many skipped, and why: a hollow run (everything skipped for a
    missing folder or server) shows at the end of every run, just above pytest's own counts."""
    stats = terminalreporter.stats
    count = {key: len([r for r in stats.get(key, ()) if getattr(r, "when", "call") in ("call", "setup")])
             for key in ("passed", "failed", "skipped", "xfailed", "xpassed")}
    count["error"] = len(stats.get("error", ()))  # setup or teardown of a test, or a module import
    ran = count["passed"] + count["failed"] + count["xfailed"] + count["xpassed"]
    total = ran + count["skipped"] + count["error"]
    if not total:
        return
    reasons: dict[str, int] = {}
    for report in stats.get("skipped", ()):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    write = terminalreporter.write_line
    terminalreporter.section("what ran", sep="-")
    seed = getattr(config.option, "randomly_seed", None)
    order = f"random order (--randomly-seed={seed})" if seed is not None and \
        config.pluginmanager.has_plugin("randomly") else "file order"
    write(f"{total} tests: {ran} ran ({count['passed']} passed, {count['failed']} failed), "
          f"{count['skipped']} skipped ({100 * count['skipped'] / total:.1f}%), {count['error']} errors; {order}")
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        write(f"  skipped {n:4d}: {reason}")


@pytest.fixture
def bars(monkeypatch) -> list:
    """Every progress bar made during the test, in order (read desc, n and total afterwards)."""
    from ari_notebook import progress

    made = []
    real_init = progress.Progress.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(progress.Progress, "__init__", init)
    return made
