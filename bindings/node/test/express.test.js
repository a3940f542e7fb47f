'use strict';
// The SPA flow of Sanctum over HTTP on loopback, with express and
// express-session from the registry: the CSRF cookie, a login that rotates
// the id, /api/user by session, a token made from the session, bearer
// requests with and without the ability, 419 without the CSRF token, and
// a logout that rotates the id and kills the old one.

const test = require('node:test');
const assert = require('node:assert/strict');

const { openEngine, listen } = require('./helpers');
const { makeApp } = require('./fixtures/app');
const { Browser } = require('./fixtures/client');

async function loggedIn(t) {
  const engine = openEngine(t);
  await engine.setPassword(42, 'ada@example.com', 'correct horse battery');
  const base = await listen(t, makeApp(engine));
  const browser = new Browser(base);
  const csrf = await browser.request('GET', '/csrf-cookie');
  assert.equal(csrf.status, 204);
  const visitorId = browser.sessionId;
  const login = await browser.request('POST', '/login', {
    body: { email: 'ada@example.com', password: 'correct horse battery' },
  });
  assert.equal(login.status, 200, JSON.stringify(login.json));
  return { engine, base, browser, visitorId };
}

test('the CSRF cookie makes an authkv session and a script-readable token', async (t) => {
  const engine = openEngine(t);
  const browser = new Browser(await listen(t, makeApp(engine)));
  const res = await browser.request('GET', '/csrf-cookie');
  assert.equal(res.status, 204);
  const setCookies = res.headers.getSetCookie();
  const xsrf = setCookies.find((c) => c.startsWith('XSRF-TOKEN='));
  assert.ok(xsrf, 'an XSRF-TOKEN cookie');
  assert.doesNotMatch(xsrf, /HttpOnly/i, 'scripts must read XSRF-TOKEN');
  assert.match(xsrf, /SameSite=Lax/);
  const sessionCookie = setCookies.find((c) => c.startsWith('authkv_session='));
  assert.match(sessionCookie, /HttpOnly/);
  assert.match(sessionCookie, /SameSite=Lax/i);
  // The id in the cookie is one authkv issued, and the token is its CSRF token.
  const row = engine.loadSession(browser.sessionId);
  assert.ok(row, 'the session id is an authkv session');
  assert.equal(row.csrfToken, browser.xsrf);
  assert.equal(row.userId, null);
});

test('a request that changes nothing leaves no session behind', async (t) => {
  const engine = openEngine(t);
  const browser = new Browser(await listen(t, makeApp(engine)));
  const res = await browser.request('GET', '/api/user');
  assert.equal(res.status, 401);
  assert.equal(browser.cookies.size, 0);
  assert.equal(engine.stats().sessions, 0);
});

test('login without the CSRF token is refused with 419', async (t) => {
  const engine = openEngine(t);
  await engine.setPassword(42, 'ada@example.com', 'correct horse battery');
  const browser = new Browser(await listen(t, makeApp(engine)));
  await browser.request('GET', '/csrf-cookie');
  const res = await browser.request('POST', '/login', {
    csrf: false,
    body: { email: 'ada@example.com', password: 'correct horse battery' },
  });
  assert.equal(res.status, 419);
  assert.deepEqual(res.json, { message: 'CSRF token mismatch.' });
});

test('login rotates the session id, binds the user and serves /api/user', async (t) => {
  const { engine, browser, visitorId } = await loggedIn(t);
  assert.notEqual(browser.sessionId, visitorId, 'login gives a new id');
  assert.equal(engine.loadSession(visitorId), null, 'the visitor id is dead');
  const row = engine.loadSession(browser.sessionId);
  assert.equal(row.userId, 42);
  assert.equal(row.csrfToken, browser.xsrf, 'the XSRF-TOKEN cookie follows the rotation');
  assert.equal(engine.userSessions(42).length, 1);

  const user = await browser.request('GET', '/api/user');
  assert.equal(user.status, 200);
  assert.deepEqual(user.json, { id: 42, via: 'session', greeting: 'hello 42' });

  // The same cookie from a page that is not first-party is not a session.
  const thirdParty = await browser.request('GET', '/api/user', { firstParty: false });
  assert.equal(thirdParty.status, 401);
  assert.equal(thirdParty.headers.get('www-authenticate'), 'Bearer');

  // A wrong password is 401 and counts towards the throttle.
  const other = new Browser(browser.base);
  await other.request('GET', '/csrf-cookie');
  const wrong = await other.request('POST', '/login', { body: { email: 'ada@example.com', password: 'nope' } });
  assert.equal(wrong.status, 401);
});

