'use strict';
// Engine: the whole API of the crate over the addon. Cached lookups (load a
// session, check a CSRF token, authenticate a token or a request) answer
// on the calling thread; every call that commits or runs argon2 returns a
// Promise and runs on libuv's thread pool.

const util = require('node:util');

const native = require('./native');
const check = require('./check');
const errors = require('./errors');
const { Principal, Token, ALL } = require('./principal');

const { fromNative, ArgumentTypeError, InvalidArgument } = errors;
const fastGuard = native.fast.guard;
const fastVerifyRequestCsrf = native.fast.verifyRequestCsrf;

/** Option name → the type it takes. Names are the C ABI's authkv_options
 * fields in camelCase. */
const OPTION_TYPES = {
  idleLifetimeSecs: 'integer',
  absoluteLifetimeSecs: 'integer',
  touchIntervalSecs: 'integer',
  maxPayload: 'integer',
  maxUserAgent: 'integer',
  maxIp: 'integer',
  gcBatchSize: 'integer',
  backgroundIntervalSecs: 'integer',
  cacheSize: 'integer',
  cacheEntries: 'integer',
  authCacheEntries: 'integer',
  manualClock: 'boolean',
  manualClockStart: 'integer',
  durableCommits: 'boolean',
  tokenPrefix: 'string',
  tokenExpirationSecs: 'integer',
  allowLegacyTokens: 'boolean',
  tokenPruneHours: 'integer',
  argon2MCost: 'integer',
  argon2TCost: 'integer',
  argon2PCost: 'integer',
  throttleMaxAttempts: 'integer',
  throttleWindowSecs: 'integer',
  rememberLifetimeSecs: 'integer',
  statefulDomains: 'domains',
  sameHostIsStateful: 'boolean',
  sessionCookie: 'string',
  xsrfCookie: 'string',
  cookieSecure: 'boolean',
  cookieSameSite: 'string',
  csrfMode: 'string',
  csrfAcceptsSameSite: 'boolean',
  cookiePath: 'string',
  cookieDomain: 'string',
  cookieHostPrefix: 'boolean',
  expireOnClose: 'boolean',
  exclusive: 'boolean',
  quickRepair: 'boolean',
  create: 'string',
};

function openOptions(given) {
  const options = {};
  for (const [name, value] of Object.entries(check.object(given, 'options'))) {
    const type = OPTION_TYPES[name];
    if (type === undefined) {
      throw new InvalidArgument(`unknown option ${JSON.stringify(name)}`);
    }
    if (value === undefined) continue;
    if (type === 'integer') {
      if (typeof value !== 'number') {
        throw new ArgumentTypeError(`option ${name} must be a number, not ${check.describe(value)}`);
      }
      options[name] = value;
    } else if (type === 'domains') {
      const list = typeof value === 'string'
        ? value.split(',').filter((p) => p !== '')
        : check.strings(value, `option ${name}`);
      if (list.some((p) => p.includes(','))) {
        throw new InvalidArgument(`option ${name}: a pattern contains a comma`);
      }
      options[name] = list;
    } else if (type === 'boolean') {
      options[name] = check.bool(value, `option ${name}`);
    } else {
      options[name] = check.text(value, `option ${name}`);
    }
  }
  return options;
}

/** A live session. `id` and `csrfToken` are secrets: `util.inspect` and
 * `console.log` leave them out. */
class Session {
  constructor(s) {
    /** The session id, the cookie's value (40 characters). */
    this.id = s.id;
    /** The logged-in user, or `null`. */
    this.userId = s.userId ?? null;
    /** The session's CSRF token (40 characters). */
    this.csrfToken = s.csrfToken;
    /** Opaque application data. */
    this.payload = s.payload;
    /** Client address and user agent recorded at creation. */
    this.ip = s.ip;
    this.userAgent = s.userAgent;
    /** Unix seconds. */
    this.createdAt = s.createdAt;
    this.lastActivity = s.lastActivity;
    /** Version of payload, user and CSRF token (for `expectedVersion`). */
    this.version = s.version;
    /** Public handle (hex digest of the id), as `userSessions` lists it. */
    this.handle = s.handle;
  }

  [util.inspect.custom]() {
    return `Session { id: …, csrfToken: …, userId: ${this.userId}, version: ${this.version}, payload: ${this.payload.length} bytes }`;
  }
}

