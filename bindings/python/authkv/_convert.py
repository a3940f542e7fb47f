"""Python values to the C API's inputs, checked on the Python side first:
a wrong type is a ``TypeError``; a number out of range is
``InvalidArgument``. Everything else (lengths, UTF-8, formats) is judged by
the library, which answers with a status and a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional, Tuple

from .errors import InvalidArgument

U64_MAX = 2**64 - 1


def text(value: object, name: str) -> bytes:
    """A required ``str`` as UTF-8 bytes. Lone surrogates are passed through
    as the invalid bytes they encode to, so that the library refuses them
    with its own message."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")
    return value.encode("utf-8", "surrogatepass")


def optional_text(value: object, name: str) -> Optional[bytes]:
    """``None``, or ``text(value)``."""
    return None if value is None else text(value, name)


def payload(value: object, name: str = "payload") -> bytes:
    """Bytes-like data as ``bytes``."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
    return bytes(value)


def u64(value: object, name: str) -> int:
    """An ``int`` (not a ``bool``) in 0..2**64-1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
    if not 0 <= value <= U64_MAX:
        raise InvalidArgument(2, f"{name} = {value} is outside 0..2**64-1")
    return value


def optional_u64(value: object, name: str) -> Tuple[bool, int]:
    """``(False, 0)`` for ``None``, else ``(True, u64(value))``."""
    return (False, 0) if value is None else (True, u64(value, name))


def abilities(values: object, name: str = "abilities") -> bytes:
    """An iterable of ``str`` as the newline-separated list the C API
    takes. A lone ``str`` is refused (it would be read letter by letter),
    and so are an ability holding a newline (it would split in two) and an
    empty one (a list of one empty ability would read as no ability)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be an iterable of str, not {type(values).__name__}")
    items = []
    for index, value in enumerate(values):
        item = text(value, f"{name}[{index}]")
        if b"\n" in item:
            raise InvalidArgument(2, f"{name}[{index}] contains a newline")
        if not item:
            raise InvalidArgument(2, f"{name}[{index}] is empty")
        items.append(item)
    return b"\n".join(items)


def nbytes(value: Optional[bytes]) -> Tuple[Optional[bytes], int]:
    """``(value, len)`` for a C (pointer, length) pair; ``None`` is (NULL, 0)."""
    return (value, 0) if value is None else (value, len(value))
