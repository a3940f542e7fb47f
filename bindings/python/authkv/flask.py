"""authkv for Flask: server-side sessions and a guard for views.

::

    import authkv.flask

    engine = authkv.Engine("auth.redb")
    app.session_interface = authkv.flask.AuthkvSessionInterface(engine)

    @app.post("/login")
    def login():
        user_id = engine.attempt(request.form["email"], request.form["password"],
                                 request.remote_addr or "")
        session.login(user_id)                 # new id and CSRF token
        return {"csrf_token": session.csrf_token}

    @app.get("/orders")
    @authkv.flask.abilities_required("orders:read")
    def orders():
        return {"user": g.authkv.user_id}

The session cookie carries only authkv's session id; the data lives in
authkv (Flask's tagged JSON, so the values Flask's own session takes). The
cookie follows Flask's ``SESSION_COOKIE_*`` settings; the row lives for the
engine's ``idle_lifetime_secs``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, TypeVar, Union

from flask import Flask, Request, Response, abort, current_app, g, jsonify, request, session
from flask.sessions import SecureCookieSession, SessionInterface, session_json_serializer

from .engine import Engine
from .errors import AuthkvError, CsrfMismatch, NotFound, Unauthenticated
from .records import Principal

F = TypeVar("F", bound=Callable[..., Any])

#: Methods that change nothing, so need no CSRF token (as the guard's).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What a refusal says to the client, by HTTP status.
MESSAGES = {
    401: "Unauthenticated.",
    403: "Forbidden.",
    419: "CSRF token mismatch.",
    429: "Too Many Attempts.",
}
#: Reason phrases Werkzeug does not know.
REASONS = {419: "Page Expired"}


class AuthkvSession(SecureCookieSession):
    """Flask's session dictionary, plus the authkv row behind it: ``sid``,
    ``user_id`` (``None`` until ``login``) and ``csrf_token``."""

    def __init__(
        self,
        engine: Engine,
        initial: Optional[Dict[str, Any]] = None,
        sid: Optional[str] = None,
        user_id: Optional[int] = None,
        csrf_token: Optional[str] = None,
        client: Tuple[str, str] = ("", ""),
    ) -> None:
        super().__init__(initial)
        self.engine = engine
        self.sid = sid
        self.user_id = user_id
        self.csrf_token = csrf_token
        #: (ip, user agent) recorded when the row is created.
        self._client = client

    def _ensure_row(self) -> str:
        if self.sid is None:
            created = self.engine.create_session(*self._client)
            self.sid, self.csrf_token = created.id, created.csrf_token
        return self.sid

    def login(self, user_id: int) -> None:
        """Log ``user_id`` in: authkv's login rotates the id and the CSRF
        token (the old id dies); the data is kept."""
        rotated = self.engine.login(self._ensure_row(), user_id)
        self.sid, self.csrf_token, self.user_id = rotated.id, rotated.csrf_token, user_id
        self.modified = True

    def regenerate(self) -> None:
        """A new id and CSRF token for the same user and data."""
        rotated = self.engine.regenerate_session(self._ensure_row())
        self.sid, self.csrf_token = rotated.id, rotated.csrf_token
        self.modified = True

    def logout(self) -> None:
        """Delete the row and empty the session; the response removes the
        cookie."""
        if self.sid is not None:
            try:
                self.engine.destroy_session(self.sid)
            except NotFound:
                pass
        self.sid = self.user_id = self.csrf_token = None
        self.clear()
        self.modified = True


class AuthkvSessionInterface(SessionInterface):
    """``app.session_interface = AuthkvSessionInterface(engine)``: Flask's
    ``session`` stored in authkv, the cookie holding only the id."""

    session_class = AuthkvSession
    serializer = session_json_serializer

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_session(self, app: Flask, request: Request) -> AuthkvSession:
        client = (request.remote_addr or "", request.user_agent.string or "")
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid:
            try:
                row = self.engine.load_session(sid)
            except AuthkvError:
                pass  # expired, deleted or not an id: a new session
            else:
                data = self.serializer.loads(row.payload.decode()) if row.payload else None
                return AuthkvSession(
                    self.engine, data, sid, row.user_id, row.csrf_token, client
                )
        return AuthkvSession(self.engine, client=client)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        name = self.get_cookie_name(app)
        options: Dict[str, Any] = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        if hasattr(self, "get_cookie_partitioned"):  # Flask 3.1
            options["partitioned"] = self.get_cookie_partitioned(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session and session.user_id is None:
            # Nothing to keep: a session emptied here loses row and cookie.
            if session.modified:
                if session.sid is not None:
                    try:
                        self.engine.destroy_session(session.sid)
                    except NotFound:
                        pass
                response.delete_cookie(name, **options)
                response.vary.add("Cookie")
            return
        if session.modified:
            payload = self.serializer.dumps(dict(session)).encode()
            try:
                self.engine.save_session(session._ensure_row(), payload)
            except NotFound:
                # Logged out by another request meanwhile: nothing to keep.
                response.delete_cookie(name, **options)
                return
        if self.should_set_cookie(app, session):
            expires = self.get_expiration_time(app, session)
            response.set_cookie(name, session.sid, expires=expires, **options)
            response.vary.add("Cookie")


@dataclass(frozen=True)
class SessionPrincipal:
    """A user logged in through the session cookie: every ability, as
    Sanctum treats a first-party session (the same fields as
    ``authkv.Principal``)."""

    user_id: int
    session_id: str
    via: str = "session"
    token_id: Optional[int] = None
    abilities: Tuple[str, ...] = ("*",)

    def require(self, all: Iterable[str] = (), any: Iterable[str] = ()) -> None:  # noqa: A002
        """Nothing is missing: a session user holds ``*``."""


def _engine() -> Engine:
    engine = getattr(current_app.session_interface, "engine", None)
    if engine is None:
        engine = current_app.extensions.get("authkv")
    if not isinstance(engine, Engine):
        raise RuntimeError(
            "authkv.flask: set app.session_interface = AuthkvSessionInterface(engine), "
            'or app.extensions["authkv"] = engine'
        )
    return engine


def authenticate_request() -> Union[Principal, SessionPrincipal]:
    """Who sent the current request: the user of the authkv session cookie
    (with its CSRF token required on unsafe methods: the ``_token`` form
    field, else ``X-CSRF-TOKEN``, else ``X-XSRF-TOKEN``), else the bearer
    token's user. Raises ``Unauthenticated`` or ``CsrfMismatch``, and
    ``RateLimited`` or ``QuotaExhausted`` for a token over its limits."""
    engine = _engine()
    if isinstance(session, AuthkvSession) and session.user_id is not None and session.sid:
        if request.method not in SAFE_METHODS:
            presented = (
                request.form.get("_token")
                or request.headers.get("X-CSRF-TOKEN")
                or request.headers.get("X-XSRF-TOKEN")
                or ""
            )
            try:
                matches = bool(presented) and engine.verify_csrf(session.sid, presented)
            except NotFound:
                raise Unauthenticated(103, "the session ended during the request") from None
            if not matches:
                raise CsrfMismatch(102, "CSRF token mismatch")
        return SessionPrincipal(session.user_id, session.sid)
    header = request.headers.get("Authorization")
    if header:
        # Only the header: the session cookie was judged above.
        return engine.authenticate(request.method, {"Authorization": header})
    raise Unauthenticated(103, "no session user and no bearer token")


def error_response(error: AuthkvError) -> Response:
    """The JSON answer to a refusal, with ``error.http_status``; a 429 says
    when to come back in ``Retry-After`` when the wait is known (a token
    over its rate limit, or a quota that refills)."""
    status = error.http_status
    response = jsonify(message=MESSAGES.get(status, "Request refused."))
    response.status = f"{status} {REASONS[status]}" if status in REASONS else status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    retry_after = getattr(error, "retry_after", None)
    if status == 429 and retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def abilities_required(*abilities: str, any: Iterable[str] = ()) -> Callable[[F], F]:  # noqa: A002
    """A view decorator: 401 without a session user or a valid bearer
    token, 419 for a cookie session's unsafe request without its CSRF
    token, 429 (with ``Retry-After`` when known) for a token over its rate
    limit or quota, 403 unless a token grants every one of ``abilities``
    (and one of ``any``, when given). The view finds the principal in
    ``g.authkv``."""
    one_of = tuple(any)

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                principal = authenticate_request()
                principal.require(all=abilities, any=one_of)
            except AuthkvError as error:
                abort(error_response(error))
            g.authkv = principal
            return current_app.ensure_sync(view)(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


__all__ = [
    "AuthkvSession",
    "AuthkvSessionInterface",
    "SessionPrincipal",
    "abilities_required",
    "authenticate_request",
    "error_response",
]
