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
# The PostgreSQL backend's tests start a server of their own.
command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
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

step "a PostgreSQL server for this run (initdb + pg_ctl in a scratch directory, Unix socket only)"
pg_bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
pg_dir=$(mktemp -d /tmp/authkv-pg-XXXXXX)
chmod 777 "$pg_dir"
# The server refuses to run as root.
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_postgres "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w start \
  -o "-k $pg_dir -p 5433 -c listen_addresses='' -c fsync=off -c max_connections=400" >/dev/null
trap 'as_postgres "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
export AUTHKV_TEST_POSTGRES="host=$pg_dir port=5433 user=postgres dbname=postgres"

step "tests, examples and benches (benches run once each in test mode)"
cargo test --release --all-targets --all-features

step "the semantic tests again, on PostgreSQL: one conformance suite, two backends"
AUTHKV_TEST_BACKEND=postgres cargo test --release --all-features \
  --test sessions --test tokens --test token_lifecycle --test credentials --test throttle \
  --test remember --test guard --test touches_gc --test housekeeping --test cache \
  --test no_op_writes --test import_export --test model --test fresh --test csrf_modes --test token_limits

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
