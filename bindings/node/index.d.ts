// Types of the `authkv` package (index.js). Ids are numbers; an id above
// Number.MAX_SAFE_INTEGER (only another binding or the CLI can store one)
// comes back as a bigint, and any id may be given as a bigint.

/** A user, token or version number. */
export type Id = number;
/** What an id argument accepts. */
export type IdInput = number | bigint;

export interface OpenOptions {
  /** Idle lifetime of a session, seconds (default 7200). */
  idleLifetimeSecs?: number;
  /** Absolute lifetime of a session, seconds; 0: none (default). */
  absoluteLifetimeSecs?: number;
  /** A read moves last_activity only when this old, seconds (default 60). */
  touchIntervalSecs?: number;
  maxPayload?: number;
  maxUserAgent?: number;
  maxIp?: number;
  gcBatchSize?: number;
  /** A background thread flushes touches and collects this often; 0: none. */
  backgroundIntervalSecs?: number;
  /** redb page cache, bytes (default 64 MiB). */
  cacheSize?: number;
  cacheEntries?: number;
  authCacheEntries?: number;
  /** A clock that moves only with `setTime` (tests). */
  manualClock?: boolean;
  manualClockStart?: number;
  durableCommits?: boolean;
  tokenPrefix?: string;
  /** Tokens expire this long after creation, seconds; 0: never (default). */
  tokenExpirationSecs?: number;
  allowLegacyTokens?: boolean;
  tokenPruneHours?: number;
  argon2MCost?: number;
  argon2TCost?: number;
  argon2PCost?: number;
  throttleMaxAttempts?: number;
  throttleWindowSecs?: number;
  rememberLifetimeSecs?: number;
  /** First-party domains (`host[:port]`, `*.example.com`); default Sanctum's list. */
  statefulDomains?: string[] | string;
  sameHostIsStateful?: boolean;
  sessionCookie?: string;
  xsrfCookie?: string;
  /** Default true. */
  cookieSecure?: boolean;
  cookieSameSite?: 'lax' | 'strict' | 'none';
  /** How a first-party write proves it is not forged: the session's CSRF
   * token (default), the browser's Sec-Fetch-Site / Origin, or either. */
  csrfMode?: 'token' | 'fetch-metadata' | 'either';
  /** In the fetch-metadata modes, also accept `Sec-Fetch-Site: same-site`. */
  csrfAcceptsSameSite?: boolean;
  cookiePath?: string;
  cookieDomain?: string;
  cookieHostPrefix?: boolean;
  expireOnClose?: boolean;
  /** This process alone holds the file (faster; others get `Locked`).
   * Default false: any number of processes share it (Node cluster). */
  exclusive?: boolean;
  quickRepair?: boolean;
  create?: 'ifMissing' | 'ifMissingOrEmpty' | 'never';
}

export class Session {
  /** The session id, the cookie's value (a secret). */
  readonly id: string;
  readonly userId: Id | null;
  /** The CSRF token (a secret). */
  readonly csrfToken: string;
  readonly payload: Buffer;
  readonly ip: string;
  readonly userAgent: string;
  readonly createdAt: number;
  readonly lastActivity: number;
  readonly version: number;
  /** Public handle: hex digest of the id. */
  readonly handle: string;
}

export interface SessionInfo {
  handle: string;
  ip: string;
  userAgent: string;
  createdAt: number;
  lastActivity: number;
}

export interface TokenInfo {
  id: Id;
  name: string;
  abilities: string[];
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  expired: boolean;
}

export interface NewToken {
  id: Id;
  /** `{id}|{prefix}{40 chars}{crc32b}`, shown once. */
  plainText: string;
  info: TokenInfo;
}

/** At most `max` requests per `window` seconds, the window opening at its
 * first request. */
export interface RateLimit {
  /** At least 1. */
  max: number;
  /** Seconds, a whole number of at least 1. */
  window: number;
}

/** A number of uses, refilled to `refillAmount` every `refillInterval`
 * seconds (counted from when the quota was set) when one is given. */
export interface Quota {
  /** Uses left. */
  remaining: number;
  /** What `remaining` is reset to at each refill (at least 1 when the
   * quota refills). */
  refillAmount: number;
  /** Seconds; null: never refills. */
  refillInterval: number | null;
}

/** What `createToken` and `setTokenLimits` take: either, both or neither
 * (unlimited). */
