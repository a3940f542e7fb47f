"""authkv for Django: sessions and bearer tokens from one authkv file.

Settings::

    AUTHKV_DATABASE = BASE_DIR / "auth.redb"   # required
    AUTHKV_OPTIONS = {"token_prefix": "app_"}  # Engine options, optional
    SESSION_ENGINE = "authkv.django.session"
    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "authkv.django.auth.BearerTokenMiddleware",
    ]

Views then use ``authkv.django.auth.abilities_required("orders:read")``;
``get_engine()`` is the process's engine for everything else.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional

from ..engine import Engine

_ENGINE: Optional[Engine] = None
_LOCK = threading.Lock()


def engine_options() -> Dict[str, Any]:
    """The engine's options: Django's session settings first, so that the
    session lifetime and authkv's own cookie helpers agree with Django's
    cookie, then ``AUTHKV_OPTIONS`` over them."""
    from django.conf import settings

    options: Dict[str, Any] = {
        "idle_lifetime_secs": int(settings.SESSION_COOKIE_AGE),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "cookie_secure": bool(settings.SESSION_COOKIE_SECURE),
        "cookie_path": settings.SESSION_COOKIE_PATH,
        "expire_on_close": bool(settings.SESSION_EXPIRE_AT_BROWSER_CLOSE),
    }
    if settings.SESSION_COOKIE_DOMAIN:
        options["cookie_domain"] = settings.SESSION_COOKIE_DOMAIN
    if isinstance(settings.SESSION_COOKIE_SAMESITE, str):
        options["cookie_same_site"] = settings.SESSION_COOKIE_SAMESITE
    options.update(getattr(settings, "AUTHKV_OPTIONS", {}))
    return options


def get_engine() -> Engine:
    """The engine on ``settings.AUTHKV_DATABASE``, opened at first use and
    shared by every thread of the process (and reopened by itself in a
    child of fork(), so preloading servers need nothing special)."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from django.conf import settings
            from django.core.exceptions import ImproperlyConfigured

            path = getattr(settings, "AUTHKV_DATABASE", None)
            if not path:
                raise ImproperlyConfigured("set AUTHKV_DATABASE to the path of the authkv file")
            _ENGINE = Engine(path, **engine_options())
        return _ENGINE


__all__ = ["engine_options", "get_engine"]
