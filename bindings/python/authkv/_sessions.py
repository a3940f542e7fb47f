"""Sessions: create, load, save, the three rotations, destroy, CSRF, and a
user's devices."""

from __future__ import annotations

import ctypes
from typing import Any, List, Optional

from . import _convert as conv
from . import _ffi
from ._base import EngineBase
from .errors import CsrfMismatch
from .records import NewSession, Session, SessionInfo


class SessionsMixin(EngineBase):
    """The session half of ``Engine``."""

    def _new_session(self, name: str, *args: Any) -> NewSession:
        sid = self._buffer(_ffi.SESSION_ID_SIZE)
        csrf = self._buffer(_ffi.CSRF_TOKEN_SIZE)
        self._call(name, *args, sid, len(sid), csrf, len(csrf), None)
        return NewSession(self._secret(sid), self._secret(csrf))

    def create_session(self, ip: str = "", user_agent: str = "") -> NewSession:
        """Start a visitor's session: a fresh id and CSRF token, no user."""
        ip_raw, ua = conv.text(ip, "ip"), conv.text(user_agent, "user_agent")
        return self._new_session("session_create", ip_raw, len(ip_raw), ua, len(ua))

    def load_session(self, session_id: str) -> Session:
        """The live session with this id (raises ``NotFound``)."""
        sid = conv.text(session_id, "session_id")
        out = ctypes.POINTER(_ffi.Session)()
        self._call("session_load", sid, len(sid), ctypes.byref(out))
        try:
            return Session._from_c(out.contents)
        finally:
            self._lib.authkv_session_free(out)

    def save_session(
        self, session_id: str, payload: bytes, expected_version: Optional[int] = None
    ) -> int:
        """Replace the payload; with ``expected_version`` only if nobody wrote
        since (else ``Conflict``). Returns the new version."""
        sid = conv.text(session_id, "session_id")
        data = conv.payload(payload)
        check, expected = conv.optional_u64(expected_version, "expected_version")
        version = ctypes.c_uint64()
        self._call(
            "session_save", sid, len(sid), data, len(data), check, expected, ctypes.byref(version)
        )
        return version.value

    def login(self, session_id: str, user_id: int) -> NewSession:
        """Log ``user_id`` in: the id and CSRF token rotate; the old id dies."""
        sid = conv.text(session_id, "session_id")
        return self._new_session("session_login", sid, len(sid), conv.u64(user_id, "user_id"))

    def regenerate_session(self, session_id: str) -> NewSession:
        """New id and CSRF token; user and payload kept."""
        sid = conv.text(session_id, "session_id")
        return self._new_session("session_regenerate", sid, len(sid))

    def invalidate_session(self, session_id: str) -> NewSession:
        """Log out: user and payload cleared, id and CSRF token rotated."""
        sid = conv.text(session_id, "session_id")
        return self._new_session("session_invalidate", sid, len(sid))

    def destroy_session(self, session_id: str) -> None:
        """Delete the session (raises ``NotFound`` when there was none)."""
        sid = conv.text(session_id, "session_id")
        self._call("session_destroy", sid, len(sid))

    def csrf_token(self, session_id: str) -> str:
        """The session's CSRF token."""
        sid = conv.text(session_id, "session_id")
        out = self._buffer(_ffi.CSRF_TOKEN_SIZE)
        self._call("session_csrf_token", sid, len(sid), out, len(out), None)
        return self._secret(out)

    def verify_csrf(self, session_id: str, token: str) -> bool:
        """Whether ``token`` is the session's CSRF token (constant time).
        Raises ``NotFound`` when the session is not live."""
        sid, raw = conv.text(session_id, "session_id"), conv.text(token, "token")
        try:
            self._call("session_csrf_verify", sid, len(sid), raw, len(raw))
        except CsrfMismatch:
            return False
        return True

    def rotate_csrf(self, session_id: str) -> str:
        """Give the session a new CSRF token and return it."""
        sid = conv.text(session_id, "session_id")
        out = self._buffer(_ffi.CSRF_TOKEN_SIZE)
        self._call("session_csrf_rotate", sid, len(sid), out, len(out), None)
        return self._secret(out)

    def user_sessions(self, user_id: int) -> List[SessionInfo]:
        """The user's live sessions, oldest first, by public handle."""
        out = ctypes.POINTER(_ffi.SessionList)()
        self._call("session_list_user", conv.u64(user_id, "user_id"), ctypes.byref(out))
        try:
            listed = out.contents
            return [
                SessionInfo(
                    handle=item.handle.decode("ascii"),
                    ip=item.ip.text(),
                    user_agent=item.user_agent.text(),
                    created_at=item.created_at,
                    last_activity=item.last_activity,
                )
                for item in (listed.items[i] for i in range(listed.len))
            ]
        finally:
            self._lib.authkv_session_list_free(out)

    def revoke_session(self, handle: str) -> None:
        """Delete one session by its public handle."""
        raw = conv.text(handle, "handle")
        self._call("session_revoke", raw, len(raw))

    def revoke_user_sessions(self, user_id: int, keep: Optional[str] = None) -> int:
        """Delete every session of the user except ``keep``; returns how many."""
        raw, raw_len = conv.nbytes(conv.optional_text(keep, "keep"))
        revoked = ctypes.c_size_t()
        self._call(
            "session_revoke_user", conv.u64(user_id, "user_id"), raw, raw_len, ctypes.byref(revoked)
        )
        return revoked.value
