"""Every operation fuzzed: the client rejects bad arguments with a ValidationError naming the
operation (and parameter), or encodes them so no id escapes its path segment; against the
simulator the answer is one of Asterisk's statuses, never a crash or an undeclared 500."""

from __future__ import annotations

import base64
import time
from collections import Counter
from urllib.parse import unquote

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ari_notebook._errors import HttpError, ValidationError
from ari_notebook.spec import prepare

from ._known import allowed_5xx
from .conftest import BUDGET_S, EXAMPLES
from .strategies import PATH_BREAKERS, kwargs_for

def bounded(examples: int) -> settings:
    """No shrinking, no example database, no deadline: a fixed number of cases, then stop."""
    return settings(max_examples=examples, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _wire(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_wire(v) for v in value)
    return str(value)


def check_prepared(op, kwargs) -> str:
    """Apply the property to one call; returns "rejected" or "accepted"."""
    try:
        req = prepare(op, kwargs)
    except ValidationError as exc:
        assert exc.operation == op.name and op.name in str(exc)
        assert exc.parameter is None or exc.parameter in kwargs or exc.parameter in {p.name for p in op.parameters}
        return "rejected"
    template = op.path.split("/")
    segments = req.path.split("/")
    assert len(segments) == len(template), (op.name, kwargs, req.path)
    for t, s in zip(template, segments):
        if t.startswith("{") and t.endswith("}"):
            assert unquote(s) == _wire(kwargs[t[1:-1]])  # exactly the id, encoded
            assert "/" not in s and s not in ("", ".", "..")
        else:
            assert s == t
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in req.query.items())
    if req.body is not None:
        orjson.dumps(req.body)  # whatever passed validation can be sent
    for value in req.query.values():
        value.encode("utf-8")  # ... and put in a URL
    return "accepted"


def test_prepare_rejects_or_encodes_every_operation(api_spec):
    ops = [op for op in api_spec.operations.values() if not op.upgrade]
    outcomes = {"rejected": 0, "accepted": 0}

    @bounded(EXAMPLES * 60)
    @given(st.data())
    def run(data):
        op = data.draw(st.sampled_from(ops), label="operation")
        kwargs = data.draw(kwargs_for(op), label="kwargs")
        outcomes[check_prepared(op, kwargs)] += 1

    run()
    print(f"\nprepare fuzz: {sum(outcomes.values())} cases over {len(ops)} operations: {outcomes}")
    assert outcomes["rejected"] and outcomes["accepted"]


@pytest.mark.parametrize("bad_id", PATH_BREAKERS)
def test_path_breaking_ids_stay_in_their_segment(api_spec, bad_id):
    op = api_spec.operations["channels.get"]
    try:
        req = prepare(op, {"channelId": bad_id})
    except ValidationError as exc:
        assert exc.parameter == "channelId"
        assert bad_id in ("", ".", "..") or "\ud800" in bad_id
        return
    head, _, segment = req.path.rpartition("/")
    assert head == "/channels" and unquote(segment) == bad_id


def test_every_operation_against_the_simulator(bg):
    spec = bg.client.spec
    ops = [op for op in spec.operations.values() if not op.upgrade]
    counts = {"cases": 0, "rejected": 0, "ok": 0, "error": 0}
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    started = time.monotonic()

    for op in ops:

        @bounded(EXAMPLES)
        @given(kwargs_for(op))
        def run(kwargs):
            if time.monotonic() - started > BUDGET_S:
                return
            counts["cases"] += 1
            try:
                bg.run(bg.client.execute(op.name, **kwargs))
                counts["ok"] += 1
            except ValidationError:
                counts["rejected"] += 1
            except HttpError as exc:
                counts["error"] += 1
                statuses[exc.status] += 1
                if exc.status >= 500 and not allowed_5xx(op, exc.status, exc.message):
                    problems.append(f"{op.name} {sorted(kwargs)} -> {exc.status} {exc}")
            except Exception as exc:  # anything else is a client bug
                problems.append(f"{op.name} {sorted(kwargs)} -> {type(exc).__name__}: {exc}")

        run()
    print(f"\nsimulator fuzz: {counts['cases']} cases over {len(ops)} operations "
          f"in {time.monotonic() - started:.1f} s: {counts}; error statuses {dict(sorted(statuses.items()))}; "
          f"{bg.crashes.refused} request lines refused by the HTTP parser (400)")
    assert not bg.crashes.records, [r.getMessage() for r in bg.crashes.records][:5]
    assert not problems, "\n".join(problems[:20])
    assert bg.alive()


