<?php

declare(strict_types=1);

namespace Authkv;

use FFI;
use FFI\CData;

/**
 * Personal access tokens: create, authenticate, list, revoke, prune,
 * import, and their rate limits and quotas.
 */
trait TokenCalls
{
    /**
     * A new token for $userId; its plain text is shown once.
     *
     * $rateLimit and $quota limit its use, stored with it in one commit
     * (`createToken($userId, 'api', ['orders:read'], rateLimit: new
     * RateLimit(60, 60))`): a request over either throws RateLimited or
     * QuotaExhausted (HTTP 429), counted across every process on the file.
     * Out-of-range limits are InvalidArgument.
     *
     * @param list<string> $abilities
     */
    public function createToken(
        int $userId,
        string $name,
        array $abilities = [],
        ?int $expiresAt = null,
        ?RateLimit $rateLimit = null,
        ?Quota $quota = null,
    ): NewToken {
        $list = Library::abilityList($abilities);
        $limits = $rateLimit !== null || $quota !== null ? $this->limits($rateLimit, $quota) : null;
        $id = $this->ffi->new('uint64_t');
        $out = $this->buffer(Abi::TOKEN_MAX_SIZE);
        $args = [
            Library::u64($userId, 'userId'),
            $name,
            strlen($name),
            $list,
            strlen($list),
            $expiresAt !== null,
            Library::u64($expiresAt ?? 0, 'expiresAt'),
        ];
        if ($limits !== null) {
            $args[] = FFI::addr($limits); // authkv_token_create_limited takes it here
        }
        array_push($args, FFI::addr($id), $out, Abi::TOKEN_MAX_SIZE, null);
        $this->call($limits === null ? 'token_create' : 'token_create_limited', ...$args);
        return new NewToken($id->cdata, FFI::string($out));
    }

    /**
     * Replace the token's limits (neither given: unlimited). The counts
     * start over on every host: the window is empty, the quota is
     * $quota->remaining and its refill period starts now. Throws NotFound
     * for an unknown token, InvalidArgument for limits out of range.
     */
    public function setTokenLimits(int $tokenId, ?RateLimit $rateLimit = null, ?Quota $quota = null): void
    {
        $limits = $this->limits($rateLimit, $quota);
        $this->call('token_set_limits', Library::u64($tokenId, 'tokenId'), FFI::addr($limits));
    }

    /**
     * The token's limits, $quota->remaining as of now (this host's uses
     * counted); null for a token without limits, or no such token.
     */
    public function tokenLimits(int $tokenId): ?TokenLimits
    {
        $out = $this->ffi->new('authkv_token_limits');
        $this->call('token_get_limits', Library::u64($tokenId, 'tokenId'), FFI::addr($out));
        if (!$out->has_rate_limit && !$out->has_quota) {
            return null;
        }
        return new TokenLimits(
            $out->has_rate_limit ? new RateLimit($out->rate_max, $out->rate_window) : null,
            $out->has_quota
                ? new Quota(
                    $out->quota_remaining,
                    $out->quota_refill_amount,
                    $out->quota_refill_interval === 0 ? null : $out->quota_refill_interval,
                )
                : null,
        );
    }

    /**
     * authkv_token_limits for the two optional limits (neither:
     * unlimited). A zero max, window or refill amount is left to the
     * library to refuse; a refill interval of 0 is refused here, since the
     * C struct spells "never refills" that way.
     */
    private function limits(?RateLimit $rateLimit, ?Quota $quota): CData
    {
        $limits = $this->ffi->new('authkv_token_limits'); // zeroed: unlimited
        if ($rateLimit !== null) {
            $limits->has_rate_limit = true;
            $limits->rate_max = Library::u64($rateLimit->max, 'rateLimit->max');
            $limits->rate_window = Library::u64($rateLimit->window, 'rateLimit->window');
        }
        if ($quota !== null) {
            $limits->has_quota = true;
            $limits->quota_remaining = Library::u64($quota->remaining, 'quota->remaining');
            $limits->quota_refill_amount = Library::u64($quota->refillAmount, 'quota->refillAmount');
            if ($quota->refillInterval !== null) {
                if ($quota->refillInterval === 0) {
                    throw new InvalidArgument(Status::INVALID_ARGUMENT, 'quota->refillInterval must be at least 1 second (null: it never refills)');
                }
                $limits->quota_refill_interval = Library::u64($quota->refillInterval, 'quota->refillInterval');
            }
        }
        return $limits;
    }

    /**
     * The token a client sent (throws Unauthenticated; for a valid token
     * over its limits RateLimited or QuotaExhausted, with $retryAfter).
     */
    public function authenticateToken(string $plainText): Token
    {
        $out = $this->ffi->new('authkv_token*');
        $this->call('token_authenticate', $plainText, strlen($plainText), FFI::addr($out));
        return new Token($out);
    }

    /** @return list<TokenInfo> the user's stored tokens, oldest first */
    public function userTokens(int $userId): array
    {
        $out = $this->ffi->new('authkv_token_list*');
        $this->call('token_list_user', Library::u64($userId, 'userId'), FFI::addr($out));
        try {
            $list = [];
            for ($i = 0; $i < $out[0]->len; $i++) {
                $t = $out[0]->items[$i];
                $list[] = new TokenInfo(
                    $t->id,
                    Library::view($t->name),
                    Library::abilities($t->abilities),
                    $t->created_at,
                    $t->has_last_used_at ? $t->last_used_at : null,
                    $t->has_expires_at ? $t->expires_at : null,
                    $t->expired,
                );
            }
            return $list;
        } finally {
            $this->ffi->authkv_token_list_free($out);
        }
    }

    /** Delete one token (throws NotFound). */
    public function revokeToken(int $tokenId): void
    {
        $this->call('token_revoke', Library::u64($tokenId, 'tokenId'));
    }

    /** Delete every token of the user; returns how many. */
    public function revokeUserTokens(int $userId): int
    {
        $revoked = $this->ffi->new('size_t');
        $this->call('token_revoke_user', Library::u64($userId, 'userId'), FFI::addr($revoked));
        return $revoked->cdata;
    }

    /** Delete tokens expired for more than $hours; returns how many. */
    public function pruneTokens(int $hours): int
    {
        $pruned = $this->ffi->new('uint64_t');
        $this->call('token_prune', Library::u64($hours, 'hours'), FFI::addr($pruned));
        return $pruned->cdata;
    }

    /**
     * Store a personal_access_tokens row so its plain text keeps working
     * ($abilities is the decoded JSON column).
     *
     * @param list<string> $abilities
     */
    public function importSanctumToken(
        int $tokenId,
        int $userId,
        string $name,
        string $sha256Hex,
        array $abilities = [],
        int $createdAt = 0,
        ?int $lastUsedAt = null,
        ?int $expiresAt = null,
    ): void {
        $list = Library::abilityList($abilities);
        $this->call(
            'token_import_sanctum',
            Library::u64($tokenId, 'tokenId'),
            Library::u64($userId, 'userId'),
            $name,
            strlen($name),
            $sha256Hex,
            strlen($sha256Hex),
            $list,
            strlen($list),
            Library::u64($createdAt, 'createdAt'),
            $lastUsedAt !== null,
            Library::u64($lastUsedAt ?? 0, 'lastUsedAt'),
            $expiresAt !== null,
            Library::u64($expiresAt ?? 0, 'expiresAt'),
        );
    }
}
