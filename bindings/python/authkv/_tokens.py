"""Personal access tokens: create, authenticate, list, revoke, prune and
import Sanctum rows."""

from __future__ import annotations

import ctypes
from typing import Iterable, List, Optional

from . import _convert as conv
from . import _ffi
from ._base import EngineBase
from .records import NewToken, Token, TokenInfo


class TokensMixin(EngineBase):
    """The token half of ``Engine``."""

    def create_token(
        self,
        user_id: int,
        name: str,
        abilities: Iterable[str] = (),
        expires_at: Optional[int] = None,
    ) -> NewToken:
        """A new token for ``user_id``; ``plain_text`` is shown once."""
        raw_name = conv.text(name, "name")
        listed = conv.abilities(abilities)
        has_expiry, expiry = conv.optional_u64(expires_at, "expires_at")
        token_id = ctypes.c_uint64()
        out = self._buffer(_ffi.TOKEN_MAX_SIZE)
        self._call(
            "token_create",
            conv.u64(user_id, "user_id"),
            raw_name,
            len(raw_name),
            listed,
            len(listed),
            has_expiry,
            expiry,
            ctypes.byref(token_id),
            out,
            len(out),
            None,
        )
        return NewToken(token_id.value, self._secret(out))

    def authenticate_token(self, plain_text: str) -> Token:
        """The token a client sent (raises ``Unauthenticated``)."""
        raw = conv.text(plain_text, "plain_text")
        out = ctypes.POINTER(_ffi.Token)()
        self._call("token_authenticate", raw, len(raw), ctypes.byref(out))
        return Token(self._lib, out)

    def user_tokens(self, user_id: int) -> List[TokenInfo]:
        """The user's stored tokens, oldest first, expired ones included."""
        out = ctypes.POINTER(_ffi.TokenList)()
        self._call("token_list_user", conv.u64(user_id, "user_id"), ctypes.byref(out))
        try:
            listed = out.contents
            return [
                TokenInfo(
                    id=item.id,
                    name=item.name.text(),
                    abilities=item.abilities.texts(),
                    created_at=item.created_at,
                    last_used_at=item.last_used_at if item.has_last_used_at else None,
                    expires_at=item.expires_at if item.has_expires_at else None,
                    expired=item.expired,
                )
                for item in (listed.items[i] for i in range(listed.len))
            ]
        finally:
            self._lib.authkv_token_list_free(out)

    def revoke_token(self, token_id: int) -> None:
        """Delete one token (raises ``NotFound``)."""
        self._call("token_revoke", conv.u64(token_id, "token_id"))

    def revoke_user_tokens(self, user_id: int) -> int:
        """Delete every token of the user; returns how many."""
        revoked = ctypes.c_size_t()
        self._call("token_revoke_user", conv.u64(user_id, "user_id"), ctypes.byref(revoked))
        return revoked.value

    def prune_tokens(self, hours: int) -> int:
        """Delete tokens expired for more than ``hours``; returns how many."""
        pruned = ctypes.c_uint64()
        self._call("token_prune", conv.u64(hours, "hours"), ctypes.byref(pruned))
        return pruned.value

    def import_sanctum_token(
        self,
        token_id: int,
        user_id: int,
        name: str,
        sha256_hex: str,
        abilities: Iterable[str] = (),
        created_at: int = 0,
        last_used_at: Optional[int] = None,
        expires_at: Optional[int] = None,
    ) -> None:
        """Store a ``personal_access_tokens`` row so its plaintext keeps
        working (``abilities`` is the decoded JSON column)."""
        raw_name = conv.text(name, "name")
        digest = conv.text(sha256_hex, "sha256_hex")
        listed = conv.abilities(abilities)
        has_used, used = conv.optional_u64(last_used_at, "last_used_at")
        has_expiry, expiry = conv.optional_u64(expires_at, "expires_at")
        self._call(
            "token_import_sanctum",
            conv.u64(token_id, "token_id"),
            conv.u64(user_id, "user_id"),
            raw_name,
            len(raw_name),
            digest,
            len(digest),
            listed,
            len(listed),
            conv.u64(created_at, "created_at"),
            has_used,
            used,
            has_expiry,
            expiry,
        )
