"""The lists at fleet scale, run by `bench/fleet.py --lists` once its PBXes are connected:
100,000 alerts are added to the server's SQLite file, then every list's first page is
fetched 20 times (median time and size), and GET /api/v1/systems?limit=50 is sent at a fixed
rate (open loop, keep-alive connections) to give its latency percentiles.

Standard library only; talks to 127.0.0.1 only; bounded in time.
"""
import http.client
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import subprocess
import threading
import time
import urllib.parse

from procstat import cpu_seconds

PAGES = [
    ("Systems › All › Overview", "/systems"),
    ("Administration › Systems", "/admin/systems"),
    ("Systems › All › Alerts", "/alerts"),
    ("Systems › All › Telephone status", "/systems/all/phones"),
    ("Authorisations", "/authorisations"),
    ("Groups", "/groups"),
    ("Administration › Audit log", "/admin/audit"),
    ("API systems (limit 50)", "/api/v1/systems?limit=50"),
    ("API alerts (limit 50)", "/api/v1/alerts?limit=50"),
    ("Systems filtered (`?q=site 12`)", "/systems?q=site+12"),
    ("Systems by state", "/systems?sort=state&dir=desc"),
]


def seed_alerts(db_file, count):
    """`count` alerts spread over the systems, a third of them resolved within the week."""
    con = sqlite3.connect(db_file, timeout=60)
    ids = [r[0] for r in con.execute("SELECT id FROM systems")]
    now = int(time.time() * 1000)
    rows = []
    for i in range(count):
        resolved = now - (i % 7) * 3_600_000 if i % 3 == 0 else None
        rows.append((f"benchalert{i:09d}", ids[i % len(ids)], "pbx.bench", f"subject {i}",
                     ("critical", "warning", "info")[i % 3], f"Bench alert {i}", None, "pbx",
                     now - i * 1000, resolved))
    with con:
        con.executemany(
            "INSERT INTO alerts (id, system_id, kind, subject, severity, message, args, source, "
            "opened_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


class Conn:
    """One keep-alive connection with the session cookie or the API token."""

    def __init__(self, url, cookie=None, token=None):
        u = urllib.parse.urlparse(url)
        self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.headers = {"Accept": "text/html,application/json"}
        if cookie:
            self.headers["Cookie"] = cookie
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path):
        self.c.request("GET", path, headers=self.headers)
        r = self.c.getresponse()
        body = r.read()
        return r.status, body


def first_pages(url, cookie, token, rounds=20):
    print("| page | median | p90 | size |")
    print("|---|---|---|---|")
    web, api = Conn(url, cookie=cookie), Conn(url, token=token)
    for name, path in PAGES:
        c = api if path.startswith("/api/") else web
        times, size = [], 0
        for _ in range(rounds):
            t = time.perf_counter()
            status, body = c.get(path)
            times.append((time.perf_counter() - t) * 1000)
            size = len(body)
            if status != 200:
                print(f"| {name} | HTTP {status} | | |")
                break
        else:
            times.sort()
            print(f"| {name} | {statistics.median(times):.1f} ms | {times[int(len(times) * 0.9) - 1]:.1f} ms "
                  f"| {size / 1024:.0f} KB |")


def _load_part(url, token, path, rate, total, start, part, parts, workers):
    """One load process: requests part, part + parts, … (each due at start + k/rate)."""
    ks = iter(range(part, total, parts))
    lat, errors, lock = [], [0], threading.Lock()

    def worker():
        c = Conn(url, token=token)
        while True:
            with lock:
                k = next(ks, None)
            if k is None:
                return
            due = start + k / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                status, _ = c.get(path)
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                c = Conn(url, token=token)
            done = time.monotonic()
            with lock:
                if ok:
                    lat.append((done - due) * 1000)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return lat, errors[0]


