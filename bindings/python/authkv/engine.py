"""``Engine``: open a database with options, the housekeeping calls, and
the areas of the API gathered in one class."""

from __future__ import annotations

import ctypes
import os
import threading
import weakref
from typing import Any, List, Union

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


def _options(given: "dict[str, Any]") -> _ffi.Options:
    """``authkv_options``: the library's defaults with ``given`` applied."""
    lib = _ffi.load()
    options = _ffi.Options()
    status = lib.authkv_options_default(ctypes.byref(options))
    if status:
        raise RuntimeError(f"authkv_options_default returned {status}")
    known = {field[0] for field in _ffi.Options._fields_ if not field[0].endswith("_len")}
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
        elif name == "csrf_mode" and isinstance(value, str):
            if value.lower() not in _ffi.CSRF_MODE:
                raise ValueError("csrf_mode must be 'token', 'fetch-metadata' or 'either'")
            options.csrf_mode = _ffi.CSRF_MODE[value.lower()]
        elif isinstance(getattr(options, name), bool):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be bool, not {type(value).__name__}")
            setattr(options, name, value)
        else:
            setattr(options, name, conv.u64(value, name))
    return options


#: Every engine opened in this process, to reopen in a child of fork()
#: (closed ones are skipped, and drop out when collected).
_OPEN: "weakref.WeakSet[Engine]" = weakref.WeakSet()
#: Held around ``_OPEN``, every authkv_open and authkv_close, and across
#: ``fork()``: the child then never inherits the library's registry of open
#: files locked by a thread that does not exist there. Reentrant, since
#: ``close()`` also runs from ``__del__``.
_OPEN_LOCK = threading.RLock()


def _reopen_all_in_child() -> None:
    """Runs in the child right after ``os.fork()``, before anything else
    there: the library refuses every handle the child inherited, so each
    open engine gets one of the child's own."""
    try:
        for engine in list(_OPEN):
            engine._reopen_locked()
    finally:
        _OPEN_LOCK.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_OPEN_LOCK.acquire,
        after_in_parent=_OPEN_LOCK.release,
        after_in_child=_reopen_all_in_child,
    )


class Engine(SessionsMixin, TokensMixin, CredentialsMixin, GuardMixin):
    """An open authkv database.

    ``Engine(path, **options)`` opens (or creates) the file; option names
    are the fields of ``authkv_options`` (``idle_lifetime_secs``,
    ``token_prefix``, ``stateful_domains``, ``throttle_max_attempts``, …),
    text options as ``str``. Use it as a context manager, or call
    ``close()``. One engine may be shared by any number of threads; every
    open of the same file in a process shares one engine.

    Several hosts. ``Engine(url="host=db.internal dbname=app user=app")``
    (or a ``postgresql://`` URL) keeps the same state in a PostgreSQL
    database that every host behind the load balancer opens; the tables
    are made on first use. A revocation on one host is refused by every
    other on its next call (see the README for the exact guarantee). A
    server that fails or cannot be reached raises ``Unavailable`` (HTTP
    503); the URL, which may hold a password, never appears in a message.

    Processes. By default any number of processes on the host open the
    file at once and see each other's writes immediately: gunicorn or
    uWSGI workers, Celery, the ``authkv`` CLI, cron jobs. Keep that unless
    one single process is the only user of the file; then
    ``exclusive=True`` is faster (no file lock per read, one fsync shared
    by concurrent writers), and any other process's open fails with
    ``Locked``. Every process must open a file in the same mode.
    ``quick_repair=True`` makes reopening after a crash near instant for
    the price of a second fsync per commit; it is always on without
    ``exclusive``.

    fork(). An engine open when the process forks is reopened in the child
    (same path, same options), so ``gunicorn --preload``, uWSGI without
    ``lazy-apps``, Celery's prefork pool and ``multiprocessing`` with the
    fork start method need nothing special. An engine closed before the
    fork stays closed. If the child cannot open the file (an ``exclusive``
    parent still holds it), every call there raises why.
    """

    #: ``_OPEN_LOCK``, reachable from ``__del__`` at interpreter exit, when
    #: module globals may already be cleared.
    _lock = _OPEN_LOCK

    def __init__(
        self,
        path: Union[str, bytes, "os.PathLike[str]", None] = None,
        *,
        url: Union[str, None] = None,
        **options: Any,
    ) -> None:
        super().__init__()
        if (path is None) == (url is None):
            raise InvalidArgument(2, "give either a file path or a PostgreSQL url=, not both")
        self._path = os.fsencode(path) if path is not None else b""
        self._url = url.encode("utf-8") if url is not None else None
        self._options = _options(options)  # kept for reopening after fork()
        with self._lock:
            self._handle = self._open()
            _OPEN.add(self)

    def _open(self) -> ctypes.c_void_p:
        """A new handle on this engine's file or database, with its options."""
        handle = ctypes.c_void_p()
        if self._url is not None:
            status = self._lib.authkv_open_postgres(
                self._url, len(self._url), ctypes.byref(self._options), ctypes.byref(handle)
            )
        else:
            status = self._lib.authkv_open(
                self._path, len(self._path), ctypes.byref(self._options), ctypes.byref(handle)
            )
        if status:
            raise self._error(status)
        return handle

    def _reopen_in_child(self) -> None:
        with self._lock:
            self._reopen_locked()

    def _reopen_locked(self) -> None:
        """Swap a handle inherited through ``fork()`` for a new one of this
        process (with ``_OPEN_LOCK`` held, so it happens once)."""
        if self._pid == os.getpid():
            return
        inherited, self._handle = self._handle, None
        if inherited is not None:
            # The library releases an inherited handle without touching the
            # parent's file, locks or background thread.
            self._lib.authkv_close(inherited)
            try:
                self._handle = self._open()
            except Exception as error:  # noqa: BLE001 - raised at each call instead
                status = getattr(error, "status", 304)  # else AUTHKV_INTERNAL
                reason = getattr(error, "message", repr(error))
                self._lost = (
                    status,
                    f"the engine could not be opened again in process {os.getpid()} "
                    f"after fork(): {reason}",
                )
        self._pid = os.getpid()

    def close(self) -> None:
        """Flush pending touches and release the handle (idempotent). The
        file closes with the last handle of this process."""
        with self._lock:
            handle, self._handle = self._handle, None
            self._lost = None
            if handle is None:
                return
            status = self._lib.authkv_close(handle)
        if status:
            raise self._error(status)

    def __enter__(self) -> "Engine":
        self._engine()
        return self

    def __exit__(self, *exc: object) -> None:
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
