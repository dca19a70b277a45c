"""Every error ari_notebook raises, in one tree so callers can catch at the level they care about.

    AriError                         root: catch this to catch anything from ari_notebook
    ├── SpecError                    the api-docs could not be read or parsed
    ├── ValidationError              an argument was rejected before any I/O (names operation + parameter)
    ├── ConfigurationError           how to connect is missing or contradictory (no URL, bad scheme, ...)
    ├── TransportError               the network failed (wraps the aiohttp error as __cause__)
    ├── EventStreamError             the events WebSocket was refused, or sent something unreadable
    ├── AriTimeout                   waiting for an event or response took longer than allowed
    ├── MediaFailed                  Asterisk reported that a playback or recording failed
    │   ├── PlaybackFailed           PlaybackFinished with state "failed"
    │   └── RecordingFailed          a RecordingFailed event (its ``cause`` is Asterisk's reason)
    └── HttpError                    the server answered with an error status
        ├── BadRequest               400
        ├── Unauthorized             401
        ├── Forbidden                403
        ├── NotFound                 404
        ├── MethodNotAllowed         405
        ├── Conflict                 409
        ├── PreconditionFailed       412
        ├── UnprocessableEntity      422
        └── ServerError              5xx

No message ever contains a credential: HttpError carries the path only, never the URL with
``api_key`` in its query, and the client strips ``api_key`` before building one.
"""

from __future__ import annotations

from typing import Any


class AriError(Exception):
    """Root of every error raised by ari_notebook."""


class SpecError(AriError):
    """The server's api-docs could not be fetched or understood."""


class ValidationError(AriError, ValueError):
    """An operation's arguments were rejected before anything was sent."""

    def __init__(self, operation: str, parameter: str | None, problem: str) -> None:
        self.operation = operation
        self.parameter = parameter
        self.problem = problem
        where = f"{operation}: parameter {parameter!r}" if parameter else operation
        super().__init__(f"{where}: {problem}")


class ConfigurationError(AriError):
    """Connection settings are missing or contradictory."""


class TransportError(AriError):
    """The HTTP or WebSocket transport failed; the original error is ``__cause__``."""


class EventStreamError(AriError):
    """The events WebSocket was refused or delivered something that is not an event."""


class AriTimeout(AriError, TimeoutError):
    """Waiting for an event or a response exceeded its timeout."""


class MediaFailed(AriError):
    """Asterisk reported that a playback or recording failed; ``event`` is the event that said so.

    Raised by ``playback.wait()`` / ``recording.wait()`` (and ``wait_for("RecordingFinished")``)
    the moment the failure arrives, instead of a timeout later. ``cause`` is Asterisk's own
    reason where the event carries one (RecordingFailed does; PlaybackFinished does not).
    """

    def __init__(self, message: str, event: dict | None = None, cause: str = "") -> None:
        self.event = event or {}
        self.cause = cause
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (self.args[0], self.event, self.cause))


class PlaybackFailed(MediaFailed):
    """A playback ended with state ``failed`` (a missing sound file, the channel hung up, ...)."""


class RecordingFailed(MediaFailed):
    """A recording failed (``cause``: e.g. ``Cannot record channel while in bridge``)."""


class HttpError(AriError):
    """The server answered an operation with an error status.

    ``message`` is ARI's own ``{"message": ...}`` text (or ``{"error": ...}`` for the one
    originate quirk), ``body`` the parsed body when it was JSON.
    """

    status: int = 0

    def __init__(
        self,
        status: int,
        message: str,
        *,
        operation: str | None = None,
        method: str = "",
        path: str = "",
        body: Any = None,
    ) -> None:
        self.status = status
        self.message = message
        self.operation = operation
        self.method = method
        self.path = path
        self.body = body
        op = f"{operation} " if operation else ""
        super().__init__(f"{status} {message!s} ({op}{method} {path})".replace("  ", " ").strip())

    def __reduce__(self):  # keep pickling (multiprocessing, nbclient) working with kw-only args
        return (_rebuild_http_error, (type(self), self.status, self.message, self.operation,
                                      self.method, self.path, self.body))


def _rebuild_http_error(cls, status, message, operation, method, path, body):
    return cls(status, message, operation=operation, method=method, path=path, body=body)


class BadRequest(HttpError):
    """400: a parameter was missing or malformed."""

    status = 400


class Unauthorized(HttpError):
    """401: missing or wrong credentials."""

    status = 401


class Forbidden(HttpError):
    """403: the user is read-only (``Write access denied``)."""

    status = 403


class NotFound(HttpError):
    """404: the object (channel, bridge, playback, ...) does not exist."""

    status = 404


class MethodNotAllowed(HttpError):
    """405: the path exists but not for this method."""

    status = 405


class Conflict(HttpError):
    """409: the object is in the wrong state (e.g. channel not in Stasis)."""

    status = 409


class PreconditionFailed(HttpError):
    """412: a precondition of the operation was not met (e.g. channel not ringing)."""

    status = 412


class UnprocessableEntity(HttpError):
    """422: the request was understood but names something unusable."""

    status = 422


class ServerError(HttpError):
    """5xx: Asterisk failed (or, for some quirks, reports bad input as 500)."""

    status = 500


_BY_STATUS: dict[int, type[HttpError]] = {
    cls.status: cls
    for cls in (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, Conflict,
                PreconditionFailed, UnprocessableEntity)
}


def http_error_for(status: int, message: str, **context: Any) -> HttpError:
    """Build the most specific HttpError subclass for ``status``."""
    if status >= 500:
        cls: type[HttpError] = ServerError
    else:
        cls = _BY_STATUS.get(status, HttpError)
    return cls(status, message, **context)


__all__ = [
    "AriError", "AriTimeout", "BadRequest", "ConfigurationError", "Conflict", "EventStreamError",
    "Forbidden", "HttpError", "MediaFailed", "MethodNotAllowed", "NotFound", "PlaybackFailed",
    "PreconditionFailed", "RecordingFailed", "ServerError", "SpecError", "TransportError", "Unauthorized", "UnprocessableEntity",
    "ValidationError", "http_error_for",
]
