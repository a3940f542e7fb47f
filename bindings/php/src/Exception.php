<?php

declare(strict_types=1);

namespace Authkv;

/**
 * A call into authkv failed. `getStatus()` is the C status number (see
 * Status), `getMessage()` the library's message, which names the function
 * and what was wrong, never a secret. Each status has its own subclass
 * (Errors.php).
 */
class Exception extends \RuntimeException
{
    /** Status number => class. */
    private const CLASSES = [
        Status::NULL_POINTER => InvalidArgument::class,
        Status::INVALID_ARGUMENT => InvalidArgument::class,
        Status::BUFFER_TOO_SMALL => BufferTooSmall::class,
        Status::PAYLOAD_TOO_LARGE => PayloadTooLarge::class,
        Status::MISUSE => Misuse::class,
        Status::NOT_FOUND => NotFound::class,
        Status::CONFLICT => Conflict::class,
        Status::CSRF_MISMATCH => CsrfMismatch::class,
        Status::UNAUTHENTICATED => Unauthenticated::class,
        Status::FORBIDDEN => Forbidden::class,
        Status::THROTTLED => Throttled::class,
        Status::ALREADY_EXISTS => AlreadyExists::class,
        Status::INVALID_CREDENTIALS => InvalidCredentials::class,
        Status::THEFT_DETECTED => TheftDetected::class,
        Status::CONFIRMATION_REQUIRED => ConfirmationRequired::class,
        Status::RATE_LIMITED => RateLimited::class,
        Status::QUOTA_EXHAUSTED => QuotaExhausted::class,
        Status::LOCKED => Locked::class,
        Status::NOT_REDB => NotRedb::class,
        Status::NOT_AUTHKV => NotAuthkv::class,
        Status::SCHEMA_TOO_NEW => SchemaTooNew::class,
        Status::IO => IoFailure::class,
        Status::CORRUPT => Corrupt::class,
        Status::STORAGE => StorageFailure::class,
        Status::CLOSED => Closed::class,
        Status::INTERNAL => InternalError::class,
        Status::PANIC => Panic::class,
        Status::UNAVAILABLE => Unavailable::class,
        Status::UNSUPPORTED => Unsupported::class,
    ];

    final public function __construct(private readonly int $status, string $message)
    {
        parent::__construct($message, $status);
    }

    /** The AUTHKV_* status number. */
    public function getStatus(): int
    {
        return $this->status;
    }

    /** The exception for a status (this base class for an unknown one). */
    public static function fromStatus(int $status, string $message): self
    {
        $class = self::CLASSES[$status] ?? self::class;
        return new $class($status, $message);
    }

    /**
     * Every status with its class, for tests that check the map is whole.
     *
     * @return array<int, class-string<self>>
     */
    public static function classes(): array
    {
        return self::CLASSES;
    }
}