RAW_SEGMENTS = ["a%2Fb", "..%2F..%2Fasterisk%2Finfo", "%2E%2E", "..", ".", "a%20b", "%00", "%ZZ", "%",
                "%F0%9F%98%80", "%ED%A0%80", "%C0%AF", "a;b", "x" * 4000, "%2525", "~", "*"]


@pytest.mark.parametrize("segment", RAW_SEGMENTS)
def test_raw_paths_never_crash_the_simulator(bg, segment):
    """Requests no client would build (undecodable escapes, overlong UTF-8, traversal) get a 4xx."""
    import aiohttp
    from yarl import URL

    async def probe():
        out = []
        auth = "Basic " + base64.b64encode(f"{bg.sim.username}:{bg.sim.password}".encode()).decode()
        async with aiohttp.ClientSession(headers={"Authorization": auth}) as http:
            for method, template in (("GET", "/ari/channels/{}"), ("DELETE", "/ari/channels/{}"),
                                     ("POST", "/ari/bridges/{}/addChannel?channel=x"),
                                     ("GET", "/ari/recordings/stored/{}/file"), ("PUT", "/ari/asterisk/config/dynamic/res_pjsip/aor/{}"),
                                     ("GET", "/ari/{}")):
                url = URL(bg.sim.url + template.format(segment), encoded=True)
                async with http.request(method, url) as r:
                    # bytes, not text(): an earlier test on the shared simulator may have stored a
                    # recording by this very name, and then /file answers 200 with WAV audio
                    body = (await r.read()).decode("utf-8", errors="replace")
                    out.append((method, template, r.status, body))
        return out

    for method, template, status, text in bg.run(probe()):
        assert status < 500, (method, template, status, text[:200])
        if template == "/ari/channels/{}":
            assert status == 404 and "not found" in text, (method, status, text[:200])
    assert not bg.crashes.records


def test_recording_names_on_a_live_channel(bg):
    """Names the file system cannot hold (too long, NUL) are refused like other invalid names."""

    async def scenario():
        client = bg.client
        await client.start(apps="fuzzrec")
        try:
            waiter = client.wait_for("StasisStart", timeout=5)
            chan = await client.channels.originate(endpoint="Local/3000@ARI-test", app="fuzzrec")
            await waiter
            out = []
            for name in [*PATH_BREAKERS, "r" * 251, "ok/" + "s" * 240, "é" * 126]:
                try:
                    rec = await client.channels.record(channelId=chan.id, name=name, format="wav",
                                                       maxDurationSeconds=1, ifExists="overwrite")
                    out.append((name, 201))
                    await client.recordings.stop(recordingName=rec.name)
                except ValidationError:
                    out.append((name, "rejected"))
                except HttpError as exc:
                    out.append((name, exc.status))
            await chan.hangup()
            return out
        finally:
            await client.stop()

    outcomes = bg.run(scenario())
    assert all(status == "rejected" or status < 500 for _, status in outcomes), outcomes
    assert dict(outcomes)["r" * 251] == 400 and dict(outcomes)["\x00"] == 400
    assert not bg.crashes.records


def test_deeply_nested_bodies_are_refused_before_sending(api_spec):
    deep: dict = {}
    node = deep
    for _ in range(300):  # orjson could not encode it; the user gets a ValidationError, not a TypeError
        node["a"] = {}
        node = node["a"]
    op = api_spec.operations["channels.originate"]
    with pytest.raises(ValidationError) as err:
        prepare(op, {"endpoint": "PJSIP/alice", "app": "hello", "variables": deep})
    assert err.value.parameter == "variables" and "nested deeper" in str(err.value)
    assert prepare(op, {"endpoint": "PJSIP/alice", "app": "hello", "variables": {"A": "1"}}).body
