"""``SESSION_ENGINE = "authkv.django.session"``: Django's sessions stored
in authkv.

authkv makes the ids (Django's own key generator is never used), and a
session of a logged-in Django user is also an authkv login for that user,
so ``Engine.user_sessions``, ``revoke_user_sessions`` and
``change_password`` see it. ``cycle_key()`` rotates the id through authkv;
binding the user at the save after ``login()`` rotates it once more, as
authkv's login does. ``flush()`` deletes the row. Sessions live for
authkv's idle lifetime, which defaults to ``SESSION_COOKIE_AGE`` (see
``authkv.django.engine_options``); ``set_expiry()`` only shortens the
cookie.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from django.contrib.sessions.backends.base import SessionBase, UpdateError

from ..engine import Engine
from ..errors import InvalidArgument, NotFound
from . import get_engine

#: Django's session key for the logged-in user's primary key
#: (``django.contrib.auth.SESSION_KEY``).
AUTH_USER_KEY = "_auth_user_id"
U64_MAX = 2**64 - 1


def _user_id(data: Dict[str, Any]) -> Optional[int]:
    """The logged-in user's id when it fits authkv's user ids (an integer
    primary key); ``None`` for no user or another kind of key, whose
    sessions then stay anonymous in authkv."""
    raw = data.get(AUTH_USER_KEY)
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and int(raw) <= U64_MAX:
        return int(raw)
    return None


class SessionStore(SessionBase):
    """A Django session in an authkv session row: the payload is Django's
    encoded (signed) session dictionary."""

    _session_key: Optional[str]  # a property of SessionBase

    def __init__(self, session_key: Optional[str] = None) -> None:
        super().__init__(session_key)
        #: The user authkv has on the row, as last read or written.
        self._authkv_user: Optional[int] = None

    @property
    def engine(self) -> Engine:
        """The process's engine (``authkv.django.get_engine``)."""
        return get_engine()

    def load(self) -> Dict[str, Any]:
        try:
            session = self.engine.load_session(self.session_key)
        except (NotFound, InvalidArgument):
            # Expired, deleted, or not an authkv id at all: a new session.
            self._session_key = None
            return {}
        self._authkv_user = session.user_id
        if not session.payload:
            return {}
        data: Dict[str, Any] = self.decode(session.payload.decode("ascii", "replace"))
        return data

    def exists(self, session_key: str) -> bool:
        try:
            self.engine.load_session(session_key)
        except (NotFound, InvalidArgument):
            return False
        return True

    def create(self) -> None:
        """A new, empty authkv session (authkv picks the id)."""
        self._session_key = self.engine.create_session().id
        self._authkv_user = None
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        data = self._get_session(no_load=must_create)
        try:
            self._bind_user(_user_id(data))
            self.engine.save_session(self.session_key, self.encode(data).encode("ascii"))
        except NotFound:
            # Deleted meanwhile (a logout in another request): Django's
            # middleware answers SessionInterrupted.
            raise UpdateError from None

    def _bind_user(self, user_id: Optional[int]) -> None:
        """Make authkv's user of the row follow Django's: a login rotates
        the id (authkv's login), dropping the user rotates it with the
        user cleared (authkv's invalidate)."""
        if user_id == self._authkv_user:
            return
        if user_id is None:
            rotated = self.engine.invalidate_session(self.session_key)
        else:
            rotated = self.engine.login(self.session_key, user_id)
        self._session_key = rotated.id
        self._authkv_user = user_id

    def cycle_key(self) -> None:
        """A new id for the same data (Django calls it at login): authkv's
        regenerate, which kills the old id."""
        data = self._session
        if self.session_key is None:
            self.create()
        else:
            try:
                self._session_key = self.engine.regenerate_session(self.session_key).id
            except NotFound:
                self.create()
        self._session_cache = data
        self.modified = True

    async def acycle_key(self) -> None:
        """``cycle_key`` for Django's async ``alogin``."""
        from asgiref.sync import sync_to_async

        await sync_to_async(self.cycle_key)()

    def delete(self, session_key: Optional[str] = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        try:
            self.engine.destroy_session(key)
        except (NotFound, InvalidArgument):
            pass

    @classmethod
    def clear_expired(cls) -> None:
        """``manage.py clearsessions``: authkv's collection (expired
        sessions, tokens, throttles and remember-me tokens)."""
        get_engine().gc()
