'use strict';
// The Engine API: sessions, CSRF, devices, tokens, passwords and throttles,
// remember-me, the guard, housekeeping; typed errors for misuse and a
// closed engine; the exclusive mode against another process; a
// worker_threads worker on the same file.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');

const authkv = require('..');
const { openEngine, scratch, FAST } = require('./helpers');

const { Engine } = authkv;

test('sessions: create, load, save with a version, the three rotations, destroy', async (t) => {
  const engine = openEngine(t);
  const visitor = await engine.createSession('203.0.113.9', 'Mozilla/5.0');
  assert.match(visitor.id, /^[A-Za-z0-9]{40}$/);
  assert.match(visitor.csrfToken, /^[A-Za-z0-9]{40}$/);
  assert.equal(visitor.userId, null);
  assert.equal(visitor.handle.length, 64);

  const version = await engine.saveSession(visitor.id, '{"cart":[1]}', { expectedVersion: visitor.version });
  assert.equal(version, visitor.version + 1);
  await assert.rejects(
    engine.saveSession(visitor.id, 'stale', { expectedVersion: visitor.version }),
    (e) => e instanceof authkv.Conflict && e.httpStatus === 409 && e.code === 'AUTHKV_CONFLICT',
  );
  const loaded = engine.loadSession(visitor.id);
  assert.equal(loaded.payload.toString(), '{"cart":[1]}');
  assert.equal(loaded.ip, '203.0.113.9');

  const user = await engine.login(visitor.id, 42);
  assert.notEqual(user.id, visitor.id);
  assert.notEqual(user.csrfToken, visitor.csrfToken);
  assert.equal(user.userId, 42);
  assert.equal(engine.loadSession(visitor.id), null);
  assert.equal(engine.loadSession(user.id).payload.toString(), '{"cart":[1]}', 'login keeps the data');

  const regenerated = await engine.regenerateSession(user.id);
  assert.equal(regenerated.userId, 42);
  assert.equal(engine.loadSession(user.id), null);

  assert.equal(engine.verifyCsrf(regenerated.id, regenerated.csrfToken), true);
  assert.equal(engine.verifyCsrf(regenerated.id, visitor.csrfToken), false);
  assert.equal(engine.csrfToken(regenerated.id), regenerated.csrfToken);
  const rotated = await engine.rotateCsrf(regenerated.id);
  assert.equal(engine.verifyCsrf(regenerated.id, regenerated.csrfToken), false);
  assert.equal(engine.verifyCsrf(regenerated.id, rotated), true);

  const out = await engine.invalidateSession(regenerated.id);
  assert.equal(out.userId, null);
  assert.equal(out.payload.length, 0);
  assert.equal(await engine.destroySession(out.id), true);
  assert.equal(await engine.destroySession(out.id), false);
  await assert.rejects(engine.login(out.id, 1), authkv.NotFound);
  assert.equal(engine.loadSession('not an id'), null);
});

test('devices: list a user\'s sessions by handle, revoke one, revoke all but the current', async (t) => {
  const engine = openEngine(t);
  const ids = [];
  for (const ua of ['phone', 'laptop', 'tablet']) {
    ids.push((await engine.login((await engine.createSession('10.0.0.1', ua)).id, 7)).id);
  }
  const devices = engine.userSessions(7);
  assert.deepEqual(devices.map((d) => d.userAgent).sort(), ['laptop', 'phone', 'tablet']);
  await engine.revokeSession(devices.find((d) => d.userAgent === 'phone').handle);
  assert.equal(engine.userSessions(7).length, 2);
  await assert.rejects(engine.revokeSession('f'.repeat(64)), authkv.NotFound);
  await assert.rejects(engine.revokeSession('nope'), authkv.InvalidArgument);
  assert.equal(await engine.revokeUserSessions(7, { keep: ids[2] }), 1);
  assert.deepEqual(engine.userSessions(7).map((d) => d.userAgent), ['tablet']);
});

