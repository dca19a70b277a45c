"""Server URLs without credentials: the root URL, the ARI base and the events WebSocket URL.

Why a module: every place that shows a URL (repr, errors, logs, request records) must show one
that carries no password, so the one place that builds URLs strips them.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

from .._errors import ConfigurationError
from .._record import Record

_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


class ServerUrl(Record):
    """``root`` like ``http://127.0.0.1:8088`` (no credentials, no ``/ari``)."""

    __slots__ = ("root", "secure", "url_username", "url_password")
    _masked = ("url_password",)

    def __init__(self, root: str, secure: bool, url_username: str | None = None,
                 url_password: str | None = None) -> None:
        self.root = root
        self.secure = secure
        self.url_username = url_username  # credentials found in the URL, removed from ``root``
        self.url_password = url_password

    @property
    def ari(self) -> str:
        return self.root + "/ari"

    @property
    def events(self) -> str:
        return ("wss" if self.secure else "ws") + self.root[self.root.index(":"):] + "/ari/events"


def parse_server_url(url: str) -> ServerUrl:
    """Accept ``http(s)://host:port``, a URL already ending in ``/ari``, or ``ws(s)://``."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError("no ARI URL given: pass e.g. 'http://127.0.0.1:8088'")
    parts = urlsplit(url.strip())
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise ConfigurationError(
            f"ARI URL must look like http://host:8088 or https://host:8089, got scheme "
            f"{parts.scheme or '(none)'!r} and host {parts.hostname or '(none)'!r}")
    path = parts.path.rstrip("/")
    for suffix in ("/ari/api-docs/resources.json", "/ari/events", "/ari"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    root = urlunsplit((scheme, netloc, path, "", ""))
    return ServerUrl(root=root, secure=scheme == "https",
                     url_username=unquote(parts.username) if parts.username else None,
                     url_password=unquote(parts.password) if parts.password else None)


def events_query(apps: list[str], subscribe_all: bool) -> dict[str, str]:
    query = {"app": ",".join(apps)}
    if subscribe_all:
        query["subscribeAll"] = "true"
    return query


def safe_path(path: str) -> str:
    """The path of a request as shown to people: never with a query (where api_key could live)."""
    return path.split("?", 1)[0]


__all__ = ["ServerUrl", "events_query", "parse_server_url", "quote", "safe_path"]
