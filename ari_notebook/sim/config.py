"""Simulator configuration, mirroring what Asterisk's own files would say (ari.conf, http.conf,
extensions.conf, pjsip endpoints).

The default equals the Asterisk the reference traces were recorded with: users
``asterisk``/``asterisk`` (read-write) and ``viewer``/``viewer`` (read-only), allowed origin
``http://localhost:8888``, and the ``[ARI-test]`` context with extensions 1000-4000.
Resource modules may read extra keys from ``SimConfig.extra`` (e.g. ``mailboxes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .._errors import ConfigurationError

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
