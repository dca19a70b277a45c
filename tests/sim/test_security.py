"""Security as Asterisk 23 does it (traces: g_errors): 401 + WWW-Authenticate, read-only 403,
CORS headers and preflights for ``allowed_origins``, no Origin check on the WebSocket upgrade
(and the simulator's opt-in strict mode that has one)."""

from __future__ import annotations

import base64

import aiohttp
import pytest

from ari_notebook.sim import Simulator
from ari_notebook.sim.web import security
from ari_notebook.sim.web.config import make_config

REALM = 'Basic realm="Asterisk REST Interface"'
ALLOWED = "http://localhost:8888"
EVIL = "http://evil.example"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
async def sim():
    async with Simulator.start(port=0) as s:
        yield s


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http, method, url, **kw):
    async with http.request(method, url, **kw) as r:
        text = await r.text()
        body = None
        if r.headers.get("Content-Type", "").startswith("application/json") and text:
            body = await r.json()
        return r.status, r.headers, body


@pytest.mark.parametrize("how", ["none", "wrong password", "unknown user", "wrong api_key", "api_key no colon",
                                 "not basic"])
async def test_401_with_www_authenticate(sim, http, how):
    url = f"{sim.url}/ari/asterisk/info"
    kw = {"none": {}, "wrong password": {"headers": basic("asterisk", "wrong")},
          "unknown user": {"headers": basic("nosuchuser", "asterisk")},
          "wrong api_key": {"params": {"api_key": "asterisk:wrong"}},
          "api_key no colon": {"params": {"api_key": "asterisk"}},
          "not basic": {"headers": {"Authorization": "Bearer asterisk:asterisk"}}}[how]
    status, headers, body = await call(http, "GET", url, **kw)
    assert status == 401
    assert headers["WWW-Authenticate"] == REALM
    assert body == {"message": "Authentication required"}
    assert "Access-Control-Allow-Origin" not in headers


async def test_good_credentials_both_ways(sim, http):
    url = f"{sim.url}/ari/asterisk/info"
    assert (await call(http, "GET", url, headers=basic("asterisk", "asterisk")))[0] == 200
    assert (await call(http, "GET", url, params={"api_key": "asterisk:asterisk"}))[0] == 200
    # The Authorization header decides when present, even next to a good api_key (as Asterisk).
    status, _, _ = await call(http, "GET", url, headers=basic("asterisk", "bad"),
                              params={"api_key": "asterisk:asterisk"})
    assert status == 401


async def test_api_docs_need_credentials(sim, http):
    assert (await call(http, "GET", f"{sim.url}/ari/api-docs/resources.json"))[0] == 401
    assert (await call(http, "GET", f"{sim.url}/ari/api-docs/resources.json", headers=basic("viewer", "viewer")))[0] == 200


async def test_read_only_user_reads_but_cannot_write(sim, http):
    viewer = basic("viewer", "viewer")
    assert (await call(http, "GET", f"{sim.url}/ari/asterisk/info", headers=viewer))[0] == 200
    for method, path, params in [("POST", "/ari/channels", {"endpoint": "Local/3000@ARI-test", "app": "hello"}),
                                 ("DELETE", "/ari/channels/doesnotexist", {}),
                                 ("PUT", "/ari/mailboxes/1@default", {"oldMessages": "0", "newMessages": "1"}),
                                 ("POST", "/ari/asterisk/variable", {"variable": "X", "value": "1"})]:
        status, _, body = await call(http, method, sim.url + path, params=params, headers=viewer)
        assert (status, body) == (403, {"message": "Write access denied"}), (method, path)
    assert (await call(http, "GET", f"{sim.url}/ari/asterisk/variable", params={"variable": "X"},
                       headers=viewer))[2] == {"value": ""}  # nothing was written
    async with http.ws_connect(f"{sim.url.replace('http', 'ws')}/ari/events?app=viewerapp&api_key=viewer:viewer") as ws:
        assert not ws.closed  # a read-only user may listen to events


async def test_cors_for_allowed_and_other_origins(sim, http):
    url = f"{sim.url}/ari/asterisk/info"
    auth = basic("asterisk", "asterisk")
    status, headers, allowed_body = await call(http, "GET", url, headers={**auth, "Origin": ALLOWED})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    assert headers["Access-Control-Allow-Credentials"] == "true"
    status, headers, evil_body = await call(http, "GET", url, headers={**auth, "Origin": EVIL})
    assert status == 200 and evil_body == allowed_body  # same answer ...
    assert "Access-Control-Allow-Origin" not in headers  # ... without the grant
    assert "Access-Control-Allow-Credentials" not in headers
    assert any("does not match an allowed origin" in text for _, level, text in sim.log if level == "NOTICE")
    # the grant rides on error answers too (a 401 from the allowed origin)
    status, headers, _ = await call(http, "GET", url, headers={"Origin": ALLOWED})
    assert status == 401 and headers["Access-Control-Allow-Origin"] == ALLOWED


