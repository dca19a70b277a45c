"""The simulator's route table: every ARI operation as a ``spec.Operation`` plus a sans-I/O handler.

The table is the single source of truth: request matching, parameter parsing and the served
``/ari/api-docs`` (via ``spec.resource_listing``/``api_declaration``) all come from it, so the
explorer and dynamic clients see exactly what the simulator implements.

Declaring a route (in ``sim/resources/<name>.py``)::

    from ..core import AriFailure
    from ..routing import ROUTES, path, query, body

    @ROUTES.route("mailboxes", "GET", "/mailboxes/{mailboxName}", "get", "Mailbox",
                  params=[path("mailboxName", "Name of the mailbox")],
                  errors={404: "Mailbox not found"}, summary="Retrieve the current state of a mailbox.")
    def get_mailbox(ast, call):
        box = ast.component(Mailboxes).boxes.get(call.path["mailboxName"])
        if box is None:
            raise AriFailure(404, "Mailbox is does not exist")   # sic, as Asterisk 23 says it
        return box.json()

Handlers get ``(ast, call)``: ``call.path`` (path parameters), ``call.text/int/bool/list/get``
(query, form or JSON-body parameters, last value wins), ``call.containers(name)`` (a body
object such as ``variables``), ``call.body`` (the decoded JSON body), ``call.user``. They return
the JSON body (200, or 204 when the operation's ``responseClass`` is ``void`` and nothing is
returned) or a ``Reply(status, body, headers)``; errors are ``AriFailure(status, message)``.

Required parameters are checked before the handler runs, in declaration order, with
Asterisk's generic ``400 Missing parameter <name>``; ``missing={"endpoint": "Endpoint must be
specified"}`` (or ``(status, message)``) overrides that text per parameter, and
``missing={"media": None}`` leaves the check to the handler.

Operations the simulator does not simulate are declared with ``ROUTES.gap(..., reason=...)``:
they stay in the api-docs (as in a real Asterisk) and answer 501 with the reason; the coverage
test reads ``ROUTES.gaps``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, unquote

from ..spec import AllowableValues, ErrorResponse, Operation, Parameter, Resource, Spec
from .api_models import models_for
from .backend.core import AriFailure

Handler = Callable[[Any, "Call"], Any]

API_VERSION = "11.0.0"  # resources.json of Asterisk 23
RESOURCE_API_VERSION = "2.0.0"  # each api declaration


@dataclass(frozen=True)
class ResourceInfo:
    """What the api-docs say about a resource family apart from its operations."""

    name: str
    description: str
    since: tuple[str, ...] = ("12.0.0",)
    requires_modules: tuple[str, ...] = ()
    swagger_version: str = "1.1"


# Same order as Asterisk 23's resources.json.
RESOURCES: tuple[ResourceInfo, ...] = (
    ResourceInfo("asterisk", "Asterisk resources"),
    ResourceInfo("endpoints", "Endpoint resources"),
    ResourceInfo("channels", "Channel resources",
                 requires_modules=("res_stasis_answer", "res_stasis_playback", "res_stasis_recording",
                                   "res_stasis_snoop")),
    ResourceInfo("bridges", "Bridge resources",
                 requires_modules=("res_stasis_recording", "res_stasis_playback")),
    ResourceInfo("recordings", "Recording resources", requires_modules=("res_stasis_recording",)),
    ResourceInfo("sounds", "Sound resources"),
    ResourceInfo("playbacks", "Playback control resources", requires_modules=("res_stasis_playback",)),
    ResourceInfo("deviceStates", "Device state resources", requires_modules=("res_stasis_device_state",)),
    ResourceInfo("mailboxes", "Mailboxes resources", since=("12.1.0",),
                 requires_modules=("res_stasis_mailbox",)),
    ResourceInfo("events", "WebSocket resource", requires_modules=("res_http_websocket",),
                 swagger_version="1.2"),
    ResourceInfo("applications", "Stasis application resources", since=("13.0.0",)),
)


# ---- parameter declaration helpers -------------------------------------------------------

def _allow(values: Iterable[Any] | None, minimum: float | None, maximum: float | None) -> AllowableValues | None:
    if values is not None:
        return AllowableValues(values=tuple(values))
    if minimum is not None or maximum is not None:
        return AllowableValues(minimum=minimum, maximum=maximum)
    return None


def path(name: str, doc: str = "", *, type: str = "string", required: bool = True) -> Parameter:
    """A path parameter (``{channelId}``)."""
    return Parameter(name, "path", type, required=required, description=doc)


def query(name: str, doc: str = "", *, type: str = "string", required: bool = False, default: Any = None,
          values: Iterable[Any] | None = None, min: float | None = None, max: float | None = None,
          multiple: bool = False) -> Parameter:
    """A query parameter (also accepted from a form or JSON body, as Asterisk does)."""
    return Parameter(name, "query", type, required=required, allow_multiple=multiple, default=default,
                     allowable=_allow(values, min, max), description=doc)


def body(name: str, doc: str = "", *, type: str = "containers", required: bool = False) -> Parameter:
    """A body parameter (``variables`` object, ``fields`` list, the eventFilter object)."""
    return Parameter(name, "body", type, required=required, description=doc)


# ---- calls and replies -------------------------------------------------------------------

@dataclass
class Reply:
    """A handler's answer when it is not a plain 200/204 (e.g. 201 with ``Location``)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # binary bodies (stored recording files)
    content_type: str | None = None


