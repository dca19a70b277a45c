"""``/applications``: list/get, subscriptions to event sources, event filters.

An application exists while a WebSocket holds it (``ast.apps``, managed by the events socket).
Event sources are ``channel:<id>``, ``bridge:<id>``, ``endpoint:<tech>[/<resource>]`` and
``deviceState:<name>``. Status codes and texts follow the traces: unknown app 404, missing
``eventSource`` 400, bad scheme 400 ``Invalid event source URI scheme``, unknown object 422
``Event source does not exist``, unsubscribing what was not subscribed 422 ``Event source was
not subscribed to``. A subscribeAll app reports the ``__AST_*_ALL_TOPIC`` ids.
"""

from __future__ import annotations

from typing import Any

from ..backend.core import AriFailure
from ..routing import ROUTES, body, path, query

SCHEMES = ("channel:", "bridge:", "endpoint:", "deviceState:")
ALL_TOPICS = {"channel_ids": "__AST_CHANNEL_ALL_TOPIC", "bridge_ids": "__AST_BRIDGE_ALL_TOPIC",
              "endpoint_ids": "__AST_ENDPOINT_ALL_TOPIC", "device_names": "__AST_DEVICE_STATE_ALL_TOPIC"}
_KEYS = {"channel:": "channel_ids", "bridge:": "bridge_ids", "endpoint:": "endpoint_ids",
         "deviceState:": "device_names"}


def app_json(app: Any) -> dict[str, Any]:
    """The ARI ``Application`` model of one app."""
    out: dict[str, Any] = {"name": app.name, "channel_ids": [], "bridge_ids": [], "endpoint_ids": [],
                           "device_names": []}
    if app.subscribe_all:
        for key, topic in ALL_TOPICS.items():
            out[key].append(topic)
    for source in sorted(app.sources):
        for scheme, key in _KEYS.items():
            if source.startswith(scheme):
                value = source[len(scheme):]
                if value not in out[key]:
                    out[key].append(value)
    out["events_allowed"] = [dict(f) for f in app.allowed]
    out["events_disallowed"] = [dict(f) for f in app.disallowed]
    return out


def _app(ast: Any, call: Any) -> Any:
    app = ast.apps.get(call.path["applicationName"])  # with or without a socket, as Asterisk lists it
    if app is None:
        raise AriFailure(404, "Application not found")
    return app


def source_exists(ast: Any, source: str) -> bool:
    """Does the object an event-source URI names exist right now?"""
    scheme, _, rest = source.partition(":")
    if scheme == "channel":
        chan = ast.channels.get(rest)
        return chan is not None and not getattr(chan, "destroyed", False)
    if scheme == "bridge":
        return rest in ast.bridges
    if scheme == "endpoint":
        from .endpoints import Endpoints

        return ast.component(Endpoints).source_exists(rest)
    return bool(rest)  # deviceState: any name can be watched, even before it is set


def _sources(call: Any) -> list[str]:
    sources = [s for s in call.list("eventSource") if s]
    if not sources:
        raise AriFailure(400, "Missing parameter eventSource")
    return sources


def _check_scheme(source: str) -> None:
    if not source.startswith(SCHEMES):
        raise AriFailure(400, "Invalid event source URI scheme")


@ROUTES.route("applications", "GET", "/applications", "list", "List[Application]",
              summary="List the connected Stasis applications.", since=("13.0.0",))
def list_apps(ast, call):
    # Asterisk lists an app whose socket closed while it still holds channels or bridges (and,
    # once they are gone, until its next tidy-up: see Asterisk.cleanup_apps)
    return [app_json(app) for app in ast.apps.values()]


_NAME = path("applicationName", "The application's name")


@ROUTES.route("applications", "GET", "/applications/{applicationName}", "get", "Application",
              params=[_NAME], errors={404: "Application does not exist."},
              summary="One application's subscriptions and filter.", since=("13.0.0",))
def get_app(ast, call):
    return app_json(_app(ast, call))


_SOURCE = query("eventSource", "URI of the source: channel:{id}, bridge:{id}, endpoint:{tech}[/{resource}], "
                "deviceState:{name}", required=True, multiple=True)


@ROUTES.route("applications", "POST", "/applications/{applicationName}/subscription", "subscribe",
              "Application", params=[_NAME, _SOURCE],
              errors={400: "Missing parameter.", 404: "Application does not exist.",
                      422: "Event source does not exist."},
              missing={"eventSource": None},
              summary="Subscribe an application to an event source.", since=("13.0.0",))
def subscribe(ast, call):
    sources = _sources(call)
    app = _app(ast, call)
    for source in sources:  # every source is checked before any is subscribed
        _check_scheme(source)
        if not source_exists(ast, source):
            raise AriFailure(422, "Event source does not exist")
    for source in sources:
        ast.subscribe(app.name, source)
    return app_json(app)


@ROUTES.route("applications", "DELETE", "/applications/{applicationName}/subscription", "unsubscribe",
              "Application", params=[_NAME, _SOURCE],
              errors={400: "Missing parameter; event source scheme not recognized.",
                      404: "Application does not exist.", 409: "Application not subscribed to event source.",
                      422: "Event source does not exist."},
              missing={"eventSource": None},
              summary="Unsubscribe an application from an event source.", since=("13.0.0",))
def unsubscribe(ast, call):
    sources = _sources(call)
    app = _app(ast, call)
    for source in sources:
        _check_scheme(source)
        if source not in app.sources:
            raise AriFailure(422, "Event source was not subscribed to")
    for source in sources:
        ast.unsubscribe(app.name, source)
    return app_json(app)


_KEEP = object()  # "this part of the filter is not in the request": leave it as it is


def _filter_part(spec: Any, key: str) -> Any:
    """What one part (``allowed``/``disallowed``) becomes, as Asterisk's res/stasis/app.c reads a
    filter: ``{}`` clears it, an object without the key keeps it, a bare list is used for both
    parts, anything else (or an entry without ``type``) is invalid (None)."""
    if isinstance(spec, dict):
        if not spec:
            return []
        if key not in spec:
            return _KEEP
        spec = spec[key]
    if not isinstance(spec, list):
        return None
    if not all(isinstance(entry, dict) and isinstance(entry.get("type"), str) and entry["type"] for entry in spec):
        return None
    return [dict(entry) for entry in spec]


@ROUTES.route("applications", "PUT", "/applications/{applicationName}/eventFilter", "filter", "Application",
              params=[_NAME, body("filter", "{\"allowed\": [{\"type\": ...}], \"disallowed\": [...]}; "
                                  "{} clears the filter", type="object")],
              errors={400: "Bad request.", 404: "Application does not exist."},
              summary="Set which event types an application receives.", since=("13.26.0", "16.3.0"))
def set_filter(ast, call):
    """``disallowed`` is set first and ``allowed`` only if that worked, so a request with a valid
    ``disallowed`` and an invalid ``allowed`` answers 400 with ``disallowed`` already changed."""
    app = _app(ast, call)
    spec = call.body if call.body is not None else call.get("filter", {})
    for key, attr in (("disallowed", "disallowed"), ("allowed", "allowed")):
        part = _filter_part(spec, key)
        if part is None:
            raise AriFailure(400, "Invalid format definition")
        if part is not _KEEP:
            setattr(app, attr, part)
    return app_json(app)
