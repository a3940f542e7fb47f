<?php

declare(strict_types=1);

namespace Authkv;

/** Malformed or out-of-range input (statuses 1, 2). */
class InvalidArgument extends Exception {}

/** An output buffer was too small (3): a binding bug if it ever shows. */
class BufferTooSmall extends Exception {}

/** A session payload is larger than max_payload (4). */
class PayloadTooLarge extends Exception {}

/** Not allowed in this state (5): setting the time of a system-clock
 * engine, or opening an open file with different options. */
class Misuse extends Exception {}

/** No such live session, handle, token or credential (100). */
class NotFound extends Exception {}

/** The session changed since it was read (101, HTTP 409). */
class Conflict extends Exception {}

/** The CSRF token does not match (102, HTTP 419). */
class CsrfMismatch extends Exception {}

/** No valid credentials (103, HTTP 401). */
class Unauthenticated extends Exception {}

/** An ability is missing (104, HTTP 403). */
class Forbidden extends Exception {}

/** Too many failed logins (105, HTTP 429); retry after $retryAfter seconds. */
class Throttled extends Exception
{
    public int $retryAfter = 0;
}

/** The login, token id or token digest is taken (106, HTTP 409). */
class AlreadyExists extends Exception {}

/** Unknown login or wrong password (107). */
class InvalidCredentials extends Exception {}

/** The action needs a recent proof of the password (109); HTTP 423. */
class ConfirmationRequired extends Exception {}

/** A valid token used up its rate limit for this window (110, HTTP 429);
 * retry after $retryAfter seconds, the rest of the window (send it as
 * Retry-After). */
class RateLimited extends Exception
{
    public int $retryAfter = 0;
}

/** A valid token used up its quota (111, HTTP 429); $retryAfter is the
 * seconds until it refills, null for a quota that never does. */
class QuotaExhausted extends Exception
{
    public ?int $retryAfter = null;
}

/** A stolen remember-me cookie was replayed (108): every remember-me token
 * of $userId has been revoked. */
class TheftDetected extends Exception
{
    public int $userId = 0;
}

/** Another process has the database file open (200). */
class Locked extends Exception {}

/** The file is not a redb database (201). */
class NotRedb extends Exception {}

/** The file is a redb database authkv did not create (202). */
class NotAuthkv extends Exception {}

/** The file was written by a newer authkv (203). */
class SchemaTooNew extends Exception {}

/** The operating system refused a read or write (300). */
class IoFailure extends Exception {}

/** A stored record failed validation (301). */
class Corrupt extends Exception {}

/** The storage engine failed (302). */
class StorageFailure extends Exception {}

/** The engine has been closed (303). */
class Closed extends Exception {}

/** An unexpected internal failure (304). */
class InternalError extends Exception {}

/** The library panicked inside a call; the process is unharmed (305). */
class Panic extends Exception {}

/** The database server failed or could not be reached; retry (306). */
class Unavailable extends Exception {}

/** The storage backend does not offer this operation (307). */
class Unsupported extends Exception {}
