'use strict';
// README's Node example is test/readme_example.js verbatim, and it serves
// the SPA flow it describes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { scratch } = require('./helpers');
const { Browser } = require('./fixtures/client');

const EXAMPLE = path.join(__dirname, 'readme_example.js');

test('README holds the example verbatim', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  assert.ok(readme.includes(`\`\`\`js\n${fs.readFileSync(EXAMPLE, 'utf8')}\`\`\`\n`),
    'README.md does not hold bindings/node/test/readme_example.js in a ```js block');
});

test('the README example logs in, serves the API by session and by token, and logs out', async (t) => {
  const dir = scratch(t);
  // `require('authkv')` as an application has it: through node_modules.
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.resolve(__dirname, '..'), path.join(dir, 'node_modules', 'authkv'));
  fs.symlinkSync(path.resolve(__dirname, '..', 'node_modules', 'express'), path.join(dir, 'node_modules', 'express'));
  fs.copyFileSync(EXAMPLE, path.join(dir, 'app.js'));
  const server = spawn(process.execPath, ['app.js'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => server.kill());
  const port = await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => {
      const match = /listening on (\d+)/.exec(String(chunk));
      if (match) resolve(Number(match[1]));
    });
    server.once('exit', (code) => reject(new Error(`the example exited (${code})`)));
  });
  const browser = new Browser(`http://127.0.0.1:${port}`);
  assert.equal((await browser.request('GET', '/csrf-cookie')).status, 204);
  const login = await browser.request('POST', '/login', { body: { email: 'ada@example.com', password: 'correct horse battery' } });
  assert.deepEqual(login.json, { userId: 42 });
  assert.deepEqual((await browser.request('GET', '/api/user')).json, { id: 42, via: 'session' });
  const { token } = (await browser.request('POST', '/api/tokens', { body: { name: 'cli' } })).json;
  const api = new Browser(browser.base);
  assert.equal((await api.request('GET', '/api/orders', { firstParty: false, bearer: token })).status, 200);
  assert.equal((await browser.request('POST', '/logout', { body: {} })).status, 204);
  assert.equal((await browser.request('GET', '/api/user')).status, 401);
  const wrong = await new Browser(browser.base).request('POST', '/login', { csrf: false, body: {} });
  assert.equal(wrong.status, 419);
});
