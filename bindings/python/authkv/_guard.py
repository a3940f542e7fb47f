"""The request guard over a mapping of headers, and the Set-Cookie values
a response sends."""

from __future__ import annotations

import ctypes
from typing import Any, Dict, Iterable, Optional, Protocol, Tuple

from . import _convert as conv
from . import _ffi
from ._base import EngineBase
from .records import Principal

#: Header name (lower case) -> field of ``authkv_request``.
HEADERS = {
    "cookie": "cookie",
    "authorization": "authorization",
    "origin": "origin",
    "referer": "referer",
    "host": "host",
    "x-csrf-token": "csrf_token",
    "x-xsrf-token": "xsrf_token",
    "sec-fetch-site": "sec_fetch_site",
}


class HeaderItems(Protocol):
    """Anything with ``items()`` giving (name, value) pairs: a ``dict``,
    werkzeug's ``Headers``/``EnvironHeaders`` (not ``Mapping`` subclasses),
    Django's ``request.headers`` or ``request.META``, a WSGI environ."""

    def items(self) -> Iterable[Tuple[str, Any]]: ...


def _header_name(name: str) -> str:
    """The lower-case header name; a CGI-style key (``HTTP_X_CSRF_TOKEN``
    of Django's ``request.META`` or a WSGI environ) is turned back into the
    header it stands for (``x-csrf-token``)."""
    if name.startswith("HTTP_"):
        return name[5:].replace("_", "-").lower()
    return name.lower()


def _read_headers(headers: HeaderItems) -> Dict[str, Any]:
    """The headers the guard reads, by lower-case name. One of them given
    twice (two cases, or both ``Cookie`` and ``HTTP_COOKIE``) is refused,
    since which one wins would be a guess; other names may repeat."""
    items = getattr(headers, "items", None)
    if isinstance(headers, (str, bytes)) or not callable(items):
        raise TypeError(f"headers must be a mapping, not {type(headers).__name__}")
    found: Dict[str, Any] = {}
    for name, value in items():
        if not isinstance(name, str):
            raise TypeError(f"header names must be str, not {type(name).__name__}")
        key = _header_name(name)
        if key not in HEADERS:
            continue
        if key in found:
            raise ValueError(f"header {name!r} is given twice (names are case-insensitive)")
        found[key] = value
    return found


class GuardMixin(EngineBase):
    """The request half of ``Engine``."""

    def authenticate(
        self, method: str, headers: HeaderItems, form_token: Optional[str] = None
    ) -> Principal:
        """Who sent this request, as ``auth:sanctum`` decides: the session
        cookie for first-party requests (Referer/Origin in
        ``stateful_domains``; CSRF checked on writes), else the bearer
        token. ``headers`` is any mapping of header names (any case) to
        values: a ``dict``, werkzeug's ``request.headers``, Django's
        ``request.headers`` or ``request.META`` (``HTTP_*`` keys). Those the
        guard reads are Cookie, Authorization, Origin, Referer, Host,
        X-CSRF-TOKEN, X-XSRF-TOKEN and Sec-Fetch-Site (for
        ``csrf_mode="fetch-metadata"`` or ``"either"``); others are ignored.
        ``form_token`` is the ``_token`` field of a parsed form body.

        Raises ``Unauthenticated``, ``CsrfMismatch``, ``InvalidArgument``
        for a header the parser refuses (over 8 KiB, too many cookies), or,
        for a valid bearer token over its limits, ``RateLimited`` or
        ``QuotaExhausted`` (HTTP 429, ``.retry_after`` for ``Retry-After``).
        """
        request = _ffi.Request()
        raw_method = conv.text(method, "method")
        request.method, request.method_len = raw_method, len(raw_method)
        values: Dict[str, Optional[bytes]] = {field: None for field in _ffi.REQUEST_HEADERS}
        for name, value in _read_headers(headers).items():
            values[HEADERS[name]] = conv.text(value, f"headers[{name!r}]")
        values["form_token"] = conv.optional_text(form_token, "form_token")
        for field, value in values.items():
            if value is not None:  # absent headers stay (NULL, 0)
                setattr(request, field, value)
                setattr(request, field + "_len", len(value))
        out = ctypes.POINTER(_ffi.Principal)()
        self._call("guard_authenticate", ctypes.byref(request), ctypes.byref(out))
        return Principal(self._lib, out)

    def require_fresh(self, principal: Principal, max_age_secs: int) -> None:
        """Raise ``ConfirmationRequired`` (HTTP 423) unless the principal's
        user proved the password within ``max_age_secs``; a bearer token
        never carries that proof."""
        self._call(
            "principal_require_fresh", principal._pointer(), conv.u64(max_age_secs, "max_age_secs")
        )

    def _cookie(self, name: str, *args: Any) -> str:
        out = ctypes.POINTER(_ffi.String)()
        self._call(name, *args, ctypes.byref(out))
        return self._take_string(out)

    def session_cookie(self, session_id: str) -> str:
        """The ``Set-Cookie`` value carrying ``session_id``."""
        raw = conv.text(session_id, "session_id")
        return self._cookie("cookie_session", raw, len(raw))

    def xsrf_cookie(self, csrf_token: str) -> str:
        """The ``Set-Cookie`` value of the script-readable ``XSRF-TOKEN``."""
        raw = conv.text(csrf_token, "csrf_token")
        return self._cookie("cookie_xsrf", raw, len(raw))

    def clear_session_cookie(self) -> str:
        """The ``Set-Cookie`` value that removes the session cookie."""
        return self._cookie("cookie_clear_session")