def load(url, token, path, rate, seconds, procs=4, workers=12, pid=None):
    """Open loop: request k is due at start + k/rate; latency counts from when it was due.
    Several processes (Python's threads alone do not reach 1,000 requests/s)."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.5
    c0 = cpu_seconds(pid) if pid else 0.0
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        parts = pool.starmap(_load_part, [(url, token, path, rate, total, start, i, procs, workers)
                                          for i in range(procs)])
    span = time.monotonic() - start
    cpu = (cpu_seconds(pid) - c0) / span if pid else float("nan")
    lat = sorted(x for part, _ in parts for x in part)
    errors = sum(e for _, e in parts)
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")
    print(f"load {path}: {len(lat)} answered in {span:.1f} s ({len(lat) / span:.0f}/s, offered {rate}/s), "
          f"{errors} errors; latency p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1] if lat else 0:.1f} ms; "
          f"server CPU {cpu:.2f} cores ({cpu * 1000 / max(1, len(lat) / span):.2f} ms per request)")


def load_rust(loader, url, token, path, rate, seconds, pid=None):
    """The same open loop from crates/cli/examples/load.rs: a Python generator needs about a
    core of its own for 1,000 requests/s, which on this 2-core machine the server then lacks."""
    c0 = cpu_seconds(pid) if pid else 0.0
    t = time.monotonic()
    out = subprocess.run([loader, url + path, token, str(rate), str(seconds)], check=True,
                         capture_output=True, text=True, timeout=seconds * 10 + 60).stdout
    span = time.monotonic() - t
    r = json.loads(out.strip().splitlines()[-1])
    cpu = (cpu_seconds(pid) - c0) / span if pid else float("nan")
    rps = r["answered"] / r["span"]
    print(f"load {path} (Rust generator): {r['answered']} answered in {r['span']:.1f} s ({rps:.0f}/s, "
          f"offered {rate}/s), {r['errors']} errors; latency p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
          f"max {r['max']:.1f} ms; server CPU {cpu:.2f} cores ({cpu * 1000 / max(1, rps):.2f} ms per request)")


def live_tabs(url, cookie, pid, tabs=100, every=3.0, seconds=30.0, path="/systems"):
    """`tabs` open pages refreshing their live regions every `every` s, as static/app.js does
    (X-Live, If-None-Match with the last tag); prints the server's CPU while they run."""
    stop = time.perf_counter() + seconds
    counts, lock = {"200": 0, "304": 0, "other": 0}, threading.Lock()

    def tab(k):
        c = Conn(url, cookie=cookie)
        c.headers["X-Live"] = "1"
        tag = None
        time.sleep(every * k / tabs)
        while time.perf_counter() < stop:
            t = time.perf_counter()
            if tag:
                c.headers["If-None-Match"] = tag
            try:
                c.c.request("GET", path, headers=c.headers)
                r = c.c.getresponse()
                r.read()
                key = str(r.status) if r.status in (200, 304) else "other"
                tag = r.getheader("ETag") or tag
            except (OSError, http.client.HTTPException):
                key = "other"
                c = Conn(url, cookie=cookie)
                c.headers["X-Live"] = "1"
            with lock:
                counts[key] += 1
            time.sleep(max(0.0, every - (time.perf_counter() - t)))

    c0, t0 = cpu_seconds(pid), time.perf_counter()
    threads = [threading.Thread(target=tab, args=(k,)) for k in range(tabs)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    span = time.perf_counter() - t0
    print(f"live regions: {tabs} tabs on {path} every {every:.0f} s for {span:.0f} s: "
          f"{counts['200']} rendered, {counts['304']} not modified, {counts['other']} failed; "
          f"server CPU {(cpu_seconds(pid) - c0) / span:.3f} cores")


def mark_paired_(db_file):
    """Without simulated PBXes: every system as a connected PBX with maintenance would leave it."""
    con = sqlite3.connect(db_file, timeout=60)
    with con:
        con.execute("UPDATE systems SET secret_hash = 'bench-' || id, paired_at = created_at, "
                    "initial_registration_at = created_at, maintenance_active = 1, firmware = '9.9.9', "
                    "firmware_rank = 9007199254740991, online_since = created_at, token = NULL")
    con.close()


def run(url, cookie, token, db_file, alerts=100_000, rate=1000, seconds=10, mark_paired=False, pid=None,
        loader=None):
    if mark_paired:
        mark_paired_(db_file)
    if db_file:
        t = time.time()
        seed_alerts(db_file, alerts)
        print(f"added {alerts} alerts in {time.time() - t:.1f} s")
    else:
        print("alerts are added to SQLite only; the alert figures below are without them")
    first_pages(url, cookie, token)
    if pid:
        live_tabs(url, cookie, pid)
    random.seed(1)
    if loader and os.path.exists(loader):
        load_rust(loader, url, token, "/api/v1/systems?limit=50", rate, seconds, pid=pid)
    else:
        load(url, token, "/api/v1/systems?limit=50", rate, seconds, pid=pid)