function tokenInfo(t) {
  return {
    id: t.id,
    name: t.name,
    abilities: t.abilities,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt ?? null,
    expiresAt: t.expiresAt ?? null,
    expired: t.expired,
  };
}

const LIMIT_FIELDS = {
  limits: ['rateLimit', 'quota'],
  rateLimit: ['max', 'window'],
  quota: ['remaining', 'refillAmount', 'refillInterval'],
};

function knownFields(object, kind, name) {
  for (const key of Object.keys(object)) {
    if (!LIMIT_FIELDS[kind].includes(key)) {
      throw new InvalidArgument(`${name}: unknown field ${JSON.stringify(key)} (expected ${LIMIT_FIELDS[kind].join(', ')})`);
    }
  }
}

/** The addon's limits from `{ rateLimit, quota }`, either absent or null;
 * `undefined` when both are (an unlimited token). The engine refuses a
 * zero max, window or refilled refillAmount. */
function limitsArgument(given, name = 'options', strict = false) {
  if (strict) knownFields(given, 'limits', name);
  const { rateLimit, quota } = given;
  const limits = {};
  if (rateLimit !== undefined && rateLimit !== null) {
    const r = check.object(rateLimit, 'rateLimit');
    knownFields(r, 'rateLimit', 'rateLimit');
    limits.rateLimit = { max: check.id(r.max, 'rateLimit.max'), window: check.id(r.window, 'rateLimit.window') };
  }
  if (quota !== undefined && quota !== null) {
    const q = check.object(quota, 'quota');
    knownFields(q, 'quota', 'quota');
    const remaining = check.id(q.remaining, 'quota.remaining');
    const refillInterval = check.optionalId(q.refillInterval, 'quota.refillInterval');
    // Refilled to the starting amount unless told otherwise.
    const refillAmount = q.refillAmount === undefined || q.refillAmount === null
      ? (refillInterval === undefined ? 0 : remaining)
      : check.id(q.refillAmount, 'quota.refillAmount');
    limits.quota = { remaining, refillAmount, refillInterval };
  }
  if (!strict && limits.rateLimit === undefined && limits.quota === undefined) return undefined;
  return limits;
}

/** The guard's headers from a plain object with lower-case names (Node's
 * `req.headers`) or a fetch `Headers`. */
const GUARD_HEADERS = ['cookie', 'authorization', 'origin', 'referer', 'host', 'x-csrf-token', 'x-xsrf-token', 'sec-fetch-site'];

/** The error for a refused guard call: a header of the wrong type is named
 * as such; the addon's own errors are typed. */
function headerError(error, given) {
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && typeof value !== 'string') {
      return new ArgumentTypeError(`${name === 'formToken' ? name : `header ${name}`} must be a string, not ${check.describe(value)}`);
    }
  }
  return fromNative(error);
}

/** Refuse `{ Cookie: … }`: names are read in lower case, so a capitalised
 * one would be ignored without a word. */
function checkHeaderNames(headers) {
  for (const key of Object.keys(headers)) {
    const lower = key.toLowerCase();
    if (lower !== key && GUARD_HEADERS.includes(lower)) {
      throw new InvalidArgument(
        `header name ${JSON.stringify(key)} must be lower case (as in Node's req.headers): ${JSON.stringify(lower)}`,
      );
    }
  }
}

/** The fast entry points' arguments after the engine handle, for a
 * request: the presence mask (bit i: text i is given; the addon reads only
 * those, and refuses a given one that is not a string), the method, the
 * guard's headers and the `_token` form field. */
