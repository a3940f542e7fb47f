"""Exceptions: one class per status of the C API, all under ``AuthkvError``.

Each carries ``.status`` (the number, stable across releases),
``.message`` (the library's ``authkv_last_error()`` text, which names the
function and what was wrong, never a secret) and ``.http_status``, the
response a web application answers with when it lets the error through
(401, 403, 419, 429, …; 500 for what is the server's fault).
"""

from __future__ import annotations

from typing import Optional


class AuthkvError(Exception):
    """A call into authkv failed."""

    #: The ``AUTHKV_*`` status number.
    status: int = -1
    #: The HTTP status a web application answers with.
    http_status: int = 500

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class InvalidArgument(AuthkvError, ValueError):
    """Malformed or out-of-range input (statuses 1, 2)."""

    http_status = 400


class BufferTooSmall(AuthkvError):
    """An output buffer was too small (3); a binding bug if it ever shows."""


class PayloadTooLarge(AuthkvError, ValueError):
    """A session payload is larger than ``max_payload`` (4)."""

    http_status = 413


class Misuse(AuthkvError):
    """Not allowed in this state (5): setting the time of a system-clock
    engine, or opening an open file with different options."""


class NotFound(AuthkvError, LookupError):
    """No such live session, handle, token or credential (100)."""

    http_status = 404


class Conflict(AuthkvError):
    """The session changed since it was read (101, HTTP 409)."""

    http_status = 409


class CsrfMismatch(AuthkvError):
    """The CSRF token does not match (102, HTTP 419)."""

    http_status = 419


class Unauthenticated(AuthkvError):
    """No valid credentials (103, HTTP 401)."""

    http_status = 401


class Forbidden(AuthkvError):
    """An ability is missing (104, HTTP 403)."""

    http_status = 403


class Throttled(AuthkvError):
    """Too many failed logins (105, HTTP 429); retry after ``.retry_after``
    seconds."""

    http_status = 429
    retry_after: int = 0


class AlreadyExists(AuthkvError):
    """The login, token id or token digest is taken (106, HTTP 409)."""

    http_status = 409


class InvalidCredentials(AuthkvError):
    """Unknown login or wrong password (107, HTTP 401)."""

    http_status = 401


class TheftDetected(AuthkvError):
    """A stolen remember-me cookie was replayed (108): every remember-me
    token of ``.user_id`` has been revoked; the visitor logs in again
    (HTTP 401)."""

    http_status = 401
    user_id: int = 0


class ConfirmationRequired(AuthkvError):
    """The action needs a recent proof of the password (109): ask for it
    with ``Engine.confirm_password`` (HTTP 423)."""

    http_status = 423


class RateLimited(AuthkvError):
    """A valid token used up its rate limit for this window (110, HTTP
    429); retry after ``.retry_after`` seconds, the rest of the window
    (send it as ``Retry-After``)."""

    http_status = 429
    retry_after: int = 0


class QuotaExhausted(AuthkvError):
    """A valid token used up its quota (111, HTTP 429); ``.retry_after`` is
    the seconds until it refills, ``None`` for a quota that never does."""

    http_status = 429
    retry_after: Optional[int] = None


class Locked(AuthkvError):
    """Another process has the database file open in the other mode: one
    of the two asked for ``exclusive`` (200)."""


class NotRedb(AuthkvError):
    """The file is not a redb database (201)."""


class NotAuthkv(AuthkvError):
    """The file is a redb database authkv did not create (202)."""


class SchemaTooNew(AuthkvError):
    """The file was written by a newer authkv (203)."""


class IoFailure(AuthkvError):
    """The operating system refused a read or write (300)."""


class Corrupt(AuthkvError):
    """A stored record failed validation (301)."""


class StorageFailure(AuthkvError):
    """The storage engine failed (302)."""


class Closed(AuthkvError):
    """The engine has been closed (303)."""


class InternalError(AuthkvError):
    """An unexpected internal failure (304)."""


class Panic(AuthkvError):
    """The library panicked inside a call; the process is unharmed (305)."""


class Unavailable(AuthkvError):
    """The database server failed or could not be reached; retry (306)."""

    http_status = 503


class Unsupported(AuthkvError):
    """The storage backend does not offer this operation (307)."""


BY_STATUS = {
    1: InvalidArgument,
    2: InvalidArgument,
    3: BufferTooSmall,
    4: PayloadTooLarge,
    5: Misuse,
    100: NotFound,
    101: Conflict,
    102: CsrfMismatch,
    103: Unauthenticated,
    104: Forbidden,
    105: Throttled,
    106: AlreadyExists,
    107: InvalidCredentials,
    108: TheftDetected,
    109: ConfirmationRequired,
    110: RateLimited,
    111: QuotaExhausted,
    200: Locked,
    201: NotRedb,
    202: NotAuthkv,
    203: SchemaTooNew,
    300: IoFailure,
    301: Corrupt,
    302: StorageFailure,
    303: Closed,
    304: InternalError,
    305: Panic,
    306: Unavailable,
    307: Unsupported,
}


def error_for(status: int, message: str) -> AuthkvError:
    """The exception for a status (``AuthkvError`` itself for an unknown one)."""
    return BY_STATUS.get(status, AuthkvError)(status, message)
