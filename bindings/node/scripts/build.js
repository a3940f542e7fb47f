#!/usr/bin/env node
'use strict';
// The package's `install` script: builds the addon from the crate of this
// repository with cargo (nothing prebuilt is fetched) into
// <repository>/target/node, and puts it at target/node/authkv.node, where
// lib/native.js loads it. `$CARGO` names cargo.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = path.resolve(__dirname, '..');
const manifest = path.join(here, 'Cargo.toml');
const repository = path.resolve(here, '..', '..');
const targetDir = path.join(repository, 'target', 'node');
const addon = path.join(targetDir, 'authkv.node');

if (!fs.existsSync(path.join(repository, 'Cargo.toml'))) {
  console.error(
    `authkv: the Rust crate is not at ${repository}; install the package from a checkout of ` +
      'the repository (npm install ./bindings/node)',
  );
  process.exit(1);
}

const cargo = process.env.CARGO || 'cargo';
const build = spawnSync(
  cargo,
  ['build', '--release', '--lib', '--manifest-path', manifest, '--message-format=json-render-diagnostics'],
  {
    // Diagnostics and progress go to stderr, as in any cargo build.
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  },
);
if (build.error) {
  console.error(`authkv: cannot run ${cargo} (${build.error.message}); install Rust (https://rustup.rs) or set CARGO`);
  process.exit(1);
}
if (build.status !== 0) {
  console.error(`authkv: cargo build failed (exit ${build.status})`);
  process.exit(build.status || 1);
}

let library;
for (const line of build.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  const message = JSON.parse(line);
  if (message.reason === 'compiler-artifact' && message.target?.name === 'authkv_node'
      && message.target.kind.includes('cdylib')) {
    library = message.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
  }
}
if (!library) {
  console.error('authkv: cargo reported no cdylib for authkv-node');
  process.exit(1);
}
// Copy beside, then rename: a process that has the old addon loaded keeps
// its mapping, and a reader never sees half a file.
const staging = `${addon}.${process.pid}.tmp`;
fs.copyFileSync(library, staging);
fs.renameSync(staging, addon);
console.error(`authkv: built ${path.relative(process.cwd(), addon) || addon}`);
