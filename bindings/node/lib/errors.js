'use strict';
// Errors: one class per status of the C API, all under AuthkvError. Each
// carries `.code` (the C name, 'AUTHKV_NOT_FOUND'), `.status` (the C
// number, stable across releases) and `.httpStatus`, the response a web
// application answers with when it lets the error through.

/** A call into authkv failed. */
class AuthkvError extends Error {
  constructor(message, status = 304) {
    super(message);
    this.name = this.constructor.name;
    this.status = status;
  }

  /** The C name of the status, e.g. 'AUTHKV_NOT_FOUND'. */
  get code() {
    return NAMES.get(this.status) || 'AUTHKV_INTERNAL';
  }

  /** The HTTP status to answer with (500 for the server's own failures). */
  get httpStatus() {
    return 500;
  }
}

function define(name, status, httpStatus, Base = AuthkvError) {
  const cls = {
    [name]: class extends Base {
      constructor(message, code = status) {
        super(message, code);
      }

      get httpStatus() {
        return httpStatus;
      }
    },
  }[name];
  return cls;
}

/** Malformed or out-of-range input (statuses 1, 2). */
const InvalidArgument = define('InvalidArgument', 2, 400);
/** An argument of the wrong type (a string where a number belongs, …). */
const ArgumentTypeError = define('ArgumentTypeError', 2, 400, InvalidArgument);
const PayloadTooLarge = define('PayloadTooLarge', 4, 413);
/** Not allowed in this state (5): the time of a system-clock engine, … */
const Misuse = define('Misuse', 5, 500);
/** No such live session, handle, token or credential (100). */
const NotFound = define('NotFound', 100, 404);
/** The session changed since it was read (101). */
const Conflict = define('Conflict', 101, 409);
/** The CSRF token does not match (102, HTTP 419). */
const CsrfMismatch = define('CsrfMismatch', 102, 419);
/** No valid session, token or remember-me cookie (103). */
const Unauthenticated = define('Unauthenticated', 103, 401);
/** An ability is missing (104). */
const Forbidden = define('Forbidden', 104, 403);
/** The login, token id or token digest is taken (106). */
const AlreadyExists = define('AlreadyExists', 106, 409);
/** Unknown login or wrong password (107). */
const InvalidCredentials = define('InvalidCredentials', 107, 401);
/** The action needs a recent proof of the password (109, HTTP 423). */
const ConfirmationRequired = define('ConfirmationRequired', 109, 423);
/** Another process has the file open in the other mode (200). */
const Locked = define('Locked', 200, 500);
const NotRedb = define('NotRedb', 201, 500);
const NotAuthkv = define('NotAuthkv', 202, 500);
const SchemaTooNew = define('SchemaTooNew', 203, 500);
const IoFailure = define('IoFailure', 300, 500);
/** A stored record failed validation; nothing more is written (301). */
const Corrupt = define('Corrupt', 301, 500);
const StorageFailure = define('StorageFailure', 302, 500);
/** The engine has been closed (303). */
const Closed = define('Closed', 303, 500);
const InternalError = define('InternalError', 304, 500);
/** The library panicked inside a call; the process is unharmed (305). */
const Panic = define('Panic', 305, 500);

/** Too many failed logins (105, HTTP 429); retry after `.retryAfter` s. */
class Throttled extends AuthkvError {
  constructor(message, retryAfter = 0) {
    super(message, 105);
    this.retryAfter = retryAfter;
  }

  get httpStatus() {
    return 429;
  }
}

/** A token used up its rate limit for this window (110, HTTP 429); its
 * requests are admitted again after `.retryAfter` seconds. */
class RateLimited extends AuthkvError {
  constructor(message, retryAfter = 0) {
    super(message, 110);
    this.retryAfter = retryAfter;
  }

  get httpStatus() {
    return 429;
  }
}

/** A token used up its quota (111, HTTP 429); it refills after
 * `.retryAfter` seconds, or never when `.retryAfter` is `null`. */
class QuotaExhausted extends AuthkvError {
  constructor(message, retryAfter = null) {
    super(message, 111);
    this.retryAfter = retryAfter;
  }

  get httpStatus() {
    return 429;
  }
}

/** A rotated-away remember-me cookie was replayed (108): every remember-me
 * token of `.userId` has been revoked. */
