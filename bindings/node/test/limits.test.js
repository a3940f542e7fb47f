'use strict';
// Token rate limits and quotas: set at creation or later, read back, and
// answered by the guard over HTTP with 429 `Too Many Attempts.` (and
// Retry-After when the wait is known) before the route's handler runs.
// The engines here run on a manual clock, so every wait is exact.

const test = require('node:test');
const assert = require('node:assert/strict');
const express = require('express');

const authkv = require('..');
const authkvExpress = require('../express');
const { fromNative } = require('../lib/errors');
const { openEngine, listen } = require('./helpers');

const { RateLimited, QuotaExhausted, InvalidArgument, ArgumentTypeError, NotFound, AuthkvError } = authkv;

const START = 1_700_000_000;

function clockEngine(t) {
  return openEngine(t, { manualClock: true, manualClockStart: START });
}

/** An API whose one route counts the requests its handler served. */
async function api(t, engine) {
  const served = { count: 0 };
  const app = express();
  app.get('/api/orders', authkvExpress.guard(engine, { abilities: ['orders:read'] }), (req, res) => {
    served.count += 1;
    res.json({ user: req.auth.userId, token: req.auth.tokenId });
  });
  const base = await listen(t, app);
  const get = async (token) => {
    const res = await fetch(`${base}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
  };
  return { served, get };
}

test('a rate limit of 3 per 60 s: the 4th request is 429 with Retry-After, and the handler does not run', async (t) => {
  const engine = clockEngine(t);
  const token = await engine.createToken(7, 'ci', ['orders:read'], { rateLimit: { max: 3, window: 60 } });
  const { served, get } = await api(t, engine);
  for (let i = 1; i <= 3; i += 1) {
    const ok = await get(token.plainText);
    assert.equal(ok.status, 200, `request ${i}`);
    assert.equal(ok.retryAfter, null);
  }
  engine.setTime(START + 15);
  const refused = await get(token.plainText);
  assert.equal(refused.status, 429);
  assert.equal(refused.retryAfter, '45', 'the window opened at the first request, 15 s ago');
  assert.equal(refused.text, '{"message":"Too Many Attempts."}');
  assert.equal(served.count, 3, 'the handler did not run for the refused request');

  // The Rust error, typed, for a caller of authenticateToken.
  assert.throws(() => engine.authenticateToken(token.plainText), (error) => {
    assert.ok(error instanceof RateLimited && error instanceof AuthkvError);
    assert.equal(error.status, 110);
    assert.equal(error.code, 'AUTHKV_RATE_LIMITED');
    assert.equal(error.httpStatus, 429);
    assert.equal(error.retryAfter, 45);
    return true;
  });

  // A new window admits again.
  engine.setTime(START + 60);
  assert.equal((await get(token.plainText)).status, 200);
  assert.equal(served.count, 4);
});

test('a quota of 5 that never refills: the 6th request is 429 without Retry-After', async (t) => {
  const engine = clockEngine(t);
  const token = await engine.createToken(7, 'ci', ['orders:read'], { quota: { remaining: 5 } });
  const { served, get } = await api(t, engine);
  for (let i = 1; i <= 5; i += 1) {
    assert.equal((await get(token.plainText)).status, 200, `request ${i}`);
    assert.equal(engine.tokenLimits(token.id).quota.remaining, 5 - i, 'tokenLimits reads the uses left');
  }
  const refused = await get(token.plainText);
  assert.equal(refused.status, 429);
  assert.equal(refused.retryAfter, null, 'a quota that never refills has no Retry-After');
  assert.equal(refused.text, '{"message":"Too Many Attempts."}');
  assert.equal(served.count, 5);
  engine.setTime(START + 365 * 86400);
  assert.equal((await get(token.plainText)).status, 429, 'still used up a year later');

  assert.throws(() => engine.authenticateToken(token.plainText), (error) => {
    assert.ok(error instanceof QuotaExhausted);
    assert.equal(error.status, 111);
    assert.equal(error.code, 'AUTHKV_QUOTA_EXHAUSTED');
    assert.equal(error.httpStatus, 429);
    assert.equal(error.retryAfter, null);
    return true;
  });
});

test('a refilled quota: 429 with Retry-After until the refill, then admitted again', async (t) => {
  const engine = clockEngine(t);
  const token = await engine.createToken(7, 'ci', ['orders:read'], { quota: { remaining: 2, refillInterval: 30 } });
  assert.deepEqual(engine.tokenLimits(token.id), {
    rateLimit: null,
    quota: { remaining: 2, refillAmount: 2, refillInterval: 30 },
  }, 'refillAmount defaults to remaining');
  const { served, get } = await api(t, engine);
  assert.equal((await get(token.plainText)).status, 200);
  assert.equal((await get(token.plainText)).status, 200);
  engine.setTime(START + 10);
  const refused = await get(token.plainText);
  assert.equal(refused.status, 429);
  assert.equal(refused.retryAfter, '20');
  engine.setTime(START + 30);
  assert.equal(engine.tokenLimits(token.id).quota.remaining, 2, 'a due refill shows in tokenLimits');
  assert.equal((await get(token.plainText)).status, 200);
  assert.equal(served.count, 3);
});

test('tokenLimits reads back what was set; setTokenLimits replaces the limits and the counts start over', async (t) => {
  const engine = clockEngine(t);
  const plain = await engine.createToken(7, 'plain');
  assert.equal(engine.tokenLimits(plain.id), null, 'a token made the old way is unlimited');
  assert.equal(engine.tokenLimits(999_999), null, 'an unknown token has no limits');

  const token = await engine.createToken(7, 'ci', ['*'], {
    expiresAt: START + 3600,
    rateLimit: { max: 2, window: 10 },
    quota: { remaining: 100, refillAmount: 50, refillInterval: 86400 },
  });
  assert.equal(token.info.expiresAt, START + 3600);
  assert.deepEqual(engine.tokenLimits(token.id), {
    rateLimit: { max: 2, window: 10 },
    quota: { remaining: 100, refillAmount: 50, refillInterval: 86400 },
  });
  engine.authenticateToken(token.plainText);
  engine.authenticateToken(token.plainText);
  assert.throws(() => engine.authenticateToken(token.plainText), RateLimited);
  assert.equal(engine.tokenLimits(token.id).quota.remaining, 98, 'a refused request uses no quota');

  // Replacing the limits resets the window and the quota.
  await engine.setTokenLimits(token.id, { rateLimit: { max: 2, window: 10 }, quota: { remaining: 3 } });
  assert.deepEqual(engine.tokenLimits(token.id), {
    rateLimit: { max: 2, window: 10 },
    quota: { remaining: 3, refillAmount: 0, refillInterval: null },
  });
  assert.equal(engine.authenticateToken(token.plainText).id, token.id, 'the window starts over');
  assert.equal(engine.tokenLimits(token.id).quota.remaining, 2);

  // Ids as bigints too; `{}` (or null) removes every limit.
  await engine.setTokenLimits(BigInt(token.id), {});
  assert.equal(engine.tokenLimits(token.id), null);
  for (let i = 0; i < 5; i += 1) assert.ok(engine.authenticateToken(token.plainText));
  await engine.setTokenLimits(token.id, { quota: { remaining: 1 } });
  await engine.setTokenLimits(token.id, null);
  assert.equal(engine.tokenLimits(token.id), null);
});

test('limits the engine refuses are InvalidArgument; an unknown token is NotFound', async (t) => {
  const engine = clockEngine(t);
  const token = await engine.createToken(7, 'ci');
  const refused = [
    [{ rateLimit: { max: 0, window: 60 } }, /rate limit's max must be at least 1/],
    [{ rateLimit: { max: 3, window: 0 } }, /window/],
    [{ quota: { remaining: 5, refillAmount: 0, refillInterval: 60 } }, /refill_amount/],
    [{ quota: { remaining: 5, refillInterval: 0 } }, /refill_interval/],
    [{ rateLimit: { max: 3, window: 1.5 } }, /rateLimit\.window must be an integer/],
    [{ rateLimit: { max: -1, window: 60 } }, /rateLimit\.max/],
    [{ rateLimit: { max: 3 } }, /rateLimit\.window must be a number/],
    [{ quota: { remaining: 5, refillIn: 60 } }, /quota: unknown field "refillIn"/],
  ];
  for (const [limits, message] of refused) {
    await assert.rejects(engine.setTokenLimits(token.id, limits), (error) => {
      assert.ok(error instanceof InvalidArgument, `${JSON.stringify(limits)}: ${error}`);
      assert.equal(error.httpStatus, 400);
      assert.match(error.message, message);
      return true;
    });
    await assert.rejects(engine.createToken(7, 'refused', ['*'], limits), InvalidArgument);
  }
  await assert.rejects(engine.setTokenLimits(token.id, { ratelimit: { max: 1, window: 1 } }), /unknown field "ratelimit"/);
  await assert.rejects(engine.setTokenLimits(token.id, { rateLimit: 'fast' }), ArgumentTypeError);
  assert.equal(engine.userTokens(7).length, 1, 'no refused token was stored');
  assert.equal(engine.tokenLimits(token.id), null, 'nothing was changed');

  await assert.rejects(engine.setTokenLimits(424242, { quota: { remaining: 1 } }), (error) => {
    assert.ok(error instanceof NotFound);
    assert.equal(error.httpStatus, 404);
    assert.match(error.message, /no token with id 424242/);
    return true;
  });
  await assert.rejects(engine.setTokenLimits(424242, {}), NotFound);
});

test('the addon\'s errors carry the wait: RateLimited and QuotaExhausted from their statuses', () => {
  const rate = fromNative(new Error('[authkv:110 retry-after=45] too many requests with this token; retry in 45 s'));
  assert.ok(rate instanceof RateLimited);
  assert.equal(rate.retryAfter, 45);
  assert.equal(rate.message, 'too many requests with this token; retry in 45 s');
  const refills = fromNative(new Error('[authkv:111 retry-after=7] this token\'s quota is used up; it refills in 7 s'));
  assert.ok(refills instanceof QuotaExhausted);
  assert.equal(refills.retryAfter, 7);
  const never = fromNative(new Error('[authkv:111] this token\'s quota is used up'));
  assert.ok(never instanceof QuotaExhausted);
  assert.equal(never.retryAfter, null);
  assert.ok(fromNative(new Error('[authkv:100] no token with id 1')) instanceof NotFound);
  // Made by an application (a route that answers 429 itself).
  assert.equal(new RateLimited('slow down', 3).retryAfter, 3);
  assert.equal(new QuotaExhausted('used up').retryAfter, null);
});
