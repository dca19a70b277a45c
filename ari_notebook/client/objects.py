"""Result objects: ``Channel``, ``Bridge``, ``Playback``... built from a response's JSON.

Why objects and not dicts: a notebook user wants ``channel.state`` and ``await channel.answer()``.
Each object keeps the raw dict in ``.json``, exposes its keys as attributes, and binds its own
resource's operations by path parameter (``channelId`` <- ``channel.id``). A model a newer
server adds becomes a plain ``AriObject`` subclass named after it, with no code change.
"""

from __future__ import annotations

from typing import Any, Callable

from ..spec import Operation


class AriObject:
    """Base of every result object: attributes from ``.json``, short repr, HTML repr."""

    __slots__ = ("_client", "json", "__weakref__")
    # Class facts are underscored so they never hide a JSON field (an Endpoint has "resource").
    #: ARI model name (``Channel``)
    _model = "AriObject"
    #: resource family whose operations bind to this object, and how path parameters map
    _resource: str | None = None
    _id_fields: dict[str, str] = {}
    #: only operations whose path starts with this bind (live vs stored recordings)
    _path_prefix: str | None = None
    #: fields shown by repr after the id
    _summary_fields: tuple[str, ...] = ()

    def __init__(self, client: Any, json: dict) -> None:
        """``client``: the ``Client`` whose operations bind to this object (``client.binder``)
        and whose events ``on_event`` listens to (``client.hub``); None for a detached object."""
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "json", json if isinstance(json, dict) else {"value": json})

    # --- attributes -------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        data = object.__getattribute__(self, "json")
        if name in data:
            return data[name]
        client = object.__getattribute__(self, "_client")
        if client is not None:
            bound = client.binder.bind(self, name)
            if bound is not None:
                return bound
        raise AttributeError(f"{type(self).__name__} has no attribute or operation {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} objects are read-only; the server owns the state")

    def __dir__(self) -> list[str]:
        names = set(self.json)
        if self._client is not None:
            names.update(self._client.binder.bindable(type(self)))
        names.update(("json", "id", "on_event"))
        return sorted(names)

    def __getitem__(self, key: str) -> Any:
        return self.json[key]

    @property
    def id(self) -> Any:
        """The identity used in paths: ``id``, ``name``, or ``technology/resource``."""
        fields = self._id_fields
        if len(fields) == 1:
            return self.json.get(next(iter(fields.values())))
        if fields:
            return "/".join(str(self.json.get(f, "")) for f in fields.values())
        return self.json.get("id", self.json.get("name"))

    def path_values(self) -> dict[str, Any]:
        """{path parameter: value} for this object's bound operations."""
        return {param: self.json.get(field) for param, field in self._id_fields.items()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AriObject):
            return NotImplemented
        return type(self) is type(other) and self.id == other.id and self.id is not None

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    # --- events for this object -------------------------------------------------------
    def on_event(self, event_type: str, callback: Callable, *, key: Any = None):
        """``callback(obj, event)`` for events of ``event_type`` that concern this object."""
        if self._client is None:
            raise RuntimeError("this object is not attached to a client")
        return self._client.hub.on_object_event(type(self), event_type, callback, key=key, only_id=self.id)

    # --- display ----------------------------------------------------------------------
    def _summary(self) -> str:
        parts = []
        for f in self._summary_fields:
            v = self.json.get(f)
            if v not in (None, "", [], {}):
                parts.append(repr(v) if isinstance(v, str) and " " in v else str(v))
        return " ".join(parts)

    def __repr__(self) -> str:
        ident = self.id
        head = f"<{type(self).__name__}"
        if ident is not None:
            head += f" {ident}"
        summary = self._summary()
        if summary:
            head += f" {summary}"
        if ident is None and not summary:
            keys = ", ".join(list(self.json)[:4])
            head += f" {{{keys}}}"
        return head + ">"

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'><code>{html.escape(_short(v))}</code></td></tr>"
            for k, v in self.json.items())
        ops = ""
        if self._client is not None:
            names = sorted(self._client.binder.bindable(type(self)))
            if names:
                ops = ("<div style='font-size:smaller'>operations: "
                       + ", ".join(f"<code>{html.escape(n)}()</code>" for n in names) + "</div>")
        title = html.escape(type(self).__name__ + ("" if self.id is None else f" {self.id}"))
        return f"<div class='ari-object'><b>{title}</b><table>{rows}</table>{ops}</div>"


def watch_outcome(obj: AriObject, outcome: Any) -> None:
    """Give a playback or recording the outcome watcher registered before its request was sent
    (``ops`` does, for ``play`` and ``record``)."""
    obj._watch(outcome)


def model_of(cls: type[AriObject]) -> str:
    """The ARI model name of an object class (``Channel``)."""
    return cls._model


def resource_of(cls: type[AriObject]) -> str | None:
    """The resource family whose operations bind to objects of ``cls`` (``channels``)."""
    return cls._resource


