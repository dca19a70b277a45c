"""What a media URI plays and for how long: ``sound:``, ``recording:``, ``digits:``, ``number:``,
``characters:`` and ``tone:``.

Why: playbacks (channels and bridges) must finish after the real duration, fail for a missing
file, and hang forever for an unsupported scheme, exactly as the traces show:

* ``sound:does-not-exist`` -> PlaybackStarted, then at once PlaybackFinished ``failed``;
* ``bogus:thing``          -> PlaybackStarted and never a PlaybackFinished (Asterisk logs
  "scheme is unsupported");
* ``tone:ring;tonezone=us`` -> plays until stopped (``math.inf``).

``digits:``/``number:``/``characters:`` are spelled out with the same prompt files Asterisk's
``say.c`` uses for English, so their durations add up like the real ones (``digits:12`` =
digits/1 + digits/2 = 1.68 s; the trace measured 1.686 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

from .sounds import DEFAULT_LANGUAGE, SoundCatalogue

Status = Literal["ok", "missing", "unsupported"]
SCHEMES = ("sound", "recording", "digits", "number", "characters", "tone")


@dataclass(frozen=True)
class MediaPlan:
    """How one media URI plays: the prompt ids in order, total seconds and whether it can play.

    ``duration`` is ``math.inf`` for endless media (tones), None when it cannot play
    (``status`` says why: a missing file fails at once; an unsupported scheme never ends).
    """

    uri: str
    scheme: str
    files: tuple[str, ...]
    duration: float | None
    status: Status


def say_digits(text: str) -> list[str]:
    """Prompt ids ``digits:`` plays (say.c: digits, ``*`` star, ``#`` pound, ``-`` minus)."""
    names = {"*": "digits/star", "#": "digits/pound", "-": "digits/minus"}
    out = []
    for ch in text:
        if ch.isdigit() and ch.isascii():
            out.append(f"digits/{ch}")
        elif ch in names:
            out.append(names[ch])
    return out


def say_number(n: int) -> list[str] | None:
    """Prompt ids ``number:`` plays in English; None above Asterisk's limit (it refuses)."""
    if n < 0:
        rest = say_number(-n)
        return None if rest is None else ["digits/minus", *rest]
    if n == 0:
        return ["digits/0"]
    if n >= 1_000_000_000:
        return None
    out: list[str] = []
    for unit, name in ((1_000_000, "digits/million"), (1000, "digits/thousand")):
        if n >= unit:
            out += [*(say_number(n // unit) or []), name]
            n %= unit
    if n >= 100:
        out += [f"digits/{n // 100}", "digits/hundred"]
        n %= 100
    if n >= 20:
        out.append(f"digits/{n - n % 10}")
        n %= 10
    if n:
        out.append(f"digits/{n}")
    return out


_CHARACTER_NAMES = {
    "*": "digits/star", "#": "digits/pound", "!": "letters/exclaimation-point", "@": "letters/at",
    "$": "letters/dollar", "-": "letters/dash", ".": "letters/dot", "=": "letters/equals",
    "+": "letters/plus", "/": "letters/slash", " ": "letters/space",
}


def say_characters(text: str) -> list[str]:
    """Prompt ids ``characters:`` plays (say.c's character spelling)."""
    out = []
    for ch in text:
        if ch in _CHARACTER_NAMES:
            out.append(_CHARACTER_NAMES[ch])
        elif ch.isascii() and ch.isdigit():
            out.append(f"digits/{ch}")
        elif ch.isascii() and ch.isalpha():
            out.append(f"letters/{ch.lower()}")
        elif ch.isascii() and ch.isprintable():
            out.append(f"letters/ascii{ord(ch)}")
    return out


class MediaLibrary:
    """Resolves media URIs against one simulator's sounds and stored recordings.

    ``recording_duration(name)`` returns a stored recording's seconds or None; the recordings
    store passes its own lookup so the two never share state across simulators.
    """

    def __init__(self, sounds: SoundCatalogue,
                 recording_duration: Callable[[str], float | None] | None = None) -> None:
        self.sounds = sounds
        self._recording_duration = recording_duration or (lambda name: None)

    def plan(self, uri: str, language: str = DEFAULT_LANGUAGE) -> MediaPlan:
        scheme, sep, rest = uri.partition(":")
        if not sep or scheme not in SCHEMES:
            return MediaPlan(uri, scheme if sep else "", (), None, "unsupported")
        if scheme == "tone":
            return MediaPlan(uri, scheme, (), math.inf if rest else None, "ok" if rest else "missing")
        if scheme == "recording":
            seconds = self._recording_duration(rest)
            return MediaPlan(uri, scheme, (rest,), seconds, "ok" if seconds is not None else "missing")
        if scheme == "sound":
            files: list[str] | None = [rest]
        elif scheme == "digits":
            files = say_digits(rest)
        elif scheme == "characters":
            files = say_characters(rest)
        else:
            try:
                files = say_number(int(rest))
            except ValueError:
                files = None
        if not files:
            return MediaPlan(uri, scheme, (), None, "missing")
        total = 0.0
        for f in files:
            seconds = self.sounds.duration(f, language)
            if seconds is None:
                return MediaPlan(uri, scheme, tuple(files), None, "missing")
            total += seconds
        return MediaPlan(uri, scheme, tuple(files), round(total, 3), "ok")

    def duration_of(self, uri: str, language: str = DEFAULT_LANGUAGE) -> float | None:
        """Seconds ``uri`` plays; ``math.inf`` for tones; None when it cannot play."""
        return self.plan(uri, language).duration


_DEFAULT: MediaLibrary | None = None


def duration_of(media_uri: str, language: str = DEFAULT_LANGUAGE) -> float | None:
    """Seconds ``media_uri`` plays with the default catalogue (the traces' en/gsm prompts):
    ``math.inf`` for tones, None when it cannot play. A running simulator uses its own
    ``MediaLibrary`` (its configured languages, extra prompts and stored recordings)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = MediaLibrary(SoundCatalogue())
    return _DEFAULT.duration_of(media_uri, language)
