#!/usr/bin/env bash
# Regenerate include/authkv.h from src/ffi/ with the pinned cbindgen and fail
# when the committed header differs (or, with --write, update it).
#
# Install the pinned version with:
#   cargo install cbindgen --locked --version "$(cat .ci/cbindgen-version)"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

want="$(tr -d '[:space:]' < .ci/cbindgen-version)"
cbindgen="${CBINDGEN:-cbindgen}"
if ! command -v "$cbindgen" > /dev/null; then
    echo "check_header: cbindgen not found; install it with:" >&2
    echo "  cargo install cbindgen --locked --version $want" >&2
    exit 2
fi
have="$("$cbindgen" --version | awk '{print $2}')"
if [[ "$have" != "$want" ]]; then
    echo "check_header: cbindgen $have found, $want pinned in .ci/cbindgen-version" >&2
    exit 2
fi

generate() {
    # Only the src/ffi module tree is parsed, so public items elsewhere in
    # the crate never leak into the C header.
    "$cbindgen" --quiet --config cbindgen.toml --output "$1" src/ffi/mod.rs
}

if [[ "${1:-}" == "--write" ]]; then
    generate include/authkv.h
    echo "check_header: wrote include/authkv.h"
    exit 0
fi

fresh="$(mktemp)"
trap 'rm -f "$fresh"' EXIT
generate "$fresh"
if ! diff -u include/authkv.h "$fresh"; then
    echo "check_header: include/authkv.h is out of date; run tests/c/check_header.sh --write" >&2
    exit 1
fi
echo "check_header: include/authkv.h is up to date"