function requestTexts(method, headers, formToken) {
  if (typeof method !== 'string') check.text(method, 'method');
  if (headers === null || typeof headers !== 'object') {
    throw new ArgumentTypeError(`headers must be an object, not ${check.describe(headers)}`);
  }
  let cookie; let authorization; let origin; let referer; let host; let csrf; let xsrf; let site;
  if (typeof headers.get === 'function') {
    cookie = headers.get('cookie') ?? undefined;
    authorization = headers.get('authorization') ?? undefined;
    origin = headers.get('origin') ?? undefined;
    referer = headers.get('referer') ?? undefined;
    host = headers.get('host') ?? undefined;
    csrf = headers.get('x-csrf-token') ?? undefined;
    xsrf = headers.get('x-xsrf-token') ?? undefined;
    site = headers.get('sec-fetch-site') ?? undefined;
  } else {
    cookie = headers.cookie ?? undefined;
    authorization = headers.authorization ?? undefined;
    origin = headers.origin ?? undefined;
    referer = headers.referer ?? undefined;
    host = headers.host ?? undefined;
    csrf = headers['x-csrf-token'] ?? undefined;
    xsrf = headers['x-xsrf-token'] ?? undefined;
    site = headers['sec-fetch-site'] ?? undefined;
  }
  const form = formToken ?? undefined;
  const present = 1
    | (cookie !== undefined ? 2 : 0)
    | (authorization !== undefined ? 4 : 0)
    | (origin !== undefined ? 8 : 0)
    | (referer !== undefined ? 16 : 0)
    | (host !== undefined ? 32 : 0)
    | (csrf !== undefined ? 64 : 0)
    | (xsrf !== undefined ? 128 : 0)
    | (form !== undefined ? 256 : 0)
    | (site !== undefined ? 512 : 0);
  return [present, method, cookie, authorization, origin, referer, host, csrf, xsrf, form, site];
}

/** The error for a fast entry point's refusal of `requestTexts`' texts. */
function textError(error, texts) {
  const [, , cookie, authorization, origin, referer, host, csrf, xsrf, form, site] = texts;
  return headerError(error, { cookie, authorization, origin, referer, host, 'x-csrf-token': csrf, 'x-xsrf-token': xsrf, formToken: form, 'sec-fetch-site': site });
}

function unauthenticated() {
  return new errors.Unauthenticated('unauthenticated: no logged-in session and no valid bearer token');
}

function csrfMismatch() {
  return new errors.CsrfMismatch('CSRF token mismatch');
}

/** Call the addon on this thread, with its errors typed. */
function sync(call) {
  try {
    return call();
  } catch (error) {
    throw fromNative(error);
  }
}

class Engine {
  /**
   * Open (or create) the database at `path`, on this thread. By default
   * any number of processes share the file (Node cluster workers, the CLI,
   * cron); `exclusive: true` keeps it to this process.
   */
  constructor(path, options = {}) {
    if (path instanceof NativeEngineMarker) {
      this._native = options;
    } else {
      check.text(path, 'path');
      const opts = openOptions(options);
      this._native = sync(() => new native.NativeEngine(path, opts));
    }
    this._path = path instanceof NativeEngineMarker ? path.path : path;
    this._handle = this._native.handle;
  }

  /** `new Engine(path, options)` off the event loop. */
  static async open(path, options = {}) {
    check.text(path, 'path');
    const opts = openOptions(options);
    let handle;
    try {
      handle = await native.openEngine(path, opts);
    } catch (error) {
      throw fromNative(error);
    }
    return new Engine(new NativeEngineMarker(path), handle);
  }

  /** The path the engine was opened with. */
  get path() {
    return this._path;
  }

  /** Whether `close()` has been called. */
  get closed() {
    return this._native.closed;
  }

  /** Flush pending touches and release the file once the calls under way
   * have ended. Later calls throw `Closed`; closing again does nothing. */
  async close() {
    try {
      await this._native.close();
    } catch (error) {
      throw fromNative(error);
    }
  }

  async _job(start) {
    try {
      return await start();
    } catch (error) {
      throw fromNative(error);
    }
  }

  // -- sessions --------------------------------------------------------

  /** Start a visitor's session: a fresh id and CSRF token, no user. */
  async createSession(ip = '', userAgent = '') {
    check.text(ip, 'ip');
    check.text(userAgent, 'userAgent');
    return new Session(await this._job(() => this._native.createSession(ip, userAgent)));
  }

  /** The live session with this id, or `null` (unknown, malformed,
   * expired or destroyed). A cached lookup; it may note a touch. */
  loadSession(id) {
    check.text(id, 'id');
    const s = sync(() => this._native.loadSession(id));
    return s ? new Session(s) : null;
  }

  /** Replace the payload; with `expectedVersion`, only if nobody wrote
   * since (else `Conflict`). Resolves to the new version. */
  async saveSession(id, payload, { expectedVersion } = {}) {
    check.text(id, 'id');
    const bytes = check.payload(payload);
    const expected = check.optionalId(expectedVersion, 'expectedVersion');
    return this._job(() => this._native.saveSession(id, bytes, expected));
  }

