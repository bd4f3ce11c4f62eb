#!/usr/bin/env bash
# The one command that runs the whole test suite, on a fresh Debian/Ubuntu
# machine too: installs Java and ZooKeeper when missing (the ZooKeeper tests
# start a real server from the Debian `zookeeper` package's jars), then runs
# every test of the workspace.
#
# Elsewhere, install Java and ZooKeeper yourself and point
# CONFO_ZOOKEEPER_CLASSPATH (a Java class path) or ZOOKEEPER_HOME (an
# unpacked Apache ZooKeeper release) at the jars; see the README, section ZooKeeper.
set -euo pipefail

cd "$(dirname "$0")/.."

have_zookeeper() {
    # An explicit class path or release wins over the Debian package.
    if [ -n "${CONFO_ZOOKEEPER_CLASSPATH:-}" ] || [ -n "${ZOOKEEPER_HOME:-}" ]; then
        return 0
    fi
    [ -f /usr/share/java/zookeeper.jar ]
}

have_java() {
    if [ -n "${JAVA_HOME:-}" ]; then
        [ -x "$JAVA_HOME/bin/java" ]
    else
        command -v java >/dev/null 2>&1
    fi
}

if ! have_java || ! have_zookeeper; then
    packages=(zookeeper default-jre-headless)
    echo "test.sh: Java or ZooKeeper is missing; installing: ${packages[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
    else
        echo "test.sh: cannot install them (not root and no sudo). Run as root:" >&2
        echo "    apt-get update && apt-get install -y ${packages[*]}" >&2
        echo "or set CONFO_ZOOKEEPER_CLASSPATH / ZOOKEEPER_HOME and JAVA_HOME (see the README, section ZooKeeper)." >&2
        exit 1
    fi
    if ! have_java || ! have_zookeeper; then
        echo "test.sh: Java or ZooKeeper is still missing after installing ${packages[*]}" >&2
        exit 1
    fi
fi

# Plain `cargo test`: each test binary shares one ZooKeeper server among its tests.
cargo test --workspace --all-features
