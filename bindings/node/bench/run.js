'use strict';
// The Node binding measured, in one run (`npm ci && node run.js` in this
// directory, after `npm install` in bindings/node):
//
// 1. The guard's cookie lookup through the binding against the same
//    lookup made in Rust by the same addon on the same engine (the
//    binding's overhead), and the bearer lookup likewise.
// 2. express requests per second with authkv's store, express-session's
//    MemoryStore and connect-redis on a Redis this script starts on
//    127.0.0.1 (redis-server must be installed), each server in its own
//    process, autocannon in this one.
//
// Prints Markdown tables. BENCH_SECONDS sets the HTTP duration (default 5).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');

const { Engine } = require('..');

const SECONDS = Number(process.env.BENCH_SECONDS || 5);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function guardOverhead(dir) {
  const engine = new Engine(path.join(dir, 'guard.redb'));
  const session = await engine.login((await engine.createSession('127.0.0.1', 'bench')).id, 42);
  const token = await engine.createToken(42, 'bench', ['orders:read']);
  const cookie = `authkv_session=${session.id}`;
  const referer = 'http://localhost:3000/dashboard';
  const cookieHeaders = { cookie, referer };
  const bearerHeaders = { authorization: `Bearer ${token.plainText}` };
  const N = 500_000;
  const time = (f) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i += 1) f();
    return Number(process.hrtime.bigint() - t0) / N;
  };
  const rows = { cookieNode: [], cookieRust: [], bearerNode: [] };
  time(() => engine.authenticate('GET', cookieHeaders)); // warm the JIT and the caches
  for (let round = 0; round < 7; round += 1) {
    rows.cookieNode.push(time(() => engine.authenticate('GET', cookieHeaders)));
    rows.cookieRust.push(engine._native.benchRustGuard(cookie, referer, N));
    rows.bearerNode.push(time(() => engine.authenticate('GET', bearerHeaders)));
  }
  await engine.close();
  return {
    cookieNode: median(rows.cookieNode),
    cookieRust: median(rows.cookieRust),
    bearerNode: median(rows.bearerNode),
  };
}

function startServer(kind, file, env = {}) {
  const child = spawn(process.execPath, [path.join(__dirname, 'server.js'), kind, file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (data) => resolve({ child, port: Number(String(data).trim()) }));
    child.once('exit', (code) => reject(new Error(`${kind} server exited (${code})`)));
  });
}

async function cookieOf(base) {
  const res = await fetch(`${base}/login`, { method: 'POST' });
  return res.headers.getSetCookie()[0].split(';')[0];
}

async function load(url, method, cookie) {
  const result = await autocannon({
    url,
    method,
    connections: 10,
    duration: SECONDS,
    headers: { cookie },
  });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function startRedis() {
  const port = 6390 + Math.floor(Math.random() * 100);
  const redis = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { redis, url: `redis://127.0.0.1:${port}` };
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authkv-node-bench-'));
  const processes = [];
  try {
    const guard = await guardOverhead(dir);
    console.log('| lookup | Rust call | through Node | binding overhead |');
    console.log('|---|--:|--:|--:|');
    console.log(`| guard, session cookie (cached) | ${guard.cookieRust.toFixed(0)} ns | ${guard.cookieNode.toFixed(0)} ns | ${(guard.cookieNode - guard.cookieRust).toFixed(0)} ns |`);
    console.log(`| guard, bearer token (cached) | — | ${guard.bearerNode.toFixed(0)} ns | — |`);
    console.log();

    const { redis, url } = await startRedis();
    processes.push(redis);
    const results = [];
    for (const kind of ['authkv', 'authkv-exclusive', 'memory', 'redis']) {
      const { child, port } = await startServer(kind, path.join(dir, `${kind}.redb`), { REDIS_URL: url });
      processes.push(child);
      const base = `http://127.0.0.1:${port}`;
      const cookie = await cookieOf(base);
      const read = await load(`${base}/read`, 'GET', cookie);
      const write = await load(`${base}/write`, 'POST', cookie);
      results.push({ kind, read, write });
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const names = {
      authkv: 'authkv (`authkv/express`), shared file (default)',
      'authkv-exclusive': 'authkv, `exclusive: true`',
      memory: 'express-session MemoryStore', redis: 'connect-redis, Redis on 127.0.0.1' };
    const base = results[0];
    console.log(`| store | read req/s | p50 / p99 | write req/s | p50 / p99 | authkv ÷ store, reads | writes |`);
    console.log('|---|--:|--:|--:|--:|--:|--:|');
    for (const r of results) {
      console.log(`| ${names[r.kind]} | ${r.read.rps.toFixed(0)} | ${r.read.p50} / ${r.read.p99} ms | ${r.write.rps.toFixed(0)} | ${r.write.p50} / ${r.write.p99} ms | ${(base.read.rps / r.read.rps).toFixed(2)}× | ${(base.write.rps / r.write.rps).toFixed(2)}× |`);
    }
  } finally {
    for (const p of processes) p.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
