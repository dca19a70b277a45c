"""HTTP error mapping against every error body a real Asterisk 23 returned (traces)."""

from __future__ import annotations

import json

import pytest

from ari_notebook._errors import (
    BadRequest, Conflict, Forbidden, HttpError, MethodNotAllowed, NotFound, ServerError, Unauthorized,
    UnprocessableEntity,
)
from ari_notebook.client.transport import RawResponse, error_from

from conftest import load_scenario

EXPECTED = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 405: MethodNotAllowed,
            409: Conflict, 422: UnprocessableEntity, 500: ServerError}
SCENARIOS = ["a_originate", "b_playback", "c_bridge", "f_app_not_registered", "g_errors", "h_resources"]


def _error_pairs(traces_dir):
    pairs = []
    for name in SCENARIOS:
        records = load_scenario(traces_dir, name)
        requests = {r["id"]: r for r in records if r["kind"] == "request"}
        for r in records:
            if r["kind"] == "response" and r.get("status", 0) >= 400 and r["id"] in requests:
                pairs.append((name, requests[r["id"]], r))
    return pairs


def _raw(resp) -> RawResponse:
    if "body" in resp:
        data = json.dumps(resp["body"]).encode()
    else:
        data = resp.get("body_text", "").encode() or None
    return RawResponse(resp["status"], resp.get("headers", {}), data,
                       resp.get("headers", {}).get("Content-Type", ""), resp.get("elapsed_ms", 0.0))


def test_every_recorded_error_maps_to_its_class_with_aris_message(traces_dir):
    pairs = _error_pairs(traces_dir)
    assert len(pairs) > 60, "expected the traces' error catalogue"
    for scenario, req, resp in pairs:
        path = req.get("path", "/ari")
        err = error_from(_raw(resp), "some.operation", req.get("method", "GET"), path)
        status = resp["status"]
        assert isinstance(err, EXPECTED.get(status, HttpError)), (scenario, status, type(err))
        assert err.status == status and err.method == req.get("method", "GET")
        assert err.path == path.split("?")[0]
        body = resp.get("body")
        if isinstance(body, dict):
            expected = body.get("message") or body.get("error")
            assert err.message == expected, (scenario, body, err.message)
        else:  # Asterisk's small HTML pages: keep the <p> text
            assert err.message and "<" not in err.message, (scenario, err.message)
        assert "api_key" not in str(err) and "asterisk:asterisk" not in str(err)
        assert str(status) in str(err) and "some.operation" in str(err)


def test_allocation_failed_quirk_uses_the_error_key(traces_dir):
    pairs = _error_pairs(traces_dir)
    quirk = [resp for _, _, resp in pairs if resp.get("body") == {"error": "Allocation failed"}]
    assert quirk, "the traces record the {'error': ...} body of originating to Bogus/123"
    err = error_from(_raw(quirk[0]), "channels.originate", "POST", "/ari/channels")
    assert isinstance(err, ServerError)
    assert str(err) == "500 Allocation failed (channels.originate POST /ari/channels)"


def test_html_upgrade_refusal_text_is_kept(traces_dir):
    pairs = _error_pairs(traces_dir)
    html = [resp for _, _, resp in pairs if "missing param" in resp.get("body_text", "")]
    assert html
    err = error_from(_raw(html[0]), None, "GET", "/ari/events")
    assert isinstance(err, BadRequest) and err.message == "HTTP request is missing param: [app]"


def test_unknown_4xx_status_still_an_http_error():
    err = error_from(RawResponse(426, {}, b"", "", 0.0), None, "GET", "/ari/events")
    assert type(err) is HttpError and err.status == 426 and err.message


@pytest.mark.parametrize("status", [502, 503])
def test_5xx_are_server_errors(status):
    err = error_from(RawResponse(status, {}, None, "", 0.0), "asterisk.getInfo", "GET", "/ari/asterisk/info")
    assert isinstance(err, ServerError) and err.status == status
