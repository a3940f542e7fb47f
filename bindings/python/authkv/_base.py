"""The handle an ``Engine`` wraps and the one place calls are checked."""

from __future__ import annotations

import ctypes
import os
from typing import Any, Optional, Tuple

from . import _ffi
from .errors import AuthkvError, Closed, QuotaExhausted, RateLimited, error_for


class EngineBase:
    """An open handle and the call helper every area of the API uses."""

    def __init__(self) -> None:
        self._lib = _ffi.load()
        self._handle: Optional[ctypes.c_void_p] = None
        #: The process the handle belongs to: the library refuses it in a
        #: child of ``fork()``, so a call from another process reopens first.
        self._pid = os.getpid()
        #: ``(status, message)`` when this engine could not be opened again
        #: in a child of ``fork()``: every call raises it instead of Closed.
        self._lost: Optional[Tuple[int, str]] = None

    def _reopen_in_child(self) -> None:
        """Replace a handle inherited through ``fork()`` (see ``Engine``)."""
        raise NotImplementedError

    def _engine(self) -> ctypes.c_void_p:
        if self._pid != os.getpid():
            # Forked without Python's at-fork hooks (uWSGI runs none unless
            # told to): reopen now, at the child's first call.
            self._reopen_in_child()
        if self._handle is None:
            if self._lost is not None:
                raise error_for(*self._lost)
            raise Closed(303, "engine is closed")
        return self._handle

    def _error(self, status: int) -> AuthkvError:
        """The exception for the ``status`` the last call on this thread
        returned, with what the library left for it: the message and, for
        a token over its limits, the seconds to wait (read right after the
        call, before any other call on the thread replaces them)."""
        message = self._lib.authkv_last_error().decode("utf-8", "replace")
        error = error_for(status, message)
        if isinstance(error, RateLimited):
            error.retry_after = self._lib.authkv_last_retry_after()
        elif isinstance(error, QuotaExhausted):
            error.retry_after = self._lib.authkv_last_retry_after() or None  # 0: never refills
        return error

    def _call(self, name: str, *args: Any) -> None:
        """Call ``authkv_<name>`` on this engine; raise on a status."""
        status = getattr(self._lib, "authkv_" + name)(self._engine(), *args)
        if status:
            raise self._error(status)

    @staticmethod
    def _buffer(size: int) -> "ctypes.Array[ctypes.c_char]":
        return ctypes.create_string_buffer(size)

    @staticmethod
    def _secret(buffer: "ctypes.Array[ctypes.c_char]") -> str:
        return buffer.value.decode("ascii")

    def _take_string(self, pointer: Any) -> str:
        """The text of a library-owned ``authkv_string``, freed after."""
        try:
            text: str = pointer.contents.text.text()
            return text
        finally:
            self._lib.authkv_string_free(pointer)
