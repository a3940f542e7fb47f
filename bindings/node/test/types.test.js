'use strict';
// index.d.ts and express.d.ts name what the package exports: every
// method declared on Engine exists, and every export is declared.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const authkv = require('..');
const authkvExpress = require('../express');

function declared(file, pattern) {
  const text = fs.readFileSync(path.join(__dirname, '..', file), 'utf8');
  return new Set([...text.matchAll(pattern)].map((m) => m[1]));
}

test('every Engine method of index.d.ts exists, and every one that exists is declared', () => {
  const text = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
  const body = text.slice(text.indexOf('export class Engine {'), text.indexOf('export class AuthkvError'));
  const methods = new Set([...body.matchAll(/^ {2}(?:static )?([a-zA-Z]+)\(/gm)].map((m) => m[1]));
  const getters = new Set([...body.matchAll(/^ {2}readonly ([a-zA-Z]+):/gm)].map((m) => m[1]));
  const proto = Object.getOwnPropertyNames(authkv.Engine.prototype)
    .filter((n) => n !== 'constructor' && !n.startsWith('_'));
  for (const name of proto) {
    assert.ok(methods.has(name) || getters.has(name), `Engine.${name} is not in index.d.ts`);
  }
  for (const name of methods) {
    if (name === 'constructor') continue;
    assert.ok(name === 'open' ? typeof authkv.Engine.open === 'function' : proto.includes(name),
      `index.d.ts declares Engine.${name}, which does not exist`);
  }
});

test('every export is declared', () => {
  const index = declared('index.d.ts', /^export (?:class|function) ([A-Za-z]+)/gm);
  for (const name of Object.keys(authkv)) assert.ok(index.has(name), `${name} is not in index.d.ts`);
  const express = declared('express.d.ts', /^export (?:class|function) ([A-Za-z]+)/gm);
  assert.deepEqual([...express].sort(), Object.keys(authkvExpress).sort());
});
