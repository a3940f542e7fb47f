'use strict';
// authkv for express: an express-session store whose ids authkv makes,
// login/logout helpers that rotate them, the XSRF-TOKEN cookie, and the
// `auth:sanctum` guard as middleware.
//
//   const { Engine } = require('authkv');
//   const authkv = require('authkv/express');
//
//   const engine = new Engine('auth.redb');
//   app.use(authkv.session(engine, { secret: process.env.SESSION_SECRET }));
//   app.get('/csrf-cookie', authkv.csrfCookie(engine), (req, res) => res.status(204).end());
//   app.post('/login', express.json(), async (req, res) => {
//     const userId = await engine.attempt(req.body.email, req.body.password, req.ip);
//     await authkv.login(req, userId);            // new id and CSRF token
//     res.json({ ok: true });
//   });
//   app.get('/api/orders', authkv.guard(engine, { abilities: ['orders:read'] }), handler);
//
// Ids. authkv never stores a session under an id it did not issue: a new
// visitor's session gets authkv's id when it is first saved (or by
// `login`/`csrfCookie`), before the response's headers, so the cookie
// carries that id; an unknown id from a client is "no session".

const { Engine } = require('./lib/engine');
const errors = require('./lib/errors');
const check = require('./lib/check');

/** What the store knows of the authkv row behind `req.session`. */
const ROW = Symbol('authkv.row');
/** The authkv row a session object from `get` came from. */
const LOADED = Symbol('authkv.loaded');

const MESSAGES = {
  400: 'Bad Request.',
  401: 'Unauthenticated.',
  403: 'Forbidden.',
  419: 'CSRF token mismatch.',
  429: 'Too Many Attempts.',
};

function engineOf(engine, where) {
  if (!(engine instanceof Engine)) {
    throw new errors.ArgumentTypeError(`${where}: engine must be an authkv Engine, not ${check.describe(engine)}`);
  }
  return engine;
}

/** express-session, from `expressSession` or resolved as the application
 * resolves it (this package may be linked from outside the application). */
