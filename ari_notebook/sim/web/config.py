"""Simulator configuration, mirroring what Asterisk's own files would say (ari.conf, http.conf,
extensions.conf, pjsip endpoints).

The default equals the Asterisk the reference traces were recorded with: users
``asterisk``/``asterisk`` (read-write) and ``viewer``/``viewer`` (read-only), allowed origin
``http://localhost:8888``, and the ``[ARI-test]`` context with extensions 1000-4000.
Resource modules may read extra keys from ``SimConfig.extra``.

``make_config(config, **keywords)`` builds one from a TOML file (or its dict) plus the
keyword arguments of ``Simulator.start``; the file format is described in ``load_config_file``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..._errors import ConfigurationError
from ..backend.versions import parse as parse_version

# One dialplan step: (application, data).
Step = tuple[str, str]


def default_dialplan() -> dict[str, dict[str, list[Step]]]:
    return {
        "ARI-test": {
            "1000": [("NoOp", ""), ("Answer", ""), ("Stasis", "hello"), ("Hangup", "")],
            "2000": [("Answer", ""), ("Playback", "tt-monkeys"), ("Hangup", "")],
            "3000": [("Answer", ""), ("Wait", "600"), ("Hangup", "")],
            "4000": [("Wait", "30"), ("Hangup", "")],
        },
    }


@dataclass(frozen=True)
class User:
    name: str
    password: str = field(repr=False)
    read_only: bool = False


def default_endpoints() -> dict[str, str]:
    """Simulated phones and their initial state (``online``/``offline``)."""
    return {"PJSIP/alice": "online", "PJSIP/bob": "online", "PJSIP/carol": "online"}


@dataclass
class SimConfig:
    users: tuple[User, ...] = (User("asterisk", "asterisk"), User("viewer", "viewer", read_only=True))
    allowed_origins: tuple[str, ...] = ("http://localhost:8888",)
    prefix: str = ""  # http.conf prefix: ARI under /<prefix>/ari
    strict_origin: bool = False  # refuse WebSocket upgrades from foreign Origins (Asterisk does not)
    dialplan: dict[str, dict[str, list[Step]]] = field(default_factory=default_dialplan)
    endpoints: dict[str, str] = field(default_factory=default_endpoints)
    answer_delay: float = 1.0  # seconds a simulated phone rings before it answers a Dial
    extra: dict[str, Any] = field(default_factory=dict)
    # Misconfigurations to diagnose (see sim/web/misconfig.py): ari.conf enabled = no, and
    # res_http_websocket not loaded. Both on, as in any working Asterisk.
    ari_enabled: bool = True
    websocket: bool = True
    # sounds: languages of Debian's asterisk-core-sounds (en, fr, es) and formats GET /sounds shows
    sound_languages: tuple[str, ...] = ("en",)
    sound_formats: tuple[str, ...] = ("gsm",)
    extra_sounds: dict[str, Any] = field(default_factory=dict)  # id -> seconds or {lang: seconds}
    mailboxes: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (old, new)
    globals: dict[str, str] = field(default_factory=dict)  # extensions.conf [globals]
    recordings_dir: str | None = None  # None: a private temporary folder per simulator
    recordings: dict[str, Any] = field(default_factory=dict)  # stored at start: name -> seconds | {seconds, format}
    clock_speed: float = 1.0  # simulated seconds per wall-clock second (config-file setting)
    # asterisk.conf entityid: the asterisk_id every event and ping carries (None: the reference
    # machine's). Give each simulator of a fleet its own, as each real server has its own.
    entity_id: str | None = None
    # the Asterisk 23 release to act as (sim/backend/versions.py lists what changes with it)
    asterisk_version: str = "23.4.1"

    def user(self, name: str) -> User | None:
        for u in self.users:
            if u.name == name:
                return u
        return None

    def __repr__(self) -> str:  # never show passwords
        names = ", ".join(f"{u.name}{' (ro)' if u.read_only else ''}" for u in self.users)
        return f"SimConfig(users=[{names}], allowed_origins={list(self.allowed_origins)!r}, prefix={self.prefix!r})"


def parse_users(users: Any) -> tuple[User, ...]:
    """Accept ``{"alice": "secret"}``, ``{"bob": {"password": "x", "read_only": True}}`` or ``User``s."""
    if users is None:
        return SimConfig().users
    out: list[User] = []
    items = users.items() if isinstance(users, Mapping) else ((None, u) for u in users)
    for name, spec in items:
        if isinstance(spec, User):
            out.append(spec)
        elif isinstance(spec, str):
            out.append(User(str(name), spec))
        elif isinstance(spec, Mapping):
            out.append(User(str(name or spec.get("name")), str(spec.get("password", "")),
                            bool(spec.get("read_only", False))))
        else:
            raise ConfigurationError(f"user {name!r}: expected a password string or a mapping, got "
                                     f"{type(spec).__name__}")
    if not out:
        raise ConfigurationError("the simulator needs at least one ARI user")
    return tuple(out)


def parse_dialplan(dialplan: Any) -> dict[str, dict[str, list[Step]]]:
    """Accept steps as ``("Answer", "")`` tuples or ``"Playback(tt-monkeys)"`` strings."""
    if dialplan is None:
        return default_dialplan()
    out: dict[str, dict[str, list[Step]]] = {}
    for context, extens in dialplan.items():
        out[context] = {}
        for exten, steps in extens.items():
            parsed: list[Step] = []
            for step in steps:
                if isinstance(step, str):
                    app, _, rest = step.partition("(")
                    parsed.append((app.strip(), rest.rstrip(")").strip()))
                else:
                    app, data = (list(step) + [""])[:2]
                    parsed.append((str(app), str(data)))
            out[context][str(exten)] = parsed
    return out


# ---- config files and keyword arguments ----------------------------------------------------

def load_config_file(path: Any) -> dict[str, Any]:
    """Read a TOML config file into ``make_config`` keywords. Every section is optional::

        [http]
        prefix = ""                 # http.conf prefix: ARI served under /<prefix>/ari
        [ari]
        entity_id = "02:fc:00:00:00:02"   # asterisk.conf entityid: the events' asterisk_id
        asterisk_version = "23.4.1" # act as this Asterisk 23 release (23.6.0: record in the dial bridge)
        allowed_origins = ["http://localhost:8888"]   # ari.conf allowed_origins
        strict_origin = false       # refuse foreign Origins on the WebSocket (Asterisk: never)
        clock_speed = 1.0
        [users.asterisk]            # ari.conf user, password_format=plain
        password = "asterisk"
        [users.viewer]
        password = "viewer"
        read_only = true
        [dialplan.ARI-test]         # extensions.conf; priorities in list order
        1000 = ["NoOp()", "Answer()", "Stasis(hello)", "Hangup()"]
        [endpoints]                 # simulated phones: online | offline | unknown | busy | noanswer
        "PJSIP/alice" = "online"
        [sounds]
        languages = ["en"]          # of en, fr, es
        formats = ["gsm"]
        [sounds.extra]              # more prompts: id = seconds, or {lang = seconds}
        my-greeting = 3.5
        [mailboxes]
        "1000@default" = { old = 0, new = 2 }
        [globals]
        COMPANY = "Example"
        [recordings]                # stored recordings present at start (silent audio)
        greeting = 3.0              # seconds of wav, or { seconds = 3.0, format = "gsm" }
    """
    import tomllib
    from pathlib import Path

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"simulator config file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"simulator config file {p} is not valid TOML: {exc}") from exc
    return _flatten_sections(data)


def _flatten_sections(data: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("http", "ari") and isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


# ARI's endpoint states, plus two behaviours of a simulated phone that is online but will not
# take the call: "busy" (rejects it, cause 17) and "noanswer" (rings until the Dial times out).
ENDPOINT_STATES = ("online", "offline", "unknown", "busy", "noanswer")


def parse_endpoints(value: Any) -> dict[str, str]:
    """``{"PJSIP/alice": "online"}`` or ``["PJSIP/alice", ...]`` -> ``{name: state}``."""
    items = value.items() if isinstance(value, Mapping) else ((v, "online") for v in (value or ()))
    out: dict[str, str] = {}
    for name, state in items:
        if isinstance(state, Mapping):
            state = state.get("state", "online")
        tech, sep, resource = str(name).partition("/")
        if not sep or not tech or not resource:
            raise ConfigurationError(f"endpoint {name!r} must look like TECH/resource, e.g. PJSIP/alice")
        if state not in ENDPOINT_STATES:
            raise ConfigurationError(f"endpoint {name!r}: state {state!r} is not one of {ENDPOINT_STATES}")
        out[str(name)] = str(state)
    return out


def _mailboxes(value: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    out = {}
    for name, counts in (value or {}).items():
        if isinstance(counts, Mapping):
            out[str(name)] = (int(counts.get("old", 0)), int(counts.get("new", 0)))
        else:
            old, new = counts
            out[str(name)] = (int(old), int(new))
    return out


def _recordings(value: Mapping[str, Any]) -> dict[str, tuple[float, str]]:
    out = {}
    for name, spec in (value or {}).items():
        if isinstance(spec, Mapping):
            seconds, fmt = spec.get("seconds", 0), spec.get("format", "wav")
        else:
            seconds, fmt = spec, "wav"
        try:
            out[str(name)] = (float(seconds), str(fmt))
        except (TypeError, ValueError):
            raise ConfigurationError(f"recording {name!r}: seconds must be a number, got {seconds!r}") from None
    return out


_ENTITY_ID = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def parse_entity_id(value: Any) -> str:
    """An entity id as asterisk.conf takes it: a MAC address, ``02:fc:00:00:00:02``."""
    text = str(value).strip().lower()
    if not _ENTITY_ID.match(text):
        raise ConfigurationError(f"entity_id {value!r} must be a MAC address like 02:fc:00:00:00:02 "
                                 "(asterisk.conf entityid)")
    return text


def make_config(config: Any = None, **keywords: Any) -> SimConfig:
    """Defaults, then ``config`` (a TOML path, a dict of its sections, or a ``SimConfig``), then
    the ``Simulator.start`` keywords (None values are ignored). Unknown names are an error."""
    from dataclasses import fields, replace
    from pathlib import Path

    base = config if isinstance(config, SimConfig) else SimConfig()
    given: dict[str, Any] = {}
    if isinstance(config, (str, Path)):
        given.update(load_config_file(config))
    elif isinstance(config, Mapping):
        given.update(_flatten_sections(config))
    given.update({k: v for k, v in keywords.items() if v is not None})
    known = {f.name for f in fields(SimConfig)}
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key == "users":
            out["users"] = parse_users(value)
        elif key == "allowed_origins":
            out["allowed_origins"] = _strings(value)
        elif key == "dialplan":
            out["dialplan"] = parse_dialplan(value)
        elif key == "endpoints":
            out["endpoints"] = parse_endpoints(value)
        elif key == "sounds":
            out["sound_languages"] = _strings(value.get("languages", ("en",)))
            out["sound_formats"] = _strings(value.get("formats", ("gsm",)))
            out["extra_sounds"] = dict(value.get("extra", {}))
        elif key == "mailboxes":
            out["mailboxes"] = _mailboxes(value)
        elif key == "globals":
            out["globals"] = {str(k): str(v) for k, v in value.items()}
        elif key == "recordings":
            out["recordings"] = _recordings(value)
        elif key == "prefix":
            out["prefix"] = str(value).strip("/")
        elif key in ("clock_speed", "answer_delay"):
            out[key] = float(value)
        elif key == "strict_origin":
            out[key] = bool(value)
        elif key == "entity_id":
            out[key] = parse_entity_id(value)
        elif key == "asterisk_version":
            try:
                parse_version(value)
            except ValueError as exc:
                raise ConfigurationError(str(exc)) from None
            out[key] = str(value).strip()
        elif key in known:
            out[key] = value
        else:
            names = sorted((known - {"sound_languages", "sound_formats", "extra_sounds"}) | {"sounds"})
            raise ConfigurationError(f"unknown simulator setting {key!r}; known: {', '.join(names)}")
    return replace(base, **out)
