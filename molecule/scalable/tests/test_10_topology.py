"""The scalable topology as converged by playbooks/site.yml: traffic enters
through the load balancer (HTTPS, TLS ends there) and reaches both app
servers; the app servers use PostgreSQL/PostGIS and Redis on their own
hosts over the private network; jobs dispatched on the app servers run on
the worker, whose scheduler is the only one; the firewall keeps the
database and the cache to the app and worker hosts.

Every test builds its hosts itself (docker connection), so each runs once
whatever host molecule's verifier hands out."""

import json
import time
from functools import partial

import pytest
import testinfra
from webstack_testlib import INVENTORY, check_postgis_distance, http, scheduler_ticks_once_a_minute

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")

APPS = {"scalable-app1", "scalable-app2"}


def node(name):
    return testinfra.get_host(f"docker://{name}")


@pytest.fixture(scope="module")
def lb():
    return node("scalable-lb")


@pytest.fixture(scope="module")
def via_lb(lb):
    """Calls through the load balancer's HTTPS site, from the lb itself."""
    return partial(http, lb, base="https://127.0.0.1")


def test_requests_through_the_load_balancer_reach_both_app_servers(via_lb):
    served = {}
    for _ in range(12):
        status, headers, body = via_lb("GET", "/up")
        assert status == 200, body
        checks = json.loads(body)
        assert (checks["database"], checks["redis"], checks["queue"]) == ("ok", "ok", "ok"), checks
        served[headers["x-served-by"]] = served.get(headers["x-served-by"], 0) + 1
    assert set(served) == APPS, served


def test_http_redirects_to_https_at_the_load_balancer(lb):
    out = lb.check_output("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://127.0.0.1/up")
    assert out.startswith("301 https://"), out


def test_the_app_sees_the_client_behind_the_load_balancer(via_lb):
    """TRUSTED_PROXIES: the app believes the lb's X-Forwarded-For/-Proto, so
    it sees the client's address (the lb's own loopback here) and HTTPS."""
    status, _, body = via_lb("GET", "/api/client")
    assert status == 200, body
    client = json.loads(body)
    assert client["secure"] is True, client
    assert client["ip"] == "127.0.0.1", client
    assert client["server"] in APPS, client


def test_postgis_route_works_through_the_load_balancer(via_lb):
    check_postgis_distance(lambda method, path, body: via_lb(method, path, body))


def test_jobs_dispatched_on_the_app_servers_run_on_the_worker(via_lb):
    """Jobs are posted until each app server has dispatched some (the
    balancer's turn-taking is per nginx worker process, so which server a
    given POST reaches is not predictable); every job must then be run by
    the worker host, with its result."""
    jobs = {}
    for n in range(30):
        status, headers, body = via_lb("POST", "/api/jobs", {"payload": f"job-{n}"})
        assert status == 202, body
        jobs[json.loads(body)["id"]] = (f"job-{n}", headers["x-served-by"])
        if {server for _, server in jobs.values()} == APPS and n >= 3:
            break
    assert {server for _, server in jobs.values()} == APPS, jobs
    deadline = time.monotonic() + 60
    for job, (payload, server) in jobs.items():
        while True:
            status, _, body = via_lb("GET", f"/api/jobs/{job}")
            assert status == 200, body
            data = json.loads(body)
            if data["processed_at"] or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert data["processed_at"], (server, data)
        assert data["result"] == payload[::-1], data
        assert data["processed_by_host"] == "scalable-worker", (server, data)


def test_the_scheduler_runs_on_the_worker_only():
    assert node("scalable-worker").service("laravel-scheduler.timer").is_running
    for name in sorted(APPS):
        timer = node(name).service("laravel-scheduler.timer")
        assert not timer.is_running and not timer.is_enabled, name
        assert not node(name).service("laravel-worker@1.service").is_running, name
    # one heartbeat per minute across the whole topology
    scheduler_ticks_once_a_minute(node("scalable-db"))


def reachable(src, target, port):
    return node(src).run(f"nc -z -w 3 {target} {port}").rc == 0


@pytest.mark.parametrize(
    "src,target,port,open_",
    [
        ("scalable-app1", "scalable-db", 5432, True),
        ("scalable-worker", "scalable-db", 5432, True),
        ("scalable-app2", "scalable-cache", 6379, True),
        ("scalable-worker", "scalable-cache", 6379, True),
        ("scalable-lb", "scalable-db", 5432, False),
        ("scalable-lb", "scalable-cache", 6379, False),
        ("scalable-cache", "scalable-db", 5432, False),
        ("scalable-lb", "scalable-app1", 80, True),
        ("scalable-db", "scalable-app1", 80, False),
        ("scalable-worker", "scalable-app2", 80, False),
    ],
)
def test_firewall_between_tiers(src, target, port, open_):
    assert reachable(src, target, port) is open_, f"{src} -> {target}:{port}"


def listening(name, port):
    """The addresses the service on port listens on, and the host's private address."""
    host = node(name)
    lines = host.check_output(f"ss -Htln 'sport = :{port}'").splitlines()
    return {line.split()[3].rsplit(":", 1)[0] for line in lines}, host.check_output("hostname -I").split()[0]


@pytest.mark.parametrize("name,port", [("scalable-db", 5432), ("scalable-cache", 6379)])
def test_database_and_cache_listen_on_loopback_and_private_addresses_only(name, port):
    addresses, private = listening(name, port)
    assert private in addresses, addresses
    assert addresses <= {"127.0.0.1", "[::1]", private}, addresses


def test_redis_requires_its_password_from_an_app_server():
    out = node("scalable-app1").run("printf 'PING\\r\\nQUIT\\r\\n' | nc -w 3 scalable-cache 6379")
    assert "NOAUTH" in out.stdout, out.stdout
