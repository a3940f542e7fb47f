"""What the engine returns: plain records copied out of the library's
objects, and the two objects that keep a library object alive because
their checks run in the library (``Token`` and ``Principal``).
"""

from __future__ import annotations

import ctypes
import weakref
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Tuple, Type, TypeVar

from . import _convert, _ffi


@dataclass(frozen=True)
class NewSession:
    """The id and CSRF token a create or rotation issued."""

    #: The session id for the session cookie (40 characters).
    id: str
    #: The CSRF token (40 characters).
    csrf_token: str

    def __repr__(self) -> str:  # secrets stay out of logs
        return "NewSession(id=…, csrf_token=…)"


@dataclass(frozen=True)
class Session:
    """A live session as loaded."""

    payload: bytes
    version: int
    user_id: Optional[int]
    csrf_token: str
    ip: str
    user_agent: str
    created_at: int
    last_activity: int

    @classmethod
    def _from_c(cls, s: _ffi.Session) -> "Session":
        return cls(
            payload=s.payload.bytes(),
            version=s.version,
            user_id=s.user_id if s.has_user else None,
            csrf_token=s.csrf_token.decode("ascii"),
            ip=s.ip.text(),
            user_agent=s.user_agent.text(),
            created_at=s.created_at,
            last_activity=s.last_activity,
        )

    def __repr__(self) -> str:
        return f"Session(user_id={self.user_id!r}, version={self.version}, payload={len(self.payload)} bytes)"


@dataclass(frozen=True)
class SessionInfo:
    """One of a user's sessions, by public handle ("your devices")."""

    handle: str
    ip: str
    user_agent: str
    created_at: int
    last_activity: int


@dataclass(frozen=True)
class NewToken:
    """A personal access token just created; ``plain_text`` is shown once."""

    id: int
    plain_text: str

    def __repr__(self) -> str:
        return f"NewToken(id={self.id}, plain_text=…)"


@dataclass(frozen=True)
class TokenInfo:
    """One of a user's tokens ("your tokens"); never the secret."""

    id: int
    name: str
    abilities: Tuple[str, ...]
    created_at: int
    last_used_at: Optional[int]
    expires_at: Optional[int]
    expired: bool


@dataclass(frozen=True)
class RateLimit:
    """At most ``max`` requests per ``window`` seconds, the window counted
    from its first request; the next one raises ``RateLimited``."""

    #: Requests admitted per window (at least 1).
    max: int
    #: The window in whole seconds (at least 1).
    window: int


@dataclass(frozen=True)
class Quota:
    """``remaining`` uses, then ``QuotaExhausted``; with a
    ``refill_interval`` (seconds, counted from when the quota was set),
    ``remaining`` is reset to ``refill_amount`` that often. ``None`` never
    refills."""

    #: Uses left (read back: as of now).
    remaining: int
    #: What ``remaining`` is reset to at each refill (at least 1 when it refills).
    refill_amount: int = 0
    #: Seconds between refills (at least 1), or ``None``: never.
    refill_interval: Optional[int] = None


@dataclass(frozen=True)
class TokenLimits:
    """A token's limits as ``Engine.token_limits`` reads them back (at
    least one of the two is set)."""

    rate_limit: Optional[RateLimit]
    quota: Optional[Quota]


@dataclass(frozen=True)
class Stats:
    """Counters and sizes of an engine."""

    sessions: int
    write_commits: int
    touches_pending: int
    lookups: int
    gc_examined: int
    gc_deleted: int
    background_errors: int
    tokens: int
    password_verifications: int
    credentials: int
    remember_tokens: int


@dataclass(frozen=True)
class GcReport:
    """What one ``gc()`` did."""

    sessions_deleted: int
    records_examined: int
    batches: int
    tokens_deleted: int
    throttles_deleted: int
    remember_tokens_deleted: int


R = TypeVar("R")


def copy_fields(record_type: Type[R], struct: Any) -> R:
    """A record of ``record_type`` with the same-named fields of ``struct``."""
    names = record_type.__dataclass_fields__  # type: ignore[attr-defined]
    return record_type(**{name: getattr(struct, name) for name in names})


class _Owned:
    """Holds a library-owned object and frees it when collected (or at
    ``close()``)."""

    _free_name = ""

    def __init__(self, lib: Any, pointer: Any) -> None:
        self._lib = lib
        self._ptr = pointer
        self._finalizer = weakref.finalize(self, getattr(lib, self._free_name), pointer)

    def close(self) -> None:
        """Free the library object now (idempotent); the Python attributes
        stay readable, the checks that call the library do not."""
        self._finalizer()

    def _pointer(self) -> Any:
        if not self._finalizer.alive:
            raise ValueError(f"this {type(self).__name__} was closed")
        return self._ptr

    def _check(self, status: int) -> None:
        if status:
            from .errors import error_for

            raise error_for(status, self._lib.authkv_last_error().decode("utf-8", "replace"))


class Token(_Owned):
    """A token that authenticated: its id, user and abilities."""

    _free_name = "authkv_token_free"

    def __init__(self, lib: Any, pointer: Any) -> None:
        super().__init__(lib, pointer)
        c = pointer.contents
        #: The token's id.
        self.id: int = c.id
        #: The user the token acts for.
        self.user_id: int = c.user_id
        #: What the token may do (``"*"`` grants everything).
        self.abilities: Tuple[str, ...] = c.abilities.texts()

    def can(self, ability: str) -> bool:
        """Whether the token grants ``ability`` (exactly, or through ``*``)."""
        answer = ctypes.c_bool()
        raw = _convert.text(ability, "ability")
        self._check(self._lib.authkv_token_can(self._pointer(), raw, len(raw), answer))
        return answer.value

    def cant(self, ability: str) -> bool:
        """Whether the token lacks ``ability``."""
        answer = ctypes.c_bool()
        raw = _convert.text(ability, "ability")
        self._check(self._lib.authkv_token_cant(self._pointer(), raw, len(raw), answer))
        return answer.value

    def __repr__(self) -> str:
        return f"Token(id={self.id}, user_id={self.user_id}, abilities={self.abilities!r})"


class Principal(_Owned):
    """Who sent a request, as ``Engine.authenticate`` decided."""

    _free_name = "authkv_principal_free"

    def __init__(self, lib: Any, pointer: Any) -> None:
        super().__init__(lib, pointer)
        c = pointer.contents
        #: The authenticated user.
        self.user_id: int = c.user_id
        #: ``"session"`` or ``"token"``.
        self.via: str = "session" if c.via == _ffi.VIA_SESSION else "token"
        #: The token's id when ``via == "token"``, else ``None``.
        self.token_id: Optional[int] = c.token_id if c.via == _ffi.VIA_TOKEN else None
        #: ``("*",)`` for a session user, the token's abilities otherwise.
        self.abilities: Tuple[str, ...] = c.abilities.texts()
        #: The loaded session when ``via == "session"``, else ``None``.
        self.session: Optional[Session] = (
            Session._from_c(c.session.contents) if c.session else None
        )

    def require(  # noqa: A002 - Sanctum's names
        self, all: Iterable[str] = (), any: Iterable[str] = ()
    ) -> None:
        """Raise ``Forbidden`` unless the principal has every ability in
        ``all`` and, when ``any`` is not empty, one in ``any``."""
        every = _convert.abilities(all, "all")
        one_of = _convert.abilities(any, "any")
        self._check(
            self._lib.authkv_principal_require(
                self._pointer(), every, len(every), one_of, len(one_of)
            )
        )

    def __repr__(self) -> str:
        return f"Principal(user_id={self.user_id}, via={self.via!r}, abilities={self.abilities!r})"
