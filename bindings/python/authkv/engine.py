"""``Engine``: open a database with options, the housekeeping calls, and
the areas of the API gathered in one class."""

from __future__ import annotations

import ctypes
import os
from typing import List

from . import _convert as conv
from . import _ffi
from ._credentials import CredentialsMixin
from ._guard import GuardMixin
from ._sessions import SessionsMixin
from ._tokens import TokensMixin
from .errors import InvalidArgument
from .records import GcReport, Stats, copy_fields

#: Options given as text (``str``); ``stateful_domains`` also takes a list.
TEXT_OPTIONS = (
    "token_prefix",
    "stateful_domains",
    "session_cookie",
    "xsrf_cookie",
    "cookie_path",
    "cookie_domain",
)


def _options(given: dict) -> _ffi.Options:
    """``authkv_options``: the library's defaults with ``given`` applied."""
    lib = _ffi.load()
    options = _ffi.Options()
    status = lib.authkv_options_default(ctypes.byref(options))
    if status:
        raise RuntimeError(f"authkv_options_default returned {status}")
    known = {name for name, _ in _ffi.Options._fields_ if not name.endswith("_len")}
    for name, value in given.items():
        if name not in known:
            raise TypeError(f"unknown option {name!r}")
        if name == "stateful_domains" and not isinstance(value, str):
            if isinstance(value, bytes):
                raise TypeError("stateful_domains must be str or a list of str")
            patterns = [conv.text(v, "stateful_domains[]") for v in value]
            if any(b"," in p for p in patterns):
                raise InvalidArgument(2, "a stateful_domains pattern contains a comma")
            value = b",".join(patterns).decode("utf-8", "surrogatepass")
        if name in TEXT_OPTIONS:
            raw = conv.text(value, name)
            setattr(options, name, raw)
            setattr(options, name + "_len", len(raw))
        elif name == "cookie_same_site" and isinstance(value, str):
            if value.lower() not in _ffi.SAME_SITE:
                raise ValueError("cookie_same_site must be 'lax', 'strict' or 'none'")
            options.cookie_same_site = _ffi.SAME_SITE[value.lower()]
        elif isinstance(getattr(options, name), bool):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be bool, not {type(value).__name__}")
            setattr(options, name, value)
        else:
            setattr(options, name, conv.u64(value, name))
    return options


class Engine(SessionsMixin, TokensMixin, CredentialsMixin, GuardMixin):
    """An open authkv database.

    ``Engine(path, **options)`` opens (or creates) the file; option names
    are the fields of ``authkv_options`` (``idle_lifetime_secs``,
    ``token_prefix``, ``stateful_domains``, ``throttle_max_attempts``, …),
    text options as ``str``. Use it as a context manager, or call
    ``close()``. One engine may be shared by any number of threads; every
    open of the same file in a process shares one engine, and another
    process gets ``Locked``.
    """

    def __init__(self, path, **options) -> None:
        super().__init__()
        raw_path = os.fsencode(path)
        opts = _options(options)
        handle = ctypes.c_void_p()
        status = self._lib.authkv_open(
            raw_path, len(raw_path), ctypes.byref(opts), ctypes.byref(handle)
        )
        if status:
            raise self._error(status)
        self._handle = handle

    def close(self) -> None:
        """Flush pending touches and release the handle (idempotent). The
        file closes with the last handle of this process."""
        handle, self._handle = self._handle, None
        if handle is not None:
            status = self._lib.authkv_close(handle)
            if status:
                raise self._error(status)

    def __enter__(self) -> "Engine":
        self._engine()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - nothing can be reported here
            pass

    def set_time(self, unix_seconds: int) -> None:
        """Set the clock of an engine opened with ``manual_clock=True``."""
        self._call("set_time", conv.u64(unix_seconds, "unix_seconds"))

    def flush(self) -> int:
        """Write pending touches; returns how many records were updated."""
        flushed = ctypes.c_size_t()
        self._call("flush", ctypes.byref(flushed))
        return flushed.value

    def gc(self) -> GcReport:
        """Delete what expired (sessions, tokens, throttles, remember-me)."""
        report = _ffi.GcReport()
        self._call("gc", ctypes.byref(report))
        return copy_fields(GcReport, report)

    def verify(self) -> List[str]:
        """Problems found by a consistency check; empty when consistent."""
        count = ctypes.c_size_t()
        text = ctypes.POINTER(_ffi.String)()
        self._call("verify", ctypes.byref(count), ctypes.byref(text))
        report = self._take_string(text)
        return report.split("\n") if count.value else []

    def stats(self) -> Stats:
        """Counters and sizes."""
        stats = _ffi.Stats()
        self._call("stats", ctypes.byref(stats))
        return copy_fields(Stats, stats)
