'use strict';
// 50 logins at once (argon2 verification plus a durable commit each) run
// off the event loop: a 1 ms timer keeps firing while they run. Were the
// work done on the loop, the timer would stall for at least one login's
// whole argon2 run, which this test measures first.

const test = require('node:test');
const assert = require('node:assert/strict');

const { openEngine } = require('./helpers');

// Costs that make one verification take tens of milliseconds here, so a
// login run on the loop could not hide inside scheduling noise.
const SLOW_HASH = { argon2MCost: 19456, argon2TCost: 6 };

test('50 concurrent logins keep the event loop responsive', async (t) => {
  const engine = openEngine(t, SLOW_HASH);
  await engine.setPassword(42, 'ada@example.com', 'correct horse battery');

  let started = process.hrtime.bigint();
  assert.equal(await engine.attempt('ada@example.com', 'correct horse battery', '10.0.0.1'), 42);
  const oneLoginMs = Number(process.hrtime.bigint() - started) / 1e6;

  let last = process.hrtime.bigint();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    maxGapMs = Math.max(maxGapMs, Number(now - last) / 1e6);
    last = now;
    ticks += 1;
  }, 1);
  started = process.hrtime.bigint();
  last = started;
  const logins = [];
  for (let i = 0; i < 50; i += 1) {
    // One address each: the throttle counts per (login, address).
    logins.push((async () => {
      const visitor = await engine.createSession(`10.0.1.${i}`, 'load test');
      const userId = await engine.attempt('ada@example.com', 'correct horse battery', `10.0.1.${i}`);
      const session = await engine.login(visitor.id, userId);
      return session.userId;
    })());
  }
  const users = await Promise.all(logins);
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  clearInterval(timer);

  assert.deepEqual(users, Array(50).fill(42));
  t.diagnostic(`one login ${oneLoginMs.toFixed(1)} ms; 50 logins ${totalMs.toFixed(0)} ms; ` +
    `timer fired ${ticks} times, longest gap ${maxGapMs.toFixed(1)} ms`);
  assert.ok(oneLoginMs >= 15, `one login took ${oneLoginMs} ms: too cheap for this test to tell`);
  assert.ok(totalMs >= 5 * oneLoginMs, 'the 50 logins took long enough to watch');
  assert.ok(maxGapMs < oneLoginMs / 2,
    `the event loop stalled ${maxGapMs.toFixed(1)} ms (one login takes ${oneLoginMs.toFixed(1)} ms)`);
  assert.ok(ticks >= totalMs / 10, `the timer fired ${ticks} times in ${totalMs.toFixed(0)} ms`);
});
