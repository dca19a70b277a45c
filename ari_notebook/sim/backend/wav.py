"""Real WAV files for the simulator's stored recordings (8 kHz, 16-bit, mono, like Asterisk's
``wav`` format), written with the stdlib ``wave`` module.

Why real files: ``GET /recordings/stored/{name}/file`` must return audio a browser or
``IPython.display.Audio`` can play, of the recording's true length. The simulated line carries
silence (a Local channel waiting in the dialplan sends nothing), so the samples are zeros.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
CHANNELS = 1
_CHUNK = RATE * SAMPLE_WIDTH  # one second of silence at a time keeps memory flat


def frames_for(seconds: float, rate: int = RATE) -> int:
    return max(0, int(round(seconds * rate)))


def _write_silence(w: wave.Wave_write, frames: int) -> None:
    block = b"\x00" * _CHUNK
    remaining = frames * SAMPLE_WIDTH
    while remaining > 0:
        n = min(remaining, len(block))
        w.writeframesraw(block[:n])
        remaining -= n


def write_wav(path: str | Path, seconds: float, *, rate: int = RATE) -> Path:
    """Write ``seconds`` of 16-bit mono audio to ``path`` (parents created); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(p), "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(rate)
        _write_silence(w, frames_for(seconds, rate))
    return p


def append_wav(path: str | Path, seconds: float) -> Path:
    """``ifExists=append``: extend an existing file by ``seconds`` (keeping its format)."""
    p = Path(path)
    with wave.open(str(p), "rb") as r:
        params = r.getparams()
        data = r.readframes(r.getnframes())
    with wave.open(str(p), "wb") as w:
        w.setparams(params)
        w.writeframesraw(data)
        _write_silence(w, frames_for(seconds, params.framerate))
    return p


def wav_bytes(seconds: float, *, rate: int = RATE) -> bytes:
    """The same file in memory (for tests and previews)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(rate)
        _write_silence(w, frames_for(seconds, rate))
    return buf.getvalue()


def wav_duration(path: str | Path) -> float:
    """Seconds of audio in a WAV file."""
    with wave.open(str(path), "rb") as r:
        return r.getnframes() / float(r.getframerate())
