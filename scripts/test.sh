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

# Java and ZooKeeper: the check bench.sh shares.
. scripts/zookeeper-prereqs.sh
ensure_zookeeper test.sh

# Plain `cargo test`: each test binary shares one ZooKeeper server among its tests.
cargo test --workspace --all-features --no-fail-fast