  /** Log `userId` in on this session: id and CSRF token rotate, the old id
   * dies (fixation protection), the payload is kept. */
  async login(id, userId) {
    check.text(id, 'id');
    check.id(userId, 'userId');
    return new Session(await this._job(() => this._native.login(id, userId)));
  }

  /** New id and CSRF token; user and payload kept. */
  async regenerateSession(id) {
    check.text(id, 'id');
    return new Session(await this._job(() => this._native.regenerateSession(id)));
  }

  /** Log out: user and payload cleared, id and CSRF token rotated; the
   * visitor keeps a fresh anonymous session. */
  async invalidateSession(id) {
    check.text(id, 'id');
    return new Session(await this._job(() => this._native.invalidateSession(id)));
  }

  /** Delete the session; resolves to whether one was deleted. */
  async destroySession(id) {
    check.text(id, 'id');
    return this._job(() => this._native.destroySession(id));
  }

  /** The live session's CSRF token, or `null`. */
  csrfToken(id) {
    check.text(id, 'id');
    return sync(() => this._native.csrfToken(id)) ?? null;
  }

  /** Whether `token` is the live session's CSRF token (constant time). */
  verifyCsrf(id, token) {
    check.text(id, 'id');
    check.text(token, 'token');
    return sync(() => this._native.verifyCsrf(id, token));
  }

  /** Give the session a new CSRF token; resolves to it. */
  async rotateCsrf(id) {
    check.text(id, 'id');
    return this._job(() => this._native.rotateCsrf(id));
  }

  /** The user's live sessions ("your devices"), oldest first, by public
   * handle (never the id). */
  userSessions(userId) {
    check.id(userId, 'userId');
    return sync(() => this._native.userSessions(userId));
  }

  /** Delete one session by its public handle (`NotFound` when none has it). */
  async revokeSession(handle) {
    check.text(handle, 'handle');
    await this._job(() => this._native.revokeSession(handle));
  }

  /** Delete every session of the user except `keep` (a session id: "log
   * out other devices"); resolves to how many. */
  async revokeUserSessions(userId, { keep } = {}) {
    check.id(userId, 'userId');
    const kept = check.optionalText(keep, 'keep');
    return this._job(() => this._native.revokeUserSessions(userId, kept));
  }

  // -- personal access tokens --------------------------------------------

  /** A token for `userId`; `plainText` is shown once. `expiresAt` is unix
   * seconds; `rateLimit` (`{ max, window }`) and `quota` (`{ remaining,
   * refillAmount, refillInterval }`, seconds) limit its use, stored with
   * the token. */
  async createToken(userId, name, abilities = ['*'], { expiresAt, rateLimit, quota } = {}) {
    check.id(userId, 'userId');
    check.text(name, 'name');
    const list = check.strings(abilities, 'abilities');
    const expiry = check.optionalId(expiresAt, 'expiresAt');
    const limits = limitsArgument({ rateLimit, quota });
    const t = await this._job(() => this._native.createToken(userId, name, list, expiry, limits));
    return { id: t.id, plainText: t.plainText, info: tokenInfo(t.info) };
  }

  /** Replace the token's rate limit and quota (`{}`: unlimited); the counts
   * start over in every process. Rejects with `InvalidArgument` for a
   * zero `max`, `window` or (refilled) `refillAmount`, `NotFound` for an
   * unknown token. */
  async setTokenLimits(tokenId, limits) {
    check.id(tokenId, 'tokenId');
    const native = limitsArgument(check.object(limits, 'limits'), 'limits', true);
    await this._job(() => this._native.setTokenLimits(tokenId, native));
  }

  /** The token's `{ rateLimit, quota }` with the quota's `remaining` as of
   * now, or `null` for an unknown or unlimited token. */
  tokenLimits(tokenId) {
    check.id(tokenId, 'tokenId');
    const l = sync(() => this._native.tokenLimits(tokenId));
    if (!l) return null;
    return {
      rateLimit: l.rateLimit ? { max: l.rateLimit.max, window: l.rateLimit.window } : null,
      quota: l.quota
        ? { remaining: l.quota.remaining, refillAmount: l.quota.refillAmount, refillInterval: l.quota.refillInterval ?? null }
        : null,
    };
  }

