"""The fleet views in a real browser (JupyterLab 4 and Voila, headless Debian Chromium).

Three simulators, each with a call from its own phone (alice on pbx-a, bob on pbx-b, carol on
pbx-c). The Dashboard of the fleet shows a section per server; picking a server in its
Server dropdown leaves only that server's section, with only its channel. The EventLogView
of the merged log shows every server's rows; picking a server leaves only that server's rows.
"""

from __future__ import annotations

import pytest

from .conftest import run_all_in_lab, saving_failure, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

PHONES = {"pbx-a": "PJSIP/alice", "pbx-b": "PJSIP/bob", "pbx-c": "PJSIP/carol"}

CELLS = [
    """import ari_notebook
from ari_notebook.widgets import Dashboard, EventLogView
fleet = await ari_notebook.connect_fleet({"pbx-a": None, "pbx-b": None, "pbx-c": None})
fleet.log
await fleet.start(apps="hello")
for name, phone in %r.items():
    await fleet[name].simulator.call(phone, "1000")
print("FLEET READY", fleet.asterisk_ids)""" % (PHONES,),
    "Dashboard(fleet)",
    "EventLogView(fleet.log, rows=30)",
]

# JS: the text of every visible Dashboard section
VISIBLE_SECTIONS = """() => [...document.querySelectorAll('.ari-dashboard-section')]
    .filter(el => el.offsetParent !== null).map(el => el.innerText)"""
# JS: the server column (first word) of every EventLogView row
ROW_SERVERS = """() => [...document.querySelectorAll('.ari-eventlog-rows option')]
    .map(o => o.textContent.replace(/\\u00a0/g, ' ').trim().split(/\\s+/)[0])"""


def exercise(page, shots, prefix: str) -> None:
    saving_failure(_exercise, page, shots, prefix)


def _exercise(page, shots, prefix: str) -> None:
    page.wait_for_function("() => /FLEET READY/.test(document.body.innerText)", timeout=90000)
    page.wait_for_selector(".ari-dashboard-server select", timeout=60000)
    page.wait_for_selector(".ari-eventlog-server select", timeout=60000)

    # the fleet Dashboard: one section per server, each listing its own phone's channel
    page.wait_for_function(
        """(phones) => { const s = [...document.querySelectorAll('.ari-dashboard-section')];
                         return s.length === 3 && Object.entries(phones).every(([name, phone]) =>
                           s.some(el => el.innerText.includes(name) && el.querySelector(
                             '.ari-dashboard-channels') && [...el.querySelectorAll('.ari-dashboard-channels option')]
                             .some(o => o.textContent.includes(phone)))); }""",
        arg=PHONES, timeout=60000)
    page.locator(".ari-fleet-dashboard").first.screenshot(path=str(shots / f"{prefix}-1-dashboard-all.png"))
    assert len(page.evaluate(VISIBLE_SECTIONS)) == 3

    # pick pbx-b: only its section stays, with bob's channel and nobody else's
    server = page.locator(".ari-dashboard-server select")
    labels = [lab.replace("\u00a0", " ") for lab in server.locator("option").all_inner_texts()]
    assert labels[0] == "all servers" and [lab.split()[0] for lab in labels[1:]] == list(PHONES)
    server.select_option(index=labels.index(next(lab for lab in labels if lab.startswith("pbx-b"))))
    page.wait_for_function(f"() => ({VISIBLE_SECTIONS})().length === 1")
    (shown,) = page.evaluate(VISIBLE_SECTIONS)
    assert "pbx-b" in shown and "PJSIP/bob" in shown
    assert "PJSIP/alice" not in shown and "PJSIP/carol" not in shown
    page.locator(".ari-fleet-dashboard").first.screenshot(path=str(shots / f"{prefix}-2-dashboard-pbx-b.png"))
    server.select_option(index=0)
    page.wait_for_function(f"() => ({VISIBLE_SECTIONS})().length === 3")

    # the merged EventLogView: rows of every server, then only pbx-c's after picking it
    page.wait_for_function(f"() => new Set(({ROW_SERVERS})()).size === 3", timeout=30000)
    assert set(page.evaluate(ROW_SERVERS)) == set(PHONES)
    page.locator(".ari-eventlog").first.screenshot(path=str(shots / f"{prefix}-3-events-all.png"))
    picker = page.locator(".ari-eventlog-server select")
    labels = [lab.replace("\u00a0", " ") for lab in picker.locator("option").all_inner_texts()]
    picker.select_option(index=labels.index(next(lab for lab in labels if lab.startswith("pbx-c"))))
    page.wait_for_function(
        f"() => {{ const s = ({ROW_SERVERS})(); return s.length > 0 && s.every(x => x === 'pbx-c'); }}",
        timeout=30000)
    rows = page.locator(".ari-eventlog-rows option").all_inner_texts()
    assert any("PJSIP/carol" in r for r in rows) and not any("PJSIP/alice" in r or "PJSIP/bob" in r for r in rows)
    page.locator(".ari-eventlog").first.screenshot(path=str(shots / f"{prefix}-4-events-pbx-c.png"))

    assert "Traceback" not in page.locator("body").inner_text()


def test_fleet_views_in_jupyterlab(lab_server, page, shots):
    run_all_in_lab(page, lab_server, "fleet-lab.ipynb", CELLS)
    exercise(page, shots, "lab")


def test_fleet_views_in_voila(voila_server, page, shots):
    write_notebook(voila_server.notebooks, "fleet-voila.ipynb", CELLS)
    # Voila runs the cells while the page loads: three simulators take a while on a busy machine
    page.goto(f"{voila_server.base}/voila/render/fleet-voila.ipynb?token={voila_server.token}", timeout=120000)
    exercise(page, shots, "voila")
