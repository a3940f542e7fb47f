<?php

declare(strict_types=1);

namespace Authkv;

use FFI\CData;

/** The id and CSRF token a create or a rotation issued. */
final class NewSession
{
    public function __construct(
        /** The session id for the cookie (40 characters). */
        public readonly string $id,
        /** The CSRF token (40 characters). */
        public readonly string $csrfToken,
    ) {}
}

/** A live session as loaded. */
final class Session
{
    public function __construct(
        public readonly string $payload,
        public readonly int $version,
        public readonly ?int $userId,
        public readonly string $csrfToken,
        public readonly string $ip,
        public readonly string $userAgent,
        public readonly int $createdAt,
        public readonly int $lastActivity,
    ) {}

    /** Copy a library-owned authkv_session. */
    public static function fromC(CData $s): self
    {
        return new self(
            Library::view($s->payload),
            $s->version,
            $s->has_user ? $s->user_id : null,
            \FFI::string($s->csrf_token),
            Library::view($s->ip),
            Library::view($s->user_agent),
            $s->created_at,
            $s->last_activity,
        );
    }
}

/** One of a user's sessions, by public handle ("your devices"). */
final class SessionInfo
{
    public function __construct(
        public readonly string $handle,
        public readonly string $ip,
        public readonly string $userAgent,
        public readonly int $createdAt,
        public readonly int $lastActivity,
    ) {}
}

/** A personal access token just created; $plainText is shown once. */
final class NewToken
{
    public function __construct(
        public readonly int $id,
        public readonly string $plainText,
    ) {}
}

/**
 * At most $max requests per $window seconds, the window counted from its
 * first request; the next one throws RateLimited.
 */
final class RateLimit
{
    public function __construct(
        /** Requests admitted per window (at least 1). */
        public readonly int $max,
        /** The window in whole seconds (at least 1). */
        public readonly int $window,
    ) {}
}

/**
 * $remaining uses, then QuotaExhausted; with a $refillInterval (seconds,
 * counted from when the quota was set) $remaining is reset to
 * $refillAmount that often. null never refills.
 */
final class Quota
{
    public function __construct(
        /** Uses left (read back: as of now). */
        public readonly int $remaining,
        /** What $remaining is reset to at each refill (at least 1 when it refills). */
        public readonly int $refillAmount = 0,
        /** Seconds between refills (at least 1), or null: never. */
        public readonly ?int $refillInterval = null,
    ) {}
}

/** A token's limits as Engine::tokenLimits() reads them back (one or both). */
final class TokenLimits
{
    public function __construct(
        public readonly ?RateLimit $rateLimit,
        public readonly ?Quota $quota,
    ) {}
}

/** One of a user's tokens ("your tokens"); never the secret. */
final class TokenInfo
{
    /** @param list<string> $abilities */
    public function __construct(
        public readonly int $id,
        public readonly string $name,
        public readonly array $abilities,
        public readonly int $createdAt,
        public readonly ?int $lastUsedAt,
        public readonly ?int $expiresAt,
        public readonly bool $expired,
    ) {}
}
