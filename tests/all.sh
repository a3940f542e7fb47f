#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# when it is missing, then runs every Rust, C and binding test.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "formatting and lints"
cargo fmt --all -- --check
cargo clippy --release --all-targets --quiet -- -D warnings

step "tests, examples and benches (benches run once each in test mode)"
cargo test --release --all-targets

step "doc tests"
cargo test --release --doc

step "quickstart"
tmp=$(mktemp -d)
(cd "$tmp" && "$OLDPWD/target/release/examples/quickstart" >/dev/null)
rm -rf "$tmp"

step "fuzz targets, ${FUZZ_SECONDS:-30}s each"
bash fuzz/run.sh