test('tokens: abilities, expiry, list, revoke, prune', async (t) => {
  const engine = openEngine(t, { manualClock: true, manualClockStart: 1_000_000 });
  const token = await engine.createToken(42, 'deploy', ['orders:read'], { expiresAt: 1_000_100 });
  const auth = engine.authenticateToken(token.plainText);
  assert.equal(auth.userId, 42);
  assert.equal(auth.can('orders:read'), true);
  assert.equal(auth.cant('orders:write'), true);
  assert.equal(engine.authenticateToken(token.plainText.replace(/.$/, 'x')), null);
  assert.equal(engine.authenticateToken('garbage'), null);
  const wildcard = await engine.createToken(42, 'admin');
  assert.deepEqual(engine.authenticateToken(wildcard.plainText).abilities, ['*']);
  assert.deepEqual(engine.userTokens(42).map((i) => i.name), ['deploy', 'admin']);

  engine.setTime(1_000_101);
  assert.equal(engine.authenticateToken(token.plainText), null, 'expired');
  assert.equal(engine.userTokens(42)[0].expired, true);
  engine.setTime(1_000_101 + 25 * 3600);
  assert.equal(await engine.pruneTokens(24), 1);
  assert.equal(await engine.revokeToken(wildcard.id), true);
  assert.equal(await engine.revokeToken(wildcard.id), false);
  assert.equal(engine.authenticateToken(wildcard.plainText), null);
  await engine.createToken(42, 'a');
  await engine.createToken(42, 'b');
  assert.equal(await engine.revokeUserTokens(42), 2);
  await assert.rejects(engine.createToken(42, ''), authkv.InvalidArgument);
});

test('passwords: attempt, throttle with retryAfter, verify, change', async (t) => {
  const engine = openEngine(t, { throttleMaxAttempts: 2 });
  await engine.setPassword(42, 'ada@example.com', 'correct horse');
  await assert.rejects(engine.setPassword(43, 'ada@example.com', 'x'), authkv.AlreadyExists);
  assert.equal(await engine.attempt('ada@example.com', 'correct horse', '10.0.0.1'), 42);
  await assert.rejects(engine.attempt('ada@example.com', 'wrong', '10.0.0.1'), authkv.InvalidCredentials);
  await assert.rejects(engine.attempt('nobody@example.com', 'wrong', '10.0.0.1'), authkv.InvalidCredentials);
  await assert.rejects(engine.attempt('ada@example.com', 'wrong', '10.0.0.1'), authkv.InvalidCredentials);
  await assert.rejects(engine.attempt('ada@example.com', 'correct horse', '10.0.0.1'), (e) => {
    assert.ok(e instanceof authkv.Throttled);
    assert.equal(e.httpStatus, 429);
    assert.ok(e.retryAfter > 0 && e.retryAfter <= 60, `retryAfter ${e.retryAfter}`);
    return true;
  });
  assert.equal(await engine.attempt('ada@example.com', 'correct horse', '10.0.0.2'), 42, 'per address');
  assert.equal(await engine.verifyPassword(42, 'correct horse'), true);
  assert.equal(await engine.verifyPassword(42, 'wrong'), false);

  const kept = await engine.login((await engine.createSession()).id, 42);
  const other = await engine.login((await engine.createSession()).id, 42);
  const token = await engine.createToken(42, 'cli');
  await engine.changePassword(42, 'new horse', { keepSession: kept.id, revokeTokens: true });
  assert.ok(engine.loadSession(kept.id));
  assert.equal(engine.loadSession(other.id), null);
  assert.equal(engine.authenticateToken(token.plainText), null);
  assert.equal(await engine.verifyPassword(42, 'new horse'), true);
});

test('remember-me: rotation on use, theft detection on replay', async (t) => {
  const engine = openEngine(t);
  const first = await engine.createRememberToken(42);
  const used = await engine.consumeRememberToken(first);
  assert.equal(used.userId, 42);
  assert.notEqual(used.token, first);
  await assert.rejects(engine.consumeRememberToken(first), (e) => e instanceof authkv.TheftDetected && e.userId === 42);
  await assert.rejects(engine.consumeRememberToken(used.token), authkv.Unauthenticated, 'all revoked after theft');
  await assert.rejects(engine.consumeRememberToken('nonsense'), authkv.Unauthenticated);
  await engine.createRememberToken(42);
  assert.equal(await engine.revokeRememberTokens(42), 1);
});

