"""The sound catalogue and media durations: real figures, checked against the traces."""

from __future__ import annotations

import math

import pytest

from ari_notebook.sim.backend.media import MediaLibrary, say_characters, say_digits, say_number
from ari_notebook.sim.backend.sounds import SoundCatalogue, moh_files


@pytest.fixture(scope="module")
def lib() -> MediaLibrary:
    return MediaLibrary(SoundCatalogue())


def test_default_catalogue_is_the_trace_machine():
    cat = SoundCatalogue()
    listed = cat.list()
    assert len(listed) == 568  # traces: 568 sound ids, all en/gsm
    assert all(item["formats"] == [{"language": "en", "format": "gsm"}] for item in listed)
    assert cat.sound("hello-world") == {"id": "hello-world", "formats": [{"language": "en", "format": "gsm"}]}
    assert cat.sound("nosuchsound") is None
    for sid in ("conf-now-unmuted", "queue-minutes", "phonetic/y_p", "conf-thereare", "to-listen-to-it"):
        assert sid in cat  # the first five ids the trace's GET /sounds showed


def test_tutorial_prompts_exist_with_durations():
    cat = SoundCatalogue()
    for sid in ["hello-world", "tt-monkeys", "demo-congrats", "beep", "vm-intro", "vm-youhave",
                "vm-goodbye", "vm-login", *(f"digits/{d}" for d in range(10))]:
        assert cat.duration(sid) and cat.duration(sid) > 0, sid
    assert cat.duration("tt-monkeys") == pytest.approx(16.18)
    assert cat.duration("demo-congrats") == pytest.approx(30.28)


def test_durations_match_what_the_traces_measured(lib):
    # b_playback: PlaybackStarted -> PlaybackFinished (timestamps) for each media
    assert lib.duration_of("sound:hello-world") == pytest.approx(1.421, abs=0.02)
    assert lib.duration_of("digits:12") == pytest.approx(1.686, abs=0.02)
    assert lib.duration_of("number:7") == pytest.approx(0.837, abs=0.02)
    assert lib.duration_of("digits:4") == pytest.approx(0.823, abs=0.02)


def test_filters_languages_and_formats():
    cat = SoundCatalogue(languages=("en", "fr", "es"), formats=("gsm", "wav"))
    item = cat.sound("hello-world")
    assert {(f["language"], f["format"]) for f in item["formats"]} == {
        (lang, fmt) for lang in ("en", "es", "fr") for fmt in ("gsm", "wav")}
    fr_wav = cat.list(lang="fr", format="wav")
    assert fr_wav and all(i["formats"] == [{"language": "fr", "format": "wav"}] for i in fr_wav)
    assert cat.list(lang="de") == []
    assert cat.duration("hello-world", "fr") == pytest.approx(1.10)
    assert cat.duration("hello-world", "de") == pytest.approx(1.42)  # falls back to en


def test_extra_sounds_from_config():
    cat = SoundCatalogue(extra={"my-greeting": 3.5, "bonjour": {"fr": 1.0}})
    assert cat.duration("my-greeting") == 3.5
    assert cat.duration("bonjour", "fr") == 1.0
    assert cat.sound("my-greeting")["formats"] == [{"language": "en", "format": "gsm"}]


def test_schemes(lib):
    assert lib.plan("sound:does-not-exist").status == "missing"
    assert lib.duration_of("sound:does-not-exist") is None
    bogus = lib.plan("bogus:thing")
    assert bogus.status == "unsupported" and bogus.duration is None
    assert lib.duration_of("tone:ring;tonezone=us") == math.inf
    assert lib.plan("characters:ab").files == ("letters/a", "letters/b")
    assert lib.duration_of("recording:nothing") is None
    with_rec = MediaLibrary(SoundCatalogue(), lambda name: 2.0 if name == "mine" else None)
    assert with_rec.duration_of("recording:mine") == 2.0


def test_say_rules():
    assert say_digits("1*#-x") == ["digits/1", "digits/star", "digits/pound", "digits/minus"]
    assert say_number(0) == ["digits/0"]
    assert say_number(7) == ["digits/7"]
    assert say_number(42) == ["digits/40", "digits/2"]
    assert say_number(-3) == ["digits/minus", "digits/3"]
    assert say_number(1234) == ["digits/1", "digits/thousand", "digits/2", "digits/hundred", "digits/30", "digits/4"]
    assert say_number(2_000_015) == ["digits/2", "digits/million", "digits/15"]
    assert say_number(10**9) is None
    assert say_characters("A@1") == ["letters/a", "letters/at", "digits/1"]


def test_every_spelled_prompt_exists(lib):
    for uri in ("digits:0123456789*#", "number:987654321", "characters:abcxyz.@-"):
        assert lib.plan(uri).status == "ok", uri


def test_moh_default_class():
    files = moh_files()
    assert len(files) == 5 and all(s > 60 for s in files.values())


def test_module_level_duration_of():
    from ari_notebook.sim.backend.media import duration_of

    assert duration_of("sound:tt-monkeys") == pytest.approx(16.18)
    assert duration_of("sound:hello-world", "fr") == pytest.approx(1.42)  # default catalogue: en only
    assert duration_of("tone:busy") == math.inf
    assert duration_of("bogus:x") is None