class TheftDetected extends AuthkvError {
  constructor(message, userId = 0) {
    super(message, 108);
    this.userId = userId;
  }

  get httpStatus() {
    return 401;
  }
}

const NAMES = new Map([
  [1, 'AUTHKV_NULL_POINTER'],
  [2, 'AUTHKV_INVALID_ARGUMENT'],
  [3, 'AUTHKV_BUFFER_TOO_SMALL'],
  [4, 'AUTHKV_PAYLOAD_TOO_LARGE'],
  [5, 'AUTHKV_MISUSE'],
  [100, 'AUTHKV_NOT_FOUND'],
  [101, 'AUTHKV_CONFLICT'],
  [102, 'AUTHKV_CSRF_MISMATCH'],
  [103, 'AUTHKV_UNAUTHENTICATED'],
  [104, 'AUTHKV_FORBIDDEN'],
  [105, 'AUTHKV_THROTTLED'],
  [106, 'AUTHKV_ALREADY_EXISTS'],
  [107, 'AUTHKV_INVALID_CREDENTIALS'],
  [108, 'AUTHKV_THEFT_DETECTED'],
  [109, 'AUTHKV_CONFIRMATION_REQUIRED'],
  [110, 'AUTHKV_RATE_LIMITED'],
  [111, 'AUTHKV_QUOTA_EXHAUSTED'],
  [200, 'AUTHKV_LOCKED'],
  [201, 'AUTHKV_NOT_REDB'],
  [202, 'AUTHKV_NOT_AUTHKV'],
  [203, 'AUTHKV_SCHEMA_TOO_NEW'],
  [300, 'AUTHKV_IO'],
  [301, 'AUTHKV_CORRUPT'],
  [302, 'AUTHKV_STORAGE'],
  [303, 'AUTHKV_CLOSED'],
  [304, 'AUTHKV_INTERNAL'],
  [305, 'AUTHKV_PANIC'],
  [306, 'AUTHKV_UNAVAILABLE'],
  [307, 'AUTHKV_UNSUPPORTED'],
]);

const BY_STATUS = new Map([
  [1, InvalidArgument],
  [2, InvalidArgument],
  [4, PayloadTooLarge],
  [5, Misuse],
  [100, NotFound],
  [101, Conflict],
  [102, CsrfMismatch],
  [103, Unauthenticated],
  [104, Forbidden],
  [106, AlreadyExists],
  [107, InvalidCredentials],
  [109, ConfirmationRequired],
  [200, Locked],
  [201, NotRedb],
  [202, NotAuthkv],
  [203, SchemaTooNew],
  [300, IoFailure],
  [301, Corrupt],
  [302, StorageFailure],
  [303, Closed],
  [304, InternalError],
  [305, Panic],
]);

/** `[authkv:<status>] message`, or `[authkv:<status> retry-after=<s>]
 * message` for a token over its rate limit or quota (src/errors.rs). */
const NATIVE = /^\[authkv:(\d+)(?: retry-after=(\d+))?\] /;

/** The typed error for an error the addon threw; other errors (a bug in
 * this package) pass through unchanged. */
function fromNative(error) {
  const match = error instanceof Error ? NATIVE.exec(error.message) : null;
  if (!match) return error;
  const status = Number(match[1]);
  const message = error.message.slice(match[0].length);
  const retryAfter = match[2] === undefined ? null : Number(match[2]);
  if (status === 110) return new RateLimited(message, retryAfter ?? 0);
  if (status === 111) return new QuotaExhausted(message, retryAfter);
  const Class = BY_STATUS.get(status) || AuthkvError;
  const typed = new Class(message, status);
  return typed;
}

module.exports = {
  AuthkvError,
  InvalidArgument,
  ArgumentTypeError,
  PayloadTooLarge,
  Misuse,
  NotFound,
  Conflict,
  CsrfMismatch,
  Unauthenticated,
  ConfirmationRequired,
  Forbidden,
  Throttled,
  RateLimited,
  QuotaExhausted,
  AlreadyExists,
  InvalidCredentials,
  TheftDetected,
  Locked,
  NotRedb,
  NotAuthkv,
  SchemaTooNew,
  IoFailure,
  Corrupt,
  StorageFailure,
  Closed,
  InternalError,
  Panic,
  fromNative,
};