test('guard: stateful origin by session with CSRF, else bearer, and cookies', async (t) => {
  const engine = openEngine(t, { cookieSecure: true });
  const session = await engine.login((await engine.createSession()).id, 42);
  const cookie = `authkv_session=${session.id}`;
  const who = engine.authenticate('GET', { cookie, referer: 'http://localhost:3000/orders' });
  assert.deepEqual(who.toJSON(), { userId: 42, via: 'session', tokenId: null, abilities: ['*'] });
  assert.equal(who.sessionId, session.id);
  who.require({ all: ['anything'] });

  assert.throws(() => engine.authenticate('POST', { cookie, origin: 'http://localhost:3000' }), authkv.CsrfMismatch);
  assert.equal(engine.authenticate('POST', {
    cookie, origin: 'http://localhost:3000', 'x-xsrf-token': session.csrfToken,
  }).userId, 42);
  assert.equal(engine.authenticate('POST', { cookie, origin: 'http://localhost:3000' }, { formToken: session.csrfToken }).userId, 42);
  assert.throws(() => engine.authenticate('GET', { cookie, origin: 'https://evil.test' }), authkv.Unauthenticated);
  assert.throws(() => engine.authenticate('GET', { cookie, referer: 'https://evil.test/localhost:3000/' }), authkv.Unauthenticated);

  const token = await engine.createToken(42, 'cli', ['orders:read']);
  const api = engine.authenticate('POST', new Headers({ Authorization: `Bearer ${token.plainText}` }));
  assert.equal(api.via, 'token');
  assert.equal(api.tokenId, token.id);
  assert.equal(api.sessionId, null);
  api.require({ all: ['orders:read'] });
  assert.throws(() => api.require({ all: ['orders:write'] }), (e) => e instanceof authkv.Forbidden && e.httpStatus === 403);
  assert.throws(() => api.require({ any: ['a', 'b'] }), authkv.Forbidden);

  assert.match(engine.sessionCookie(session.id), /^authkv_session=[A-Za-z0-9]{40}; Path=\/; Max-Age=7200; Secure; HttpOnly; SameSite=Lax$/);
  assert.match(engine.xsrfCookie(session.csrfToken), /^XSRF-TOKEN=[A-Za-z0-9]{40}; Path=\/; Max-Age=7200; Secure; SameSite=Lax$/);
  assert.match(engine.clearSessionCookie(), /^authkv_session=; Path=\/; Max-Age=0; /);
  assert.equal(engine.sessionCookieName, 'authkv_session');
});

test('fresh re-authentication: a stale login needs the password again (423)', async (t) => {
  const T0 = 1_700_000_000;
  const engine = openEngine(t, { idleLifetimeSecs: 86400, manualClock: true, manualClockStart: T0 });
  await engine.setPassword(42, 'ada', 'the right password');
  const session = await engine.login((await engine.createSession()).id, 42);
  const page = { cookie: `authkv_session=${session.id}`, referer: 'http://localhost:3000/settings' };
  engine.requireFresh(engine.authenticate('GET', page), 3 * 3600);
  assert.equal(engine.isFresh(session.id, 3 * 3600), true);
  engine.setTime(T0 + 3 * 3600 + 1);
  assert.equal(engine.isFresh(session.id, 3 * 3600), false);
  assert.throws(
    () => engine.requireFresh(engine.authenticate('GET', page), 3 * 3600),
    (e) => e instanceof authkv.ConfirmationRequired && e.httpStatus === 423,
  );
  await assert.rejects(engine.confirmPassword(session.id, 'a wrong guess'), authkv.InvalidCredentials);
  await engine.confirmPassword(session.id, 'the right password');
  assert.equal(engine.isFresh(session.id, 3 * 3600), true);
  const token = await engine.createToken(42, 'cli', ['*']);
  assert.throws(
    () => engine.requireFresh(engine.authenticate('GET', { authorization: `Bearer ${token.plainText}` }), 60),
    authkv.ConfirmationRequired,
  );
});