@dataclass
class Call:
    """One parsed request, as a handler sees it."""

    operation: Operation
    path: dict[str, str]
    params: dict[str, Any]
    body: Any = None
    user: str | None = None

    def has(self, name: str) -> bool:
        return name in self.params

    def get(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def text(self, name: str, default: str = "") -> str:
        value = self.params.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def int(self, name: str, default: int = 0) -> int:
        """C ``atoi`` semantics, as Asterisk: ``timeout=abc`` silently reads as 0."""
        value = self.params.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return int(value)
        match = re.match(r"\s*([+-]?\d+)", str(value))
        return int(match.group(1)) if match else 0

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.params.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "yes", "1", "on", "y", "t")

    def list(self, name: str) -> list[str]:
        """A comma-separated (allowMultiple) parameter; a JSON list is accepted as well."""
        value = self.params.get(name)
        if value is None:
            return []
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [part for part in str(value).split(",")]

    def containers(self, name: str = "variables") -> dict[str, Any]:
        """A body object such as ``{"variables": {...}}``; empty when absent."""
        value = self.params.get(name)
        return dict(value) if isinstance(value, dict) else {}


@dataclass
class Route:
    operation: Operation
    handler: Handler
    missing: dict[str, Any]
    gap: str | None = None


# ---- the table ---------------------------------------------------------------------------

class _Node:
    __slots__ = ("literal", "wildcard", "wildcard_name", "routes")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.wildcard: _Node | None = None
        self.wildcard_name = ""
        self.routes: dict[str, Route] = {}


class RouteTable:
    """Operations by (method, path template), matched the way Asterisk's handler tree does:
    per segment a literal child wins over the ``{param}`` child, with no backtracking, then a
    missing method gives 405 with ``Allow``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._root = _Node()

    @property
    def gaps(self) -> dict[str, str]:
        return {r.operation.name: r.gap for r in self.routes if r.gap}

    def route(self, resource: str, method: str, template: str, nickname: str, response: str = "void", *,
              params: Iterable[Parameter] = (), errors: dict[int, str] | None = None, summary: str = "",
              notes: str = "", since: Iterable[str] = (), upgrade: str | None = None,
              missing: dict[str, Any] | None = None) -> Callable[[Handler], Handler]:
        """Declare an operation and register the decorated function as its handler."""
        op = Operation(
            resource=resource, nickname=nickname, method=method.upper(), path=template, summary=summary,
            notes=notes, parameters=tuple(params), response_class=response,
            error_responses=tuple(ErrorResponse(code, reason) for code, reason in (errors or {}).items()),
            since=tuple(since) or ("12.0.0",), upgrade=upgrade)  # every ARI operation dates from 12.0.0 on

        def register(fn: Handler) -> Handler:
            self.add(Route(op, fn, dict(missing or {})))
            return fn

        return register

    def gap(self, resource: str, method: str, template: str, nickname: str, response: str = "void", *,
            reason: str, **kwargs: Any) -> None:
        """Declare an operation the simulator does not simulate; it answers 501 with ``reason``."""
        def not_simulated(ast: Any, call: Call) -> Any:
            raise AriFailure(501, f"Not implemented in the simulator: {reason}")

        self.route(resource, method, template, nickname, response, **kwargs)(not_simulated)
        self.routes[-1].gap = reason

    def add(self, route: Route) -> None:
        node = self._root
        for segment in _segments(route.operation.path):
            if segment.startswith("{") and segment.endswith("}"):
                if node.wildcard is None:
                    node.wildcard = _Node()
                    node.wildcard_name = segment[1:-1]
                node = node.wildcard
            else:
                node = node.literal.setdefault(segment, _Node())
        existing = node.routes.get(route.operation.method)
        if existing is not None:
            self.routes.remove(existing)
        node.routes[route.operation.method] = route
        self.routes.append(route)

    def find(self, path_text: str) -> tuple[_Node | None, dict[str, str]]:
        """The node for a request path (relative to ``/ari``) and its path parameters."""
        node = self._root
        found: dict[str, str] = {}
        for segment in _segments(path_text):
            child = node.literal.get(segment)
            if child is None and node.wildcard is not None:
                found[_param_name(node)] = unquote(segment)
                child = node.wildcard
            if child is None:
                return None, {}
            node = child
        return node, found

    def match(self, method: str, path_text: str) -> tuple[Route, dict[str, str]]:
        """The route for a request, or ``AriFailure`` 404 ``Resource not found`` / 405 ``Invalid method``."""
        node, found = self.find(path_text)
        if node is None:
            raise AriFailure(404, "Resource not found")
        route = node.routes.get(method.upper())
        if route is None:
            raise AriFailure(405, "Invalid method", headers={"Allow": allow_header(node)})
        return route, found

    def allowed(self, path_text: str) -> str | None:
        """``Allow`` header value for a path, or None when the path is unknown."""
        node, _ = self.find(path_text)
        return None if node is None else allow_header(node)

    def operation(self, name: str) -> Operation:
        for route in self.routes:
            if route.operation.name == name:
                return route.operation
        raise KeyError(name)

    def spec(self) -> Spec:
        """The api-docs of everything declared, as a ``Spec`` (resources in Asterisk's order)."""
        resources: dict[str, Resource] = {}
        for info in RESOURCES:
            ops = tuple(r.operation for r in self.routes if r.operation.resource == info.name)
            paths: list[tuple[str, str]] = []
            for op in ops:
                if op.path not in dict(paths):
                    paths.append((op.path, op.summary))
            resources[info.name] = Resource(
                name=info.name, description=info.description, operations=ops, models=models_for(info.name),
                api_version=RESOURCE_API_VERSION, swagger_version=info.swagger_version,
                requires_modules=info.requires_modules, since=info.since, path_descriptions=tuple(paths))
        return Spec.build(resources, api_version=API_VERSION, swagger_version="1.1")


def allow_header(node: _Node) -> str:
    order = ["GET", "POST", "PUT", "DELETE"]
    methods = sorted(node.routes, key=lambda m: order.index(m) if m in order else len(order))
    return ",".join(["OPTIONS", *methods])


def _param_name(node: _Node) -> str:
    return node.wildcard_name


def _segments(path_text: str) -> list[str]:
    return [s for s in path_text.split("/") if s]


# The one table every resource module registers on.
ROUTES = RouteTable()


# ---- request handling (sans-I/O) ---------------------------------------------------------

def parse_params(query_pairs: Iterable[tuple[str, str]], raw_body: bytes, content_type: str | None,
                 operation: Operation | None = None) -> tuple[dict[str, Any], Any]:
    """Merge query string, form body and JSON body into one parameter dict (last value wins).

    A JSON object body contributes its keys (other keys than body parameters act as query
    parameters, as Asterisk documents); a JSON array adds nothing; malformed JSON is a 400
    ``Error parsing request body``. Returns ``(params, decoded_json_body)``.
    """
    params: dict[str, Any] = {}
    for key, value in query_pairs:
        params[key] = value
    decoded: Any = None
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if raw_body:
        if ctype == "application/x-www-form-urlencoded":
            for key, value in parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True):
                params[key] = value
        elif ctype == "application/json" or (not ctype and raw_body.lstrip()[:1] in (b"{", b"[")):
            try:
                decoded = json.loads(raw_body)
            except ValueError:
                raise AriFailure(400, "Error parsing request body") from None
            if isinstance(decoded, dict):
                whole = _whole_body_param(operation)
                if whole is not None:
                    params[whole] = decoded
                else:
                    params.update(decoded)
    return params, decoded


