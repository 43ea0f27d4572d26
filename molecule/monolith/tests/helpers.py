"""The monolith scenario's tests use the helpers shared with the laravel
scenario (molecule/_shared/webstack_testlib.py)."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import webstack_crash  # noqa: F401
from webstack_testlib import (  # noqa: F401
    EPHEMERAL,
    INVENTORY,
    PROJECT,
    ROOT,
    Load,
    build,
    check_postgis_distance,
    deploy,
    http,
    live_release,
    playbook,
    recap,
    run_job,
    scheduler_ticks_once_a_minute,
    wait_for_heartbeat,
    with_failing_health,
    with_failing_migration,
)

CONTAINER = "monolith-deb12"
BASE = "https://127.0.0.1"


def https(host, method, path, body=None):
    """Call the site over TLS from the host itself (self-signed certificate)."""
    return http(host, method, path, body, base=BASE)


UP = "curl -fsk -o /dev/null --max-time 5 https://127.0.0.1/up"
# the services the application needs, in the order a night could go wrong;
# the worker last, so it is killed while it has jobs to take
UNITS = [
    "php8.2-fpm.service",
    "nginx.service",
    "postgresql@15-main.service",
    "pgbouncer.service",
    "redis-server.service",
    "laravel-worker@1.service",
]


def job_runs(host, ids):
    """{runs: count} of the given tasks of the sample application (runs 0:
    not run yet); fails when an accepted job is missing from the table."""
    values = "{" + ",".join(str(int(i)) for i in ids) + "}"
    query = "select runs, count(*) from tasks where id = any(:'ids'::bigint[]) group by runs"
    out = host.run(f"echo \"{query}\" | runuser -u postgres -- psql -tA -d app -v ids='{values}'")
    assert out.rc == 0, out.stderr
    counts = dict(tuple(int(v) for v in line.split("|")) for line in out.stdout.split())
    assert sum(counts.values()) == len(set(ids)), f"accepted jobs missing from the tasks table: {counts}"
    return counts


def wait_for_every_job(host, ids, within=180):
    """Poll until every accepted job has run or `within` seconds pass;
    return the final {runs: count}."""
    deadline = time.monotonic() + within
    counts = job_runs(host, ids)
    while counts.get(0) and time.monotonic() < deadline:
        time.sleep(5)
        counts = job_runs(host, ids)
    return counts
