#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each; first
# argument overrides). Needs cargo-fuzz (installed here when missing). It
# runs on the stable toolchain through RUSTC_BOOTSTRAP=1, which lets stable
# rustc accept the sanitizer flags cargo-fuzz passes.
#
# A crash is saved under fuzz/artifacts/<target>/; once fixed, copy the input
# to fuzz/regressions/<target>/ so `cargo test` replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
status=0
for target in $(cargo fuzz list); do
    echo "== fuzzing $target for ${seconds}s" >&2
    mkdir -p "corpus/$target"
    cp -n "regressions/$target"/* "corpus/$target/" 2>/dev/null || true
    if ! cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 | tail -n 3; then
        status=1
    fi
done
exit "$status"
