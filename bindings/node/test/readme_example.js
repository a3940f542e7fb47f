const express = require('express');
const { Engine, AuthkvError } = require('authkv');
const authkv = require('authkv/express');

// One engine per process; cluster workers each open their own on the file.
const engine = new Engine('auth.redb', { cookieSecure: process.env.NODE_ENV === 'production' });

const app = express();
app.use(express.json());
app.use(authkv.session(engine, { secret: process.env.SESSION_SECRET ?? 'dev only' }));

// The SPA asks for its XSRF-TOKEN cookie first (Sanctum's /sanctum/csrf-cookie).
app.get('/csrf-cookie', authkv.csrfCookie(engine), (req, res) => res.status(204).end());

app.post('/login', authkv.verifyCsrf(engine), async (req, res, next) => {
  try {
    // argon2 and the commit run off the event loop; Throttled carries retryAfter.
    const userId = await engine.attempt(req.body.email, req.body.password, req.ip);
    await authkv.login(req, userId); // new session id and CSRF token, bound to the user
    res.json({ userId });
  } catch (error) {
    if (!(error instanceof AuthkvError) || error.httpStatus >= 500) return next(error);
    res.status(error.httpStatus).json({ message: error.message });
  }
});

// auth:sanctum: first-party pages by session (+ CSRF on writes), others by bearer token.
app.get('/api/user', authkv.guard(engine), (req, res) => {
  res.json({ id: req.auth.userId, via: req.auth.via });
});
app.post('/api/tokens', authkv.guard(engine), async (req, res) => {
  const token = await engine.createToken(req.auth.userId, req.body.name, ['orders:read']);
  res.status(201).json({ token: token.plainText }); // shown once
});
app.get('/api/orders', authkv.guard(engine, { abilities: ['orders:read'] }), (req, res) => {
  res.json({ orders: [] });
});
app.post('/logout', authkv.guard(engine), async (req, res) => {
  await authkv.logout(req); // the old id is dead in every process at once
  res.status(204).end();
});

engine.setPassword(42, 'ada@example.com', 'correct horse battery').then(() => {
  const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    console.log(`listening on ${server.address().port}`);
  });
});
