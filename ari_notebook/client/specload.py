"""Loading a server's api-docs: resources.json plus every declaration it lists, concurrently.

Why its own module: it is the connect-time hot path. The usual declarations are requested
together with resources.json (one round trip, at most ``_PARALLEL`` at a time); each is parsed
the moment it arrives; parsed
documents are cached by a digest of their exact bytes, so reconnecting skips parsing.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
from contextlib import contextmanager
from typing import Any, Iterator

from .. import _json
from .._errors import SpecError
from ..spec import Resource, Spec, parse_resource, resource_names
from .transport import HttpTransport, error_from

# At most this many documents in flight, each on its own pooled connection: against the
# simulator 4 load as fast as 12 and leave a third of the connections (and their memory) open.
_PARALLEL = 4

# The declarations every Asterisk since 13 lists; fetched alongside resources.json to save a
# round trip. Whatever the listing names beyond these is fetched after it arrives. Largest
# first: its JSON tree is decoded while little else is held, which lowers the process's memory
# high-water (~40 KiB of RSS, benchmarks/client.py). The spec keeps the listing's order.
_USUAL = ("channels", "events", "bridges", "asterisk", "endpoints", "recordings", "applications",
          "playbacks", "deviceStates", "mailboxes", "sounds")

# Parsed documents by a digest of their exact bytes: reconnecting to the same server (a re-run
# notebook cell, a reconnecting script) skips parsing; any changed document is parsed again.
_RESOURCE_CACHE: dict[tuple[str, bytes], Resource] = {}
_SPEC_CACHE: dict[tuple, Spec] = {}
_CACHE_SIZE = 64


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while one document is decoded and parsed.

    That burst makes thousands of containers (the JSON tree, then the spec objects) and no
    reference cycles; with the collector on, each burst set off collections that promoted the
    doomed tree into older generations, and so full collections of the whole process later
    (3.2 ms of collector time per first connect against the simulator; 1.4 ms with it paused).
    The section never awaits; the collector's previous state is restored.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _remember(cache: dict, key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value


async def load_spec(http: HttpTransport) -> Spec:
    """resources.json and every declaration it lists, fetched concurrently.

    Each declaration is parsed as soon as it arrives, so with a real server parsing overlaps
    the other documents still on the wire; the usual declarations are requested together with
    resources.json (one round trip), anything else it lists right after.
    """

    def decode(name: str, data: bytes) -> Any:
        try:
            return _json.loads(data)
        except _json.JSONDecodeError as exc:
            raise SpecError(f"GET /ari/api-docs/{name}.json did not return JSON: {exc}") from exc

    gate = asyncio.Semaphore(_PARALLEL)

    async def fetch(name: str, required: bool) -> tuple[bytes, Any] | None:
        path = "/api-docs/resources.json" if name == "resources" else f"/api-docs/{name}.json"
        async with gate:
            raw = await http.send("GET", path, None, None, operation="api-docs")
        if raw.status >= 400:
            if not required and raw.status == 404:
                return None
            raise error_from(raw, "api-docs", "GET", "/ari" + path)
        data = raw.data if isinstance(raw.data, bytes) else (raw.data or "").encode()
        digest = hashlib.blake2b(data, digest_size=16).digest()
        if name == "resources":
            return digest, decode(name, data)
        resource = _RESOURCE_CACHE.get((name, digest))
        if resource is None:
            with _collector_paused():
                resource = parse_resource(name, decode(name, data))
            _remember(_RESOURCE_CACHE, (name, digest), resource)
        return digest, resource

    results = await asyncio.gather(fetch("resources", True), *(fetch(n, False) for n in _USUAL),
                                   return_exceptions=True)
    if isinstance(results[0], BaseException):
        raise results[0]
    listing_digest, listing = results[0]
    names = resource_names(listing)
    found: dict[str, tuple[bytes, Resource]] = {}
    for name, result in zip(_USUAL, results[1:]):
        if name in names:  # a failure of a document the server does not list is irrelevant
            if isinstance(result, BaseException):
                raise result
            if result is not None:
                found[name] = result
    missing = [n for n in names if n not in found]
    if missing:
        found.update(zip(missing, await asyncio.gather(*(fetch(n, True) for n in missing))))
    key = (listing_digest,) + tuple((n, found[n][0]) for n in names)
    spec = _SPEC_CACHE.get(key)
    if spec is None:
        spec = Spec.build({n: found[n][1] for n in names}, api_version=str(listing.get("apiVersion", "")),
                          swagger_version=str(listing.get("swaggerVersion", "1.1")))
        _remember(_SPEC_CACHE, key, spec)
    return spec


__all__ = ["load_spec"]