test('guard in fetch-metadata CSRF mode: same-origin writes pass without a token', async (t) => {
  const engine = openEngine(t, { csrfMode: 'fetch-metadata' });
  const session = await engine.login((await engine.createSession()).id, 42);
  const page = { cookie: `authkv_session=${session.id}`, referer: 'http://localhost:3000/orders' };
  assert.equal(engine.authenticate('POST', { ...page, 'sec-fetch-site': 'same-origin' }).userId, 42);
  assert.equal(engine.authenticate('POST', new Headers({ ...page, 'Sec-Fetch-Site': 'same-origin' })).userId, 42);
  assert.throws(() => engine.authenticate('POST', { ...page, 'sec-fetch-site': 'cross-site' }), authkv.CsrfMismatch);
  assert.throws(() => engine.authenticate('POST', page), authkv.CsrfMismatch); // neither header
  assert.throws(() => engine.authenticate('POST', { ...page, 'sec-fetch-site': 7 }), authkv.ArgumentTypeError);
  assert.throws(() => openEngine(t, { csrfMode: 'lenient' }), authkv.InvalidArgument);
});

test('verifyRequestCsrf: the guard\'s CSRF check alone, in each csrfMode', async (t) => {
  for (const mode of ['token', 'fetch-metadata', 'either']) {
    const engine = openEngine(t, { csrfMode: mode });
    const session = await engine.createSession();
    const cookie = `authkv_session=${session.id}`;
    const passes = (method, headers, options) => {
      try {
        engine.verifyRequestCsrf(method, headers, options);
        return true;
      } catch (error) {
        assert.ok(error instanceof authkv.CsrfMismatch && error.httpStatus === 419, `${mode}: ${error}`);
        return false;
      }
    };
    const metadata = mode !== 'token';
    const tokens = mode !== 'fetch-metadata';
    // GET, HEAD and OPTIONS pass with nothing at all.
    for (const method of ['GET', 'HEAD', 'OPTIONS']) assert.equal(passes(method, {}), true, `${mode} ${method}`);
    assert.equal(passes('POST', {}), false, `${mode}: a bare POST`);
    assert.equal(passes('POST', { cookie }), false, `${mode}: a POST with only the cookie`);
    // The token, in each of its three places (the session needs no user).
    assert.equal(passes('POST', { cookie, 'x-csrf-token': session.csrfToken }), tokens, `${mode}: X-CSRF-TOKEN`);
    assert.equal(passes('POST', { cookie, 'x-xsrf-token': session.csrfToken }), tokens, `${mode}: X-XSRF-TOKEN`);
    assert.equal(passes('POST', { cookie }, { formToken: session.csrfToken }), tokens, `${mode}: _token`);
    assert.equal(passes('POST', { 'x-csrf-token': session.csrfToken }), false, `${mode}: the token without its session`);
    // Fetch Metadata, by header or by a stateful Origin; never cross-site.
    assert.equal(passes('POST', { cookie, 'sec-fetch-site': 'same-origin' }), metadata, `${mode}: same-origin`);
    assert.equal(passes('POST', new Headers({ 'Sec-Fetch-Site': 'same-origin' })), metadata, `${mode}: same-origin Headers`);
    assert.equal(passes('POST', { cookie, 'sec-fetch-site': 'same-site' }), false, `${mode}: same-site`);
    assert.equal(passes('POST', { cookie, origin: 'http://localhost:3000' }), metadata, `${mode}: stateful Origin`);
    assert.equal(passes('POST', { cookie, origin: 'https://evil.test' }), false, `${mode}: foreign Origin`);
    assert.equal(passes('POST', { cookie, 'sec-fetch-site': 'cross-site', 'x-csrf-token': session.csrfToken }),
      tokens, `${mode}: cross-site with the token`);
    assert.equal(passes('POST', { cookie, 'sec-fetch-site': 'cross-site', origin: 'http://localhost:3000' }),
      false, `${mode}: cross-site from a stateful Origin`);
    // What the parser refuses, and wrong argument types.
    const cookies = Array.from({ length: 200 }, (_, i) => `c${i}=1`).join('; ');
    assert.throws(() => engine.verifyRequestCsrf('POST', { cookie: cookies }),
      (e) => e instanceof authkv.InvalidArgument && e.httpStatus === 400);
    assert.throws(() => engine.verifyRequestCsrf('POST', { cookie, 'sec-fetch-site': 7 }), authkv.ArgumentTypeError);
    assert.throws(() => engine.verifyRequestCsrf(7, {}), authkv.ArgumentTypeError);
    assert.throws(() => engine.verifyRequestCsrf('POST', 'cookie'), authkv.ArgumentTypeError);
    assert.throws(() => engine.verifyRequestCsrf('POST', { 'Sec-Fetch-Site': 'same-origin' }), authkv.InvalidArgument);
  }
});

