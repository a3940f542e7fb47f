"""authkv for Python: sessions, CSRF, personal access tokens, passwords,
login throttling and remember-me in one embedded file, over the C library
``libauthkv.so`` (loaded with ctypes; see ``_ffi.library_path`` for where
it is looked for).

>>> with Engine("app.redb") as engine:                      # doctest: +SKIP
...     visitor = engine.create_session("203.0.113.9", "Mozilla/5.0")
...     user = engine.login(visitor.id, 42)
...     who = engine.authenticate("GET", {
...         "Cookie": f"authkv_session={user.id}",
...         "Origin": "http://localhost:3000",
...     })
...     who.user_id
42
"""

from .engine import Engine
from .errors import (
    AlreadyExists,
    AuthkvError,
    BufferTooSmall,
    Closed,
    ConfirmationRequired,
    Conflict,
    Corrupt,
    CsrfMismatch,
    Forbidden,
    InternalError,
    InvalidArgument,
    InvalidCredentials,
    IoFailure,
    Locked,
    Misuse,
    NotAuthkv,
    NotFound,
    NotRedb,
    Panic,
    Unavailable,
    Unsupported,
    PayloadTooLarge,
    QuotaExhausted,
    RateLimited,
    SchemaTooNew,
    StorageFailure,
    TheftDetected,
    Throttled,
    Unauthenticated,
)
from .records import (
    GcReport,
    NewSession,
    NewToken,
    Principal,
    Quota,
    RateLimit,
    Session,
    SessionInfo,
    Stats,
    Token,
    TokenInfo,
    TokenLimits,
)


def library_version() -> str:
    """The version of the loaded ``libauthkv``, for example ``"0.1.0"``."""
    from ._ffi import load

    version: bytes = load().authkv_version_str()
    return version.decode("ascii")


__all__ = [
    "AlreadyExists",
    "AuthkvError",
    "BufferTooSmall",
    "Closed",
    "ConfirmationRequired",
    "Conflict",
    "Corrupt",
    "CsrfMismatch",
    "Engine",
    "Forbidden",
    "GcReport",
    "InternalError",
    "InvalidArgument",
    "InvalidCredentials",
    "IoFailure",
    "Locked",
    "Misuse",
    "NewSession",
    "NewToken",
    "NotAuthkv",
    "NotFound",
    "NotRedb",
    "Panic",
    "Unavailable",
    "Unsupported",
    "PayloadTooLarge",
    "Principal",
    "Quota",
    "QuotaExhausted",
    "RateLimit",
    "RateLimited",
    "SchemaTooNew",
    "Session",
    "SessionInfo",
    "Stats",
    "StorageFailure",
    "TheftDetected",
    "Throttled",
    "Token",
    "TokenInfo",
    "TokenLimits",
    "Unauthenticated",
    "library_version",
]
