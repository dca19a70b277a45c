"""A config file and keywords reach a running simulator: users, prefix, origins, dialplan,
endpoints, sounds, mailboxes, globals."""

from __future__ import annotations

import asyncio

import aiohttp


def basic_auth(user: str, password: str) -> str:
    """An ``Authorization: Basic`` value (works with every aiohttp version)."""
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

from ari_notebook.sim import Simulator


def auth(user, password):
    return {"Authorization": basic_auth(user, password)}


async def test_config_file_drives_the_server(tmp_path):
    cfg = tmp_path / "sim.toml"
    cfg.write_text('''
[http]
prefix = "pbx"
[ari]
allowed_origins = ["http://class.example"]
[users.teacher]
password = "t0p"
[users.student]
password = "s1"
read_only = true
[dialplan.school]
100 = ["Answer()", "Stasis(lesson,one)", "Hangup()"]
[endpoints]
"PJSIP/desk1" = "online"
"PJSIP/desk2" = "offline"
[sounds]
languages = ["en", "fr"]
formats = ["gsm", "wav"]
[sounds.extra]
welcome-class = 2.5
[mailboxes]
"100@school" = { old = 1, new = 2 }
[globals]
SCHOOL = "Example High"
''')
    async with Simulator.start(port=0, config=str(cfg), clock_speed=50) as sim, aiohttp.ClientSession() as s:
        assert sim.ari_url.endswith("/pbx/ari") and (sim.username, sim.password) == ("teacher", "t0p")
        base = f"{sim.url}/pbx/ari"
        teacher, student = auth("teacher", "t0p"), auth("student", "s1")

        async def get(path, headers=teacher, **params):
            async with s.get(base + path, headers=headers, params=params) as r:
                return r.status, r.headers, (await r.json() if r.status == 200 else None)

        assert (await get("/asterisk/ping", headers=auth("asterisk", "asterisk")))[0] == 401
        assert (await get("/asterisk/variable", variable="SCHOOL"))[2] == {"value": "Example High"}
        assert (await get("/mailboxes/100@school"))[2] == {"name": "100@school", "old_messages": 1, "new_messages": 2}
        assert [(e["resource"], e["state"]) for e in (await get("/endpoints"))[2]] == [("desk1", "online"),
                                                                                       ("desk2", "offline")]
        hello = (await get("/sounds/hello-world"))[2]
        assert {(f["language"], f["format"]) for f in hello["formats"]} == {
            ("en", "gsm"), ("en", "wav"), ("fr", "gsm"), ("fr", "wav")}
        assert (await get("/sounds/welcome-class"))[0] == 200
        status, headers, _ = await get("/asterisk/info", headers={**student, "Origin": "http://class.example"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://class.example"
        async with s.post(base + "/asterisk/variable", headers=student, params={"variable": "X"}) as r:
            assert r.status == 403

        ws = await s.ws_connect(f"ws://127.0.0.1:{sim.port}/pbx/ari/events?app=lesson&api_key=teacher:t0p")
        chan_id = await sim.call("PJSIP/desk1", "100", context="school")
        msg = await asyncio.wait_for(ws.receive_json(), 5)
        while msg["type"] != "StasisStart":
            msg = await asyncio.wait_for(ws.receive_json(), 5)
        assert msg["channel"]["id"] == chan_id and msg["args"] == ["one"]
        await ws.close()
