#!/usr/bin/env python3
"""Cluster benchmark: 3 `zentrale serve` nodes on one PostgreSQL database (made for the run),
the machine's NATS (a subject prefix of the run's own) and a shared blob directory; N
simulated PBXes (3 simulator processes) reach the nodes through 3 TCP balancers
(crates/cli/examples/balancer.rs), each PBX sending a sample every I seconds. Prints:

- time until all PBXes are online, and per node how many it holds;
- requests routed between nodes per second: the Refresh of the registrations
  (`POST /api/v1/systems/{id}/registrations/refresh`) asked on node A for PBXes held by all
  three nodes, so about two thirds travel over NATS; with p50 and p99;
- a rolling restart (each node in turn: SIGTERM, drain, start again) under the sample
  load: time from the first SIGTERM until every PBX is online again, and samples lost
  (received by a node and not stored, summed over every node's run; must be 0).

Standard library only; talks to 127.0.0.1 only; bounded in time.
Example: python3 bench/cluster.py --count 15000 --interval 1.5
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

from fleet import metrics, wait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "benchmark password"
PG = os.environ.get("ZENTRALE_TEST_PG", "postgres://postgres@127.0.0.1:5432")
RANGES = ["127.0.0.2-127.0.0.17", "127.0.0.18-127.0.0.33", "127.0.0.34-127.0.0.50"]


def psql(sql, db="postgres"):
    return subprocess.run(["psql", f"{PG}/{db}", "-Atqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


class Node:
    def __init__(self, binary, name, port, args, tmp):
        self.name, self.port, self.url = name, port, f"http://127.0.0.1:{port}"
        self.cmd = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--node-id", name] + args
        self.log_path = os.path.join(tmp, f"{name}.log")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, env=dict(os.environ, ZENTRALE_LOG="warn,zentrale_server::app=info"),
                                     stderr=open(self.log_path, "a"))
        wait(lambda: urllib.request.urlopen(f"{self.url}/readyz", timeout=2).status == 200, 60, f"{self.name}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=120)

    def runs(self):
        """(received, stored) samples of every finished run of this node, from its log."""
        text = open(self.log_path).read()
        return [(int(r), int(s)) for r, s in
                re.findall(r"monitoring samples of this run received=(\d+) stored=(\d+)", text)]


def state(db, nodes):
    """Per node: the PBXes the database shows online there, and the connections it holds."""
    shown = dict(line.split("|") for line in psql(
        "SELECT COALESCE(online_node, 'offline'), COUNT(*) FROM systems GROUP BY 1", db).splitlines())
    held = []
    for n in nodes:
        try:
            held.append(f"{n.name} holds {int(metrics(n.url)['zentrale_devices_connected'])}")
        except OSError:
            held.append(f"{n.name} holds ?")
    return f"database {shown}; " + ", ".join(held)


def online(db):
    return int(psql("SELECT COUNT(*) FROM systems WHERE online_since IS NOT NULL", db))


def routed(url, token, ids, seconds, threads):
    """Refresh requests on node `url` for random systems: count, p50, p99 (ms), errors."""
    lat, errors, stop_at = [], [0], time.time() + seconds
    lock = threading.Lock()

    def worker():
        opener = urllib.request.build_opener()
        while time.time() < stop_at:
            sid = random.choice(ids)
            req = urllib.request.Request(f"{url}/api/v1/systems/{sid}/registrations/refresh", method="POST",
                                         headers={"Authorization": f"Bearer {token}"})
            t = time.time()
            try:
                opener.open(req, timeout=30).read()
                with lock:
                    lat.append((time.time() - t) * 1000)
            except (urllib.error.URLError, OSError):
                with lock:
                    errors[0] += 1
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    return len(lat) / seconds, q(0.5), q(0.99), errors[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=15000, help="simulated PBXes (default 15000, 5000 per simulator)")
    ap.add_argument("--interval", type=float, default=1.5, help="seconds between samples per PBX (default 1.5: 10,000/s)")
    ap.add_argument("--port", type=int, default=18600)
    ap.add_argument("--routed-seconds", type=float, default=10)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "zentrale")
    balancer = os.path.join(target, "release", "examples", "balancer")
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "zentrale", "--bin", "zentrale",
                        "--example", "balancer"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="zentrale-cluster-")
    stamp = f"{os.getpid()}_{int(time.time())}"
    db = f"zt_bench_cluster_{stamp}"
    psql(f'CREATE DATABASE "{db}"')
    url_db = f"{PG}/{db}"
    base = ["--data-dir", os.path.join(tmp, "cli"), "--database-url", url_db]
    subprocess.run([binary, "migrate"] + base[2:], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "company", "add", "Bench"] + base, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "user", "add", "--company", "Bench", "--email", "bench@bench.example"] + base,
                   input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    args = ["--database-url", url_db, "--nats-url", "nats://127.0.0.1:4222", "--nats-prefix", f"ztbench{stamp}",
            "--blob-url", "file://" + os.path.join(tmp, "blobs") + "/", "--heartbeat-s", "30",
            "--monitoring-interval-ms", str(max(100, int(a.interval * 1000)))]
    nodes = [Node(binary, f"node-{c}", a.port + 10 * i, args + ["--data-dir", os.path.join(tmp, f"node-{c}")], tmp)
             for i, c in enumerate("abc")]
    procs = []
    try:
        for n in nodes:
            n.start()
        nodes_file = os.path.join(tmp, "nodes.txt")
        with open(nodes_file, "w") as f:
            f.write("".join(f"127.0.0.1:{n.port}\n" for n in nodes))
        lbs = [f"127.0.0.1:{a.port + 40 + i}" for i in range(3)]
        for i, lb in enumerate(lbs):
            procs.append(subprocess.Popen([balancer, lb, nodes_file, RANGES[i]],
                                          stderr=open(os.path.join(tmp, f"lb{i}.log"), "w")))
        a_url = nodes[0].url
        jar = CookieJar()
        web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        web.open(f"{a_url}/login", data=f"email=bench%40bench.example&password={PASSWORD.replace(' ', '+')}".encode())
        page = web.open(f"{a_url}/account/tokens", data=b"name=bench&days=1").read().decode()
        token = re.search(r'data-new-token="([^"]+)"', page).group(1)
        print(f"creating {a.count} systems through the API …", flush=True)
        pairs, ids = [None] * a.count, [None] * a.count

        def create(lo, hi):
            opener = urllib.request.build_opener()
            for i in range(lo, hi):
                serial = f"CLU{i:07d}"
                req = urllib.request.Request(f"{nodes[i % 3].url}/api/v1/systems", method="POST",
                                             data=json.dumps({"name": f"Site {i}", "serial": serial}).encode(),
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
                got = json.load(opener.open(req))
                pairs[i], ids[i] = f"{serial} {got['token']}", got["id"]
        step = (a.count + 7) // 8
        ts = [threading.Thread(target=create, args=(k, min(a.count, k + step))) for k in range(0, a.count, step)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        start = time.time()
        per_sim = (a.count + 2) // 3
        for i in range(3):
            part = pairs[i * per_sim:(i + 1) * per_sim]
            pf = os.path.join(tmp, f"pairs{i}.txt")
            with open(pf, "w") as f:
                f.write("\n".join(part) + "\n")
            procs.append(subprocess.Popen(
                [binary, "simulate", "--server", f"http://{lbs[i]}", "--count", str(len(part)), "--pair-from", pf,
                 "--state-dir", os.path.join(tmp, f"sim{i}"), "--source-addrs", RANGES[i], "--monitoring", "on",
                 "--steady", "--calls-per-hour", "0"],
                env=dict(os.environ, ZENTRALE_LOG="warn"), stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(tmp, f"sim{i}.log"), "w")))
        def all_online():
            n = online(db)
            if time.time() - progress["at"] >= 30:
                progress["at"] = time.time()
                print(f"  {time.time() - start:5.0f} s: online {n}; {state(db, nodes)}", flush=True)
            return n >= a.count
        progress = {"at": time.time()}
        wait(all_online, 900, f"{a.count} PBXes online")
        print(f"all {a.count} PBXes paired and online after {time.time() - start:.1f} s; held per node: "
              + ", ".join(f"{n.name} {int(metrics(n.url)['zentrale_devices_connected'])}" for n in nodes), flush=True)
        time.sleep(10)
        m0 = [metrics(n.url) for n in nodes]
        time.sleep(10)
        m1 = [metrics(n.url) for n in nodes]
        rate = sum(b["zentrale_samples_stored_total"] - x["zentrale_samples_stored_total"] for x, b in zip(m0, m1)) / 10
        print(f"samples stored: {rate:.0f}/s (offered {a.count / a.interval:.0f}/s)", flush=True)

        held = dict(line.split("|") for line in psql("SELECT id, online_node FROM systems", db).splitlines())
        here = [i for i in ids if held.get(i) == "node-a"]
        there = [i for i in ids if held.get(i) not in (None, "node-a")]
        for what, some in (("held by node-a itself", here), ("held by node-b or node-c (over NATS)", there)):
            per, p50, p99, errs = routed(a_url, token, some, a.routed_seconds, 32)
            print(f"Refresh asked on node-a for PBXes {what}: {per:.0f}/s, p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms, {errs} errors", flush=True)

        t0 = time.time()
        for n in nodes:
            before = time.time()
            n.stop()
            n.start()
            try:
                held = sum(int(metrics(m.url)['zentrale_devices_connected']) for m in nodes)
            except OSError as e:
                held = f"unknown ({e})"
            print(f"  {n.name} restarted in {time.time() - before:.1f} s; online now {online(db)}, connected {held}",
                  flush=True)
        def back_online():
            n = online(db)
            print(f"  {time.time() - t0:5.1f} s: online {n}", flush=True)
            time.sleep(2)
            return n >= a.count
        wait(back_online, 600, "every PBX back after the rolling restart")
        back = time.time() - t0
        time.sleep(5)
        for n in nodes:
            n.stop()
        received = sum(r for n in nodes for r, _ in n.runs())
        stored = sum(s for n in nodes for _, s in n.runs())
        print(f"rolling restart of 3 nodes under {a.count / a.interval:.0f} samples/s: all {a.count} PBXes online "
              f"{back:.1f} s after the first SIGTERM")
        print(f"samples received by the nodes {received}, stored {stored}, lost {received - stored}")
    finally:
        for p in procs:
            p.terminate()
        for n in nodes:
            if n.proc is not None and n.proc.poll() is None:
                n.proc.terminate()
        for p in procs + [n.proc for n in nodes if n.proc]:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
