'use strict';
// What the tests share: a scratch directory per test file, engines that
// hash passwords cheaply unless a test says otherwise, and a server on a
// loopback port.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { Engine } = require('..');

function scratch(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authkv-node-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Cheap argon2 costs: the tests check behaviour, not hashing strength. */
const FAST = { argon2MCost: 64, argon2TCost: 1, cookieSecure: false };

function openEngine(t, options = {}) {
  const engine = new Engine(path.join(scratch(t), 'auth.redb'), { ...FAST, ...options });
  t.after(() => engine.close());
  return engine;
}

function listen(t, app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      t.after(() => new Promise((done) => {
        server.closeAllConnections?.();
        server.close(done);
      }));
      resolve(`http://127.0.0.1:${server.address().port}`);
    });
  });
}

module.exports = { scratch, FAST, openEngine, listen };
