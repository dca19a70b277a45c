"""A sans-I/O simulator backend for unit tests: manual clock, requests through the route table."""

from __future__ import annotations

from typing import Any

from ari_notebook.sim.web.config import make_config
from ari_notebook.sim.backend.core import Asterisk, Clock
from ari_notebook.sim.backend.objects import SimChannel
from ari_notebook.sim.routing import Reply, handle

START = 1795663503.0


class Backend:
    def __init__(self, **config: Any) -> None:
        self.ast = Asterisk(clock=Clock(manual=True, start=START), config=make_config(**config))
        self.events: dict[str, list[dict]] = {}

    def app(self, name: str = "hello", subscribe_all: bool = False) -> list[dict]:
        sink = self.events.setdefault(name, [])
        self.ast.register_app(name, sink.append, subscribe_all=subscribe_all)
        return sink

    def stasis_channel(self, cid: str = "c1", app: str = "hello") -> SimChannel:
        """A channel sitting in Stasis (enough for recordings and user events)."""
        chan = SimChannel(id=cid, name=f"Local/3000@ARI-test-0000000{len(self.ast.channels)};1", tech="Local",
                       creationtime=self.ast.timestamp(), state="Up", stasis_app=app)
        self.ast.channels[cid] = chan
        self.ast.subscribe(app, f"channel:{cid}")
        return chan

    def __call__(self, method: str, path: str, query: Any = (), body: bytes | dict | None = None,
                 user: str = "asterisk") -> Reply:
        pairs = list(query.items()) if isinstance(query, dict) else list(query)
        raw, ctype = b"", None
        if isinstance(body, dict):
            import json

            raw, ctype = json.dumps(body).encode(), "application/json"
        elif isinstance(body, bytes):
            raw, ctype = body, "application/json"
        return handle(self.ast, method, path, pairs, raw, ctype, user)

    def advance(self, seconds: float) -> None:
        self.ast.clock.advance(seconds)
