"""The Explorer's form model and snippets, checked against the real Asterisk 23 api-docs."""

from __future__ import annotations

import shlex

import pytest

from ari_notebook import ValidationError
from ari_notebook.spec import prepare
from ari_notebook.widgets.forms import FormModel, field_for
from ari_notebook.widgets.jsontree import json_tree
from ari_notebook.widgets.explorer_model import (Outcome, ids_from_list, operation_html,
                                                 operation_options, outcome_html, resource_options)
from ari_notebook.widgets.snippets import MASK, ari_base, curl_command, python_call


def test_fields_follow_parameter_types(api_spec):
    form = FormModel(api_spec.operation("channels.record"))
    kinds = {f.name: f.kind for f in form.fields}
    assert kinds["channelId"] == "live"
    assert kinds["format"] == "text"
    assert kinds["ifExists"] == "choice"
    assert kinds["beep"] == "bool"
    assert kinds["maxDurationSeconds"] == "int"
    f = form.by_name["ifExists"]
    assert f.options == ("", "fail", "overwrite", "append") and f.initial == "fail"  # default filled
    assert form.by_name["maxDurationSeconds"].minimum == 0
    assert form.by_name["channelId"].required and form.by_name["channelId"].label == "channelId *"
    assert form.fields[0].where == "path"  # the object comes first


def test_body_params_get_a_json_editor(api_spec):
    orig = FormModel(api_spec.operation("channels.originate"))
    assert orig.by_name["variables"].kind == "json"
    assert orig.by_name["priority"].kind == "optional_number"  # long without default: blank = not sent
    assert orig.by_name["timeout"].kind == "int" and orig.by_name["timeout"].initial == 30
    assert orig.by_name["endpoint"].kind == "live"
    flt = FormModel(api_spec.operation("applications.filter"))
    assert flt.by_name["filter"].kind == "json" and flt.by_name["filter"].data_type == "object"


def test_multichoice_for_allowed_list(api_spec):
    info = FormModel(api_spec.operation("asterisk.getInfo"))
    assert info.by_name["only"].kind == "multichoice"
    kwargs, req = info.prepare({"only": ("build", "status")})
    assert kwargs == {"only": ["build", "status"]} and req.query == {"only": "build,status"}


def test_kwargs_from_raw_values(api_spec):
    form = FormModel(api_spec.operation("channels.originate"))
    raw = form.initial()
    raw.update(endpoint="Local/1000@ARI-test", app="hello", variables='{"CALLERID(name)": "Alice"}',
               priority="1", timeout=30)
    kwargs, req = form.prepare(raw)
    # timeout equals its default and is left out; blank fields are not sent
    assert kwargs == {"endpoint": "Local/1000@ARI-test", "priority": 1, "app": "hello",
                      "variables": {"CALLERID(name)": "Alice"}}
    assert req.method == "POST" and req.path == "/channels"
    assert req.body == {"variables": {"CALLERID(name)": "Alice"}}
    raw["timeout"] = 5
    assert form.kwargs(raw)["timeout"] == 5


def test_form_errors_name_operation_and_parameter(api_spec):
    form = FormModel(api_spec.operation("channels.originate"))
    with pytest.raises(ValidationError) as e:
        form.prepare({})
    assert e.value.parameter == "endpoint" and e.value.operation == "channels.originate"
    with pytest.raises(ValidationError, match="not valid JSON") as e:
        form.prepare({"endpoint": "Local/1000", "variables": "{oops"})
    assert e.value.parameter == "variables"
    with pytest.raises(ValidationError, match="JSON object"):
        form.prepare({"endpoint": "Local/1000", "variables": "[1]"})
    with pytest.raises(ValidationError, match="whole number") as e:
        form.prepare({"endpoint": "Local/1000", "priority": "one"})
    assert e.value.parameter == "priority"


def test_checkbox_and_dropdown_rules(api_spec):
    form = FormModel(api_spec.operation("channels.hangup"))
    assert form.kwargs({"channelId": "c1", "reason": ""}) == {"channelId": "c1"}
    assert form.kwargs({"channelId": "c1", "reason": "busy"}) == {"channelId": "c1", "reason": "busy"}
    add = FormModel(api_spec.operation("bridges.addChannel"))
    assert add.by_name["mute"].kind == "bool" and add.by_name["mute"].initial is False
    assert add.kwargs({"bridgeId": "b", "channel": "c", "mute": True})["mute"] is True
    assert "mute" not in add.kwargs({"bridgeId": "b", "channel": "c", "mute": False})
    ev = field_for(api_spec.operation("events.eventWebsocket").parameter("subscribeAll"))
    assert ev.kind == "bool" and ev.default is None


