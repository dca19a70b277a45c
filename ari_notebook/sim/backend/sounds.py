"""The simulator's sound catalogue: which prompts exist, in which languages/formats, how long.

Why: a playback must last as long as the real prompt, and ``GET /sounds`` must list what a real
Asterisk with Debian's sound packages lists. The durations are data (``data/sounds.tsv``),
derived by ``tools/derive_sound_durations.py`` from the GSM file sizes of Debian's
``asterisk-core-sounds-{en,fr,es}-gsm`` 1.6.1 and ``asterisk-moh-opsound-gsm`` 2.03
(33 bytes = 20 ms, exact). The traces confirm them: hello-world plays 1.42 s, digits:12 1.68 s.

The default catalogue is the traces' machine: 568 prompts, all ``en``/``gsm``. Other languages
(``fr``, ``es``) and formats (e.g. ``wav``: the same recordings, so the same durations) are
switched on by configuration. Sans-I/O: reading the packaged TSV once is the only I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=1)
def _packaged() -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """(sound id -> {language: seconds}, moh file -> seconds) from the packaged TSV."""
    text = resources.files("ari_notebook.sim").joinpath("data/sounds.tsv").read_text("utf-8")
    sounds: dict[str, dict[str, float]] = {}
    moh: dict[str, float] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        if cells[0].startswith("moh:"):
            moh[cells[0][4:]] = int(cells[1]) / 1000.0
            continue
        sounds[cells[0]] = {lang: int(ms) / 1000.0
                            for lang, ms in zip(header[1:], cells[1:]) if ms}
    return sounds, moh


@dataclass
class SoundCatalogue:
    """The prompts one simulator knows: ``{id: {language: seconds}}`` and the formats offered.

    ``extra`` adds or overrides prompts (``{"my-prompt": {"en": 2.5}}`` or ``{"my-prompt": 2.5}``
    for the default language), e.g. from the ``[sounds]`` section of a config file.
    """

    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    formats: tuple[str, ...] = ("gsm",)
    extra: Mapping[str, Mapping[str, float] | float] = field(default_factory=dict)
    _table: dict[str, dict[str, float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.languages = tuple(self.languages)
        self.formats = tuple(self.formats)
        packaged, _ = _packaged()
        table: dict[str, dict[str, float]] = {}
        for sid, per in packaged.items():
            kept = {lang: s for lang, s in per.items() if lang in self.languages}
            if kept:
                table[sid] = kept
        for sid, value in self.extra.items():
            per = {DEFAULT_LANGUAGE: float(value)} if isinstance(value, (int, float)) else {
                lang: float(s) for lang, s in value.items()}
            table.setdefault(sid, {}).update(per)
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, sound_id: object) -> bool:
        return sound_id in self._table

    @property
    def ids(self) -> Iterable[str]:
        return sorted(self._table)

    def duration(self, sound_id: str, language: str = DEFAULT_LANGUAGE) -> float | None:
        """Seconds the prompt plays in ``language``; falls back to ``en`` like Asterisk's file
        lookup does; None when the prompt does not exist at all."""
        per = self._table.get(sound_id)
        if not per:
            return None
        if language in per:
            return per[language]
        if DEFAULT_LANGUAGE in per:
            return per[DEFAULT_LANGUAGE]
        return next(iter(per.values()))

    def sound(self, sound_id: str, lang: str | None = None, format: str | None = None) -> dict | None:
        """The ARI ``Sound`` model, or None if unknown (or nothing matches the filters)."""
        per = self._table.get(sound_id)
        if not per:
            return None
        formats = [{"language": language, "format": fmt}
                   for language in sorted(per) for fmt in self.formats
                   if (lang is None or language == lang) and (format is None or fmt == format)]
        if not formats:
            return None
        return {"id": sound_id, "formats": formats}

    def list(self, lang: str | None = None, format: str | None = None) -> list[dict]:
        """``sounds.list``: every prompt with a format matching ``lang``/``format`` (sorted by id;
        Asterisk's own order is a hash-table walk, which no client may rely on)."""
        lang = lang or None
        format = format or None
        out = []
        for sid in sorted(self._table):
            item = self.sound(sid, lang, format)
            if item is not None:
                out.append(item)
        return out


def moh_files() -> dict[str, float]:
    """The ``default`` music-on-hold class of Debian's opsound package: file -> seconds."""
    return dict(_packaged()[1])