  /** The token a client sent (`{id}|{secret}`), or `null`. Throws
   * `RateLimited` or `QuotaExhausted` (HTTP 429, with `.retryAfter`) for
   * a token over its limits. */
  authenticateToken(plainText) {
    check.text(plainText, 'plainText');
    const t = sync(() => this._native.authenticateToken(plainText));
    return t ? new Token(t.id, t.userId, t.abilities) : null;
  }

  /** The user's stored tokens, oldest first, expired ones included. */
  userTokens(userId) {
    check.id(userId, 'userId');
    return sync(() => this._native.userTokens(userId)).map(tokenInfo);
  }

  /** Delete one token; resolves to whether it existed. */
  async revokeToken(tokenId) {
    check.id(tokenId, 'tokenId');
    return this._job(() => this._native.revokeToken(tokenId));
  }

  /** Delete every token of the user; resolves to how many. */
  async revokeUserTokens(userId) {
    check.id(userId, 'userId');
    return this._job(() => this._native.revokeUserTokens(userId));
  }

  /** Delete tokens expired for more than `hours` (Sanctum's
   * `sanctum:prune-expired --hours`); resolves to how many. */
  async pruneTokens(hours) {
    check.id(hours, 'hours');
    return this._job(() => this._native.pruneTokens(hours));
  }

  /** Store a row of Laravel's `personal_access_tokens` (its `token` column
   * is `sha256Hex`) so that the plain text its owner holds keeps working. */
  async importSanctumToken(row) {
    const r = check.object(row, 'row');
    check.id(r.id, 'row.id');
    check.id(r.userId, 'row.userId');
    check.text(r.name, 'row.name');
    check.text(r.sha256Hex, 'row.sha256Hex');
    const abilities = check.strings(r.abilities ?? ['*'], 'row.abilities');
    check.id(r.createdAt, 'row.createdAt');
    const lastUsed = check.optionalId(r.lastUsedAt, 'row.lastUsedAt');
    const expires = check.optionalId(r.expiresAt, 'row.expiresAt');
    await this._job(() => this._native.importSanctumToken(
      r.id, r.userId, r.name, r.sha256Hex, abilities, r.createdAt, lastUsed, expires,
    ));
  }

  // -- passwords, throttling, remember-me -------------------------------

  /** Set the user's login and password (argon2id); `AlreadyExists` when
   * another user holds the login. */
  async setPassword(userId, login, password) {
    check.id(userId, 'userId');
    check.text(login, 'login');
    check.text(password, 'password');
    await this._job(() => this._native.setPassword(userId, login, password));
  }

  /** A throttled login: resolves to the user id, or rejects with
   * `InvalidCredentials`, or `Throttled` with `.retryAfter` seconds. */
  async attempt(login, password, ip) {
    check.text(login, 'login');
    check.text(password, 'password');
    check.text(ip, 'ip');
    const o = await this._job(() => this._native.attempt(login, password, ip));
    if (o.outcome === 'authenticated') return o.userId;
    if (o.outcome === 'throttled') {
      throw new errors.Throttled(`too many failed logins; retry in ${o.retryAfter} s`, o.retryAfter);
    }
    throw new errors.InvalidCredentials('unknown login or wrong password');
  }

  /** Confirm the password of the user logged in on session `id` before a
   * sensitive action (the session is fresh from now); rejects with
   * `InvalidCredentials`, `Throttled` with `.retryAfter`, `NotFound`, or
   * `Unauthenticated` for a guest's session. */
  async confirmPassword(id, password) {
    check.text(id, 'id');
    check.text(password, 'password');
    const o = await this._job(() => this._native.confirmPassword(id, password));
    if (o.outcome === 'confirmed') return;
    if (o.outcome === 'throttled') {
      throw new errors.Throttled(`too many failed confirmations; retry in ${o.retryAfter} s`, o.retryAfter);
    }
    throw new errors.InvalidCredentials('wrong password');
  }

  /** Whether the user on session `id` proved the password within
   * `maxAgeSecs` (at login or by `confirmPassword`). */
  isFresh(id, maxAgeSecs) {
    check.text(id, 'id');
    check.id(maxAgeSecs, 'maxAgeSecs');
    return sync(() => this._native.isFresh(id, Number(maxAgeSecs)));
  }

