#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# when it is missing, then runs every Rust, C and binding test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "tools the tests need"
want_cbindgen="$(tr -d '[:space:]' < .ci/cbindgen-version)"
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$want_cbindgen" ]; then
  cargo install cbindgen --locked --version "$want_cbindgen"
fi
need_apt=()
command -v cc >/dev/null && command -v c++ >/dev/null || need_apt+=(build-essential)
command -v php >/dev/null || need_apt+=(php-cli)
command -v composer >/dev/null || need_apt+=(composer)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v php-fpm >/dev/null || compgen -G '/usr/sbin/php-fpm*' >/dev/null || need_apt+=(php-fpm)
command -v python3 >/dev/null || need_apt+=(python3)
# The Python framework tests make a virtualenv (Debian ships venv separately).
if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then need_apt+=(python3-venv); fi
command -v chromium >/dev/null || need_apt+=(chromium)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
# The Node binding: node runs its tests, npm installs express for them.
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update && apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --release --all-targets --all-features --quiet -- -D warnings

step "API docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features --quiet

step "the committed C header matches the code"
bash tests/c/check_header.sh

step "tests, examples and benches (benches run once each in test mode)"
cargo test --release --all-targets --all-features

step "doc tests"
cargo test --release --doc --all-features

step "Node binding: npm ci (its install script builds the addon with cargo), node --test, an install from another directory"
(cd bindings/node && npm ci --no-audit --no-fund && npm test)
node_app=$(mktemp -d)
repo="$PWD"
# npm 11 warns about (and with strict-allow-scripts skips) a dependency's
# install script unless allowScripts names it.
printf '{"name":"app","private":true,"allowScripts":{"authkv":true}}\n' > "$node_app/package.json"
(cd "$node_app" && npm install --no-audit --no-fund "$repo/bindings/node" \
  && node -e "const { Engine } = require('authkv'); require('authkv/express');
    const e = new Engine('app.redb');
    e.createSession('127.0.0.1', 'install check').then((s) => e.close().then(() => console.log('installed authkv: session', s.handle.slice(0, 8))));")
rm -rf "$node_app"

step "quickstart (README's first command, in a scratch directory)"
root="$PWD"
tmp=$(mktemp -d)
(cd "$tmp" && cargo run --quiet --release --manifest-path "$root/Cargo.toml" --example quickstart >/dev/null)
test -f "$tmp/authkv-quickstart.redb"
rm -rf "$tmp"

step "fuzz targets, ${FUZZ_SECONDS:-30}s each"
bash fuzz/run.sh
