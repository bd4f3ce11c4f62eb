"""The Python peers of confo's side-by-side benchmark (issue 7).

Started by the Rust driver (benches/peers.rs), one process per scenario and
round, with the port of the ZooKeeper the driver started on 127.0.0.1. Each
process connects first, then times only the operation, with
time.perf_counter_ns, and prints one JSON line:

    {"samples_ns": [...]}      or      {"error": "..."}

`kazoo-follow` is the exception: a long-running follower that prints `ready`,
then `lat <ns> <seq>` for every change its DataWatch sees, until its stdin
closes.

Peers: PyPI `kazoo` (KazooClient) and PyPI `confo` 0.1.6.2 (the original
Python package), installed by scripts/bench.sh into target/bench-venv.
"""

import argparse
import json
import os
import sys
import threading
import time

# A bound on every loop: no run of a peer lasts longer than this.
BUDGET_S = 240.0


def answer(samples=None, error=None):
    if error is not None:
        print(json.dumps({"error": error}), flush=True)
    else:
        print(json.dumps({"samples_ns": samples}), flush=True)


def kazoo_client(port):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=15.0)
    zk.start(timeout=15.0)
    return zk


def python_confo(port):
    """Python confo's manager with its ZooKeeper backend active."""
    from confo.Confo import Confo
    from confo.Backends import ZOOKEEPER_BACKEND

    confo = Confo()
    confo.load_backend(
        credentials={"zookeeper_host": "127.0.0.1", "zookeeper_port": port},
        name="zk",
        backend_type=ZOOKEEPER_BACKEND,
    )
    confo.activate_backend("zk")
    return confo


