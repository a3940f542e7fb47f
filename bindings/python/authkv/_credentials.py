"""Passwords (set, a throttled login attempt, confirm, change) and
remember-me tokens (create, consume with rotation, revoke)."""

from __future__ import annotations

import ctypes
from typing import Optional, Tuple

from . import _convert as conv
from . import _ffi
from ._base import EngineBase
from .errors import TheftDetected, Throttled


class CredentialsMixin(EngineBase):
    """The credential half of ``Engine``."""

    def set_password(self, user_id: int, login: str, password: str) -> None:
        """Set the user's login and password (argon2id); ``AlreadyExists``
        when another user holds the login."""
        raw_login, raw_password = conv.text(login, "login"), conv.text(password, "password")
        self._call(
            "password_set",
            conv.u64(user_id, "user_id"),
            raw_login,
            len(raw_login),
            raw_password,
            len(raw_password),
        )

    def attempt(self, login: str, password: str, ip: str) -> int:
        """Log in: the user id, or ``InvalidCredentials``, or ``Throttled``
        with ``.retry_after`` seconds."""
        raw_login, raw_password = conv.text(login, "login"), conv.text(password, "password")
        raw_ip = conv.text(ip, "ip")
        user, retry_after = ctypes.c_uint64(), ctypes.c_uint64()
        try:
            self._call(
                "password_attempt",
                raw_login,
                len(raw_login),
                raw_password,
                len(raw_password),
                raw_ip,
                len(raw_ip),
                ctypes.byref(user),
                ctypes.byref(retry_after),
            )
        except Throttled as throttled:
            throttled.retry_after = retry_after.value
            raise
        return user.value

    def verify_password(self, user_id: int, password: str) -> bool:
        """Whether ``password`` is the user's (one argon2 run; not throttled)."""
        from .errors import InvalidCredentials

        raw = conv.text(password, "password")
        try:
            self._call("password_verify", conv.u64(user_id, "user_id"), raw, len(raw))
        except InvalidCredentials:
            return False
        return True

    def confirm_password(self, session_id: str, password: str) -> None:
        """Confirm the password of the user logged in on ``session_id``
        before a sensitive action: the session is fresh from now. Raises
        ``InvalidCredentials`` (counted), ``Throttled`` with ``.retry_after``,
        ``NotFound`` or ``Unauthenticated`` for a guest's session."""
        sid, raw = conv.text(session_id, "session_id"), conv.text(password, "password")
        retry_after = ctypes.c_uint64()
        try:
            self._call(
                "session_confirm_password", sid, len(sid), raw, len(raw), ctypes.byref(retry_after)
            )
        except Throttled as throttled:
            throttled.retry_after = retry_after.value
            raise

    def is_fresh(self, session_id: str, max_age_secs: int) -> bool:
        """Whether the user on ``session_id`` proved the password within
        ``max_age_secs`` (at login or by ``confirm_password``)."""
        sid = conv.text(session_id, "session_id")
        fresh = ctypes.c_bool()
        self._call(
            "session_is_fresh", sid, len(sid), conv.u64(max_age_secs, "max_age_secs"),
            ctypes.byref(fresh),
        )
        return fresh.value

    def change_password(
        self,
        user_id: int,
        new_password: str,
        keep_session: Optional[str] = None,
        revoke_tokens: bool = False,
    ) -> None:
        """Store a new password; revoke every other session (``keep_session``
        survives), every remember-me token and, with ``revoke_tokens``, every
        personal access token of the user."""
        raw = conv.text(new_password, "new_password")
        keep, keep_len = conv.nbytes(conv.optional_text(keep_session, "keep_session"))
        if not isinstance(revoke_tokens, bool):
            raise TypeError("revoke_tokens must be bool")
        self._call(
            "password_change",
            conv.u64(user_id, "user_id"),
            raw,
            len(raw),
            keep,
            keep_len,
            revoke_tokens,
        )

    def create_remember_token(self, user_id: int) -> str:
        """A remember-me token for the user's cookie."""
        out = self._buffer(_ffi.REMEMBER_TOKEN_SIZE)
        self._call("remember_create", conv.u64(user_id, "user_id"), out, len(out), None)
        return self._secret(out)

    def consume_remember_token(self, token: str) -> Tuple[int, str]:
        """Log in with a remember-me cookie: ``(user_id, rotated_token)``.
        ``Unauthenticated`` when it is not valid; ``TheftDetected`` (with
        ``.user_id``) when an old copy was replayed."""
        raw = conv.text(token, "token")
        user = ctypes.c_uint64()
        out = self._buffer(_ffi.REMEMBER_TOKEN_SIZE)
        try:
            self._call(
                "remember_consume", raw, len(raw), ctypes.byref(user), out, len(out), None
            )
        except TheftDetected as theft:
            theft.user_id = user.value
            raise
        return user.value, self._secret(out)

    def revoke_remember_tokens(self, user_id: int) -> int:
        """Delete every remember-me token of the user; returns how many."""
        revoked = ctypes.c_size_t()
        self._call("remember_revoke_user", conv.u64(user_id, "user_id"), ctypes.byref(revoked))
        return revoked.value
