"""The request guard over a mapping of headers, and the Set-Cookie values
a response sends."""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from typing import Optional

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
}


def _lowered(headers: Mapping) -> dict:
    """The headers by lower-case name; a name given twice is refused."""
    if not isinstance(headers, Mapping):
        raise TypeError(f"headers must be a mapping, not {type(headers).__name__}")
    lowered = {}
    for name, value in headers.items():
        if not isinstance(name, str):
            raise TypeError(f"header names must be str, not {type(name).__name__}")
        key = name.lower()
        if key in lowered:
            raise ValueError(f"header {name!r} is given twice (names are case-insensitive)")
        lowered[key] = value
    return lowered


class GuardMixin(EngineBase):
    """The request half of ``Engine``."""

    def authenticate(
        self, method: str, headers: Mapping, form_token: Optional[str] = None
    ) -> Principal:
        """Who sent this request, as ``auth:sanctum`` decides: the session
        cookie for first-party requests (Referer/Origin in
        ``stateful_domains``; CSRF checked on writes), else the bearer
        token. ``headers`` maps header names (any case) to values; those the
        guard reads are Cookie, Authorization, Origin, Referer, Host,
        X-CSRF-TOKEN and X-XSRF-TOKEN. ``form_token`` is the ``_token``
        field of a parsed form body.

        Raises ``Unauthenticated``, ``CsrfMismatch``, or ``InvalidArgument``
        for a header the parser refuses (over 8 KiB, too many cookies).
        """
        request = _ffi.Request()
        raw_method = conv.text(method, "method")
        request.method, request.method_len = raw_method, len(raw_method)
        values = {field: None for field in _ffi.REQUEST_HEADERS}
        for name, value in _lowered(headers).items():
            field = HEADERS.get(name)
            if field is not None:
                values[field] = conv.text(value, f"headers[{name!r}]")
        values["form_token"] = conv.optional_text(form_token, "form_token")
        for field, value in values.items():
            if value is not None:  # absent headers stay (NULL, 0)
                setattr(request, field, value)
                setattr(request, field + "_len", len(value))
        out = ctypes.POINTER(_ffi.Principal)()
        self._call("guard_authenticate", ctypes.byref(request), ctypes.byref(out))
        return Principal(self._lib, out)

    def _cookie(self, name: str, *args) -> str:
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
