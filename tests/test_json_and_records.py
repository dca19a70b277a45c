"""The two small shared modules under the client: ``_json`` (the standard library's scanner with
``json.loads`` semantics) and ``_record`` (value classes; secrets masked in ``repr``)."""

from __future__ import annotations

import json

import pytest
from conftest import HAVE_TRACES

from ari_notebook import _json
from ari_notebook.client.transport import Credentials
from ari_notebook.client.urls import parse_server_url
from ari_notebook.events.dispatch import HandlerFailure
from ari_notebook.spec import AllowableValues, Parameter


def _recorded_texts(traces_dir) -> list[str]:
    texts = [p.read_text() for p in (traces_dir / "api-docs").glob("*.json")]
    for path in (traces_dir / "scenarios").glob("*.jsonl"):
        texts += [json.dumps(json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    return texts


def _simulator_texts(api_docs_dir, calls) -> list[str]:
    texts = [p.read_text() for p in api_docs_dir.glob("*.json")]
    return texts + [json.dumps(event) for call in calls.values() for event in call.events]


@pytest.mark.parametrize("source", ["simulator", "recorded"] if HAVE_TRACES else ["simulator"])
def test_loads_equals_json_loads_on_every_document_and_event(request, source):
    """What the simulator serves and sends, and (with the traces) what a real Asterisk did."""
    if source == "simulator":
        texts = _simulator_texts(request.getfixturevalue("sim_api_docs_dir"), request.getfixturevalue("sim_calls"))
    else:
        texts = _recorded_texts(request.getfixturevalue("traces_dir"))
    assert len(texts) > 100
    for text in texts:
        expected = json.loads(text)
        assert _json.loads(text) == expected
        assert _json.loads(text.encode()) == expected
        assert _json.loads(bytearray(text.encode())) == expected


@pytest.mark.parametrize("text, value", [
    (' {"a": 1}', {"a": 1}), ('{"a": 1}\n', {"a": 1}), ('\t[1, 2] ', [1, 2]), ('"é"', "é"), ("3", 3),
    ("NaN", float("nan")),
])
def test_whitespace_and_scalars_are_read_as_json_loads_reads_them(text, value):
    got = _json.loads(text)
    assert got == value or (got != got and value != value)  # NaN


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} x', "[1, 2]]", '{"a": }', "nul"])
def test_bad_json_raises_json_loads_own_error(text):
    with pytest.raises(json.JSONDecodeError) as ours:
        _json.loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert str(ours.value) == str(theirs.value)


def test_bytes_that_are_not_utf8_raise_a_decode_error_that_says_so():
    with pytest.raises(_json.JSONDecodeError, match="not UTF-8"):
        _json.loads(b'{"a": "\xff"}')


def test_dumps_is_compact_keeps_unicode_and_can_fall_back_to_repr():
    assert _json.dumps({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'
    with pytest.raises(TypeError):
        _json.dumps({"when": object()})
    assert _json.dumps({"n": {1, 2}}, default_repr=True) == '{"n":"{1, 2}"}'


def test_records_compare_and_hash_by_value():
    a = Parameter("channelId", "path", "string", required=True, allowable=AllowableValues(values=("x",)))
    b = Parameter("channelId", "path", "string", required=True, allowable=AllowableValues(values=("x",)))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Parameter("channelId", "query", "string")
    assert a != ("channelId",)
    assert repr(a).startswith("Parameter(name='channelId', param_type='path'")


def test_secrets_never_show_in_a_records_repr():
    creds = Credentials("asterisk", "s3cret-pw")
    assert "s3cret-pw" not in repr(creds) and "password=***" in repr(creds)
    url = parse_server_url("http://asterisk:s3cret-pw@127.0.0.1:8088/ari")
    assert url.url_password == "s3cret-pw"
    assert "s3cret-pw" not in repr(url) and "127.0.0.1:8088" in repr(url)


def test_a_handler_failure_repr_leaves_out_the_long_traceback():
    failure = HandlerFailure(1.0, "StasisStart", "on_start", ValueError("boom"), "Traceback...\n" * 50)
    assert "Traceback" not in repr(failure) and "ValueError('boom')" in repr(failure)
    assert str(failure) == "on_start failed on StasisStart: ValueError: boom"
