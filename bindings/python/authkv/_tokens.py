"""Personal access tokens: create, authenticate, list, revoke, prune,
import Sanctum rows, and their rate limits and quotas."""

from __future__ import annotations

import ctypes
from typing import Iterable, List, Optional

from . import _convert as conv
from . import _ffi
from ._base import EngineBase
from .errors import InvalidArgument
from .records import NewToken, Quota, RateLimit, Token, TokenInfo, TokenLimits


def _limits(rate_limit: Optional[RateLimit], quota: Optional[Quota]) -> _ffi.TokenLimits:
    """``authkv_token_limits`` for the two optional limits (neither:
    unlimited). A zero ``max``, ``window`` or ``refill_amount`` is left to
    the library to refuse; a ``refill_interval`` of 0 is refused here,
    since the C struct spells "never refills" that way."""
    limits = _ffi.TokenLimits()
    if rate_limit is not None:
        if not isinstance(rate_limit, RateLimit):
            raise TypeError(
                f"rate_limit must be authkv.RateLimit or None, not {type(rate_limit).__name__}"
            )
        limits.has_rate_limit = True
        limits.rate_max = conv.u64(rate_limit.max, "rate_limit.max")
        limits.rate_window = conv.u64(rate_limit.window, "rate_limit.window")
    if quota is not None:
        if not isinstance(quota, Quota):
            raise TypeError(f"quota must be authkv.Quota or None, not {type(quota).__name__}")
        limits.has_quota = True
        limits.quota_remaining = conv.u64(quota.remaining, "quota.remaining")
        limits.quota_refill_amount = conv.u64(quota.refill_amount, "quota.refill_amount")
        if quota.refill_interval is not None:
            interval = conv.u64(quota.refill_interval, "quota.refill_interval")
            if interval == 0:
                raise InvalidArgument(
                    2, "quota.refill_interval must be at least 1 second (None: it never refills)"
                )
            limits.quota_refill_interval = interval
    return limits


class TokensMixin(EngineBase):
    """The token half of ``Engine``."""

    def create_token(
        self,
        user_id: int,
        name: str,
        abilities: Iterable[str] = (),
        expires_at: Optional[int] = None,
        *,
        rate_limit: Optional[RateLimit] = None,
        quota: Optional[Quota] = None,
    ) -> NewToken:
        """A new token for ``user_id``; ``plain_text`` is shown once.

        ``rate_limit`` and ``quota`` limit its use, stored with it in one
        commit: a request over either raises ``RateLimited`` or
        ``QuotaExhausted`` (HTTP 429), counted across every process on
        the file. Out-of-range limits are ``InvalidArgument``."""
        raw_name = conv.text(name, "name")
        listed = conv.abilities(abilities)
        has_expiry, expiry = conv.optional_u64(expires_at, "expires_at")
        uid = conv.u64(user_id, "user_id")
        limited = rate_limit is not None or quota is not None
        limits = _limits(rate_limit, quota) if limited else None
        token_id = ctypes.c_uint64()
        out = self._buffer(_ffi.TOKEN_MAX_SIZE)
        name_and_abilities = (raw_name, len(raw_name), listed, len(listed), has_expiry, expiry)
        outputs = (ctypes.byref(token_id), out, len(out), None)
        if limits is None:
            self._call("token_create", uid, *name_and_abilities, *outputs)
        else:
            self._call(
                "token_create_limited", uid, *name_and_abilities, ctypes.byref(limits), *outputs
            )
        return NewToken(token_id.value, self._secret(out))

    def set_token_limits(
        self,
        token_id: int,
        rate_limit: Optional[RateLimit] = None,
        quota: Optional[Quota] = None,
    ) -> None:
        """Replace the token's limits (neither given: unlimited). The counts
        start over on every host: the window is empty, the quota is
        ``quota.remaining`` and its refill period starts now. Raises
        ``NotFound`` for an unknown token, ``InvalidArgument`` for limits
        out of range."""
        limits = _limits(rate_limit, quota)
        self._call("token_set_limits", conv.u64(token_id, "token_id"), ctypes.byref(limits))

    def token_limits(self, token_id: int) -> Optional[TokenLimits]:
        """The token's limits, ``quota.remaining`` as of now (this host's
        uses counted); ``None`` for a token without limits, or no such
        token."""
        out = _ffi.TokenLimits()
        self._call("token_get_limits", conv.u64(token_id, "token_id"), ctypes.byref(out))
        if not (out.has_rate_limit or out.has_quota):
            return None
        return TokenLimits(
            rate_limit=RateLimit(out.rate_max, out.rate_window) if out.has_rate_limit else None,
            quota=(
                Quota(
                    out.quota_remaining,
                    out.quota_refill_amount,
                    out.quota_refill_interval or None,
                )
                if out.has_quota
                else None
            ),
        )

    def authenticate_token(self, plain_text: str) -> Token:
        """The token a client sent (raises ``Unauthenticated``; for a valid
        token over its limits ``RateLimited`` or ``QuotaExhausted``, with
        ``.retry_after``)."""
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
