"""The spec parser on the simulator's api-docs and (with the traces) on those a real Asterisk 23.4.1 served."""

import inspect

import pytest

from ari_notebook import ValidationError
from ari_notebook.spec import help_text, parse_spec, prepare, signature
from ari_notebook.spec.swagger import api_declaration, resource_listing

FAMILIES = {"asterisk", "endpoints", "channels", "bridges", "recordings", "sounds", "playbacks",
            "deviceStates", "mailboxes", "events", "applications"}


def test_every_family_and_operation_builds(api_spec, api_docs):
    _, decls = api_docs
    assert set(api_spec.resources) == FAMILIES
    assert api_spec.api_version == "11.0.0"
    expected = {f"{name}.{op['nickname']}" for name, d in decls.items()
                for api in d["apis"] for op in api["operations"]}
    assert set(api_spec.operations) == expected
    assert len(expected) == 109
    originate = api_spec.operation("channels.originate")
    assert (originate.method, originate.path) == ("POST", "/channels")
    assert originate.parameter("endpoint").required
    assert originate.parameter("variables").param_type == "body"


def test_models_and_event_types(api_spec):
    assert "StasisStart" in api_spec.event_types
    assert len(api_spec.event_types) == 45
    channel = api_spec.models["Channel"]
    assert "Ring" in channel.property("state").allowable.values


def test_prepare_fills_path_query_and_body(api_spec):
    op = api_spec.operation("channels.originate")
    req = prepare(op, {"endpoint": "Local/1000@ARI-test", "app": "hello", "timeout": 30,
                       "variables": {"MYVAR": "x"}, "callerId": None})
    assert req.method == "POST" and req.path == "/channels"
    assert req.query == {"endpoint": "Local/1000@ARI-test", "app": "hello", "timeout": "30"}
    assert req.body == {"variables": {"MYVAR": "x"}}

    play = prepare(api_spec.operation("channels.play"),
                   {"channelId": "a/b", "media": ["sound:hello-world", "digits:12"]})
    assert play.path == "/channels/a%2Fb/play"
    assert play.query == {"media": "sound:hello-world,digits:12"}

    flt = prepare(api_spec.operation("applications.filter"),
                  {"applicationName": "hello", "filter": {"allowed": [{"type": "StasisStart"}]}})
    assert flt.body == {"allowed": [{"type": "StasisStart"}]}
    assert prepare(api_spec.operation("channels.hangup"),
                   {"channelId": "1.0", "reason": "busy"}).query == {"reason": "busy"}


@pytest.mark.parametrize("args, parameter, words", [
    ({"app": "hello"}, "endpoint", "required"),
    ({"endpoint": "x", "aplication": "hello"}, "aplication", "unknown parameter"),
    ({"endpoint": 5}, "endpoint", "expected string"),
    ({"endpoint": "x", "timeout": "30"}, "timeout", "expected int"),
    ({"endpoint": "x", "timeout": True}, "timeout", "expected int"),
    ({"endpoint": "x", "variables": ["a"]}, "variables", "expected containers"),
])
def test_validation_names_operation_and_parameter(api_spec, args, parameter, words):
    with pytest.raises(ValidationError) as info:
        prepare(api_spec.operation("channels.originate"), args)
    err = info.value
    assert err.operation == "channels.originate" and err.parameter == parameter
    assert words in str(err) and "channels.originate" in str(err)


def test_validation_of_allowable_values_and_ranges(api_spec):
    hangup = api_spec.operation("channels.hangup")
    with pytest.raises(ValidationError, match="'bogus' is not allowed; allowed: normal"):
        prepare(hangup, {"channelId": "1", "reason": "bogus"})
    record = api_spec.operation("channels.record")
    with pytest.raises(ValidationError, match="maxDurationSeconds.*>= 0"):
        prepare(record, {"channelId": "1", "name": "r", "format": "wav", "maxDurationSeconds": -1})
    info = api_spec.operation("asterisk.getInfo")
    assert prepare(info, {"only": ["build", "system"]}).query == {"only": "build,system"}
    with pytest.raises(ValidationError, match="'nope' is not allowed"):
        prepare(info, {"only": ["build", "nope"]})
    with pytest.raises(ValidationError, match="path segment"):
        prepare(api_spec.operation("channels.get"), {"channelId": ".."})


def test_unknown_parameter_suggests_the_right_name(api_spec):
    with pytest.raises(ValidationError, match="did you mean 'channelId'"):
        prepare(api_spec.operation("channels.get"), {"channelid": "1"})


def test_help_and_signature(api_spec):
    op = api_spec.operation("channels.originate")
    text = help_text(op)
    assert text.startswith("channels.originate(*, endpoint")
    assert "POST /channels" in text and op.summary in text  # the summary the api-docs give
    assert op.summary.startswith("Create a new channel (originate)")
    assert "endpoint (string, query, required)" in text
    assert "409: Channel with given unique ID already exists" in text
    sig = signature(op)
    assert sig.parameters["endpoint"].default is inspect.Parameter.empty
    assert sig.parameters["app"].default is None
    hangup = help_text(api_spec.operation("channels.hangup"))
    assert "allowed: normal, busy, congestion" in hangup


def test_swagger_render_round_trips(api_spec, api_docs):
    listing = resource_listing(api_spec, "http://127.0.0.1:1/ari")
    decls = {name: api_declaration(r, "http://127.0.0.1:1/ari") for name, r in api_spec.resources.items()}
    again = parse_spec(listing, decls)
    assert again.operations == api_spec.operations
    assert again.models == api_spec.models


def test_openapi_export_is_complete(api_spec):
    doc = api_spec.to_openapi()
    assert doc["openapi"].startswith("3.0")
    ops = {o["operationId"] for path in doc["paths"].values() for o in path.values()}
    assert ops == {n for n, o in api_spec.operations.items() if not o.upgrade}
    originate = doc["paths"]["/channels"]["post"]
    assert originate["requestBody"]["content"]["application/json"]["schema"]["properties"]["variables"]
    assert doc["paths"]["/channels/{channelId}"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/Channel"}