test('housekeeping: flush, gc, housekeep, verify, stats', async (t) => {
  const engine = openEngine(t, { manualClock: true, manualClockStart: 5_000_000, idleLifetimeSecs: 100 });
  const s = await engine.createSession();
  engine.setTime(5_000_030);
  engine.loadSession(s.id);
  assert.equal(engine.stats().touchesPending, 0, 'younger than the touch interval');
  engine.setTime(5_000_061);
  assert.ok(engine.loadSession(s.id));
  assert.equal(engine.stats().touchesPending, 1);
  assert.equal(await engine.flush(), 1);
  engine.setTime(5_000_200);
  const report = await engine.gc();
  assert.equal(report.sessionsDeleted, 1);
  const kept = await engine.housekeep();
  assert.equal(kept.sessionsDeleted, 0);
  const verified = await engine.verify();
  assert.deepEqual(verified.problems, []);
  const stats = engine.stats();
  assert.equal(stats.sessions, 0);
  assert.ok(stats.writeCommits >= 3);
});

test('wrong argument types throw typed errors before any call', async (t) => {
  const engine = openEngine(t);
  const typeError = (e) => e instanceof authkv.ArgumentTypeError && e instanceof authkv.InvalidArgument
    && e instanceof authkv.AuthkvError && e.code === 'AUTHKV_INVALID_ARGUMENT' && e.httpStatus === 400;
  assert.throws(() => engine.loadSession(42), typeError);
  assert.throws(() => engine.verifyCsrf('x', null), typeError);
  assert.throws(() => engine.userSessions('42'), typeError);
  assert.throws(() => engine.authenticate('GET', 'cookie=1'), typeError);
  assert.throws(() => engine.authenticate('GET', { cookie: ['a'] }), typeError);
  assert.throws(() => engine.authenticate('GET', { Cookie: 'authkv_session=x' }), authkv.InvalidArgument);
  await assert.rejects(engine.createSession(5), typeError);
  await assert.rejects(engine.createToken(1, 'x', 'orders:read'), typeError);
  await assert.rejects(engine.saveSession('x', 5), typeError);
  await assert.rejects(engine.changePassword(1, 'x', { revokeTokens: 'yes' }), typeError);
  await assert.rejects(engine.login('x', -1), (e) => e instanceof authkv.InvalidArgument && !(e instanceof authkv.ArgumentTypeError));
  await assert.rejects(engine.login('x', 1.5), authkv.InvalidArgument);
  await assert.rejects(engine.login('x', 2 ** 53), authkv.InvalidArgument);
  // Ids past 2^53 travel as bigint, both ways.
  const big = 2n ** 60n;
  const s = await engine.login((await engine.createSession()).id, big);
  assert.equal(s.userId, big);
  assert.equal(engine.authenticate('GET', { cookie: `authkv_session=${s.id}`, origin: 'http://localhost' }).userId, big);

  const dir = scratch(t);
  assert.throws(() => new Engine(path.join(dir, 'a.redb'), { idleLifetime: 5 }), authkv.InvalidArgument);
  assert.throws(() => new Engine(path.join(dir, 'b.redb'), { idleLifetimeSecs: '5' }), authkv.ArgumentTypeError);
  assert.throws(() => new Engine(path.join(dir, 'c.redb'), { idleLifetimeSecs: 0 }), authkv.InvalidArgument);
  assert.throws(() => new Engine(path.join(dir, 'd.redb'), { cookieSameSite: 'sometimes' }), authkv.InvalidArgument);
  assert.throws(() => new Engine(42), authkv.ArgumentTypeError);
  assert.throws(() => engine.setTime(5), authkv.Misuse);
});