def test_comma_lists(api_spec):
    form = FormModel(api_spec.operation("channels.play"))
    assert form.by_name["media"].kind == "list"
    kw = form.kwargs({"channelId": "c", "media": "sound:hello-world"})
    assert kw["media"] == "sound:hello-world"
    kw = form.kwargs({"channelId": "c", "media": "sound:a, digits:12"})
    assert kw["media"] == ["sound:a", "digits:12"]
    assert prepare(form.operation, kw).query["media"] == "sound:a,digits:12"


def test_python_call_and_curl_mask_the_password(api_spec):
    op = api_spec.operation("channels.originate")
    kwargs = {"endpoint": "Local/1000@ARI-test", "app": "hello", "variables": {"A": "1"}}
    call = python_call(op, {"endpoint": "Local/1000", "app": "hello", "variables": {"A": "1"}})
    assert call == "await client.channels.originate(endpoint='Local/1000', app='hello', variables={'A': '1'})"
    req = prepare(op, kwargs)
    curl = curl_command("http://asterisk:secret@127.0.0.1:8088", req, username="asterisk")
    assert "secret" not in curl
    argv = shlex.split(curl)
    assert argv[:5] == ["curl", "-X", "POST", "-u", f"asterisk:{MASK}"]
    assert argv[5] == "http://127.0.0.1:8088/ari/channels?endpoint=Local/1000@ARI-test&app=hello"
    assert argv[6:] == ["-H", "Content-Type: application/json", "-d", '{"variables":{"A":"1"}}']
    keyed = curl_command("http://127.0.0.1:8088/ari/", req, username="asterisk", api_key=True)
    assert "-u" not in shlex.split(keyed) and f"api_key=asterisk:{MASK}" in keyed
    long_call = python_call(op, dict(kwargs, callerId="Alice <100>", timeout=10, channelId="x" * 20))
    assert long_call.startswith("await client.channels.originate(\n    endpoint=")


def test_ari_base():
    assert ari_base("http://127.0.0.1:8088") == "http://127.0.0.1:8088/ari"
    assert ari_base("https://u:p@h:1/ari/") == "https://h:1/ari"


def test_resource_and_operation_lists(api_spec):
    res = dict((v, k) for k, v in resource_options(api_spec))
    assert list(res)[0] == "asterisk" and "channels" in res and res["channels"].startswith("channels  (")
    ops = dict((v, k) for k, v in operation_options(api_spec, "channels"))
    assert ops["channels.originate"].startswith("POST   /channels  ·  Create a new channel")
    head = operation_html(api_spec.operation("channels.answer"))
    assert "/channels/{channelId}/answer" in head and "404" in head and "409" in head
    assert "WebSocket" in operation_html(api_spec.operation("events.eventWebsocket"))


def test_json_tree_escapes_and_folds():
    tree = json_tree({"a": [1, 2, {"b": "<script>"}], "n": None, "t": True}, open_depth=1)
    assert "<script>" not in tree and "&lt;script&gt;" in tree
    assert tree.count("<details open>") == 1 and tree.count("<details>") == 2
    assert "3 items" in tree and "null" in tree and "true" in tree
    big = json_tree(list(range(500)), max_items=10)
    assert "490 more not shown" in big


def test_outcome_panel():
    ok = outcome_html(Outcome("channels.list", "GET", "/channels", status=200, elapsed_ms=3.25,
                              body=[{"id": "1.0"}]))
    assert ">200<" in ok and "3.2 ms" in ok and "&quot;1.0&quot;" in ok
    err = outcome_html(Outcome("channels.answer", "POST", "/channels/x/answer", status=404,
                               elapsed_ms=1.0, body={"message": "Channel not found"},
                               error="404 Channel not found (channels.answer POST /channels/x/answer)"))
    assert "ari-badge err" in err and "Channel not found" in err
    empty = outcome_html(Outcome("channels.answer", "POST", "/p", status=204, elapsed_ms=1.0))
    assert "empty body" in empty


def test_ids_from_list():
    assert ids_from_list("channel", [{"id": "1.0"}, {"id": "1.1"}]) == ["1.0", "1.1"]
    assert ids_from_list("endpoint", [{"technology": "PJSIP", "resource": "alice"}]) == ["PJSIP/alice"]
    assert ids_from_list("recording", [{"name": "r1", "format": "wav"}]) == ["r1"]
    assert ids_from_list("bridge", {"oops": 1}) == []


def test_binary_body_gets_a_player():
    wav = b"RIFF" + b"\0" * 40
    out = outcome_html(Outcome("recordings.getStoredFile", "GET", "/recordings/stored/r/file", status=200,
                               elapsed_ms=1.0, body=wav, headers={"Content-Type": "audio/wav"}))
    assert "44 bytes" in out and '<audio controls src="data:audio/wav;base64,' in out
