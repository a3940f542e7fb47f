"""The shared library, its C structs, and the signature of every export.

Every function of ``include/authkv.h`` is listed in ``FUNCTIONS`` with its
``restype`` and ``argtypes``; ``load()`` applies them all before anything
is called, and a test checks the table against the header, so a signature
can never silently fall back to ctypes' ``int`` default.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Optional, Tuple

LIBRARY_ENV = "AUTHKV_LIBRARY"

# Sizes from the header (checked against it by the tests).
SESSION_ID_SIZE = 41
CSRF_TOKEN_SIZE = 41
SESSION_HANDLE_SIZE = 65
TOKEN_MAX_SIZE = 102
REMEMBER_TOKEN_SIZE = 58
VIA_SESSION = 1
VIA_TOKEN = 2
SAME_SITE = {"lax": 0, "strict": 1, "none": 2}
CSRF_MODE = {"token": 0, "fetch-metadata": 1, "either": 2}


class Options(Structure):
    """``authkv_options``. It must list every field of the header's struct:
    ``authkv_options_default`` fills all of them, past the end of a shorter
    one."""

    _fields_ = [
        ("idle_lifetime_secs", c_uint64),
        ("absolute_lifetime_secs", c_uint64),
        ("touch_interval_secs", c_uint64),
        ("max_payload", c_size_t),
        ("max_user_agent", c_size_t),
        ("max_ip", c_size_t),
        ("gc_batch_size", c_size_t),
        ("background_interval_secs", c_uint64),
        ("cache_size", c_size_t),
        ("manual_clock_start", c_uint64),
        ("durable_commits", c_bool),
        ("manual_clock", c_bool),
        ("token_prefix", c_char_p),
        ("token_prefix_len", c_size_t),
        ("token_expiration_secs", c_uint64),
        ("allow_legacy_tokens", c_bool),
        ("token_prune_hours", c_uint64),
        ("argon2_m_cost", c_uint32),
        ("argon2_t_cost", c_uint32),
        ("argon2_p_cost", c_uint32),
        ("throttle_max_attempts", c_uint32),
        ("throttle_window_secs", c_uint64),
        ("remember_lifetime_secs", c_uint64),
        ("stateful_domains", c_char_p),
        ("stateful_domains_len", c_size_t),
        ("same_host_is_stateful", c_bool),
        ("session_cookie", c_char_p),
        ("session_cookie_len", c_size_t),
        ("xsrf_cookie", c_char_p),
        ("xsrf_cookie_len", c_size_t),
        ("cookie_secure", c_bool),
        ("cookie_same_site", c_uint32),
        ("cookie_path", c_char_p),
        ("cookie_path_len", c_size_t),
        ("cookie_domain", c_char_p),
        ("cookie_domain_len", c_size_t),
        ("cookie_host_prefix", c_bool),
        ("expire_on_close", c_bool),
        ("exclusive", c_bool),
        ("quick_repair", c_bool),
        ("create", c_uint32),
        ("csrf_mode", c_uint32),
        ("csrf_accepts_same_site", c_bool),
    ]


class GcReport(Structure):
    """``authkv_gc_report``."""

    _fields_ = [
        ("sessions_deleted", c_uint64),
        ("records_examined", c_uint64),
        ("batches", c_uint64),
        ("tokens_deleted", c_uint64),
        ("throttles_deleted", c_uint64),
        ("remember_tokens_deleted", c_uint64),
    ]


class Str(Structure):
    """``authkv_str``: a library-owned view (also used for ``authkv_bytes``)."""

    _fields_ = [("ptr", c_void_p), ("len", c_size_t)]

    def bytes(self) -> bytes:
        return ctypes.string_at(self.ptr, self.len) if self.len else b""

    def text(self) -> str:
        return self.bytes().decode("utf-8")


class String(Structure):
    """``authkv_string``."""

    _fields_ = [("text", Str)]


class Stats(Structure):
    """``authkv_engine_stats``."""

    _fields_ = [
        ("sessions", c_uint64),
        ("write_commits", c_uint64),
        ("touches_pending", c_uint64),
        ("lookups", c_uint64),
        ("gc_examined", c_uint64),
        ("gc_deleted", c_uint64),
        ("background_errors", c_uint64),
        ("tokens", c_uint64),
        ("password_verifications", c_uint64),
        ("credentials", c_uint64),
        ("remember_tokens", c_uint64),
    ]


class Session(Structure):
    """``authkv_session``."""

    _fields_ = [
        ("payload", Str),
        ("version", c_uint64),
        ("has_user", c_bool),
        ("user_id", c_uint64),
        ("csrf_token", c_char * CSRF_TOKEN_SIZE),
        ("ip", Str),
        ("user_agent", Str),
        ("created_at", c_uint64),
        ("last_activity", c_uint64),
    ]


class SessionInfo(Structure):
    """``authkv_session_info``."""

    _fields_ = [
        ("handle", c_char * SESSION_HANDLE_SIZE),
        ("ip", Str),
        ("user_agent", Str),
        ("created_at", c_uint64),
        ("last_activity", c_uint64),
    ]


class SessionList(Structure):
    """``authkv_session_list``."""

    _fields_ = [("items", POINTER(SessionInfo)), ("len", c_size_t)]


class Abilities(Structure):
    """``authkv_abilities``."""

    _fields_ = [("items", POINTER(Str)), ("len", c_size_t)]

    def texts(self) -> Tuple[str, ...]:
        return tuple(self.items[i].text() for i in range(self.len))


class Token(Structure):
    """``authkv_token``."""

    _fields_ = [("id", c_uint64), ("user_id", c_uint64), ("abilities", Abilities)]


class TokenInfo(Structure):
    """``authkv_token_info``."""

    _fields_ = [
        ("id", c_uint64),
        ("name", Str),
        ("abilities", Abilities),
        ("created_at", c_uint64),
        ("has_last_used_at", c_bool),
        ("last_used_at", c_uint64),
        ("has_expires_at", c_bool),
        ("expires_at", c_uint64),
        ("expired", c_bool),
    ]


class TokenList(Structure):
    """``authkv_token_list``."""

    _fields_ = [("items", POINTER(TokenInfo)), ("len", c_size_t)]


class TokenLimits(Structure):
    """``authkv_token_limits`` (zeroed: unlimited)."""

    _fields_ = [
        ("has_rate_limit", c_bool),
        ("rate_max", c_uint64),
        ("rate_window", c_uint64),
        ("has_quota", c_bool),
        ("quota_remaining", c_uint64),
        ("quota_refill_amount", c_uint64),
        ("quota_refill_interval", c_uint64),
    ]


REQUEST_HEADERS = (
    "cookie",
    "authorization",
    "origin",
    "referer",
    "host",
    "csrf_token",
    "xsrf_token",
    "form_token",
    "sec_fetch_site",
)


class Request(Structure):
    """``authkv_request``."""

    _fields_ = [
        field
        for name in ("method",) + REQUEST_HEADERS
        for field in ((name, c_char_p), (name + "_len", c_size_t))
    ]


class Principal(Structure):
    """``authkv_principal``."""

    _fields_ = [
        ("user_id", c_uint64),
        ("via", c_uint32),
        ("token_id", c_uint64),
        ("session", POINTER(Session)),
        ("abilities", Abilities),
        ("has_password_confirmed_at", c_bool),
        ("password_confirmed_at", c_uint64),
    ]


status = c_uint32
engine = c_void_p
text = c_char_p
size = c_size_t
u64 = c_uint64
buf = POINTER(c_char)
out_size = POINTER(c_size_t)
out_u64 = POINTER(c_uint64)


def _out(struct: Any) -> Any:
    return POINTER(POINTER(struct))


_ROTATE = [engine, text, size, buf, size, buf, size, out_size]
_CSRF_OUT = [engine, text, size, buf, size, out_size]
_CAN = [POINTER(Token), text, size, POINTER(c_bool)]
_COOKIE = [engine, text, size, _out(String)]

#: name -> (restype, argtypes), in header order.
FUNCTIONS = {
    "authkv_version": (c_uint32, []),
    "authkv_version_str": (c_char_p, []),
    "authkv_status_str": (c_char_p, [c_uint32]),
    "authkv_last_error": (c_char_p, []),
    "authkv_last_retry_after": (c_uint64, []),
    "authkv_options_default": (status, [POINTER(Options)]),
    "authkv_open": (status, [text, size, POINTER(Options), POINTER(engine)]),
    "authkv_open_postgres": (status, [text, size, POINTER(Options), POINTER(engine)]),
    "authkv_close": (status, [engine]),
    "authkv_set_time": (status, [engine, u64]),
    "authkv_flush": (status, [engine, out_size]),
    "authkv_gc": (status, [engine, POINTER(GcReport)]),
    "authkv_verify": (status, [engine, out_size, _out(String)]),
    "authkv_stats": (status, [engine, POINTER(Stats)]),
    "authkv_string_free": (None, [POINTER(String)]),
    "authkv_session_create": (
        status,
        [engine, text, size, text, size, buf, size, buf, size, out_size],
    ),
    "authkv_session_load": (status, [engine, text, size, _out(Session)]),
    "authkv_session_free": (None, [POINTER(Session)]),
    "authkv_session_save": (
        status,
        [engine, text, size, text, size, c_bool, u64, out_u64],
    ),
    "authkv_session_login": (
        status,
        [engine, text, size, u64, buf, size, buf, size, out_size],
    ),
    "authkv_session_regenerate": (status, _ROTATE),
    "authkv_session_invalidate": (status, _ROTATE),
    "authkv_session_destroy": (status, [engine, text, size]),
    "authkv_session_csrf_token": (status, _CSRF_OUT),
    "authkv_session_csrf_verify": (status, [engine, text, size, text, size]),
    "authkv_session_csrf_rotate": (status, _CSRF_OUT),
    "authkv_session_list_user": (status, [engine, u64, _out(SessionList)]),
    "authkv_session_list_free": (None, [POINTER(SessionList)]),
    "authkv_session_revoke": (status, [engine, text, size]),
    "authkv_session_revoke_user": (status, [engine, u64, text, size, out_size]),
    "authkv_token_create": (
        status,
        [engine, u64, text, size, text, size, c_bool, u64, out_u64, buf, size, out_size],
    ),
    "authkv_token_authenticate": (status, [engine, text, size, _out(Token)]),
    "authkv_token_free": (None, [POINTER(Token)]),
    "authkv_token_can": (status, _CAN),
    "authkv_token_cant": (status, _CAN),
    "authkv_token_revoke": (status, [engine, u64]),
    "authkv_token_revoke_user": (status, [engine, u64, out_size]),
    "authkv_token_prune": (status, [engine, u64, out_u64]),
    "authkv_token_import_sanctum": (
        status,
        [engine, u64, u64, text, size, text, size, text, size, u64, c_bool, u64, c_bool, u64],
    ),
    "authkv_token_list_user": (status, [engine, u64, _out(TokenList)]),
    "authkv_token_list_free": (None, [POINTER(TokenList)]),
    "authkv_token_create_limited": (
        status,
        [
            engine, u64, text, size, text, size, c_bool, u64, POINTER(TokenLimits),
            out_u64, buf, size, out_size,
        ],
    ),
    "authkv_token_set_limits": (status, [engine, u64, POINTER(TokenLimits)]),
    "authkv_token_get_limits": (status, [engine, u64, POINTER(TokenLimits)]),
    "authkv_password_set": (status, [engine, u64, text, size, text, size]),
    "authkv_password_attempt": (
        status,
        [engine, text, size, text, size, text, size, out_u64, out_u64],
    ),
    "authkv_password_verify": (status, [engine, u64, text, size]),
    "authkv_password_change": (
        status,
        [engine, u64, text, size, text, size, c_bool],
    ),
    "authkv_session_confirm_password": (status, [engine, text, size, text, size, out_u64]),
    "authkv_session_is_fresh": (status, [engine, text, size, u64, POINTER(c_bool)]),
    "authkv_remember_create": (status, [engine, u64, buf, size, out_size]),
    "authkv_remember_consume": (
        status,
        [engine, text, size, out_u64, buf, size, out_size],
    ),
    "authkv_remember_revoke_user": (status, [engine, u64, out_size]),
    "authkv_guard_authenticate": (
        status,
        [engine, POINTER(Request), _out(Principal)],
    ),
    "authkv_guard_authenticate_lean": (
        status,
        [engine, POINTER(Request), _out(Principal)],
    ),
    "authkv_principal_free": (None, [POINTER(Principal)]),
    "authkv_principal_require": (
        status,
        [POINTER(Principal), text, size, text, size],
    ),
    "authkv_principal_require_fresh": (status, [engine, POINTER(Principal), u64]),
    "authkv_cookie_session": (status, _COOKIE),
    "authkv_cookie_xsrf": (status, _COOKIE),
    "authkv_cookie_clear_session": (status, [engine, _out(String)]),
}


#: The directory of this package: a wheel carries the library here.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The names the wheel build gives the bundled library, by platform.
BUNDLED_NAMES = ("libauthkv.so", "libauthkv.dylib", "authkv.dll")


def library_path() -> str:
    """Where the shared library is loaded from.

    1. ``$AUTHKV_LIBRARY``, when set (a file path): a test or a deployment
       picks its build;
    2. the copy bundled in this package by ``pip install`` (the wheel build
       runs cargo and puts the library next to this file);
    3. ``target/release/libauthkv.so`` of the repository this package sits
       in (``../../target/release/`` from ``bindings/python/``), when it
       exists: the package used straight from a checkout;
    4. ``libauthkv`` as the system's loader finds it.
    """
    explicit = os.environ.get(LIBRARY_ENV)
    if explicit:
        return explicit
    for name in BUNDLED_NAMES:
        bundled = PACKAGE_DIR / name
        if bundled.is_file():
            return str(bundled)
    in_tree = PACKAGE_DIR.parents[2] / "target" / "release" / "libauthkv.so"
    if in_tree.is_file():
        return str(in_tree)
    found = ctypes.util.find_library("authkv")
    if found:
        return found
    raise OSError(
        "libauthkv not found: set AUTHKV_LIBRARY to the path of libauthkv.so, install the "
        "package with `pip install bindings/python` (which builds it into the package), or "
        "build it with `cargo build --release` (it is then found in target/release/)"
    )


_LIB: Optional[ctypes.CDLL] = None


def load() -> ctypes.CDLL:
    """The library with every signature applied (loaded once)."""
    global _LIB
    if _LIB is None:
        lib = ctypes.CDLL(library_path())
        for name, (restype, argtypes) in FUNCTIONS.items():
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
        _LIB = lib
    return _LIB
