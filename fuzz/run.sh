#!/usr/bin/env bash
# Run every fuzz target for a bounded time over its committed seeds and
# regression inputs; exit non-zero on the first crash.
#   bash fuzz/run.sh                                   30 s per target (CI)
#   FUZZ_SECONDS=3600 bash fuzz/run.sh auth_ops        one long campaign
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-30}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
cargo fuzz build --sanitizer none -O
for target in "${targets[@]}"; do
  corpus="corpus/$target"
  log="$(mktemp)"
  mkdir -p "$corpus"
  for dir in seeds regressions; do
    [ -d "$dir/$target" ] && cp -n "$dir/$target"/* "$corpus"/
  done
  echo "== fuzz $target for ${seconds}s"
  if ! cargo fuzz run --sanitizer none -O "$target" "$corpus" -- \
      -max_total_time="$seconds" -max_len=4096 >"$log" 2>&1; then
    grep -E -A 12 "panicked|ERROR|SUMMARY" "$log" | head -40
    grep -E "Test unit written" "$log" || true
    echo "fuzz: $target crashed; keep the input under fuzz/regressions/$target/"
    exit 1
  fi
  grep -E "^Done" "$log" || true
  rm -f "$log"
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
