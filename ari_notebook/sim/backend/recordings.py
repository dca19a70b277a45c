"""Recordings, sans-I/O apart from the files: the stored-recordings folder and live recordings.

Why files: a stored recording is a real audio file of the right length (``wav`` is RIFF 8 kHz
16-bit mono; ``gsm``/``ulaw``/``alaw``/``sln`` are the raw formats Asterisk writes), so
``GET /recordings/stored/{name}/file`` returns something playable and ``recording:<name>``
playbacks last as long as the recording.

A live recording runs on the simulated clock. Its states and events follow the traces:
201 ``queued`` -> ``RecordingStarted`` (``recording``; with ``beep`` the beep plays first and is
not recorded) -> ``paused`` on pause (time stops) ->
``RecordingFinished`` (``done``, with ``duration`` in whole seconds) on stop, on
``maxDurationSeconds``, on ``maxSilenceSeconds`` (the simulated line is silent), on a
``terminateOn`` DTMF digit, when its channel hangs up (quirk: duration 0, file kept) or when it
is cancelled (quirk: also ``done``, never ``canceled``; the file is deleted). ``mute`` records
silence and leaves the state ``recording`` (quirk). Recording a channel that is in a bridge
gives ``RecordingFailed`` (``failed``, cause ``Cannot record channel while in bridge``).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import wav

# format -> bytes per second of audio for the raw formats (None: RIFF WAV with a header)
FORMATS: dict[str, int | None] = {"wav": None, "gsm": 1650, "ulaw": 8000, "alaw": 8000, "sln": 16000}
# One 20 ms GSM 06.10 frame of silence (the frame Asterisk's format_gsm writes for silence).
_GSM_SILENCE = bytes([0xD8, 0x20, 0xA2, 0xE1, 0x5A, 0x50, 0x00, 0x49, 0x24, 0x92, 0x49, 0x24, 0x50, 0x00,
                      0x49, 0x24, 0x92, 0x49, 0x24, 0x50, 0x00, 0x49, 0x24, 0x92, 0x49, 0x24, 0x50, 0x00,
                      0x49, 0x24, 0x92, 0x49, 0x24])
_SILENCE_BYTE = {"ulaw": b"\xff", "alaw": b"\xd5", "sln": b"\x00"}
MIME = {"wav": "audio/x-wav", "gsm": "audio/x-gsm", "ulaw": "audio/basic", "alaw": "audio/x-alaw-basic",
        "sln": "audio/x-raw"}



NAME_MAX = 250  # bytes per path component, leaving room for the format suffix (255 on Linux)

class RecordingStore:
    """The ``recordings`` folder of one simulator (its own temporary folder unless configured)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self._tmp: tempfile.TemporaryDirectory | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ari-sim-recordings-")
            directory = self._tmp.name
        self.root = Path(directory)
        self.root.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        """Remove the private temporary folder (a configured folder is left alone)."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    @staticmethod
    def valid_name(name: str) -> bool:
        parts = name.split("/")
        if "\x00" in name or any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for part in parts):
            return False  # a file the system cannot create (NUL, component over 255 bytes with the suffix)
        return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts

    def path(self, name: str, fmt: str) -> Path:
        return self.root / f"{name}.{fmt}"

    def find(self, name: str) -> tuple[Path, str] | None:
        if not self.valid_name(name):
            return None
        for fmt in FORMATS:
            p = self.path(name, fmt)
            try:
                if p.is_file():
                    return p, fmt
            except OSError:  # a name the file system cannot hold (too long): no such recording
                return None
        return None

    def list(self) -> list[dict[str, str]]:
        out = []
        for p in sorted(self.root.rglob("*")):
            fmt = p.suffix[1:]
            if p.is_file() and fmt in FORMATS:
                out.append({"name": p.relative_to(self.root).with_suffix("").as_posix(), "format": fmt})
        return out

    def json(self, name: str) -> dict[str, str] | None:
        found = self.find(name)
        return None if found is None else {"name": name, "format": found[1]}

    def duration(self, name: str) -> float | None:
        found = self.find(name)
        if found is None:
            return None
        p, fmt = found
        rate = FORMATS[fmt]
        return wav.wav_duration(p) if rate is None else p.stat().st_size / rate

    def write(self, name: str, fmt: str, seconds: float, *, append: bool = False) -> Path:
        """Write (or append) ``seconds`` of silent audio as ``name.fmt``."""
        p = self.path(name, fmt)
        rate = FORMATS[fmt]
        if rate is None:
            return wav.append_wav(p, seconds) if append and p.is_file() else wav.write_wav(p, seconds)
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "gsm":
            data = _GSM_SILENCE * int(round(seconds * 50))
        else:
            data = _SILENCE_BYTE[fmt] * int(round(seconds * rate))
        with open(p, "ab" if append else "wb") as f:
            f.write(data)
        return p

    def delete(self, name: str) -> bool:
        found = self.find(name)
        if found is None:
            return False
        found[0].unlink()
        return True

    def copy(self, name: str, destination: str) -> Path:
        src, fmt = self.find(name)  # type: ignore[misc]  (callers check existence first)
        dst = self.path(destination, fmt)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return dst


@dataclass
class SimRecording:
    """A recording in progress on a channel or bridge, timed on the simulated clock."""

    name: str
    format: str
    target_uri: str
    max_duration: int = 0
    max_silence: int = 0
    terminate_on: str = "none"
    if_exists: str = "fail"
    beep: bool = False
    state: str = "queued"
    muted: bool = False
    recorded: float = 0.0  # seconds recorded before the current stretch
    resumed_at: float | None = None  # clock time the current stretch began (None: not running)
    timer: Any = field(default=None, repr=False)
    duration: int | None = None  # whole seconds, once finished
    cause: str | None = None  # why it failed
    append: bool = False  # ifExists=append onto an existing file
    recorder: str | None = None  # the Recorder/ARI media channel of a bridge recording

    def elapsed(self, now: float) -> float:
        running = (now - self.resumed_at) if self.resumed_at is not None else 0.0
        return self.recorded + max(0.0, running)

    def limit(self) -> float:
        """Seconds of recording after which it stops by itself (inf: only when told)."""
        limits = [s for s in (self.max_duration, self.max_silence) if s > 0]
        return float(min(limits)) if limits else math.inf

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "format": self.format, "state": self.state,
                               "target_uri": self.target_uri}
        if self.cause is not None:
            out["cause"] = self.cause
        if self.duration is not None:
            out["duration"] = self.duration
            if self.max_silence > 0:  # silence detection ran: it reports talk/silence split
                out["talking_duration"] = 0
                out["silence_duration"] = self.duration
        return out


TERMINATE_ON = ("none", "any", "*", "#")
IF_EXISTS = ("fail", "overwrite", "append")


def terminates(recording: SimRecording, digit: str) -> bool:
    """Does DTMF ``digit`` end this recording (``terminateOn``)?"""
    if recording.terminate_on == "none":
        return False
    return recording.terminate_on == "any" or recording.terminate_on == digit


Publish = Callable[[str, SimRecording], None]
