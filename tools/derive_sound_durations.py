"""Derive the simulator's sound catalogue (ids and durations) from Debian's sound packages.

Why: the simulator must report real prompt durations without shipping any audio. A GSM 06.10
file is a headerless stream of 33-byte frames, each 20 ms of audio, so a prompt's duration is
exactly ``size / 33 * 20 ms``; only the file sizes are needed, and ``dpkg-deb -c`` lists them.
Checked against the traces: hello-world 2343 B -> 1.42 s (trace: PlaybackStarted->Finished 1.421 s),
digits/1 + digits/2 -> 1.68 s (trace: 1.686 s), digits/7 -> 0.84 s (0.837 s), digits/4 -> 0.82 s (0.823 s).

Usage (fetches nothing itself)::

    apt-get download asterisk-core-sounds-en-gsm asterisk-core-sounds-fr-gsm \
        asterisk-core-sounds-es-gsm asterisk-moh-opsound-gsm
    python tools/derive_sound_durations.py *.deb > ari_notebook/sim/data/sounds.tsv
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GSM_FRAME_BYTES = 33
GSM_FRAME_MS = 20
# Debian installs each language under a voice folder; Asterisk (and ARI) name it by language.
VOICE_DIRS = {"en_US_f_Allison": "en", "fr_CA_f_June": "fr", "es_MX_f_Allison": "es"}


def listing(deb: Path) -> list[tuple[int, str]]:
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].endswith(".gsm"):
            rows.append((int(parts[2]), parts[5]))
    return rows


def main(debs: list[str]) -> None:
    sounds: dict[str, dict[str, int]] = {}
    moh: list[tuple[str, int]] = []
    versions = []
    for deb in map(Path, debs):
        versions.append(deb.name)
        for size, path in listing(deb):
            if size % GSM_FRAME_BYTES:
                raise SystemExit(f"{path}: {size} bytes is not a whole number of GSM frames")
            ms = size // GSM_FRAME_BYTES * GSM_FRAME_MS
            m = re.match(r"\./usr/share/asterisk/sounds/([^/]+)/(.+)\.gsm$", path)
            if m:
                sounds.setdefault(m.group(2), {})[VOICE_DIRS[m.group(1)]] = ms
                continue
            m = re.match(r"\./usr/share/asterisk/moh/(.+)\.gsm$", path)
            if m:
                moh.append((m.group(1), ms))
    langs = sorted({lang for per in sounds.values() for lang in per})
    print("# Sound catalogue of the ARI simulator: prompt id, then its duration in ms per language.")
    print("# Derived by tools/derive_sound_durations.py from the GSM file sizes (33 bytes = 20 ms) in")
    print("# " + ", ".join(sorted(versions)))
    print("# An empty cell: the language has no such prompt. Rows starting 'moh:' are the default MOH class.")
    print("id\t" + "\t".join(langs))
    for sid in sorted(sounds):
        print(sid + "\t" + "\t".join(str(sounds[sid].get(lang, "")) for lang in langs))
    for name, ms in sorted(moh):
        print(f"moh:{name}\t{ms}" + "\t" * (len(langs) - 1))


if __name__ == "__main__":
    main(sys.argv[1:])
