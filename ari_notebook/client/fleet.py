"""``Fleet``: several ARI servers in one notebook, one merged stream of events, handlers per server.

Why built on the public ``Client`` only: each server keeps its own client (credentials, spec,
events WebSocket, reconnects), so one server going away touches nothing of the others. Its
reader retries on its own task and, once back, dispatches its own ``EventStreamGap``; the
other readers never wait for it. The fleet adds what no single client can:

* one hub (a ``Dispatcher``) that merges every server's events in arrival order, the kernel's
  clock being the one clock all servers share (each event's ``timestamp`` stays the server's);
* every event stamped with its server's ``asterisk_id``: Asterisk sends it, and where it is
  missing (the gap marker, which the client makes itself; a server that omits it) the fleet
  fills in the id the server reported at connect;
* handlers for every server, or scoped to some (``server="pbx-a"``); object handlers always
  run on the server's own client, so ``channel.hangup()`` goes to the right Asterisk;
* one ``EventLog`` of everything (``fleet.log``), with the ``asterisk_id`` column to group by.

Credentials stay in each member client; the fleet never holds or shows them.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any, Callable, Iterable, Iterator, Mapping

from .._errors import AriError, ConfigurationError
from ..events.dispatch import Dispatcher, Handle
from .client import Client

log = logging.getLogger("ari_notebook.client")

Servers = str | Iterable[str] | None


class FleetHandle:
    """Registrations made on several servers at once; ``remove()`` undoes all of them."""

    def __init__(self, handles: list[Any]) -> None:
        self._handles = handles

    @property
    def active(self) -> bool:
        return any(h.active for h in self._handles)

    def remove(self) -> None:
        for h in self._handles:
            h.remove()

    def __repr__(self) -> str:
        return f"<FleetHandle {len(self._handles)} registrations {'active' if self.active else 'removed'}>"


class _Started:
    """What ``fleet.start()`` returns: ignore it, or ``await`` it until every server is connected."""

    def __init__(self, waits: dict[str, Any]) -> None:
        self._waits = waits

    async def _all(self) -> None:
        names = list(self._waits)
        results = await asyncio.gather(*(_as_future(w) for w in self._waits.values()), return_exceptions=True)
        failed = [(n, r) for n, r in zip(names, results) if isinstance(r, BaseException)]
        if failed:
            name, exc = failed[0]
            _note_server(exc, name)
            raise exc

    def __await__(self):
        return self._all().__await__()


async def _as_future(awaitable: Any) -> Any:
    return await awaitable


def _note_server(exc: BaseException, name: str) -> None:
    """Say which server an error came from (a note shown under the message in a traceback)."""
    if not isinstance(exc, BaseException) or getattr(exc, "server", None) is not None:
        return
    try:
        exc.server = name  # type: ignore[attr-defined]
    except AttributeError:
        pass
    exc.add_note(f"(fleet server {name!r})")


class Fleet:
    """Several ``Client``s as one: ``fleet["pbx-a"]`` is a client, ``fleet.log`` the merged log.

    Build one with ``await ari_notebook.connect_fleet({...})`` or, from clients you already
    have, ``await Fleet.from_clients({"pbx-a": client_a, ...})``. The fleet owns its clients:
    ``close()`` closes them all (and stops the simulators they started).
    """

    def __init__(self, clients: Mapping[str, Client], asterisk_ids: Mapping[str, str]) -> None:
        if not clients:
            raise ConfigurationError("a fleet needs at least one server")
        self._clients: dict[str, Client] = dict(clients)
        self._ids: dict[str, str] = {name: asterisk_ids[name] for name in self._clients}
        self._names: dict[str, str] = {}
        for name, aid in self._ids.items():
            other = self._names.get(aid)
            if other is not None:
                raise ConfigurationError(
                    f"servers {other!r} and {name!r} both report entity id {aid!r}, so their events "
                    "could not be told apart: give each Asterisk its own entityid in asterisk.conf "
                    "(entity_id= for a simulator)")
            self._names[aid] = name
        self._dispatcher = Dispatcher()
        self._taps = [client.add_listener(self._tap(aid), raw=True) for client, aid in
                      ((self._clients[n], self._ids[n]) for n in self._clients)]
        self._log = None
        self._closed = False

    @classmethod
    async def from_clients(cls, clients: Mapping[str, Client]) -> "Fleet":
        """A fleet of connected clients; asks each server its entity id (``asterisk.getInfo``)."""
        names = list(clients)
        ids = await asyncio.gather(*(server_entity_id(clients[n], n) for n in names))
        return cls(clients, dict(zip(names, ids)))

    def _tap(self, asterisk_id: str) -> Callable[[dict, float, str | None], None]:
        dispatch = self._dispatcher.dispatch

        def tap(event: dict, received_at: float, raw: str | None) -> None:
            if event.get("asterisk_id") is None:
                event["asterisk_id"] = asterisk_id
                raw = None  # the text no longer says everything the event does
            dispatch(event, received_at, raw)

        return tap

    # ------------------------------------------------------------------ members
    def __getitem__(self, name: str) -> Client:
        try:
            return self._clients[name]
        except KeyError:
            raise KeyError(f"no server {name!r} in this fleet; it has {', '.join(self._clients)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    def __contains__(self, name: object) -> bool:
        return name in self._clients

    @property
    def names(self) -> list[str]:
        return list(self._clients)

    def items(self) -> list[tuple[str, Client]]:
        return list(self._clients.items())

    @property
    def asterisk_ids(self) -> dict[str, str]:
        """{server name: the asterisk_id its events carry}."""
        return dict(self._ids)

    def server_of(self, event_or_id: Any) -> str | None:
        """The server name of an event (dict) or of an ``asterisk_id``; None if not ours."""
        aid = event_or_id.get("asterisk_id") if isinstance(event_or_id, dict) else event_or_id
        return self._names.get(aid) if aid is not None else None

    def _select(self, server: Servers) -> list[str]:
        """Server names from a name, an asterisk_id, or several of them (None: all)."""
        if server is None:
            return list(self._clients)
        wanted = [server] if isinstance(server, str) else list(server)
        out = []
        for item in wanted:
            name = item if item in self._clients else self._names.get(item)
            if name is None:
                raise KeyError(f"no server {item!r} in this fleet; it has {', '.join(self._clients)} "
                               f"(asterisk ids {', '.join(self._ids.values())})")
            if name not in out:
                out.append(name)
        if not out:
            raise ValueError("server= names no server (an empty list)")
        return out

    # ------------------------------------------------------------------ events
    @property
    def dispatcher(self) -> Dispatcher:
        """The hub every server's events pass through (after that server's own listeners)."""
        return self._dispatcher

    @property
    def json_loads(self) -> Callable:
        return next(iter(self._clients.values())).json_loads

    @json_loads.setter
    def json_loads(self, fn: Callable) -> None:  # an attached EventLog hands every member its decoder
        for client in self._clients.values():
            client.json_loads = fn

    def add_listener(self, fn: Callable[..., Any], *, raw: bool = False) -> Handle:
        """Raw tap of every server's events, merged: ``fn(event, received_at[, text])``."""
        return self._dispatcher.add_listener(fn, raw=raw)

    def add_request_listener(self, fn: Callable[[dict], Any]) -> FleetHandle:
        """``fn(record)`` after every request to any server; the record names its ``server``."""
        def wrap(name: str) -> Callable[[dict], Any]:
            return lambda record: fn({**record, "server": name})

        return FleetHandle([c.add_request_listener(wrap(n)) for n, c in self._clients.items()])

    def on_event(self, event_type: str, callback: Callable, *, server: Servers = None,
                 key: Any = None) -> Handle | FleetHandle:
        """``callback(event)`` for ``event_type`` (``'*'``: all) from every server, or only from
        ``server`` (a name, an asterisk_id, or several). ``fleet.server_of(event)`` names it."""
        if server is None:
            return self._dispatcher.on(event_type, callback, key=key, scope="fleet")
        return FleetHandle([self._clients[n].on_event(event_type, callback, key=key)
                            for n in self._select(server)])

    on = on_event

    def _on_objects(self, method: str, event_type: str, callback: Callable, server: Servers,
                    key: Any) -> FleetHandle:
        return FleetHandle([getattr(self._clients[n], method)(event_type, callback, key=key)
                            for n in self._select(server)])

    def on_channel_event(self, event_type: str, callback: Callable, *, server: Servers = None,
                         key: Any = None) -> FleetHandle:
        """``callback(channel, event)``; the channel is bound to its own server's client."""
        return self._on_objects("on_channel_event", event_type, callback, server, key)

    def on_bridge_event(self, event_type: str, callback: Callable, *, server: Servers = None,
                        key: Any = None) -> FleetHandle:
        return self._on_objects("on_bridge_event", event_type, callback, server, key)

    def on_playback_event(self, event_type: str, callback: Callable, *, server: Servers = None,
                          key: Any = None) -> FleetHandle:
        return self._on_objects("on_playback_event", event_type, callback, server, key)

    def on_recording_event(self, event_type: str, callback: Callable, *, server: Servers = None,
                           key: Any = None) -> FleetHandle:
        return self._on_objects("on_recording_event", event_type, callback, server, key)

    def on_endpoint_event(self, event_type: str, callback: Callable, *, server: Servers = None,
                          key: Any = None) -> FleetHandle:
        return self._on_objects("on_endpoint_event", event_type, callback, server, key)

    def _server_predicate(self, server: Servers, predicate: Callable[[dict], bool] | None):
        if server is None:
            return predicate
        ids = {self._ids[n] for n in self._select(server)}
        if predicate is None:
            return lambda event: event.get("asterisk_id") in ids
        return lambda event: event.get("asterisk_id") in ids and predicate(event)

    def wait_for(self, event_type: str | Iterable[str] = "*", predicate: Callable[[dict], bool] | None = None,
                 timeout: float | None = None, *, server: Servers = None):
        """Awaitable next event from any server (or from ``server``), registered immediately."""
        return self._dispatcher.wait_for(event_type, self._server_predicate(server, predicate), timeout)

    def events(self, types: str | Iterable[str] | None = None,
               predicate: Callable[[dict], bool] | None = None, *, server: Servers = None):
        """``async for event in fleet.events(...)``: the merged stream, registered now."""
        return self._dispatcher.events(types, self._server_predicate(server, predicate))

    def dispatch(self, event: dict, received_at: float | None = None, raw: str | None = None) -> None:
        """Run an event through the hub (listeners, then fleet-wide handlers), e.g. a replay."""
        self._dispatcher.dispatch(event, received_at, raw)

    @property
    def handler_errors(self) -> list:
        """Failures of fleet-wide and per-server handlers, oldest first."""
        errors = list(self._dispatcher.errors)
        for client in self._clients.values():
            errors.extend(client.handler_errors)
        return sorted(errors, key=lambda f: f.time)

    @property
    def handler_error_count(self) -> int:
        return self._dispatcher.error_count + sum(c.dispatcher.error_count for c in self._clients.values())

    # ------------------------------------------------------------------ readers
    def start(self, apps: str | Iterable[str] = "hello", subscribe_all: bool = False) -> _Started:
        """Start every server's events reader (each on its own task); ``await`` it to wait
        until all are connected (the first refusal is raised, naming its server)."""
        if self._closed:
            raise AriError("this fleet is closed")
        return _Started({n: c.start(apps=apps, subscribe_all=subscribe_all) for n, c in self._clients.items()})

    async def stop(self) -> None:
        """Stop every events reader (handlers stay registered)."""
        await asyncio.gather(*(c.stop() for c in self._clients.values()))

    @property
    def states(self) -> dict[str, str]:
        """{server: connection state} ("connected", "reconnecting", ...)."""
        return {n: c.connection_state for n, c in self._clients.items()}

    @property
    def connection_state(self) -> str:
        """One word for all: the shared state, else e.g. ``"2/3 connected"``."""
        states = set(self.states.values())
        if len(states) == 1:
            return states.pop()
        up = sum(s == "connected" for s in self.states.values())
        return f"{up}/{len(self._clients)} connected"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def log(self):
        """An ``EventLog`` of every server's events (created on first use)."""
        if self._log is None:
            from ..events import EventLog

            self._log = EventLog(self)
        return self._log

    async def close(self) -> None:
        """Close every client (each one's cleanups too); the first failure is raised after all."""
        if self._closed:
            return
        self._closed = True
        self._dispatcher.close_streams("the fleet was closed")
        for tap in self._taps:
            tap.remove()
        names = list(self._clients)
        results = await asyncio.gather(*(self._clients[n].close() for n in names), return_exceptions=True)
        await self._dispatcher.cancel_tasks()
        for name, result in zip(names, results):
            if isinstance(result, BaseException):
                _note_server(result, name)
                raise result

    async def __aenter__(self) -> "Fleet":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        parts = ", ".join(f"{n} {c.connection_state}" for n, c in self._clients.items())
        return f"<ari_notebook.Fleet {len(self)} servers: {parts}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th style='text-align:left'>{h}</th>"
                       for h in ("server", "asterisk_id", "url", "user", "events", "ARI"))
        rows = "".join(
            f"<tr><td><b>{esc(n)}</b></td><td><code>{esc(self._ids[n])}</code></td><td>{esc(c.url)}</td>"
            f"<td>{esc(c.username or '')}</td><td>{esc(c.connection_state)}</td><td>{esc(c.api_version)}</td></tr>"
            for n, c in self._clients.items())
        return (f"<div class='ari-fleet'><b>ARI fleet</b>: {len(self)} servers"
                f"<table><tr>{head}</tr>{rows}</table></div>")


async def server_entity_id(client: Client, name: str) -> str:
    """The ``asterisk_id`` a server's events carry: its entity id from ``asterisk.getInfo``.

    A server that cannot say (no such operation, or the user may not ask) is known by ``name``."""
    if "asterisk.getInfo" in client.operations:
        try:
            body = (await client.execute("asterisk.getInfo", only="system")).body
        except AriError as exc:
            log.warning("fleet server %r: asterisk.getInfo failed (%s); its events are labelled %r",
                        name, exc, name)
        else:
            system = body.get("system") if isinstance(body, dict) else None
            entity = system.get("entity_id") if isinstance(system, dict) else None
            if isinstance(entity, str) and entity:
                return entity
    return name


__all__ = ["Fleet", "FleetHandle", "server_entity_id"]
