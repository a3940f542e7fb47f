'use strict';
// One express server for run.js: `node server.js STORE FILE`, STORE one of
// authkv, authkv-exclusive, memory, redis (REDIS_URL). Prints its port, serves until killed.
//   POST /login  makes a session (req.session.user = 42)
//   GET  /read   reads it (the session loaded, unchanged)
//   POST /write  changes it (a save per request)

const express = require('express');
const expressSession = require('express-session');

async function main() {
  const [kind, file] = process.argv.slice(2);
  const app = express();
  const secret = 'bench secret';
  const cookie = { secure: false, httpOnly: true, sameSite: 'lax', maxAge: 7200 * 1000 };
  if (kind === 'authkv' || kind === 'authkv-exclusive') {
    const { Engine } = require('..');
    const authkv = require('../express');
    const engine = new Engine(file, { cookieSecure: false, exclusive: kind === 'authkv-exclusive' });
    app.use(authkv.session(engine, { secret, expressSession }));
  } else if (kind === 'memory') {
    app.use(expressSession({ secret, resave: false, saveUninitialized: false, cookie }));
  } else if (kind === 'redis') {
    const { RedisStore } = require('connect-redis');
    const { createClient } = require('redis');
    const client = createClient({ url: process.env.REDIS_URL });
    await client.connect();
    app.use(expressSession({ store: new RedisStore({ client }), secret, resave: false, saveUninitialized: false, cookie }));
  } else {
    throw new Error(`unknown store ${kind}`);
  }
  app.post('/login', (req, res) => {
    req.session.user = 42;
    res.json({ ok: true });
  });
  app.get('/read', (req, res) => res.json({ user: req.session.user ?? null }));
  app.post('/write', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.json({ count: req.session.count });
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${server.address().port}\n`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
