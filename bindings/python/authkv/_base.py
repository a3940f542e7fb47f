"""The handle an ``Engine`` wraps and the one place calls are checked."""

from __future__ import annotations

import ctypes

from . import _ffi
from .errors import AuthkvError, Closed, error_for


class EngineBase:
    """An open handle and the call helper every area of the API uses."""

    def __init__(self) -> None:
        self._lib = _ffi.load()
        self._handle = None

    def _engine(self):
        if self._handle is None:
            raise Closed(303, "engine is closed")
        return self._handle

    def _error(self, status: int) -> AuthkvError:
        message = self._lib.authkv_last_error().decode("utf-8", "replace")
        return error_for(status, message)

    def _call(self, name: str, *args) -> None:
        """Call ``authkv_<name>`` on this engine; raise on a status."""
        status = getattr(self._lib, "authkv_" + name)(self._engine(), *args)
        if status:
            raise self._error(status)

    @staticmethod
    def _buffer(size: int):
        return ctypes.create_string_buffer(size)

    @staticmethod
    def _secret(buffer) -> str:
        return buffer.value.decode("ascii")

    def _take_string(self, pointer) -> str:
        """The text of a library-owned ``authkv_string``, freed after."""
        try:
            return pointer.contents.text.text()
        finally:
            self._lib.authkv_string_free(pointer)
