'use strict';
// A Node cluster of 4 workers on one authkv file: a session made by a
// login in one worker is served by the others, and a logout in one is
// refused by every other on the next request; a token's rate limit and
// quota are one count for all the workers.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { Engine } = require('..');
const { scratch, FAST } = require('./helpers');
const { Browser } = require('./fixtures/client');

function startCluster(t, file) {
  const primary = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'cluster.js')], {
    env: { ...process.env, AUTHKV_FILE: file, WORKERS: '4' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => primary.once('exit', (code) => resolve(code)));
  t.after(async () => {
    primary.stdin.end();
    const timer = setTimeout(() => primary.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  return {
    exited,
    ports: new Promise((resolve, reject) => {
      let out = '';
      primary.stdout.on('data', (chunk) => {
        out += chunk;
        if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
      });
      primary.once('exit', (code) => reject(new Error(`the cluster exited (${code}) before listening`)));
    }),
  };
}

test('4 cluster workers share one file: logins are seen, logouts are refused everywhere', async (t) => {
  const file = path.join(scratch(t), 'auth.redb');
  const setup = new Engine(file, FAST);
  await setup.setPassword(42, 'ada@example.com', 'correct horse battery');
  await setup.close();

  const cluster = startCluster(t, file);
  const ports = await cluster.ports;
  assert.equal(new Set(ports).size, 4);
  const at = (i) => `http://127.0.0.1:${ports[i]}`;

  // Log in through worker 0.
  const browser = new Browser(at(0));
  assert.equal((await browser.request('GET', '/csrf-cookie')).status, 204);
  const login = await browser.request('POST', '/login', {
    body: { email: 'ada@example.com', password: 'correct horse battery' },
  });
  assert.equal(login.status, 200);

  // Every other worker serves the session at once.
  for (const i of [1, 2, 3]) {
    browser.base = at(i);
    const res = await browser.request('GET', '/api/user');
    assert.equal(res.status, 200, `worker ${i}`);
    assert.deepEqual(res.json, { id: 42, via: 'session', greeting: 'hello 42' });
  }

  // A token made in worker 1 works in worker 3.
  browser.base = at(1);
  const token = (await browser.request('POST', '/api/tokens', { body: { name: 'cli', abilities: ['orders:read'] } })).json;
  const api = new Browser(at(3));
  assert.equal((await api.request('GET', '/api/orders', { firstParty: false, bearer: token.plainText })).status, 200);

  // Log out in worker 2; the old cookie is refused by all the others.
  const oldCookies = new Map(browser.cookies);
  browser.base = at(2);
  assert.equal((await browser.request('POST', '/logout', { body: {} })).status, 204);
  for (const i of [0, 1, 3]) {
    const stale = new Browser(at(i));
    stale.cookies = new Map(oldCookies);
    assert.equal((await stale.request('GET', '/api/user')).status, 401, `worker ${i} after the logout`);
  }

  // A token revoked by another process (this test) is refused by worker 3
  // on its next request.
  const admin = new Engine(file, FAST);
  await admin.revokeToken(token.id);
  await admin.close();
  assert.equal((await api.request('GET', '/api/orders', { firstParty: false, bearer: token.plainText })).status, 401);
});

test('4 cluster workers together admit exactly a token\'s rate limit and quota', async (t) => {
  const file = path.join(scratch(t), 'auth.redb');
  const setup = new Engine(file, FAST);
  const rated = await setup.createToken(42, 'rated', ['orders:read'], { rateLimit: { max: 10, window: 3600 } });
  const quota = await setup.createToken(42, 'quota', ['orders:read'], { quota: { remaining: 7 } });
  await setup.close();

  const cluster = startCluster(t, file);
  const ports = await cluster.ports;
  // Every worker tries more than the limit, all at once.
  const hammer = (token, each) => Promise.all(ports.flatMap((port) => Array.from({ length: each }, () => (
    new Browser(`http://127.0.0.1:${port}`).request('GET', '/api/orders', { firstParty: false, bearer: token.plainText })
  ))));
  const count = (answers, status) => answers.filter((r) => r.status === status).length;

  const rate = await hammer(rated, 12);
  assert.equal(count(rate, 200), 10, 'the workers together admit max');
  assert.equal(count(rate, 429), 4 * 12 - 10);
  const refused = rate.find((r) => r.status === 429);
  assert.deepEqual(refused.json, { message: 'Too Many Attempts.' });
  const wait = Number(refused.headers.get('retry-after'));
  assert.ok(wait > 3500 && wait <= 3600, `Retry-After: ${wait}`);

  const used = await hammer(quota, 9);
  assert.equal(count(used, 200), 7, 'the workers together use the quota once');
  assert.equal(count(used, 429), 4 * 9 - 7);
  assert.ok(used.filter((r) => r.status === 429).every((r) => r.headers.get('retry-after') === null));

  const admin = new Engine(file, FAST);
  t.after(() => admin.close());
  assert.equal(admin.tokenLimits(quota.id).quota.remaining, 0);
});
