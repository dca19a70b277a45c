"""The doctor against the simulator set up with the faults newcomers actually hit."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from ari_notebook import doctor
from ari_notebook.doctor import FAIL, INFO, OK, SKIP, WARN

Simulator = pytest.importorskip("ari_notebook.sim").Simulator

ORDER = ["reachable", "TLS certificate", "HTTP server", "ARI enabled", "credentials", "read-only",
         "WebSocket", "CORS", "API version", "registered apps"]


def statuses(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def assert_never_shows(report, secret: str) -> None:
    for text in (report.to_text(), report._repr_html_(), repr(report)):
        assert secret not in text


async def test_healthy_simulator_passes_every_check():
    async with Simulator.start(port=0) as sim:
        report = await doctor.check(sim.url, "asterisk", "asterisk", origin="http://localhost:8888")
    assert [c.name for c in report.checks] == ORDER
    assert report.ok and report.exit_code == 0
    got = statuses(report)
    assert got["TLS certificate"] == INFO  # plain HTTP on loopback: said, not failed
    assert all(got[n] == OK for n in ("reachable", "HTTP server", "ARI enabled", "credentials", "read-only",
                                      "WebSocket", "CORS"))
    assert report["API version"].summary.startswith("ARI 11.0.0 on Asterisk 23")
    assert "no Stasis app connected" in report["registered apps"].summary
    assert "No check failed." in report.to_text()


async def test_url_may_end_in_ari():
    async with Simulator.start(port=0) as sim:
        report = await doctor.check(sim.url + "/ari/", "asterisk", "asterisk")
    assert report.url == sim.url and report.ok


async def test_wrong_password_names_ari_conf_and_skips_the_rest():
    async with Simulator.start(port=0) as sim:
        report = await doctor.check(sim.url, "asterisk", "Hunter2-not-it")
    got = statuses(report)
    assert got["credentials"] == FAIL and not report.ok and report.exit_code == 1
    assert "401" in report["credentials"].summary
    assert "ari.conf" in report["credentials"].fix and "password" in report["credentials"].fix
    assert [got[n] for n in ORDER[5:]] == [SKIP] * 5
    assert report.failures[0].name == "credentials"
    assert_never_shows(report, "Hunter2-not-it")


async def test_read_only_user_is_reported_with_the_setting():
    async with Simulator.start(port=0) as sim:
        report = await doctor.check(sim.url, "viewer", "viewer")
    check = report["read-only"]
    assert check.status == WARN and "403" in check.summary
    assert "read_only = no" in check.fix
    assert statuses(report)["WebSocket"] == OK  # a read-only user may still open the event stream
    assert report.ok  # read-only is a warning: a dashboard account is meant to be read-only


async def test_origin_missing_from_allowed_origins():
    async with Simulator.start(port=0, allowed_origins=["http://localhost:8888"]) as sim:
        report = await doctor.check(sim.url, "asterisk", "asterisk", origin="http://evil.example")
    check = report["CORS"]
    assert check.status == FAIL
    assert "allowed_origins = http://evil.example" in check.fix
    assert report.failures == [check]


async def test_ari_disabled_is_a_404_on_resources_json():
    async with Simulator.start(port=0, ari_enabled=False) as sim:
        report = await doctor.check(sim.url, "asterisk", "asterisk")
    got = statuses(report)
    assert got["HTTP server"] == OK and got["ARI enabled"] == FAIL
    assert "404" in report["ARI enabled"].summary
    assert "enabled = yes" in report["ARI enabled"].fix and "ari.conf" in report["ARI enabled"].fix
    assert [got[n] for n in ORDER[4:]] == [SKIP] * 6


async def test_no_websocket_support_names_res_http_websocket():
    async with Simulator.start(port=0, websocket=False) as sim:
        report = await doctor.check(sim.url, "asterisk", "asterisk")
    check = report["WebSocket"]
    assert check.status == FAIL
    assert "res_http_websocket" in check.fix
    assert statuses(report)["credentials"] == OK


async def test_unreachable_port_names_bindaddr():
    async with Simulator.start(port=0) as sim:
        url = sim.url
    report = await doctor.check(url, "asterisk", "asterisk", timeout=2)
    assert report["reachable"].status == FAIL
    assert "bindaddr" in report["reachable"].fix and "http.conf" in report["reachable"].fix
    assert all(c.status == SKIP for c in report.checks[1:])


# --------------------------------------------------------------------------- TLS

@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "asterisk.pem", d / "asterisk.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def ca_signed(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(ca.pem, server cert, server key): a private CA and a server certificate it signed."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a test certificate")
    d = tmp_path_factory.mktemp("ca")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True, timeout=60)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
        "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", str(d / "server.key"), "-out", str(d / "server.csr"))
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", str(d / "server.csr"), "-CA", str(d / "ca.pem"), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-days", "2", "-extfile", str(d / "ext.cnf"), "-out", str(d / "server.pem"))
    return d / "ca.pem", d / "server.pem", d / "server.key"


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


async def test_self_signed_certificate_without_the_ca_fails_and_says_how_to_trust_it(self_signed):
    async with Simulator.start(port=0, ssl=server_context(*self_signed)) as sim:
        assert sim.url.startswith("https://")
        report = await doctor.check(sim.url, "asterisk", "asterisk")
    check = report["TLS certificate"]
    assert check.status == FAIL and "self-signed" in check.summary
    assert "--cafile" in check.fix
    # The remaining checks still run, over the unverified connection, so one run shows everything.
    got = statuses(report)
    assert got["credentials"] == OK and got["WebSocket"] == OK


async def test_self_signed_certificate_with_its_ca_given_passes(self_signed):
    cert, key = self_signed
    async with Simulator.start(port=0, ssl=server_context(cert, key)) as sim:
        by_file = await doctor.check(sim.url, "asterisk", "asterisk", cafile=str(cert))
        by_context = await doctor.check(sim.url, "asterisk", "asterisk",
                                        ssl=ssl.create_default_context(cafile=str(cert)))
    for report in (by_file, by_context):
        check = report["TLS certificate"]
        assert check.status == OK and "self-signed" in check.summary
        assert report.ok, report.to_text()
        assert statuses(report)["WebSocket"] == OK


async def test_private_ca_certificate_with_and_without_the_ca(ca_signed):
    ca, cert, key = ca_signed
    async with Simulator.start(port=0, ssl=server_context(cert, key)) as sim:
        without = await doctor.check(sim.url, "asterisk", "asterisk")
        with_ca = await doctor.check(sim.url, "asterisk", "asterisk", cafile=str(ca))
    check = without["TLS certificate"]
    assert check.status == FAIL and "unknown CA" in check.summary and "--cafile" in check.fix
    check = with_ca["TLS certificate"]
    assert check.status == OK and "self-signed" not in check.summary and "expires" in check.summary
    assert with_ca.ok, with_ca.to_text()


async def test_plain_http_against_a_tls_port_is_reported(self_signed):
    async with Simulator.start(port=0, ssl=server_context(*self_signed)) as sim:
        report = await doctor.check(sim.url.replace("https://", "http://"), "asterisk", "asterisk", timeout=3)
    assert report["HTTP server"].status == FAIL
    assert "https://" in report["HTTP server"].fix


def test_report_renders_for_notebook_and_terminal():
    report = doctor.DoctorReport(url="http://pbx:8088", username="app", checks=[
        doctor.Check("reachable", OK, "fine"),
        doctor.Check("credentials", FAIL, "refused <401>", fix="ari.conf [app]: password = ..."),
        doctor.Check("WebSocket", SKIP, "not checked")])
    html = report._repr_html_()
    assert "&lt;401&gt;" in html and "ari.conf [app]" in html and "start with <b>credentials</b>" in html
    text = report.to_text()
    assert "FAIL  credentials" in text and "fix: ari.conf [app]" in text
    assert repr(report) == "<DoctorReport http://pbx:8088 user='app': 1 ok, 1 fail, 1 skip>"


async def test_http_prefix_missing_from_the_url_is_explained():
    async with Simulator.start(port=0, prefix="asterisk") as sim:
        without = await doctor.check(sim.url, "asterisk", "asterisk")
        with_prefix = await doctor.check(sim.url + "/asterisk", "asterisk", "asterisk")
    assert without["ARI enabled"].status == FAIL and "prefix" in without["ARI enabled"].fix
    assert with_prefix.ok, with_prefix.to_text()


def test_an_app_listed_with_channels_is_not_called_connected():
    """Asterisk keeps listing an app whose WebSocket closed while it still holds channels (issue 11:
    the doctor said "connected: bench" with no socket open). Listed with nothing = connected."""
    from ari_notebook.doctor import _describe_apps

    summary, detail = _describe_apps([
        {"name": "hello", "channel_ids": [], "bridge_ids": [], "endpoint_ids": [], "device_names": []},
        {"name": "bench", "channel_ids": ["b-1", "b-1;2"], "bridge_ids": ["br"], "endpoint_ids": []},
    ])
    assert summary.startswith("1 Stasis app(s) connected: hello; ")
    assert "connected or left over by a program that went away" in summary
    assert "bench (2 channels, 1 bridge)" in summary
    assert "after that closed" in detail
