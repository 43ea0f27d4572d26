"""Continuous HTTP(S) load with a report: run inside a test container with
the distribution's python3 (standard library only).

    python3 loadgen.py --base https://127.0.0.1 --path /up --path / \
        --concurrency 4 --stop-file /tmp/loadgen.stop

Each worker thread keeps one connection open (reconnecting when the server
closes it, as browsers and load balancers do) and cycles through the paths.
A request fails when it raises (refused, reset, timeout) or answers with a
status other than 200. One case is retried first, as browsers, curl and
HTTP libraries do (RFC 9112, section 9.3.1): a GET sent on a kept-alive
connection that the server closed before answering anything (nginx closes
idle keep-alive connections when it reloads, and a request can cross that
close). It is sent once more on a new connection, and only that outcome
counts; the report gives how many such retries there were. A failure on a
new connection is never retried.

With --post PATH, --post-concurrency more threads POST JSON jobs
({"payload": "load-<thread>-<n>"}) to PATH on fresh connections, pausing
--post-interval seconds between jobs, and keep the "id" of every job the
application accepted (202): a test can then check that each accepted job ran.
Refused or failed POSTs are counted apart from the GETs.

Prints "started" once the first request succeeded, then, when the stop file
appears (or after --max-seconds), one JSON report:
requests, failures (with samples), the releases seen (X-Release header) in
order of completion, the servers that answered (X-Served-By header),
latency percentiles, and the jobs accepted and refused."""

import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse


def percentile(values, pct):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return round(ordered[index] * 1000, 1)


STALE = object()


def open_connection(https, netloc):
    """A connection that accepts the test's self-signed certificate."""
    if https:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(netloc, timeout=30, context=ctx)
    return http.client.HTTPConnection(netloc, timeout=30)


class Worker(threading.Thread):
    def __init__(self, base, paths, offset, stop, results, lock):
        super().__init__(daemon=True)
        url = urllib.parse.urlsplit(base)
        self.https = url.scheme == "https"
        self.netloc = url.netloc
        self.paths = paths
        self.offset = offset
        self.stop = stop
        self.results = results
        self.lock = lock
        self.conn = None
        self.reused = False  # the open connection has carried a response already

    def connect(self):
        return open_connection(self.https, self.netloc)

    def run(self):
        n = self.offset
        while not self.stop.is_set():
            path = self.paths[n % len(self.paths)]
            n += 1
            started = time.monotonic()
            retried = False
            outcome = self.get(path)
            if outcome is STALE:  # get() opens a new connection, which is never STALE
                retried = True
                outcome = self.get(path)
            elapsed = time.monotonic() - started
            with self.lock:
                self.results.append((time.monotonic(), path, elapsed, *outcome, retried))

    def get(self, path):
        """One GET: (status, release, error, server), or STALE when a reused
        connection was closed by the server before any response."""
        reused = self.conn is not None and self.reused
        try:
            if self.conn is None:
                self.conn = self.connect()
                self.reused = False
            self.conn.request("GET", path, headers={"Accept": "application/json"})
            resp = self.conn.getresponse()
            resp.read()
            self.reused = True
            if resp.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return (resp.status, resp.getheader("X-Release"), None, resp.getheader("X-Served-By"))
        except (OSError, http.client.HTTPException) as exc:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            # RemoteDisconnected is a ConnectionResetError: nothing was received
            if reused and isinstance(exc, (ConnectionResetError, BrokenPipeError)):
                return STALE
            return (None, None, f"{type(exc).__name__}: {exc}", None)


class Poster(threading.Thread):
    """POSTs jobs until stopped; records the ids the application accepted."""

    def __init__(self, base, path, number, interval, stop, jobs, lock):
        super().__init__(daemon=True)
        url = urllib.parse.urlsplit(base)
        self.https = url.scheme == "https"
        self.netloc = url.netloc
        self.path = path
        self.number = number
        self.interval = interval
        self.stop = stop
        self.jobs = jobs
        self.lock = lock

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            body = json.dumps({"payload": f"load-{self.number}-{n}"})
            try:
                conn = open_connection(self.https, self.netloc)
                conn.request(
                    "POST",
                    self.path,
                    body=body,
                    headers={"Content-Type": "application/json", "Accept": "application/json"},
                )
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                accepted = resp.status == 202
                outcome = ("accepted", json.loads(data)["id"]) if accepted else ("refused", resp.status)
            except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
                outcome = ("refused", type(exc).__name__)
            with self.lock:
                self.jobs.append(outcome)
            self.stop.wait(self.interval)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--post")
    parser.add_argument("--post-concurrency", type=int, default=2)
    parser.add_argument("--post-interval", type=float, default=0.05)
    args = parser.parse_args()

    stop, lock, results, jobs = threading.Event(), threading.Lock(), [], []
    workers = [Worker(args.base, args.path, i, stop, results, lock) for i in range(args.concurrency)]
    if args.post:
        workers += [
            Poster(args.base, args.post, i, args.post_interval, stop, jobs, lock) for i in range(args.post_concurrency)
        ]
    start = time.monotonic()
    for worker in workers:
        worker.start()

    announced = False
    while time.monotonic() - start < args.max_seconds and not os.path.exists(args.stop_file):
        if not announced:
            with lock:
                ok = any(r[3] == 200 for r in results)
            if ok:
                print("started", flush=True)
                announced = True
        time.sleep(0.1)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    if not announced:
        print("started (no successful request)", flush=True)

    failures = [r for r in results if r[3] != 200]
    releases, timeline, servers = {}, [], {}
    for _, _, _, _, release, _, server, _ in sorted(results):
        if server:
            servers[server] = servers.get(server, 0) + 1
        if release:
            releases[release] = releases.get(release, 0) + 1
            if not timeline or timeline[-1] != release:
                timeline.append(release)
    latencies = [r[2] for r in results if r[3] == 200]
    report = {
        "requests": len(results),
        "failures": len(failures),
        "stale_connection_retries": sum(1 for r in results if r[7]),
        "failure_samples": [
            {"path": r[1], "status": r[3], "error": r[5], "at_s": round(r[0] - start, 2)} for r in failures[:10]
        ],
        "releases": releases,
        "timeline": timeline,
        "last_release": timeline[-1] if timeline else None,
        "servers": servers,
        "duration_s": round(time.monotonic() - start, 1),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "concurrency": args.concurrency,
        "jobs_accepted": [value for kind, value in jobs if kind == "accepted"],
        "jobs_refused": sum(1 for kind, _ in jobs if kind == "refused"),
        "jobs_refused_samples": [value for kind, value in jobs if kind == "refused"][:10],
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
