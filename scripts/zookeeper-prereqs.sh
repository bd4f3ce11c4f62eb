# Sourced by scripts/test.sh and scripts/bench.sh: are Java and the
# ZooKeeper jars there (the tests and the benchmark start real servers with
# `confo::testing`), what is missing, and installing them.
#
# An explicit class path (CONFO_ZOOKEEPER_CLASSPATH) or release
# (ZOOKEEPER_HOME) wins over Debian's `zookeeper` package; JAVA_HOME over the
# `java` on PATH. See the README, section ZooKeeper.

# The Debian packages that provide both.
zookeeper_packages=(zookeeper default-jre-headless)

have_java() {
    if [ -n "${JAVA_HOME:-}" ]; then
        [ -x "$JAVA_HOME/bin/java" ]
    else
        command -v java >/dev/null 2>&1
    fi
}

have_zookeeper() {
    if [ -n "${CONFO_ZOOKEEPER_CLASSPATH:-}" ] || [ -n "${ZOOKEEPER_HOME:-}" ]; then
        return 0
    fi
    [ -f /usr/share/java/zookeeper.jar ]
}

# Prints one line per missing prerequisite, saying how to get it; nothing
# when both are there.
zookeeper_missing() {
    if ! have_java; then
        if [ -n "${JAVA_HOME:-}" ]; then
            echo "Java: JAVA_HOME=$JAVA_HOME has no bin/java"
        else
            echo "Java: install it with \`sudo apt-get install -y default-jre-headless\` or set JAVA_HOME"
        fi
    fi
    if ! have_zookeeper; then
        echo "ZooKeeper jars: install them with \`sudo apt-get install -y zookeeper\`, or point CONFO_ZOOKEEPER_CLASSPATH (a class path) or ZOOKEEPER_HOME (an unpacked release) at them"
    fi
}

# Installs the Debian packages when Java or ZooKeeper is missing (as root,
# or with sudo). $1 names the calling script in messages. Fails, saying
# what to do, when it cannot.
ensure_zookeeper() {
    local me=$1
    if have_java && have_zookeeper; then
        return 0
    fi
    echo "$me: Java or ZooKeeper is missing; installing: ${zookeeper_packages[*]}" >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${zookeeper_packages[@]}"
    elif command -v sudo >/dev/null 2>&1; then
        sudo apt-get update
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "${zookeeper_packages[@]}"
    else
        echo "$me: cannot install them (not root and no sudo). Run as root:" >&2
        echo "    apt-get update && apt-get install -y ${zookeeper_packages[*]}" >&2
        echo "or set CONFO_ZOOKEEPER_CLASSPATH / ZOOKEEPER_HOME and JAVA_HOME (see the README, section ZooKeeper)." >&2
        return 1
    fi
    if ! have_java || ! have_zookeeper; then
        echo "$me: Java or ZooKeeper is still missing after installing ${zookeeper_packages[*]}:" >&2
        zookeeper_missing | sed 's/^/  - /' >&2
        return 1
    fi
}
