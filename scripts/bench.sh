#!/usr/bin/env bash
# Benchmarks confo side by side with its peers (issue 7): raw zookeeper-client,
# kazoo and the Python `confo` package, against ONE throwaway ZooKeeper on
# 127.0.0.1 that this run starts and always stops.
#
#   scripts/bench.sh            full run (2–3 minutes on 2 cores)
#   scripts/bench.sh --quick    smoke run: fewer rounds, smaller sizes
#   scripts/bench.sh --only=1,5 only these scenarios (2 and 7 run together)
#
# Prints the table and writes target/bench/results.json (and table.md).
# Needs: Java, the ZooKeeper jars (Debian `zookeeper`, or
# CONFO_ZOOKEEPER_CLASSPATH / ZOOKEEPER_HOME), python3 with venv, cargo.
# The Python peers (PyPI confo, kazoo) are installed into target/bench-venv.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)

quick=()
only=()
for arg in "$@"; do
    case "$arg" in
        --quick) quick=(--quick) ;;
        --only=*) only=(--only "${arg#--only=}") ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

# --- prerequisites -----------------------------------------------------------
# Java and ZooKeeper: the check test.sh shares (bench.sh only reports).
. scripts/zookeeper-prereqs.sh
missing=()
while IFS= read -r line; do missing+=("$line"); done < <(zookeeper_missing)
if ! command -v python3 >/dev/null 2>&1; then
    missing+=("python3: install it with \`sudo apt-get install -y python3 python3-venv\`")
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing+=("python3 venv: install it with \`sudo apt-get install -y python3-venv\`")
fi
command -v cargo >/dev/null 2>&1 || missing+=("cargo: install Rust from rustup.rs")
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench.sh: missing prerequisites:" >&2
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    exit 1
fi

target_dir=${CARGO_TARGET_DIR:-$root/target}
out_dir=$root/target/bench
venv=$root/target/bench-venv
mkdir -p "$out_dir"

# --- stop whatever we started, also on Ctrl-C / SIGTERM ----------------------
# The driver owns the ZooKeeper server (confo::testing kills the JVM when the
# driver exits, however it exits); the trap stops the driver and its children.
driver_pid=""
cleanup() {
    if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
        # Its Python peers and followers first, by their ids. Not the `sh`
        # that guards the ZooKeeper JVM: it kills the JVM and removes its
        # data when the driver is gone, and killing it first would leave the
        # JVM running.
        for child in $(pgrep -P "$driver_pid" 2>/dev/null || true); do
            [ "$(ps -o comm= -p "$child" 2>/dev/null)" = sh ] && continue
            kill -TERM "$child" 2>/dev/null || true
        done
        kill -TERM "$driver_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$driver_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$driver_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'echo "bench.sh: interrupted; stopping" >&2; exit 130' INT TERM

# --- build -------------------------------------------------------------------
echo "bench.sh: building the confo command and the bench driver (release)" >&2
cargo build --release -p confo-cli --bin confo >&2
driver=$(cargo bench --no-run --bench peers --message-format=json \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "peers" and m.get("executable"):
        print(m["executable"])')
if [ -z "$driver" ] || [ ! -x "$driver" ]; then
    echo "bench.sh: building the bench driver failed; run \`cargo bench --no-run --bench peers\` to see why" >&2
    exit 1
fi

# --- Python peers --------------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
    echo "bench.sh: creating $venv" >&2
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import kazoo, confo.Confo' >/dev/null 2>&1; then
    echo "bench.sh: installing the Python peers (confo, kazoo) into $venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check confo kazoo
fi
py_versions=$("$venv/bin/pip" list --disable-pip-version-check 2>/dev/null \
    | awk '$1=="confo"||$1=="kazoo"{printf "%s %s; ", $1, $2}')

# --- run -----------------------------------------------------------------------
echo "bench.sh: $(nproc) cores; Python peers: ${py_versions:-?}" >&2
"$driver" run \
    --python "$venv/bin/python" \
    --peers "$root/benches/peers/peers.py" \
    --confo-bin "$target_dir/release/confo" \
    --out "$out_dir" \
    "${quick[@]}" "${only[@]}" &
driver_pid=$!
wait "$driver_pid"
status=$?
driver_pid=""
exit "$status"
