"""``Record``: the base of our small value classes (spec objects, prepared requests, responses).

Why not ``dataclasses``: every dataclass compiles its ``__init__``/``__repr__``/``__eq__``/``__hash__``
when its module is imported, which with the module itself cost ~0.3 MiB in every client process;
the client's memory target is aioari's. A ``Record`` names its fields in ``__slots__`` and writes
its own ``__init__``; equality, hashing and ``repr`` are derived here, once, from the slots.
"""

from __future__ import annotations

from typing import Any


class Record:
    """Value semantics from ``__slots__``; fields listed in ``_masked`` show as ``***`` in repr."""

    __slots__ = ()
    _masked: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}=***" if name in self._masked else f"{name}={getattr(self, name)!r}"
                          for name in self.__slots__)
        return f"{type(self).__name__}({shown})"


__all__ = ["Record"]
