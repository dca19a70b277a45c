"""Simulator configuration: defaults equal the traces' Asterisk; keywords and TOML override."""

from __future__ import annotations

import pytest

from ari_notebook._errors import ConfigurationError
from ari_notebook.sim.web.config import SimConfig, make_config


def test_defaults_are_the_trace_machine():
    cfg = SimConfig()
    assert [(u.name, u.read_only) for u in cfg.users] == [("asterisk", False), ("viewer", True)]
    assert cfg.allowed_origins == ("http://localhost:8888",)
    assert cfg.strict_origin is False
    plan = cfg.dialplan["ARI-test"]
    assert plan["1000"] == [("NoOp", ""), ("Answer", ""), ("Stasis", "hello"), ("Hangup", "")]
    assert plan["2000"] == [("Answer", ""), ("Playback", "tt-monkeys"), ("Hangup", "")]
    assert plan["3000"] == [("Answer", ""), ("Wait", "600"), ("Hangup", "")]
    assert plan["4000"] == [("Wait", "30"), ("Hangup", "")]
    assert cfg.sound_languages == ("en",) and cfg.sound_formats == ("gsm",)
    assert cfg.mailboxes == {} and cfg.globals == {}


def test_password_never_in_repr():
    cfg = make_config(users={"alice": "s3cret-pw"})
    assert "s3cret-pw" not in repr(cfg)
    assert cfg.user("alice").password == "s3cret-pw"


def test_keywords():
    cfg = make_config(users={"alice": "secret", "bob": {"password": "pw", "read_only": True}},
                      allowed_origins="http://a.example, http://b.example",
                      dialplan={"demo": {"100": ["Answer()", "Playback(hello-world)", "Hangup()"]}},
                      endpoints=["PJSIP/dave"], globals={"N": 1}, mailboxes={"1@default": (1, 2)},
                      sounds={"languages": ["en", "fr"]}, prefix="/asterisk/", strict_origin=True)
    assert cfg.users[0].name == "alice" and cfg.user("bob").read_only
    assert cfg.allowed_origins == ("http://a.example", "http://b.example")
    assert cfg.dialplan == {"demo": {"100": [("Answer", ""), ("Playback", "hello-world"), ("Hangup", "")]}}
    assert cfg.endpoints == {"PJSIP/dave": "online"}
    assert cfg.globals == {"N": "1"} and cfg.mailboxes == {"1@default": (1, 2)}
    assert cfg.sound_languages == ("en", "fr") and cfg.prefix == "asterisk" and cfg.strict_origin


def test_toml_file(tmp_path):
    f = tmp_path / "sim.toml"
    f.write_text('''
[http]
prefix = "pbx"
[ari]
allowed_origins = ["http://localhost:9999"]
clock_speed = 50
[users.admin]
password = "pw"
[users.guest]
password = "guest"
read_only = true
[dialplan.ARI-test]
1000 = ["Answer()", "Stasis(hello,one,two)", "Hangup()"]
[endpoints]
"PJSIP/alice" = "offline"
[sounds]
languages = ["en", "es"]
formats = ["gsm", "wav"]
[sounds.extra]
my-greeting = 3.5
[mailboxes]
"1000@default" = { old = 1, new = 2 }
[globals]
COMPANY = "Example"
''')
    cfg = make_config(str(f), answer_delay=0.5)
    assert cfg.prefix == "pbx" and cfg.clock_speed == 50.0 and cfg.answer_delay == 0.5
    assert cfg.allowed_origins == ("http://localhost:9999",)
    assert [(u.name, u.read_only) for u in cfg.users] == [("admin", False), ("guest", True)]
    assert cfg.dialplan["ARI-test"]["1000"][1] == ("Stasis", "hello,one,two")
    assert cfg.endpoints == {"PJSIP/alice": "offline"}
    assert cfg.sound_formats == ("gsm", "wav") and cfg.extra_sounds == {"my-greeting": 3.5}
    assert cfg.mailboxes == {"1000@default": (1, 2)} and cfg.globals == {"COMPANY": "Example"}


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ConfigurationError, match="unknown simulator setting 'userz'"):
        make_config(userz={})
    with pytest.raises(ConfigurationError, match="TECH/resource"):
        make_config(endpoints=["alice"])
    with pytest.raises(ConfigurationError, match="not found"):
        make_config(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[http\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        make_config(str(bad))


def test_asterisk_version_is_a_23_release_from_23_4_1_on():
    from ari_notebook._errors import ConfigurationError
    from ari_notebook.sim.web.config import make_config

    assert make_config().asterisk_version == "23.4.1"
    assert make_config({"ari": {"asterisk_version": "23.6.0"}}).asterisk_version == "23.6.0"
    for bad in ("22.10.0", "23.3.0", "twenty-three", "23.6"):
        with pytest.raises(ConfigurationError, match="asterisk_version"):
            make_config(asterisk_version=bad)