async def test_preflight_without_credentials_is_401(sim, http):
    url = f"{sim.url}/ari/channels"
    status, headers, body = await call(http, "OPTIONS", url, headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert (status, body) == (401, {"message": "Authentication required"})
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert headers["WWW-Authenticate"] == REALM
    status, headers, _ = await call(http, "OPTIONS", url, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert status == 401 and "Access-Control-Allow-Origin" not in headers


async def test_options_with_credentials(sim, http):
    url = f"{sim.url}/ari/channels"
    auth = basic("asterisk", "asterisk")
    status, headers, _ = await call(http, "OPTIONS", url, headers=auth)  # no Origin: just Allow (trace)
    assert status == 204 and headers["Allow"] == "OPTIONS,GET,POST"
    assert "Access-Control-Allow-Methods" not in headers
    status, headers, _ = await call(http, "OPTIONS", url, headers={**auth,
        "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert status == 204
    assert headers["Allow"] == "OPTIONS,GET,POST"
    assert headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    status, headers, _ = await call(http, "OPTIONS", url, headers={**auth,
        "Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["Allow"] == "OPTIONS,GET,POST"
    assert "Access-Control-Allow-Methods" not in headers and "Access-Control-Allow-Origin" not in headers


async def _upgrade(http, sim, origin):
    headers = {"Origin": origin} if origin else {}
    try:
        async with http.ws_connect(f"{sim.url.replace('http', 'ws')}/ari/events?app=o&api_key=asterisk:asterisk",
                                   headers=headers) as ws:
            return 101 if not ws.closed else None
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status


async def test_websocket_upgrade_ignores_origin_by_default(sim):
    for origin in (ALLOWED, EVIL, "null", None):
        async with aiohttp.ClientSession() as http:  # a fresh connection per socket, as the traces did
            assert await _upgrade(http, sim, origin) == 101, origin


async def test_strict_origin_mode_refuses_foreign_origins():
    async with Simulator.start(port=0, strict_origin=True) as sim:
        for origin, expected in ((ALLOWED, 101), (None, 101), (EVIL, 403), ("null", 403)):
            async with aiohttp.ClientSession() as http:
                assert await _upgrade(http, sim, origin) == expected, origin


async def test_custom_users_and_origins():
    async with Simulator.start(port=0, users={"alice": "secret", "bob": {"password": "pw", "read_only": True}},
                               allowed_origins=["http://app.example"]) as sim:
        assert (sim.username, sim.password) == ("alice", "secret")
        assert "secret" not in repr(sim)
        async with aiohttp.ClientSession() as http:
            assert (await call(http, "GET", f"{sim.url}/ari/asterisk/ping", headers=basic("asterisk", "asterisk")))[0] == 401
            status, headers, _ = await call(http, "GET", f"{sim.url}/ari/asterisk/ping",
                                            headers={**basic("alice", "secret"), "Origin": "http://app.example"})
            assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://app.example"
            assert (await call(http, "POST", f"{sim.url}/ari/asterisk/variable", params={"variable": "A"},
                               headers=basic("bob", "pw")))[0] == 403


def test_rules_as_pure_functions():
    cfg = make_config()
    assert security.credentials({}, {}) is None
    assert security.credentials(basic("a", "b:c"), {}) == ("a", "b:c")
    assert security.credentials({}, [("api_key", "u:p")]) == ("u", "p")
    assert security.authenticate(cfg, {}, {"api_key": "viewer:viewer"}).read_only
    assert security.authenticate(cfg, {"Authorization": "Basic !!!"}, {"api_key": "asterisk:asterisk"}) is None
    assert security.write_denied(cfg.user("viewer"), "DELETE") and not security.write_denied(cfg.user("viewer"), "OPTIONS")
    assert security.cors_headers(cfg, {"origin": ALLOWED}) == {
        "Access-Control-Allow-Origin": ALLOWED, "Access-Control-Allow-Credentials": "true"}
    assert security.preflight_headers(cfg, {"Origin": ALLOWED, "Access-Control-Request-Method": "DELETE"},
                                      "OPTIONS,GET,POST") == {"Allow": "OPTIONS,GET,POST"}
    assert not security.websocket_origin_refused(cfg, {"Origin": EVIL})
    assert security.websocket_origin_refused(make_config(strict_origin=True), {"Origin": EVIL})