  /** Throw `ConfirmationRequired` (HTTP 423) unless the principal's user
   * proved the password within `maxAgeSecs`; a bearer token never carries
   * that proof. */
  requireFresh(principal, maxAgeSecs) {
    const id = principal?.sessionId;
    if (!id || !this.isFresh(id, maxAgeSecs)) {
      throw new errors.ConfirmationRequired('password confirmation required: confirm the password first');
    }
  }

  /** Whether `password` is the user's (one argon2 run; not throttled). */
  async verifyPassword(userId, password) {
    check.id(userId, 'userId');
    check.text(password, 'password');
    return this._job(() => this._native.verifyPassword(userId, password));
  }

  /** Store a new password; revoke every other session (`keepSession`
   * survives), every remember-me token and, with `revokeTokens`, every
   * personal access token of the user. */
  async changePassword(userId, newPassword, { keepSession, revokeTokens = false } = {}) {
    check.id(userId, 'userId');
    check.text(newPassword, 'newPassword');
    const keep = check.optionalText(keepSession, 'keepSession');
    check.bool(revokeTokens, 'revokeTokens');
    await this._job(() => this._native.changePassword(userId, newPassword, keep, revokeTokens));
  }

  /** A remember-me token (`selector:validator`) for the user's cookie. */
  async createRememberToken(userId) {
    check.id(userId, 'userId');
    return this._job(() => this._native.createRememberToken(userId));
  }

  /** Log in with a remember-me cookie: `{ userId, token }` with the
   * rotated token. Rejects with `Unauthenticated` when it is not valid and
   * `TheftDetected` (with `.userId`) when an old copy was replayed. */
  async consumeRememberToken(token) {
    check.text(token, 'token');
    const o = await this._job(() => this._native.consumeRememberToken(token));
    if (o.outcome === 'authenticated') return { userId: o.userId, token: o.token };
    if (o.outcome === 'theftDetected') {
      throw new errors.TheftDetected(
        `a rotated-away remember-me token of user ${o.userId} was replayed; all of that user's remember-me tokens are revoked`,
        o.userId,
      );
    }
    throw new errors.Unauthenticated('remember-me token is malformed, unknown, revoked or expired');
  }

  /** Delete every remember-me token of the user; resolves to how many. */
  async revokeRememberTokens(userId) {
    check.id(userId, 'userId');
    return this._job(() => this._native.revokeRememberTokens(userId));
  }

  // -- the request guard and cookies ------------------------------------

  /**
   * Who sent a request, as `auth:sanctum` decides: a first-party request
   * (Referer, else Origin, names a stateful domain) by its session cookie,
   * with the CSRF token required on methods other than GET, HEAD and
   * OPTIONS; anyone else by the bearer token. `headers` is a plain object
   * with lower-case names (Node's `req.headers`) or a fetch `Headers`;
   * `formToken` is the `_token` field of a parsed form body. Throws
   * `Unauthenticated`, `CsrfMismatch`, `RateLimited` or `QuotaExhausted`
   * (a bearer token over its limits; HTTP 429 with `.retryAfter`), or
   * `InvalidArgument` for a header the parser refuses.
   */
  authenticate(method, headers, { formToken } = {}) {
    const answer = this._decide(method, headers, formToken);
    if (answer === -1) throw unauthenticated();
    if (answer === -2) throw csrfMismatch();
    return answer;
  }

  /** `authenticate` without exceptions for the two refusals: a Principal,
   * or -1 (unauthenticated) or -2 (CSRF mismatch). */
  _decide(method, headers, formToken) {
    const texts = requestTexts(method, headers, formToken);
    let answer;
    try {
      answer = fastGuard(this._handle, ...texts);
    } catch (error) {
      throw textError(error, texts);
    }
    if (typeof answer === 'number') {
      if (answer >= 0) return new Principal(answer, 'session', null, ALL, this, texts[2]);
      if (typeof headers.get !== 'function') checkHeaderNames(headers);
      return answer;
    }
    if (answer.via === 'session') {
      return new Principal(answer.userId, 'session', null, answer.abilities, this, texts[2]);
    }
    return new Principal(answer.userId, 'token', answer.tokenId, answer.abilities, null, undefined);
  }

