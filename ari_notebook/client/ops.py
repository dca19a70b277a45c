"""Operations bound from the spec: ``client.channels.originate(...)`` and ``channel.answer()``.

Why precomputed callables: each ``Operation`` gets one ``OperationCallable`` at connect time
carrying its help (``__doc__``/``__signature__`` from the spec, so ``originate?`` and
``inspect.signature`` work) and its result converter, so a call is: validate (``spec.prepare``,
before any I/O), send, convert.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from .._errors import ValidationError
from ..spec import Operation, PreparedRequest, prepare
from .objects import AriObject, MediaObject, binds, object_class, resource_of, watch_outcome

#: how an operation's request is sent: (prepared, binary) -> decoded body (``Client._call``)
Send = Callable[[PreparedRequest, bool], Awaitable[Any]]

#: response model of an operation that starts media -> the MediaOutcome kind to watch for
_STARTS_MEDIA = {"Playback": "playback", "LiveRecording": "recording"}
_LIST = re.compile(r"^List\[(.+)\]$")
_PRIMITIVES = {"string", "int", "long", "double", "float", "boolean", "object", "containers", "Date"}


def converter(client: Any, response_class: str) -> Callable[[Any], Any]:
    """How a decoded body becomes a result: None, bytes, an object, a list of objects, or as-is."""
    rc = response_class or "void"
    if rc == "void":
        return lambda body: None
    if rc == "binary":
        return lambda body: body
    m = _LIST.match(rc)
    if m:
        inner = m.group(1)
        if inner in _PRIMITIVES:
            return lambda body: body
        cls = object_class(inner)
        return lambda body: [cls(client, item) for item in body] if isinstance(body, list) else body
    if rc in _PRIMITIVES:
        return lambda body: body
    cls = object_class(rc)
    return lambda body: None if body is None else cls(client, body)


class OperationCallable:
    """One ARI operation; ``await op(**kwargs)`` validates, sends and returns the converted result."""

    # a client holds one per operation (~110): slots keep them small
    __slots__ = ("_client", "_send", "operation", "name", "__name__", "__qualname__", "_doc", "_sig", "binary",
                 "_convert")

    def __init__(self, client: Any, op: Operation, send: Send) -> None:
        self._client = client  # the owner of the result objects
        self._send = send
        self.operation = op
        self.name = op.name
        self.__name__ = op.nickname
        self.__qualname__ = op.name
        self._doc: str | None = None
        self._sig: Any = None
        self.binary = op.response_class == "binary"
        self._convert: Callable[[Any], Any] | None = None

    @property
    def convert(self) -> Callable[[Any], Any]:
        """Body -> result (built on first use: most of ~100 operations are never called)."""
        if self._convert is None:
            self._convert = converter(self._client, self.operation.response_class)
        return self._convert

    # help is built on first look, not at connect: a server has ~100 operations
    @property
    def __doc__(self) -> str:  # type: ignore[override]
        if self._doc is None:
            from ..spec.render import help_text

            self._doc = help_text(self.operation)
        return self._doc

    @property
    def __signature__(self):
        if self._sig is None:
            from ..spec.render import signature

            self._sig = signature(self.operation)
        return self._sig

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise _positional(self.operation, args)
        return self._run(kwargs)

    async def _run(self, kwargs: dict) -> Any:
        prepared = prepare(self.operation, kwargs)
        outcome = self._media_outcome()
        try:
            body = await self._send(prepared, self.binary)
            result = self.convert(body)
        except BaseException:
            if outcome is not None:
                outcome.remove()
            raise
        if outcome is not None:
            if isinstance(result, MediaObject):
                watch_outcome(result, outcome)
            else:
                outcome.remove()
        return result

    def _media_outcome(self):
        """For ``play``/``record``: watch for the ending event before the request goes out."""
        op = self.operation
        kind = _STARTS_MEDIA.get(op.response_class) if op.method == "POST" else None
        if kind is None:
            return None
        from ..events.waiting import MediaOutcome

        return MediaOutcome(self._client.dispatcher, kind)

    def __repr__(self) -> str:
        op = self.operation
        return f"<ARI operation {op.name}{self.__signature__}: {op.method} {op.path}>"


class BoundOperation:
    """An operation with an object's path parameters filled in (``channel.answer``)."""

    def __init__(self, target: OperationCallable, obj: AriObject, bound: dict[str, Any]) -> None:
        self._target = target
        self._bound = bound
        self.operation = target.operation
        self.__name__ = target.__name__
        self.__qualname__ = f"{type(obj).__name__}.{target.__name__}"
        self.__doc__ = (f"{target.operation.name} with {', '.join(f'{k}={v!r}' for k, v in bound.items())} "
                        f"taken from this {type(obj).__name__}.\n\n{target.__doc__}")
        sig = target.__signature__
        self.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name not in bound])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise _positional(self.operation, args)
        return self._run(kwargs)

    async def _run(self, kwargs: dict) -> Any:
        for name in kwargs:
            if name in self._bound:
                raise ValidationError(self.operation.name, name,
                                      f"is taken from this object ({self._bound[name]!r}); call "
                                      f"client.{self.operation.name}(...) to use another value")
        return await self._target._run({**self._bound, **kwargs})

    def __repr__(self) -> str:
        return f"<bound ARI operation {self.__qualname__}{self.__signature__}>"