def binds(cls: type[AriObject], op: Operation) -> bool:
    """Whether ``op`` can take every path parameter from an object of ``cls`` (and, for the
    recordings, is on the live or the stored side the class stands for)."""
    params = op.path_parameters
    if not cls._id_fields or not all(p in params for p in cls._id_fields):
        return False
    return cls._path_prefix is None or op.path.startswith(cls._path_prefix)


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


class MediaObject(AriObject):
    """A playback or live recording: ``await obj.wait()`` for how it ended.

    The client starts watching for the ending event before it sends ``play``/``record`` (see
    ``events.waiting.MediaOutcome``), so ``wait()`` never misses an end that came first.
    """

    __slots__ = ("_outcome",)
    _outcome_kind = ""

    def __init__(self, client: Any, json: dict) -> None:
        super().__init__(client, json)
        object.__setattr__(self, "_outcome", None)

    def _watch(self, outcome) -> None:
        """Adopt the watcher registered before the request; it stops when this object goes."""
        import weakref

        outcome.bind(self.id)
        object.__setattr__(self, "_outcome", outcome)
        weakref.finalize(self, outcome.remove)

    async def wait(self, timeout: float | None = None) -> dict:
        """The event that ended it (``PlaybackFinished`` / ``RecordingFinished``).

        Raises ``PlaybackFailed`` / ``RecordingFailed`` (with Asterisk's reason) the moment
        Asterisk reports a failure, and ``AriTimeout`` after ``timeout`` seconds.
        """
        if self._outcome is None:
            if self._client is None:
                raise RuntimeError("this object is not attached to a client")
            from ..events.waiting import MediaOutcome

            self._watch(MediaOutcome(self._client.dispatcher, self._outcome_kind))
        return await self._outcome.wait(timeout)


def _make(name: str, resource: str | None = None, id_fields: dict[str, str] | None = None,
          summary: tuple[str, ...] = (), path_prefix: str | None = None, doc: str = "",
          base: type[AriObject] = AriObject, **extra: Any) -> type[AriObject]:
    return type(name, (base,), {**extra,
        "__slots__": (), "__doc__": doc or f"ARI ``{name}``.", "_model": name, "_resource": resource,
        "_id_fields": id_fields or {}, "_summary_fields": summary, "_path_prefix": path_prefix,
        "__module__": __name__})


Channel = _make("Channel", "channels", {"channelId": "id"}, ("name", "state"),
                doc="A channel; ``await channel.answer()``, ``await channel.play(media=...)``...")
Bridge = _make("Bridge", "bridges", {"bridgeId": "id"}, ("bridge_type", "technology", "channels"),
               doc="A bridge; ``await bridge.addChannel(channel=ch.id)``...")
Playback = _make("Playback", "playbacks", {"playbackId": "id"}, ("media_uri", "state"),
                 doc="A playback; ``await playback.wait()``, ``await playback.control(operation='pause')``, "
                     "``await playback.stop()``.", base=MediaObject, _outcome_kind="playback")
LiveRecording = _make("LiveRecording", "recordings", {"recordingName": "name"}, ("state", "format"),
                      path_prefix="/recordings/live", doc="A recording in progress; ``await recording.wait()``.",
                      base=MediaObject, _outcome_kind="recording")
StoredRecording = _make("StoredRecording", "recordings", {"recordingName": "name"}, ("format",),
                        path_prefix="/recordings/stored",
                        doc="A stored recording; ``await rec.getStoredFile()`` returns the bytes.")
Endpoint = _make("Endpoint", "endpoints", {"tech": "technology", "resource": "resource"}, ("state",),
                 doc="An endpoint (technology/resource).")
DeviceState = _make("DeviceState", "deviceStates", {"deviceName": "name"}, ("state",))
Mailbox = _make("Mailbox", "mailboxes", {"mailboxName": "name"}, ("new_messages", "old_messages"))
Sound = _make("Sound", "sounds", {"soundId": "id"}, ("text",))
Application = _make("Application", "applications", {"applicationName": "name"}, ("channel_ids",))
AsteriskInfo = _make("AsteriskInfo", doc="``GET /asterisk/info``: build, system, config, status.")
Variable = _make("Variable", summary=("value",))

KNOWN: dict[str, type[AriObject]] = {c._model: c for c in (
    Channel, Bridge, Playback, LiveRecording, StoredRecording, Endpoint, DeviceState, Mailbox, Sound,
    Application, AsteriskInfo, Variable)}

_DYNAMIC: dict[str, type[AriObject]] = {}


def object_class(model: str) -> type[AriObject]:
    """The class for an ARI model name; unknown models get a generic subclass named after them."""
    cls = KNOWN.get(model)
    if cls is None:
        cls = _DYNAMIC.get(model)
        if cls is None:
            cls = _DYNAMIC[model] = _make(model)
    return cls


__all__ = ["AriObject", "Application", "AsteriskInfo", "Bridge", "Channel", "DeviceState", "Endpoint",
           "KNOWN", "LiveRecording", "Mailbox", "MediaObject", "Playback", "Sound", "StoredRecording",
           "Variable", "binds", "model_of", "object_class", "resource_of", "watch_outcome"]