export interface TokenLimitsInput {
  rateLimit?: { max: IdInput; window: IdInput } | null;
  /** `refillAmount` defaults to `remaining` when `refillInterval` is given. */
  quota?: { remaining: IdInput; refillAmount?: IdInput; refillInterval?: IdInput | null } | null;
}

/** A token's limits as `tokenLimits` reads them. */
export interface TokenLimits {
  rateLimit: RateLimit | null;
  /** `remaining` as of now. */
  quota: Quota | null;
}

export class Token {
  readonly id: Id;
  readonly userId: Id;
  readonly abilities: readonly string[];
  can(ability: string): boolean;
  cant(ability: string): boolean;
}

export class Principal {
  readonly userId: Id;
  readonly via: 'session' | 'token';
  readonly tokenId: Id | null;
  readonly abilities: readonly string[];
  /** The session id the request authenticated with, else null. */
  readonly sessionId: string | null;
  can(ability: string): boolean;
  cant(ability: string): boolean;
  /** Throws `Forbidden` unless every `all` and (when given) one `any`. */
  require(abilities?: { all?: Iterable<string>; any?: Iterable<string> }): void;
  toJSON(): { userId: Id; via: 'session' | 'token'; tokenId: Id | null; abilities: readonly string[] };
}

export interface Stats {
  sessions: number;
  tokens: number;
  credentials: number;
  rememberTokens: number;
  writeCommits: number;
  durableSyncs: number;
  cachedRecords: number;
  cachedSummaries: number;
  touchesPending: number;
  lookups: number;
  gcExamined: number;
  gcDeleted: number;
  backgroundErrors: number;
  passwordVerifications: number;
}

export interface GcReport {
  sessionsDeleted: number;
  tokensDeleted: number;
  throttlesDeleted: number;
  rememberTokensDeleted: number;
  recordsExamined: number;
  batches: number;
  leaseHeldElsewhere: boolean;
  /** Pending touches written (housekeep only). */
  touchesFlushed: number;
}

export interface VerifyReport {
  recordsChecked: number;
  indexRowsChecked: number;
  problems: string[];
}

/** Header names in lower case, as Node's `req.headers`, or a fetch Headers. */
export type GuardHeaders =
  | { [name: string]: string | string[] | undefined }
  | { get(name: string): string | null };

export class Engine {
  /** Open (or create) the database on this thread. */
  constructor(path: string, options?: OpenOptions);
  /** Open off the event loop. */
  static open(path: string, options?: OpenOptions): Promise<Engine>;
  readonly path: string;
  readonly closed: boolean;
  readonly sessionCookieName: string;
  readonly xsrfCookieName: string;
  readonly idleLifetimeSecs: number;
  readonly exclusive: boolean;
  close(): Promise<void>;

  createSession(ip?: string, userAgent?: string): Promise<Session>;
  loadSession(id: string): Session | null;
  saveSession(id: string, payload: Buffer | Uint8Array | string, options?: { expectedVersion?: IdInput }): Promise<number>;
  login(id: string, userId: IdInput): Promise<Session>;
  regenerateSession(id: string): Promise<Session>;
  invalidateSession(id: string): Promise<Session>;
  destroySession(id: string): Promise<boolean>;
  csrfToken(id: string): string | null;
  verifyCsrf(id: string, token: string): boolean;
  rotateCsrf(id: string): Promise<string>;
  userSessions(userId: IdInput): SessionInfo[];
  revokeSession(handle: string): Promise<void>;
  revokeUserSessions(userId: IdInput, options?: { keep?: string }): Promise<number>;

  createToken(userId: IdInput, name: string, abilities?: Iterable<string>, options?: { expiresAt?: IdInput } & TokenLimitsInput): Promise<NewToken>;
  /** Replace the token's limits (`{}`: unlimited); counts start over.
   * Rejects with InvalidArgument or NotFound. */
  setTokenLimits(tokenId: IdInput, limits: TokenLimitsInput | null): Promise<void>;
  /** null for an unknown or unlimited token. */
  tokenLimits(tokenId: IdInput): TokenLimits | null;
  /** Throws RateLimited or QuotaExhausted for a token over its limits. */
  authenticateToken(plainText: string): Token | null;
  userTokens(userId: IdInput): TokenInfo[];
  revokeToken(tokenId: IdInput): Promise<boolean>;
  revokeUserTokens(userId: IdInput): Promise<number>;
  pruneTokens(hours: IdInput): Promise<number>;
  importSanctumToken(row: {
    id: IdInput; userId: IdInput; name: string; sha256Hex: string; abilities?: Iterable<string>;
    createdAt: IdInput; lastUsedAt?: IdInput | null; expiresAt?: IdInput | null;
  }): Promise<void>;

