#!/usr/bin/env bash
# Instruction counts of confo's decoding success path against
# serde_json::from_slice on the same bytes (issue 11), with callgrind: the
# counts repeat exactly, where times on a shared machine do not. The
# criterion timings come from `cargo bench --bench decode`.
#
# Usage: scripts/bench_decode.sh [iterations]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"

if ! command -v valgrind >/dev/null; then
    apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi

cargo bench --bench decode --no-run 2>/dev/null
bin="$(ls -t target/release/deps/decode-* | grep -v '\.d$' | head -1)"

# Instructions of one run of `loop` repeated `count` times.
instructions() {
    local out
    out="$(mktemp)"
    CONFO_DECODE_LOOP="$1:$2" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" 2>&1 |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
    rm -f "$out"
}

printf '| decoding | instructions per decode | confo / serde_json |\n| --- | ---: | ---: |\n'
for size in 6 50; do
    base="$(instructions "serde/$size" 0)"
    serde=$(( ($(instructions "serde/$size" "$n") - base) / n ))
    confo=$(( ($(instructions "confo/$size" "$n") - base) / n ))
    ratio="$(awk -v a="$confo" -v b="$serde" 'BEGIN { printf "%.2f", a / b }')"
    printf '| %s fields, serde_json::from_slice | %s | |\n' "$size" "$serde"
    printf '| %s fields, confo::decode | %s | %sx |\n' "$size" "$confo" "$ratio"
done