test('tokens made from the session authenticate bearer requests, with their abilities', async (t) => {
  const { browser, engine } = await loggedIn(t);
  const noCsrf = await browser.request('POST', '/api/tokens', {
    csrf: false,
    body: { name: 'cli', abilities: ['orders:read'] },
  });
  assert.equal(noCsrf.status, 419, 'a first-party write needs the CSRF token');

  const made = await browser.request('POST', '/api/tokens', { body: { name: 'cli', abilities: ['orders:read'] } });
  assert.equal(made.status, 201);
  const { plainText } = made.json;
  assert.match(plainText, /^\d+\|[A-Za-z0-9]{40}[0-9a-f]{8}$/);

  const api = new Browser(browser.base);
  const read = await api.request('GET', '/api/orders', { firstParty: false, bearer: plainText });
  assert.equal(read.status, 200);
  assert.deepEqual(read.json, { orders: [], user: 42, via: 'token' });

  const write = await api.request('POST', '/api/orders', { firstParty: false, bearer: plainText, body: {} });
  assert.equal(write.status, 403);
  assert.deepEqual(write.json, { message: 'Forbidden.' });

  // The session user holds every ability.
  const sessionWrite = await browser.request('POST', '/api/orders', { body: {} });
  assert.equal(sessionWrite.status, 201);

  // The checksum's last digit changed (to one it is not).
  const other = plainText.endsWith('0') ? '1' : '0';
  const forged = await api.request('GET', '/api/orders', { firstParty: false, bearer: `${plainText.slice(0, -1)}${other}` });
  assert.equal(forged.status, 401);

  await engine.revokeToken(made.json.id);
  const revoked = await api.request('GET', '/api/orders', { firstParty: false, bearer: plainText });
  assert.equal(revoked.status, 401);
});

test('logout rotates the id; the old cookie is refused', async (t) => {
  const { engine, browser } = await loggedIn(t);
  const before = { id: browser.sessionId, cookies: browser.cookieHeader(), xsrf: browser.xsrf };
  const out = await browser.request('POST', '/logout', { body: {} });
  assert.equal(out.status, 204);
  assert.notEqual(browser.sessionId, before.id, 'a new session id');
  assert.notEqual(browser.xsrf, before.xsrf, 'a new CSRF token');
  assert.equal(engine.loadSession(before.id), null);
  assert.equal(engine.userSessions(42).length, 0);
  const fresh = engine.loadSession(browser.sessionId);
  assert.equal(fresh.userId, null, 'the visitor keeps an anonymous session');

  const stale = new Browser(browser.base);
  for (const pair of before.cookies.split('; ')) {
    const eq = pair.indexOf('=');
    stale.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  assert.equal((await stale.request('GET', '/api/user')).status, 401);
  assert.equal((await browser.request('GET', '/api/user')).status, 401);
});

test('express-session regenerate() deletes the row and a new id comes from authkv', async (t) => {
  const express = require('express');
  const authkvExpress = require('../express');
  const engine = openEngine(t);
  const app = express();
  app.use(authkvExpress.session(engine, { secret: 's' }));
  app.post('/count', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count });
  });
  app.post('/regenerate', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.count = 100;
      return res.json({ ok: true });
    });
  });
  const browser = new Browser(await listen(t, app));
  assert.deepEqual((await browser.request('POST', '/count', { body: {} })).json, { count: 1 });
  const first = browser.sessionId;
  assert.ok(engine.loadSession(first), 'the first save made an authkv row');
  assert.deepEqual((await browser.request('POST', '/count', { body: {} })).json, { count: 2 });
  assert.equal(browser.sessionId, first);
  await browser.request('POST', '/regenerate', { body: {} });
  assert.notEqual(browser.sessionId, first);
  assert.equal(engine.loadSession(first), null, 'the old row is gone');
  const row = engine.loadSession(browser.sessionId);
  assert.equal(JSON.parse(row.payload).count, 100);
  assert.deepEqual((await browser.request('POST', '/count', { body: {} })).json, { count: 101 });
});

test('a session id authkv did not issue is never adopted', async (t) => {
  const express = require('express');
  const authkvExpress = require('../express');
  const engine = openEngine(t);
  const app = express();
  app.use(authkvExpress.session(engine, { secret: 's' }));
  app.post('/count', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count, id: req.sessionID });
  });
  const browser = new Browser(await listen(t, app));
  // A client-chosen id, correctly signed (as if the secret had leaked):
  // it still names no authkv session, so a new one is made.
  const signature = require('node:crypto').createHmac('sha256', 's')
    .update('A'.repeat(40)).digest('base64').replace(/=+$/, '');
  browser.cookies.set('authkv_session', encodeURIComponent(`s:${'A'.repeat(40)}.${signature}`));
  const res = await browser.request('POST', '/count', { body: {} });
  assert.equal(res.json.count, 1);
  assert.notEqual(res.json.id, 'A'.repeat(40));
  assert.notEqual(browser.sessionId, 'A'.repeat(40));
  assert.equal(engine.loadSession('A'.repeat(40)), null);
  assert.ok(engine.loadSession(browser.sessionId));
});

/** The SPA app on an engine in `csrfMode`, with a visitor holding its
 * XSRF-TOKEN cookie, ready to log in. */
async function visitorIn(t, csrfMode) {
  const engine = openEngine(t, { csrfMode });
  await engine.setPassword(42, 'ada@example.com', 'correct horse battery');
  const browser = new Browser(await listen(t, makeApp(engine)));
  assert.equal((await browser.request('GET', '/csrf-cookie')).status, 204);
  return browser;
}

