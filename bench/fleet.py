#!/usr/bin/env python3
"""Fleet benchmark: N simulated PBXes connected to one Zentrale server, each sending a
monitoring sample every I seconds. Prints: devices connected, time to connect them all,
server RSS and RSS per device, samples/s stored, p99 delay from receipt to commit, CPU used.

Standard library only. Runs the release binary; talks to 127.0.0.1 only; bounded in time.
Example: python3 bench/fleet.py --count 10000 --interval 1
         python3 bench/fleet.py --count 10000 --interval 0 --lists   (lists at fleet scale)
         python3 bench/fleet.py --count 10000 --interval 0     (idle: no monitoring)
"""
import argparse
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.cookiejar import CookieJar

from procstat import cpu_seconds, status_kib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "benchmark password"


def metrics(url):
    text = urllib.request.urlopen(f"{url}/metrics", timeout=60).read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(zentrale_\w+) (\S+)$", text, re.M)}


def reference(binary, count, port, settle):
    """The bare axum/tungstenite server (crates/cli/examples/ws_reference.rs) holding `count`
    idle connections: RSS per connection, measured like the server's."""
    ref = os.path.join(os.path.dirname(binary), "examples", "ws_reference")
    server = subprocess.Popen([ref, "serve", f"127.0.0.1:{port}"])
    clients = None
    try:
        held = lambda: int(urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=2).read())
        wait(lambda: held() == 0, 30, "the reference server")
        base = status_kib(server.pid)
        clients = subprocess.Popen([ref, "clients", f"ws://127.0.0.1:{port}/ws", str(count), "127.0.0.2-127.0.0.50"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait(lambda: held() >= count, 300, f"{count} reference connections")
        time.sleep(settle)
        per = (status_kib(server.pid) - base) / count
        print(f"reference (bare axum WebSocket, same buffers and allocator): {per:.2f} KiB per idle connection")
        return per
    finally:
        for p in (clients, server):
            if p is not None:
                p.terminate()
                p.wait(timeout=30)


def tls_files(tmp):
    """A CA and a certificate for 127.0.0.1 signed by it (openssl), for --tls: the server's
    certificate and key, and the CA the simulated PBXes trust. The script itself talks to
    the server on loopback without checking the certificate."""
    ca_key, ca, key, csr, cert = (os.path.join(tmp, n) for n in ("ca.key", "ca.pem", "tls.key", "tls.csr", "tls.pem"))
    ext = os.path.join(tmp, "tls.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=bench CA"], **quiet)
    subprocess.run(["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", cert, "-days", "2", "-extfile", ext], **quiet)
    ssl._create_default_https_context = ssl._create_unverified_context
    return cert, key, ca


def wait(cond, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if cond():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"timed out after {seconds} s waiting for {what}")


def quantile(url, name, q):
    """The q-quantile of histogram `name` as the upper bound of its bucket (an upper
    estimate: the figure is at most that)."""
    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    buckets = {}
    for m in re.finditer(rf'^{name}_bucket{{(?:[^}}]*,)?le="([^"]+)"[^}}]*}} (\S+)$', text, re.M):
        buckets[float(m.group(1))] = buckets.get(float(m.group(1)), 0.0) + float(m.group(2))
    if not buckets:
        return float("nan")
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    for b in bounds:
        if buckets[b] >= q * total:
            return b
    return bounds[-1]


def tcp_ext(*names):
    """Counters of the kernel's TCP stack (/proc/net/netstat, TcpExt), summed over the machine."""
    lines = [l.split() for l in open("/proc/net/netstat") if l.startswith("TcpExt:")]
    row = dict(zip(lines[0][1:], lines[1][1:]))
    return {n: int(row.get(n, 0)) for n in names}


LISTEN_COUNTERS = ("ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "TCPTimeouts")


def restart(server, serve_args, env, server_log, url, count, tmp, procs):
    """The connect storm: the server stops (SIGTERM, PBXes told to reconnect) and starts
    again; how long until every PBX is back, and how long the database pool made anyone wait.
    Prints how many are back each second and what the kernel dropped at the listening
    socket (a connection whose handshake is dropped waits for TCP's retransmissions:
    1, 3, 7, 15, 31 s)."""
    kernel_before = tcp_ext(*LISTEN_COUNTERS)
    server.terminate()
    server.wait(timeout=60)
    log = os.path.join(tmp, "server.log")
    warned_before = sum("slow_acquire" in line or "pool timed out" in line for line in open(log))
    start = time.time()
    server = subprocess.Popen(serve_args, env=env, stderr=server_log)
    procs[1] = server
    wait(lambda: urllib.request.urlopen(f"{url}/readyz", timeout=2).status == 200, 60, "the server to restart")
    ready = time.time() - start
    timeline = {"next": 1.0}

    def back_all():
        n = metrics(url)["zentrale_devices_connected"]
        if time.time() - start >= timeline["next"]:
            print(f"  {time.time() - start:5.1f} s: {int(n)} back", flush=True)
            timeline["next"] = time.time() - start + 1.0
        return n >= count

    wait(back_all, 300, f"{count} devices to reconnect")
    back = time.time() - start
    kernel = tcp_ext(*LISTEN_COUNTERS)
    print("kernel during the storm: " + ", ".join(f"{k} {kernel[k] - kernel_before[k]}" for k in LISTEN_COUNTERS))
    time.sleep(5)
    warned = sum("slow_acquire" in line or "pool timed out" in line for line in open(log)) - warned_before
    print(f"restart: ready after {ready:.1f} s, all {count} PBXes back after {back:.1f} s; "
          f"database pool wait max {quantile(url, 'zentrale_db_acquire_seconds', 1) * 1000:.0f} ms, "
          f"p99 {quantile(url, 'zentrale_db_acquire_seconds', 0.99) * 1000:.0f} ms (probe once a second); "
          f"{warned} pool warnings")
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=10000, help="simulated PBXes (default 10000; at most ~19000 per process)")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between samples per PBX; 0 = idle (default 1)")
    ap.add_argument("--window", type=float, default=20.0, help="seconds of steady state to measure (default 20)")
    ap.add_argument("--settle", type=float, default=20.0, help="seconds after the last device connected before measuring (default 20)")
    ap.add_argument("--port", type=int, default=18400)
    ap.add_argument("--database-url", help="default: SQLite in a temporary data directory")
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/zentrale")
    ap.add_argument("--reference", action="store_true",
                    help="then stop the PBXes and measure the bare WebSocket reference with as many idle connections")
    ap.add_argument("--restart", action="store_true",
                    help="then restart the server and measure the reconnect storm")
    ap.add_argument("--lists", action="store_true",
                    help="then measure the lists (bench/lists.py): 100,000 alerts, first pages, API load")
    ap.add_argument("--rate", type=int, default=1000, help="--lists: API requests per second (default 1000)")
    ap.add_argument("--tls", action="store_true", help="the server speaks HTTPS (a CA and certificate made with openssl)")
    ap.add_argument("--server-binary", help="run this zentrale as the server (e.g. a --features dhat-heap build)")
    ap.add_argument("--heap-profile", metavar="FILE",
                    help="with a dhat-heap server: write its heap profile to FILE once the devices settled, "
                         "then show where the live bytes are (bench/dhat_top.py)")
    ap.add_argument("--no-devices", action="store_true",
                    help="--lists without simulated PBXes: the systems are marked as paired and in maintenance in the database")
    a = ap.parse_args()

    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "zentrale")
    loader = os.path.join(target, "release", "examples", "load")
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "zentrale", "--bin", "zentrale",
                        "--example", "ws_reference", "--example", "load"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="zentrale-bench-")
    data = os.path.join(tmp, "data")
    db = ["--data-dir", data] + (["--database-url", a.database_url] if a.database_url else [])
    subprocess.run([binary, "company", "add", "Bench"] + db, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "user", "add", "--company", "Bench", "--email", "bench@bench.example"] + db,
                   input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)

    url = f"{'https' if a.tls else 'http'}://127.0.0.1:{a.port}"
    tls = tls_files(tmp) if a.tls else None
    interval_ms = max(100, int(a.interval * 1000)) if a.interval > 0 else 3_600_000
    env = dict(os.environ, ZENTRALE_LOG="warn")
    if a.heap_profile:
        env["ZENTRALE_DHAT_OUT"] = a.heap_profile
    serve_args = [a.server_binary or binary, "serve", "--listen", f"127.0.0.1:{a.port}", "--heartbeat-s", "30",
                  "--monitoring-interval-ms", str(interval_ms)] + db
    if tls:
        serve_args += ["--tls-cert", tls[0], "--tls-key", tls[1]]
    server_log = open(os.path.join(tmp, "server.log"), "a")
    server = subprocess.Popen(serve_args, env=env, stderr=server_log)
    sim = None
    procs = [None, server]  # what the end stops: simulator, server
    try:
        wait(lambda: urllib.request.urlopen(f"{url}/readyz", timeout=2).status == 200, 60, "the server")
        jar = CookieJar()
        web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        web.open(f"{url}/login", data=f"email=bench%40bench.example&password={PASSWORD.replace(' ', '+')}".encode())
        page = web.open(f"{url}/account/tokens", data=b"name=bench&days=1").read().decode()
        token = re.search(r'data-new-token="([^"]+)"', page).group(1)
        print(f"creating {a.count} systems through the API …", flush=True)
        pairs = [None] * a.count
        def create(lo, hi):
            opener = urllib.request.build_opener()
            for i in range(lo, hi):
                serial = f"BENCH{i:07d}"
                req = urllib.request.Request(f"{url}/api/v1/systems", method="POST",
                                             data=json.dumps({"name": f"Site {i}", "serial": serial}).encode(),
                                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                pairs[i] = f"{serial} {json.load(opener.open(req))['token']}"
        step = (a.count + 7) // 8
        threads = [threading.Thread(target=create, args=(k, min(a.count, k + step))) for k in range(0, a.count, step)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        pair_file = os.path.join(tmp, "pairs.txt")
        with open(pair_file, "w") as f:
            f.write("\n".join(pairs) + "\n")

        time.sleep(2)
        if a.no_devices:
            import lists
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            lists.run(url, cookie, token, db_file=os.path.join(data, "zentrale.sqlite"), rate=a.rate, mark_paired=True,
                      pid=server.pid, loader=loader)
            return
        rss_base, anon_base = status_kib(server.pid), status_kib(server.pid, "RssAnon")
        start = time.time()
        sim = subprocess.Popen([binary, "simulate", "--server", url, "--count", str(a.count), "--pair-from", pair_file,
                                "--state-dir", os.path.join(tmp, "sim"), "--source-addrs", "127.0.0.2-127.0.0.50",
                                "--monitoring", "on" if a.interval > 0 else "off"] + (["--ca-file", tls[2]] if tls else []),
                               env=dict(env, ZENTRALE_LOG="info"), stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(tmp, "simulate.log"), "w"))
        procs[0] = sim
        progress = {"at": time.time(), "cpu": (cpu_seconds(server.pid), cpu_seconds(sim.pid))}

        def connected():
            n = metrics(url)["zentrale_devices_connected"]
            if time.time() - progress["at"] >= 5:
                cpu = (cpu_seconds(server.pid), cpu_seconds(sim.pid))
                span = time.time() - progress["at"]
                print(f"  {time.time() - start:5.1f} s: {int(n)} connected; CPU server "
                      f"{(cpu[0] - progress['cpu'][0]) / span:.2f}, simulator {(cpu[1] - progress['cpu'][1]) / span:.2f} cores",
                      flush=True)
                progress.update(at=time.time(), cpu=cpu)
            return n >= a.count

        wait(connected, 600, f"{a.count} devices to connect")
        connect_time = time.time() - start
        time.sleep(a.settle)
        m0, c0, t0 = metrics(url), cpu_seconds(server.pid), time.time()
        time.sleep(a.window)
        m1, c1, t1 = metrics(url), cpu_seconds(server.pid), time.time()
        rss, anon = status_kib(server.pid), status_kib(server.pid, "RssAnon")
        span = t1 - t0
        print(f"devices connected:        {int(m1['zentrale_devices_connected'])}")
        print(f"time to connect them all: {connect_time:.1f} s (pairing included)")
        print(f"server RSS:               {rss / 1024:.1f} MiB (before the devices connected {rss_base / 1024:.1f} MiB)")
        print(f"RSS per device:           {(rss - rss_base) / a.count:.2f} KiB "
              f"(without file pages {(anon - anon_base) / a.count:.2f} KiB)")
        print(f"samples/s stored:         {(m1['zentrale_samples_stored_total'] - m0['zentrale_samples_stored_total']) / span:.0f}"
              f" (offered {a.count / a.interval if a.interval > 0 else 0:.0f}/s)")
        print(f"p99 receipt to commit:    {m1['zentrale_sample_commit_delay_p99_ms']:.0f} ms")
        print(f"server CPU used:          {(c1 - c0) / span:.2f} cores")
        if a.heap_profile:
            open(a.heap_profile + ".stop", "w").close()
            wait(lambda: os.path.exists(a.heap_profile) and os.path.getsize(a.heap_profile) > 0, 600, "the heap profile")
            time.sleep(5)
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", "dhat_top.py"), a.heap_profile,
                            "--per", str(a.count)], check=False)
        if a.restart:
            # Kept in `procs` so that a failed wait still stops the new server.
            server = restart(server, serve_args, env, server_log, url, a.count, tmp, procs)
        if a.reference:
            sim.terminate()
            sim.wait(timeout=60)
            sim = procs[0] = None
            per = reference(binary, a.count, a.port + 50, a.settle)
            print(f"server / reference:       {(rss - rss_base) / a.count / per:.2f}× "
                  f"(without file pages {(anon - anon_base) / a.count / per:.2f}×)")
        if a.lists:
            import lists
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            lists.run(url, cookie, token, db_file=None if a.database_url else os.path.join(data, "zentrale.sqlite"),
                      rate=a.rate, pid=server.pid, loader=loader)
            print(f"devices still connected:  {int(metrics(url)['zentrale_devices_connected'])}")
    finally:
        for p in procs:
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