function loadExpressSession(given) {
  if (given) return given;
  const candidates = [() => require('express-session')];
  const { createRequire } = require('node:module');
  if (require.main?.filename) candidates.push(() => createRequire(require.main.filename)('express-session'));
  candidates.push(() => createRequire(`${process.cwd()}/`)('express-session'));
  for (const load of candidates) {
    try {
      return load();
    } catch (error) {
      if (error.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new errors.Misuse(
    'authkv/express: express-session is not installed (npm install express-session), ' +
      'or pass it as the expressSession option',
  );
}

function clientOf(req) {
  const ua = req.headers?.['user-agent'];
  return [req.ip ?? req.socket?.remoteAddress ?? '', typeof ua === 'string' ? ua : ''];
}

function known(req) {
  const row = req[ROW];
  return row !== undefined && row.id === req.sessionID ? row : undefined;
}

function remember(req, session) {
  req[ROW] = {
    id: session.id,
    userId: session.userId ?? null,
    csrfToken: session.csrfToken,
    version: session.version,
  };
}

/** Replace `req.session` by a session of the same data under `id`
 * (express-session fixes a session object's id at construction). */
function moveSession(req, id, data) {
  const Session = req.session.constructor;
  req.sessionID = id;
  req.session = new Session(req, data);
}

function appendSetCookie(res, value) {
  if (!res || res.headersSent) return;
  const previous = res.getHeader('Set-Cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  res.setHeader('Set-Cookie', [...list, value]);
}

/**
 * The express-session store. Sessions live in authkv rows: the payload is
 * express-session's JSON, the row's user is bound by `login(req, userId)`.
 * `get` is a cached lookup on the calling thread; `set` and `destroy`
 * commit off the event loop; `touch` writes nothing (authkv already noted
 * the activity when the session was read).
 */
class AuthkvStore extends require('node:events').EventEmitter {
  constructor(engine, { expressSession, versionCheck = false } = {}) {
    super();
    this.engine = engineOf(engine, 'AuthkvStore');
    this._versionCheck = check.bool(versionCheck, 'versionCheck');
    this._expressSession = expressSession;
    this._warnedLate = false;
  }

  get _classes() {
    const module = loadExpressSession(this._expressSession);
    return { Session: module.Session, Cookie: module.Cookie };
  }

  get(sid, callback) {
    let sess = null;
    try {
      const row = typeof sid === 'string' ? this.engine._native.loadSessionText(sid) : null;
      if (row) {
        sess = row.payload ? JSON.parse(row.payload) : {};
        Object.defineProperty(sess, LOADED, {
          value: { id: sid, userId: row.userId ?? null, csrfToken: row.csrfToken, version: row.version },
        });
      }
    } catch (error) {
      callback(errors.fromNative(error));
      return;
    }
    callback(null, sess);
  }

  set(sid, sess, callback = () => {}) {
    const req = sess?.req;
    const row = req && req[ROW]?.id === sid ? req[ROW] : undefined;
    const payload = JSON.stringify(sess);
    if (row !== undefined || !req) {
      const expected = this._versionCheck && row ? row.version : undefined;
      this.engine.saveSession(sid, payload, { expectedVersion: expected }).then(
        (version) => {
          if (row) row.version = version;
          callback();
        },
        (error) => {
          // A row that vanished meanwhile (a logout in another request or
          // process) is not brought back: nothing to keep.
          if (error instanceof errors.NotFound && row) callback();
          else callback(error);
        },
      );
      return;
    }
    if (req.res?.headersSent) {
      // The cookie has gone out with express-session's provisional id: a
      // row under another id could never be found again.
      if (!this._warnedLate) {
        this._warnedLate = true;
        process.emitWarning(
          'authkv/express: a new session was saved after the response headers were sent; ' +
            'it is not stored (await authkv.ensureSession(req) before streaming a response)',
        );
      }
      callback();
      return;
    }
    ensureSession(req, this).then(() => {
      this.set(req.sessionID, req.session, callback);
    }, callback);
  }

  destroy(sid, callback = () => {}) {
    this.engine.destroySession(sid).then(() => callback(), (error) => callback(error));
  }

  touch(sid, sess, callback = () => {}) {
    callback();
  }

  length(callback) {
    let count;
    try {
      count = this.engine.stats().sessions;
    } catch (error) {
      callback(error);
      return;
    }
    callback(null, count);
  }

  /** express-session's `req.session.regenerate()`: the old row is
   * deleted; the new session gets authkv's id when it is first saved. */
  regenerate(req, callback) {
    const row = known(req);
    const done = () => {
      req[ROW] = undefined;
      this.generate(req);
      callback();
    };
    if (!row) {
      done();
      return;
    }
    this.engine.destroySession(row.id).then(done, callback);
  }

  load(sid, callback) {
    this.get(sid, (error, sess) => {
      if (error) return callback(error);
      if (!sess) return callback();
      return callback(null, this.createSession({ sessionID: sid, sessionStore: this }, sess));
    });
  }

  createSession(req, sess) {
    const { Session, Cookie } = this._classes;
    const loaded = sess[LOADED];
    if (loaded) req[ROW] = { ...loaded };
    if (sess.cookie) {
      const { expires, originalMaxAge } = sess.cookie;
      sess.cookie = new Cookie(sess.cookie);
      if (typeof expires === 'string') sess.cookie.expires = new Date(expires);
      sess.cookie.originalMaxAge = originalMaxAge;
    } else {
      // A row made before its first save (by login or csrfCookie): the
      // cookie settings of a new session.
      const id = req.sessionID;
      this.generate(req);
      sess.cookie = req.session.cookie;
      req.sessionID = id;
    }
    req.session = new Session(req, sess);
    return req.session;
  }
}

/** Give `req.session` an authkv row now (creating one for a new visitor,
 * which moves the session to authkv's id); resolves to the row's
 * `{ id, userId, csrfToken, version }`. */
async function ensureSession(req, store = req.sessionStore) {
  if (!req.session) {
    throw new errors.Misuse('authkv/express: no req.session (use authkv.session() before this)');
  }
  const row = known(req);
  if (row) return row;
  if (!(store instanceof AuthkvStore)) {
    throw new errors.Misuse('authkv/express: the session store is not an AuthkvStore');
  }
  const created = await store.engine.createSession(...clientOf(req));
  moveSession(req, created.id, req.session);
  remember(req, created);
  return req[ROW];
}

/** Log `userId` in on this request's session: authkv's login rotates the
 * id and the CSRF token (the old id dies) and binds the row to the user,
 * so `userSessions`, `revokeUserSessions` and `changePassword` reach it.
 * The session's data is kept; the response gets the new XSRF-TOKEN. */
async function login(req, userId) {
  const store = req.sessionStore;
  const row = await ensureSession(req, store);
  const rotated = await store.engine.login(row.id, check.id(userId, 'userId'));
  moveSession(req, rotated.id, req.session);
  remember(req, rotated);
  appendSetCookie(req.res, store.engine.xsrfCookie(rotated.csrfToken));
  return rotated;
}

/** Log out: authkv's invalidate clears user and data and rotates id and
 * CSRF token; the visitor keeps a fresh anonymous session (the response
 * gets its cookies). */
async function logout(req) {
  const store = req.sessionStore;
  const row = known(req);
  if (!row) {
    if (req.session) moveSession(req, req.sessionID, { cookie: req.session.cookie });
    return null;
  }
  let fresh;
  try {
    fresh = await store.engine.invalidateSession(row.id);
  } catch (error) {
    if (!(error instanceof errors.NotFound)) throw error;
    // Already gone (logged out elsewhere): start a new session.
    fresh = await store.engine.createSession(...clientOf(req));
  }
  moveSession(req, fresh.id, { cookie: req.session.cookie });
  remember(req, fresh);
  appendSetCookie(req.res, store.engine.xsrfCookie(fresh.csrfToken));
  return fresh;
}

/** The user authkv has bound to this request's session, or `null`. */
function userOf(req) {
  return known(req)?.userId ?? null;
}

/** Middleware: the script-readable XSRF-TOKEN cookie of the session,
 * making the session's row first when needed (Sanctum's
 * `/sanctum/csrf-cookie`). */
function csrfCookie(engine) {
  engineOf(engine, 'csrfCookie');
  return (req, res, next) => {
    ensureSession(req).then((row) => {
      appendSetCookie(res, engine.xsrfCookie(row.csrfToken));
      next();
    }, next);
  };
}

/** express-session with authkv's store and secure defaults: the cookie
 * named and flagged as the engine's own (HttpOnly, SameSite, Secure,
 * Path, Max-Age of the idle lifetime), `resave` and `saveUninitialized`
 * off. Any express-session option may be given; `expressSession` passes
 * the module itself. */
function session(engine, options = {}) {
  engineOf(engine, 'session');
  const { expressSession, versionCheck, cookie = {}, ...rest } = check.object(options, 'options');
  const expressSessionModule = loadExpressSession(expressSession);
  const store = new AuthkvStore(engine, { expressSession: expressSessionModule, versionCheck });
  const settings = engine._native.cookieSettings;
  const middleware = expressSessionModule({
    name: engine.sessionCookieName,
    resave: false,
    saveUninitialized: false,
    ...rest,
    store,
    cookie: {
      httpOnly: true,
      secure: settings.secure,
      sameSite: settings.sameSite,
      path: settings.path,
      ...(settings.domain ? { domain: settings.domain } : {}),
      ...(settings.maxAge !== undefined && settings.maxAge !== null ? { maxAge: Number(settings.maxAge) * 1000 } : {}),
      ...cookie,
    },
  });
  const assignIds = authkvIds(store);
  const handler = (req, res, next) => {
    middleware(req, res, (error) => (error ? next(error) : assignIds(req, res, next)));
  };
  handler.store = store;
  return handler;
}

/** Middleware after express-session: a new session about to be saved gets
 * its authkv row before the response's headers are written. */
function authkvIds(store) {
  return (req, res, next) => {
    const end = res.end;
    const start = req.session ? JSON.stringify({ ...req.session, cookie: undefined }) : undefined;
    res.end = function endAfterRow(...args) {
      const changed = req.session
        && JSON.stringify({ ...req.session, cookie: undefined }) !== start;
      if (!changed || known(req) || res.headersSent) return end.apply(this, args);
      ensureSession(req, store).then(
        () => end.apply(this, args),
        (error) => {
          res.end = end;
          next(error);
        },
      );
      return this;
    };
    next();
  };
}

function refuse(res, status, retryAfter = null) {
  const body = JSON.stringify({ message: MESSAGES[status] ?? 'Request refused.' });
  res.statusCode = status;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (retryAfter !== null && retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** The guard's view of `req`: its headers, with the Cookie naming the
 * authkv session behind express-session when there is one (its own cookie
 * is signed), and the `_token` field of a parsed body. */
function requestOf(engine, req) {
  const row = known(req);
  const headers = row
    ? { ...req.headers, cookie: `${engine.sessionCookieName}=${row.id}` }
    : req.headers;
  const formToken = typeof req.body?._token === 'string' ? req.body._token : undefined;
  return [headers, formToken];
}

/**
 * Middleware: the `auth:sanctum` decision. A request whose Referer (else
 * Origin) names a stateful domain authenticates with its session (the
 * authkv session behind express-session, or authkv's own cookie), with the
 * CSRF token required on methods other than GET, HEAD and OPTIONS (the
 * `_token` body field, else X-CSRF-TOKEN, else X-XSRF-TOKEN); any other
 * request with its bearer token. Then `abilities` must all be granted and
 * one of `any` when given. Refusals are JSON: 401 (with
 * `WWW-Authenticate: Bearer`), 419, 403, and 429 `Too Many Attempts.` for
 * a bearer token over its rate limit or quota (with `Retry-After` when it
 * will be admitted again). The principal is `req.auth`.
 */
function guard(engine, { abilities = [], any = [] } = {}) {
  engineOf(engine, 'guard');
  const every = check.strings(abilities, 'abilities');
  const oneOf = check.strings(any, 'any');
  return (req, res, next) => {
    let answer;
    try {
      const [headers, formToken] = requestOf(engine, req);
      answer = engine._decide(req.method, headers, formToken);
    } catch (error) {
      if (error instanceof errors.RateLimited || error instanceof errors.QuotaExhausted) {
        return refuse(res, 429, error.retryAfter);
      }
      next(error);
      return;
    }
    if (answer === -1) return refuse(res, 401);
    if (answer === -2) return refuse(res, 419);
    try {
      answer.require({ all: every, any: oneOf });
    } catch (error) {
      if (error instanceof errors.Forbidden) return refuse(res, 403);
      next(error);
      return;
    }
    req.auth = answer;
    next();
  };
}

/**
 * Middleware: Laravel's VerifyCsrfToken for a first-party form or SPA
 * route that needs no login (the login route itself): the guard's CSRF
 * check alone, in the engine's `csrfMode`. GET, HEAD and OPTIONS pass; any
 * other method must pass the mode against the session — `'token'` (the
 * default): the `_token` body field, else X-CSRF-TOKEN, else X-XSRF-TOKEN
 * is the session's CSRF token; `'fetch-metadata'`: `Sec-Fetch-Site:
 * same-origin` (or `same-site` with `csrfAcceptsSameSite`), else an Origin
 * naming a stateful domain, never `cross-site`; `'either'`: one of them.
 * Refusals are JSON: 419 `CSRF token mismatch.`, 400 for a header the
 * parser refuses.
 */
function verifyCsrf(engine) {
  engineOf(engine, 'verifyCsrf');
  return (req, res, next) => {
    let passes;
    try {
      const [headers, formToken] = requestOf(engine, req);
      passes = engine._csrfPasses(req.method, headers, formToken);
    } catch (error) {
      if (error instanceof errors.InvalidArgument) return refuse(res, 400);
      next(error);
      return;
    }
    if (!passes) return refuse(res, 419);
    next();
  };
}

/** The `Set-Cookie` values of authkv's own cookies, for a server that does
 * not use express-session: `setSessionCookies(res, engine, session)` sends
 * the session cookie (HttpOnly) and XSRF-TOKEN; `clearSessionCookie`
 * removes the session cookie. */
function setSessionCookies(res, engine, session) {
  engineOf(engine, 'setSessionCookies');
  appendSetCookie(res, engine.sessionCookie(session.id));
  appendSetCookie(res, engine.xsrfCookie(session.csrfToken));
}

function clearSessionCookie(res, engine) {
  engineOf(engine, 'clearSessionCookie');
  appendSetCookie(res, engine.clearSessionCookie());
}

module.exports = {
  AuthkvStore,
  session,
  guard,
  csrfCookie,
  verifyCsrf,
  login,
  logout,
  ensureSession,
  userOf,
  setSessionCookies,
  clearSessionCookie,
};