  setPassword(userId: IdInput, login: string, password: string): Promise<void>;
  /** Resolves to the user id; rejects with InvalidCredentials or Throttled. */
  attempt(login: string, password: string, ip: string): Promise<Id>;
  /** Confirm the password of the user on session `id` before a sensitive
   * action; rejects with InvalidCredentials, Throttled, NotFound or
   * Unauthenticated (a guest's session). */
  confirmPassword(id: string, password: string): Promise<void>;
  /** Whether the user on session `id` proved the password within `maxAgeSecs`. */
  isFresh(id: string, maxAgeSecs: IdInput): boolean;
  /** Throws ConfirmationRequired (HTTP 423) unless the principal's user
   * proved the password within `maxAgeSecs`. */
  requireFresh(principal: Principal, maxAgeSecs: IdInput): void;
  verifyPassword(userId: IdInput, password: string): Promise<boolean>;
  changePassword(userId: IdInput, newPassword: string, options?: { keepSession?: string; revokeTokens?: boolean }): Promise<void>;
  createRememberToken(userId: IdInput): Promise<string>;
  /** Rejects with Unauthenticated or TheftDetected. */
  consumeRememberToken(token: string): Promise<{ userId: Id; token: string }>;
  revokeRememberTokens(userId: IdInput): Promise<number>;

  /** The auth:sanctum decision; throws Unauthenticated, CsrfMismatch,
   * RateLimited or QuotaExhausted. */
  authenticate(method: string, headers: GuardHeaders, options?: { formToken?: string }): Principal;
  /** The guard's CSRF check alone, in the engine's `csrfMode`, for a route
   * outside the guard (a login form): GET, HEAD and OPTIONS pass; any other
   * method must pass the mode against the session its cookie names (the
   * token in `formToken`, X-CSRF-TOKEN or X-XSRF-TOKEN; Sec-Fetch-Site /
   * Origin; or either). Throws CsrfMismatch (419), or InvalidArgument (400)
   * for a header the parser refuses. */
  verifyRequestCsrf(method: string, headers: GuardHeaders, options?: { formToken?: string }): void;
  sessionCookie(sessionId: string): string;
  xsrfCookie(csrfToken: string): string;
  clearSessionCookie(): string;

  flush(): Promise<number>;
  gc(): Promise<GcReport>;
  housekeep(): Promise<GcReport>;
  verify(): Promise<VerifyReport>;
  stats(): Stats;
  setTime(unixSeconds: IdInput): void;
  now(): number;
}

export class AuthkvError extends Error {
  /** The C API's status number. */
  readonly status: number;
  /** The C name of the status, e.g. 'AUTHKV_NOT_FOUND'. */
  readonly code: string;
  /** The HTTP status to answer with. */
  readonly httpStatus: number;
}
export class InvalidArgument extends AuthkvError {}
export class ArgumentTypeError extends InvalidArgument {}
export class PayloadTooLarge extends AuthkvError {}
export class Misuse extends AuthkvError {}
export class NotFound extends AuthkvError {}
export class Conflict extends AuthkvError {}
export class CsrfMismatch extends AuthkvError {}
export class Unauthenticated extends AuthkvError {}
export class Forbidden extends AuthkvError {}
export class Throttled extends AuthkvError {
  readonly retryAfter: number;
}
/** A token over its rate limit (HTTP 429). */
export class RateLimited extends AuthkvError {
  /** Seconds until the window ends. */
  readonly retryAfter: number;
}
/** A token whose quota is used up (HTTP 429). */
export class QuotaExhausted extends AuthkvError {
  /** Seconds until the quota refills; null when it never does. */
  readonly retryAfter: number | null;
}
export class AlreadyExists extends AuthkvError {}
export class InvalidCredentials extends AuthkvError {}
export class ConfirmationRequired extends AuthkvError {}
export class TheftDetected extends AuthkvError {
  readonly userId: Id;
}
export class Locked extends AuthkvError {}
export class NotRedb extends AuthkvError {}
export class NotAuthkv extends AuthkvError {}
export class SchemaTooNew extends AuthkvError {}
export class IoFailure extends AuthkvError {}
export class Corrupt extends AuthkvError {}
export class StorageFailure extends AuthkvError {}
export class Closed extends AuthkvError {}
export class InternalError extends AuthkvError {}
export class Panic extends AuthkvError {}