  /**
   * The guard's CSRF check alone, in the engine's `csrfMode`, for a route
   * outside the guard (a login form): a GET, HEAD or OPTIONS passes; any
   * other method must pass the configured mode against the session its
   * cookie names — `'token'`: the `_token` field (`formToken`), else
   * X-CSRF-TOKEN, else X-XSRF-TOKEN is the session's CSRF token;
   * `'fetch-metadata'`: `Sec-Fetch-Site: same-origin` (or `same-site` with
   * `csrfAcceptsSameSite`), else an Origin naming a stateful domain, never
   * `cross-site`; `'either'`: one of the two. `headers` is as for
   * `authenticate`. Throws `CsrfMismatch` (HTTP 419), or `InvalidArgument`
   * (400) for a header the parser refuses.
   */
  verifyRequestCsrf(method, headers, { formToken } = {}) {
    if (!this._csrfPasses(method, headers, formToken)) throw csrfMismatch();
  }

  /** `verifyRequestCsrf` without the exception: whether the request passes. */
  _csrfPasses(method, headers, formToken) {
    const texts = requestTexts(method, headers, formToken);
    let passes;
    try {
      passes = fastVerifyRequestCsrf(this._handle, ...texts);
    } catch (error) {
      throw textError(error, texts);
    }
    if (!passes && typeof headers.get !== 'function') checkHeaderNames(headers);
    return passes;
  }

  _sessionIdOf(cookie) {
    return sync(() => this._native.sessionIdFromCookie(cookie ?? ''));
  }

  /** The session cookie's name as sent (`__Host-` in front when
   * configured). */
  get sessionCookieName() {
    return sync(() => this._native.sessionCookieName);
  }

  /** The `XSRF-TOKEN` cookie's name as sent. */
  get xsrfCookieName() {
    return sync(() => this._native.xsrfCookieName);
  }

  /** The session idle lifetime, seconds (the session cookie's Max-Age). */
  get idleLifetimeSecs() {
    return sync(() => this._native.idleLifetimeSecs);
  }

  /** Whether this process holds the file alone (`exclusive: true`). */
  get exclusive() {
    return sync(() => this._native.exclusive);
  }

  /** The `Set-Cookie` value carrying `sessionId`: HttpOnly, SameSite=Lax,
   * Secure, Path=/, Max-Age of the idle lifetime, unless configured
   * otherwise. */
  sessionCookie(sessionId) {
    check.text(sessionId, 'sessionId');
    return sync(() => this._native.sessionCookie(sessionId));
  }

  /** The `Set-Cookie` value of the script-readable `XSRF-TOKEN` cookie. */
  xsrfCookie(csrfToken) {
    check.text(csrfToken, 'csrfToken');
    return sync(() => this._native.xsrfCookie(csrfToken));
  }

  /** The `Set-Cookie` value that removes the session cookie (logout). */
  clearSessionCookie() {
    return sync(() => this._native.clearSessionCookie());
  }

  // -- housekeeping -------------------------------------------------------

  /** Write pending touches; resolves to how many records were updated. */
  async flush() {
    return this._job(() => this._native.flush());
  }

  /** Delete what expired (sessions, tokens, throttles, remember-me). */
  async gc() {
    return this._job(() => this._native.gc());
  }

  /** Flush touches and, in the one process holding the housekeeping
   * lease, collect: call it on a timer (every minute, say). */
  async housekeep() {
    return this._job(() => this._native.housekeep());
  }

  /** Check every record and index row; resolves to a report whose
   * `problems` is empty when the file is consistent. */
  async verify() {
    return this._job(() => this._native.verify());
  }

  /** Counters and sizes. */
  stats() {
    return sync(() => this._native.stats());
  }

  /** Set the time of an engine opened with `manualClock: true`. */
  setTime(unixSeconds) {
    check.id(unixSeconds, 'unixSeconds');
    sync(() => this._native.setTime(unixSeconds));
  }

  /** The time the engine reads, unix seconds. */
  now() {
    return sync(() => this._native.now());
  }

  [util.inspect.custom]() {
    return `Engine { path: ${JSON.stringify(this._path)}, closed: ${this.closed} }`;
  }
}

/** Marks the private construction path of `Engine.open`. */
class NativeEngineMarker {
  constructor(path) {
    this.path = path;
  }
}

module.exports = { Engine, Session, OPTION_TYPES };
