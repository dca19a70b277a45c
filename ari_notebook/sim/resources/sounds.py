"""``/sounds``: the sound catalogue, and the ``sound_duration`` provider playbacks use."""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure, component
from ..backend.media import MediaLibrary
from ..routing import ROUTES, path, query
from ..backend.sounds import SoundCatalogue


@component
class Sounds:
    """One simulator's prompts (from its config) and the media-URI resolver built on them."""

    def __init__(self, ast: Any) -> None:
        config = ast.config
        self.catalogue = SoundCatalogue(
            languages=tuple(getattr(config, "sound_languages", None) or ("en",)),
            formats=tuple(getattr(config, "sound_formats", None) or ("gsm",)),
            extra=dict(getattr(config, "extra_sounds", None) or {}))
        self.media = MediaLibrary(self.catalogue, lambda name: _recording_seconds(ast, name))
        ast.provide("sound_duration", self.catalogue.duration)
        ast.provide("media_plan", self.media.plan)


def _recording_seconds(ast: Any, name: str) -> float | None:
    fn = ast.provider("recording_duration")
    return fn(name) if fn is not None else None


@ROUTES.route("sounds", "GET", "/sounds", "list", "List[Sound]",
              params=[query("lang", "Only sounds in this language"),
                      query("format", "Only sounds in this format")],
              summary="List the sounds Asterisk can play.", since=("12.0.0",))
def list_sounds(ast, call):
    return ast.component(Sounds).catalogue.list(lang=call.text("lang") or None,
                                               format=call.text("format") or None)


@ROUTES.route("sounds", "GET", "/sounds/{soundId}", "get", "Sound",
              params=[path("soundId", "The sound's id, e.g. hello-world or digits/1")],
              summary="One sound's languages and formats.", since=("12.0.0",))
def get_sound(ast, call):
    sound = ast.component(Sounds).catalogue.sound(call.path["soundId"])
    if sound is None:
        raise AriFailure(404, "Sound not found")
    return sound