def _positional(op: Operation, args: tuple) -> ValidationError:
    names = [p.name for p in op.parameters if p.required] or [p.name for p in op.parameters][:1]
    example = ", ".join(f"{n}=..." for n in names) or "no arguments"
    return ValidationError(op.name, None, f"takes keyword arguments only ({example}); "
                                          f"got {len(args)} positional")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class ResourceNamespace:
    """``client.channels``: one attribute per operation (tab completion and ``dir()`` list them)."""

    def __init__(self, name: str, description: str, operations: dict[str, OperationCallable]) -> None:
        self.__dict__.update(operations)
        self._name = name
        self._ops = operations
        self._snake_map: dict[str, OperationCallable] | None = None
        self.__doc__ = f"ARI resource {name!r}: {description}\n\nOperations: {', '.join(operations)}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        op = self._snake.get(name) if "_ops" in self.__dict__ else None
        if op is not None:
            return op
        raise AttributeError(f"ARI resource {self.__dict__.get('_name')!r} has no operation {name!r}; "
                             f"it has: {', '.join(self.__dict__.get('_ops', {}))}")

    @property
    def _snake(self) -> dict[str, "OperationCallable"]:
        """snake_case aliases (``start_moh``), built on first use and kept out of ``dir()``."""
        if self._snake_map is None:
            self._snake_map = {snake(k): v for k, v in self._ops.items() if snake(k) != k}
        return self._snake_map

    def __dir__(self) -> list[str]:
        return sorted(self._ops)

    def __iter__(self):
        return iter(self._ops.values())

    def __repr__(self) -> str:
        return f"<ARI resource {self._name}: {', '.join(self._ops)}>"


class Binder:
    """Which operations bind to a result object (``channel.answer``), cached per class and name."""

    def __init__(self, resources: dict[str, ResourceNamespace]) -> None:
        self.resources = resources  # the client's namespaces (filled when its spec arrives)
        self.cache: dict[tuple[type, str], OperationCallable | None] = {}

    def bind(self, obj: AriObject, name: str) -> BoundOperation | None:
        """``obj.<name>`` as an operation with the object's path parameters filled in, or None."""
        cls = type(obj)
        key = (cls, name)
        target = self.cache.get(key, False)
        if target is False:
            target = self.cache[key] = self._find(cls, name)
        if target is None:
            return None
        return BoundOperation(target, obj, obj.path_values())

    def _find(self, cls: type, name: str) -> OperationCallable | None:
        ns = self.resources.get(resource_of(cls) or "")
        target = getattr(ns, name, None) if ns is not None and not name.startswith("_") else None
        if not isinstance(target, OperationCallable) or not binds(cls, target.operation):
            return None
        return target

    def bindable(self, cls: type) -> list[str]:
        """Names of the operations that bind to objects of ``cls`` (for ``dir()`` and the HTML repr)."""
        ns = self.resources.get(resource_of(cls) or "")
        if ns is None:
            return []
        return [c.__name__ for c in ns if binds(cls, c.operation)]


class EventsNamespace(ResourceNamespace):
    """``client.events``: the events operations AND, when called, an async iterator of events."""

    def __init__(self, name: str, description: str, operations: dict[str, OperationCallable],
                 stream: Callable[..., Any]) -> None:
        super().__init__(name, description, operations)
        self._stream = stream

    def __call__(self, types: Any = None, channel: Any = None, *, predicate: Any = None):
        """``async for ev in client.events(types=..., channel=...)``: events from now on."""
        return self._stream(types=types, channel=channel, predicate=predicate)


__all__ = ["Binder", "BoundOperation", "EventsNamespace", "OperationCallable", "ResourceNamespace", "converter",
           "snake"]