def _whole_body_param(operation: Operation | None) -> str | None:
    """Body parameters of type ``object`` (applications.filter) take the whole JSON body."""
    if operation is None:
        return None
    for p in operation.parameters:
        if p.param_type == "body" and p.data_type == "object":
            return p.name
    return None


def handle(ast: Any, method: str, path_text: str, query_pairs: Iterable[tuple[str, str]],
           raw_body: bytes = b"", content_type: str | None = None, user: str | None = None,
           table: RouteTable = ROUTES) -> Reply:
    """Run one REST request through the table: match, parse, check, call the handler.

    ``path_text`` is relative to ``/ari`` (``/channels/abc/answer``). Always returns a
    ``Reply``; failures become their status and ``{"message": ...}`` body.
    """
    try:
        route, path_params = table.match(method, path_text)
        params, decoded = parse_params(query_pairs, raw_body, content_type, route.operation)
        call = Call(route.operation, path_params, params, decoded, user)
        _check_required(route, call)
        result = route.handler(ast, call)
    except AriFailure as failure:
        return Reply(failure.status, failure.body, dict(failure.headers))
    except Exception as exc:  # a simulator bug: say so loudly (log + 500 naming it), never hide it
        import traceback

        where = f"{method} {path_text}"
        ast.write_log("ERROR", f"simulator bug in {where}: {exc!r}\n{traceback.format_exc()}")
        return Reply(500, {"message": f"Simulator error in {where}: {type(exc).__name__}: {exc}"})
    if isinstance(result, Reply):
        return result
    if result is None and route.operation.response_class == "void":
        return Reply(204, None)
    return Reply(200, result)


def _check_required(route: Route, call: Call) -> None:
    for p in route.operation.parameters:
        if not p.required or p.param_type == "path":
            continue
        if p.name in route.missing and route.missing[p.name] is None:
            continue  # the handler checks this one itself
        value = call.params.get(p.name)
        if value is None or (p.param_type != "body" and value == ""):
            message = route.missing.get(p.name, f"Missing parameter {p.name}")
            if isinstance(message, tuple):
                raise AriFailure(message[0], message[1])
            raise AriFailure(400, message)
