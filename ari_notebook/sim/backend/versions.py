"""Which Asterisk 23 release the simulator acts as, and the behaviour that changed between them.

The simulator is modelled on Asterisk 23.4.1 (what ``GET /asterisk/info`` reports by default).
``Simulator.start(asterisk_version="23.6.0")`` (or ``asterisk_version`` in the ``[ari]`` config
section) makes it act as a later 23 release where behaviour changed. Each change is one constant
below with the release that brought it, so a feature asks ``at_least(ast, CHANGE)`` and the table
says what differs. Releases before 23.4.1 are refused: the simulator does not model them.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT = "23.4.1"
OLDEST = (23, 4, 1)

# res_stasis_recording (asterisk/asterisk#2044, fixed by PR #2084): a channel that ARI created and
# dialled sits in Stasis' invisible dial bridge; before this release record() refuses it with
# RecordingFailed "Cannot record channel while in bridge"; from it on only a visible bridge does.
RECORD_IN_DIAL_BRIDGE = (23, 6, 0)

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse(text: Any) -> tuple[int, int, int]:
    """``"23.6.0"`` -> ``(23, 6, 0)``; ValueError naming the problem for anything else."""
    match = _VERSION.match(str(text).strip())
    if match is None:
        raise ValueError(f"asterisk_version {text!r} must look like 23.4.1")
    version = (int(match[1]), int(match[2]), int(match[3]))
    if version[0] != 23 or version < OLDEST:
        raise ValueError(f"asterisk_version {text!r}: the simulator models Asterisk 23 from 23.4.1 on")
    return version


def current(ast: Any) -> tuple[int, int, int]:
    return parse(getattr(ast.config, "asterisk_version", DEFAULT) or DEFAULT)


def at_least(ast: Any, release: tuple[int, int, int]) -> bool:
    """Does the simulated Asterisk include the change that came with ``release``?"""
    return current(ast) >= release