def timed(iters, op, warmup=None):
    if warmup is None:
        warmup = max(1, iters // 10)
    for _ in range(warmup):
        op()
    samples = []
    start = time.monotonic()
    for _ in range(iters):
        t = time.perf_counter_ns()
        op()
        samples.append(time.perf_counter_ns() - t)
        if time.monotonic() - start > BUDGET_S:
            break
    return samples


def kazoo_get(a):
    zk = kazoo_client(a.port)
    try:
        def op():
            data, _stat = zk.get(a.path)
            return json.loads(data)

        return timed(a.iters, op)
    finally:
        zk.stop()
        zk.close()


def pyconfo_reload(a):
    confo = python_confo(a.port)
    confo.use_namespace(a.ns)

    def op():
        confo.reload()
        return confo.get("database")

    samples = timed(a.iters, op)
    if not isinstance(confo.get("database"), dict):
        raise RuntimeError("Python confo did not read %s/database" % a.ns)
    return samples


def kazoo_namespace(a):
    zk = kazoo_client(a.port)
    base = "/confo/" + a.ns
    try:
        def op():
            out = {}
            for name in zk.get_children(base):
                data, _stat = zk.get(base + "/" + name)
                out[name] = json.loads(data)
            if len(out) != a.expect:
                raise RuntimeError("kazoo read %d, not %d" % (len(out), a.expect))
            return out

        return timed(a.iters, op, warmup=1)
    finally:
        zk.stop()
        zk.close()


def kazoo_namespace_async(a):
    zk = kazoo_client(a.port)
    base = "/confo/" + a.ns
    try:
        def op():
            names = zk.get_children(base)
            pending = [(name, zk.get_async(base + "/" + name)) for name in names]
            out = {}
            for name, result in pending:
                data, _stat = result.get(timeout=30)
                out[name] = json.loads(data)
            if len(out) != a.expect:
                raise RuntimeError("kazoo read %d, not %d" % (len(out), a.expect))
            return out

        return timed(a.iters, op, warmup=1)
    finally:
        zk.stop()
        zk.close()


def pyconfo_namespace(a):
    confo = python_confo(a.port)

    def op():
        confo.use_namespace(a.ns)
        n = confo.get_count()
        if n != a.expect:
            raise RuntimeError("Python confo read %d, not %d" % (n, a.expect))

    return timed(a.iters, op, warmup=1)


def pyconfo_persist(a):
    """Bulk import with Python confo: set every configuration, then persist.

    `persist(namespace)` cannot write new configurations in 0.1.6.2 (it
    reloads the namespace before writing and then looks the new ones up in
    what it reloaded: KeyError), so each is persisted with
    `persist(namespace, name)`, the call that works.
    """
    confo = python_confo(a.port)
    confo.create_namespace(a.ns)
    confo.use_namespace(a.ns)
    names = []
    for file in sorted(os.listdir(a.dir)):
        if file.endswith(".json"):
            name = file[: -len(".json")]
            with open(os.path.join(a.dir, file), "rb") as f:
                confo.set(name, json.load(f), None)
            names.append(name)
    t = time.perf_counter_ns()
    start = time.monotonic()
    for name in names:
        confo.persist(a.ns, name)
        if time.monotonic() - start > BUDGET_S:
            raise RuntimeError("persist did not finish within %d s" % BUDGET_S)
    elapsed = time.perf_counter_ns() - t
    zk = kazoo_client(a.port)
    try:
        stored = len(zk.get_children("/confo/" + a.ns))
    finally:
        zk.stop()
        zk.close()
    if stored != len(names):
        raise RuntimeError("Python confo stored %d of %d" % (stored, len(names)))
    return [elapsed]


def change_of(data):
    """The change a follower was told of, or None for no data or the value
    seeded before the run."""
    if not data:
        return None
    value = json.loads(data)
    return value if value.get("sent_ns") else None


def follow_until_stdin_closes(zk):
    """Says `ready`, then follows until the driver closes our stdin (or an
    hour at most), and closes the client."""
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        if not sys.stdin.readline():
            break
    zk.stop()
    zk.close()


def kazoo_follow(a):
    """Follows a.path with a DataWatch; prints the latency of each change."""
    from kazoo.recipe.watchers import DataWatch

    zk = kazoo_client(a.port)
    out_lock = threading.Lock()

    def on_change(data, _stat, *_event):
        now = time.time_ns()
        value = change_of(data)
        if value is None:
            return True
        with out_lock:
            sys.stdout.write("lat %d %d\n" % (now - value["sent_ns"], value["seq"]))
            sys.stdout.flush()
        return True

    DataWatch(zk, a.path, on_change)
    follow_until_stdin_closes(zk)
    return None


def kazoo_fan_follow(a):
    """a.handles DataWatches on a.path; one line per change, once every
    watch has it, timed at the last one (scenario 10)."""
    from kazoo.recipe.watchers import DataWatch

    zk = kazoo_client(a.port)
    lock = threading.Lock()
    seen = {}  # seq -> [watches that have it, when the last one got it]

    def on_change(data, _stat, *_event):
        now = time.time_ns()
        value = change_of(data)
        if value is None:
            return True
        seq = value["seq"]
        with lock:
            entry = seen.setdefault(seq, [0, 0])
            entry[0] += 1
            entry[1] = max(entry[1], now)
            if entry[0] == a.handles:
                for old in [s for s in seen if s <= seq]:
                    del seen[old]
                sys.stdout.write("lat %d %d\n" % (entry[1] - value["sent_ns"], seq))
                sys.stdout.flush()
        return True

    for _ in range(a.handles):
        DataWatch(zk, a.path, on_change)
    follow_until_stdin_closes(zk)
    return None


COMMANDS = {
    "kazoo-get": kazoo_get,
    "pyconfo-reload": pyconfo_reload,
    "kazoo-namespace": kazoo_namespace,
    "kazoo-namespace-async": kazoo_namespace_async,
    "pyconfo-namespace": pyconfo_namespace,
    "pyconfo-persist": pyconfo_persist,
    "kazoo-follow": kazoo_follow,
    "kazoo-fan-follow": kazoo_fan_follow,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=sorted(COMMANDS))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path")
    p.add_argument("--ns")
    p.add_argument("--dir")
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--expect", type=int, default=0)
    p.add_argument("--handles", type=int, default=1)
    a = p.parse_args()
    try:
        samples = COMMANDS[a.command](a)
    except Exception as e:  # reported to the driver, which shows it in the table
        answer(error="%s: %s: %s" % (a.command, type(e).__name__, e))
        return 0
    if samples is not None:
        answer(samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
