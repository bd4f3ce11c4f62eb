#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need
# (Java and Debian's ZooKeeper, whose jars the tests start on a free loopback
# port), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

need_install=()
command -v java >/dev/null 2>&1 || need_install+=(default-jre-headless)
[ -f /usr/share/java/zookeeper.jar ] || need_install+=(zookeeper)
if [ ${#need_install[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing ${need_install[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
        echo "scripts/test.sh: need root to run: apt-get install -y ${need_install[*]}" >&2
        exit 1
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

cargo test --workspace --all-features