test('a closed engine refuses every call with Closed', async (t) => {
  const engine = new Engine(path.join(scratch(t), 'auth.redb'), FAST);
  const s = await engine.createSession();
  const pending = engine.saveSession(s.id, 'written before close');
  await engine.close();
  assert.equal(await pending, 1, 'a call under way finishes');
  assert.equal(engine.closed, true);
  const closed = (e) => e instanceof authkv.Closed && e.code === 'AUTHKV_CLOSED' && e.httpStatus === 500;
  assert.throws(() => engine.loadSession(s.id), closed);
  assert.throws(() => engine.authenticate('GET', { cookie: `authkv_session=${s.id}`, origin: 'http://localhost' }), closed);
  assert.throws(() => engine.stats(), closed);
  assert.throws(() => engine.verifyRequestCsrf('POST', { cookie: `authkv_session=${s.id}` }), closed);
  await assert.rejects(engine.createSession(), closed);
  await assert.rejects(engine.attempt('a', 'b', 'c'), closed);
  await engine.close(); // again: nothing to do

  const again = await Engine.open(engine.path, FAST);
  assert.equal(again.loadSession(s.id).payload.toString(), 'written before close');
  await again.close();
});

test('exclusive: another process gets Locked; the default shares the file', async (t) => {
  const file = path.join(scratch(t), 'auth.redb');
  const engine = new Engine(file, FAST);
  t.after(() => engine.close());
  const s = await engine.createSession();
  const child = (options) => spawnSync(process.execPath, ['-e', `
    const authkv = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    try {
      const e = new authkv.Engine(${JSON.stringify(file)}, ${JSON.stringify({ ...FAST, ...options })});
      console.log(JSON.stringify({ found: e.loadSession(${JSON.stringify(s.id)}) !== null }));
    } catch (error) {
      console.log(JSON.stringify({ error: error.name, code: error.code }));
    }
  `], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(child({}).stdout), { found: true });
  assert.deepEqual(JSON.parse(child({ exclusive: true }).stdout), { error: 'Locked', code: 'AUTHKV_LOCKED' });
});

test('a worker_threads worker opens the same file and sees the main thread\'s sessions', async (t) => {
  const file = path.join(scratch(t), 'auth.redb');
  const engine = new Engine(file, FAST);
  t.after(() => engine.close());
  const mine = await engine.login((await engine.createSession()).id, 1);
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const authkv = require(workerData.pkg);
    (async () => {
      const e = new authkv.Engine(workerData.file, workerData.options);
      const seen = e.loadSession(workerData.id)?.userId ?? null;
      const who = e.authenticate('GET', { cookie: 'authkv_session=' + workerData.id, origin: 'http://localhost' }).userId;
      const theirs = await e.login((await e.createSession()).id, 2);
      await e.close();
      parentPort.postMessage({ seen, who, theirs: theirs.id });
    })().catch((error) => parentPort.postMessage({ error: String(error) }));
  `, { eval: true, workerData: { pkg: path.resolve(__dirname, '..'), file, options: FAST, id: mine.id } });
  const reply = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  assert.equal(reply.error, undefined);
  assert.equal(reply.seen, 1);
  assert.equal(reply.who, 1);
  assert.equal(engine.loadSession(reply.theirs).userId, 2);
  await new Promise((resolve) => worker.once('exit', resolve));
});