const CREDENTIALS = { email: 'ada@example.com', password: 'correct horse battery' };

test('verifyCsrf in every csrfMode: the token passes, a cross-site write without it is 419', async (t) => {
  for (const mode of ['token', 'fetch-metadata', 'either']) {
    const browser = await visitorIn(t, mode);
    const forged = await browser.request('POST', '/login', {
      firstParty: false,
      csrf: false,
      headers: { origin: 'https://evil.test', 'sec-fetch-site': 'cross-site' },
      body: CREDENTIALS,
    });
    assert.equal(forged.status, 419, `${mode}: a cross-site write without the token`);
    const bare = await browser.request('POST', '/login', { firstParty: false, csrf: false, body: CREDENTIALS });
    assert.equal(bare.status, 419, `${mode}: neither the token nor Fetch Metadata`);
    const withToken = await browser.request('POST', '/login', {
      headers: { 'sec-fetch-site': 'same-origin' },
      body: CREDENTIALS,
    });
    assert.equal(withToken.status, 200, `${mode}: a same-origin write with the token`);
  }
});

// verifyCsrf() runs the engine's own check of the request
// (Engine::verify_request_csrf) in the configured mode.
test('verifyCsrf honours csrfMode: a same-origin write without the token passes in the fetch-metadata modes', async (t) => {
  for (const [mode, status] of [['token', 419], ['fetch-metadata', 200], ['either', 200]]) {
    const browser = await visitorIn(t, mode);
    const res = await browser.request('POST', '/login', {
      csrf: false,
      headers: { 'sec-fetch-site': 'same-origin' },
      body: CREDENTIALS,
    });
    assert.equal(res.status, status, `${mode}: Sec-Fetch-Site: same-origin, no token`);
  }
});

test('verifyCsrf in every csrfMode: Sec-Fetch-Site, the token and a bad header', async (t) => {
  for (const mode of ['token', 'fetch-metadata', 'either']) {
    const metadata = mode !== 'token';
    const tokens = mode !== 'fetch-metadata';
    const browser = await visitorIn(t, mode);
    const post = (options) => browser.request('POST', '/login', { body: CREDENTIALS, ...options });

    // The token with a cross-site Sec-Fetch-Site: the token alone decides
    // in token mode, Fetch Metadata refuses it in fetch-metadata mode.
    const crossSite = await post({ headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSite.status, tokens ? 200 : 419, `${mode}: cross-site with the token`);
    if (crossSite.status === 419) assert.deepEqual(crossSite.json, { message: 'CSRF token mismatch.' });

    // A same-site page: only with csrfAcceptsSameSite.
    const sameSite = await post({ firstParty: false, csrf: false, headers: { 'sec-fetch-site': 'same-site' } });
    assert.equal(sameSite.status, 419, `${mode}: same-site without the token`);

    // No Sec-Fetch-Site: an Origin naming a stateful domain is Fetch
    // Metadata's fallback; another is not.
    const byOrigin = await post({ csrf: false });
    assert.equal(byOrigin.status, metadata ? 200 : 419, `${mode}: first-party Origin, no token`);
    const foreign = await post({ firstParty: false, csrf: false, headers: { origin: 'https://evil.test' } });
    assert.equal(foreign.status, 419, `${mode}: foreign Origin, no token`);

    // A wrong token.
    const wrong = await post({
      firstParty: false, csrf: false, headers: { 'x-xsrf-token': 'x'.repeat(40), origin: 'https://evil.test' },
    });
    assert.equal(wrong.status, 419, `${mode}: a wrong token`);

    // Reading methods pass whatever they carry.
    const read = await browser.request('GET', '/csrf-cookie', { firstParty: false, headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(read.status, 204, `${mode}: GET`);

    // A Cookie header the parser refuses (more than 128 pairs), from a
    // visitor without a session: 400.
    const stranger = new Browser(browser.base);
    for (let i = 0; i < 200; i += 1) stranger.cookies.set(`c${i}`, '1');
    const bad = await stranger.request('POST', '/login', { body: CREDENTIALS, headers: { 'sec-fetch-site': 'same-origin' } });
    assert.equal(bad.status, 400, `${mode}: too many cookies`);
    assert.deepEqual(bad.json, { message: 'Bad Request.' });
  }
});

test('verifyCsrf accepts Sec-Fetch-Site: same-site with csrfAcceptsSameSite, in the fetch-metadata modes only', async (t) => {
  for (const [mode, status] of [['token', 419], ['fetch-metadata', 200], ['either', 200]]) {
    const engine = openEngine(t, { csrfMode: mode, csrfAcceptsSameSite: true });
    await engine.setPassword(42, 'ada@example.com', 'correct horse battery');
    const browser = new Browser(await listen(t, makeApp(engine)));
    assert.equal((await browser.request('GET', '/csrf-cookie')).status, 204);
    const res = await browser.request('POST', '/login', {
      firstParty: false,
      csrf: false,
      headers: { 'sec-fetch-site': 'same-site' },
      body: CREDENTIALS,
    });
    assert.equal(res.status, status, `${mode}: same-site, no token`);
  }
});
