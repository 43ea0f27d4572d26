"""Releases across several servers under continuous load through the load
balancer (loadgen.py inside the lb container, HTTPS): a rolling deploy
(playbooks/deploy.yml, one app server at a time, each drained from the
load balancer before its switch) fails no request; PHP-FPM stopped on one
app server costs at most a handful of requests before nginx routes around
it; a release that fails its health check on the first server stops the
rollout and leaves the others on the previous release; a release whose
migration fails on the first app server switches no server at all. (Redeploying the
live release is the idempotence step: site.yml ends with deploy.yml.) Each run's report
(requests, failures, latency p50/p99, servers seen) is printed.

The tests run in file order; each starts from what the previous one left."""

import re
import time

import pytest
import testinfra
from webstack_testlib import (
    EPHEMERAL,
    INVENTORY,
    Load,
    build,
    deploy,
    live_release,
    recap,
    with_failing_health,
    with_failing_migration,
)

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")

APPS = ["scalable-app1", "scalable-app2"]
RELEASE_A = "20240101-a"
RELEASE_B = "20240102-b"
RELEASE_C = "20240103-c"
# health, the SPA, a PostGIS query through the API
PATHS = ["/up", "/", "/api/places/near?lat=14.6928&lng=-17.4467&km=2500"]


def node(name):
    return testinfra.get_host(f"docker://{name}")


def load(name):
    return Load("scalable-lb", "https://127.0.0.1", PATHS, concurrency=4, name=name)


def drained():
    return node("scalable-lb").run("cat /etc/nginx/baobab-drained-servers 2>/dev/null").stdout.split()


def drain_calls(out):
    """(state, app server) of every nginx drain call that changed the load
    balancer, in the order of the run."""
    calls = []
    for block in out.split("TASK [")[1:]:
        header, _, body = block.partition("\n")
        match = re.match(r"baobab\.webstack\.nginx : Set the servers to (drained|active)\]", header)
        if match:
            calls += [(match.group(1), host) for host in re.findall(r"^changed: \[(\S+) -> scalable-lb\]", body, re.M)]
    return calls


def test_rolling_deploy_fails_no_request():
    artifact = build("2.0.0", EPHEMERAL / "app-B.tar.gz")
    with load("rolling") as run:
        rc, out = deploy(RELEASE_B, artifact)
    assert rc == 0, out[-3000:]
    report = run.report
    assert report["requests"] > 50, report
    assert report["failures"] == 0, report["failure_samples"]
    assert report["last_release"] == RELEASE_B, report
    assert set(report["releases"]) == {RELEASE_A, RELEASE_B}, report
    assert set(report["servers"]) == set(APPS), report
    # one server at a time: the app servers switched in turn, each drained
    # then put back, and the worker last
    for name in [*APPS, "scalable-worker"]:
        assert live_release(node(name)) == RELEASE_B, name
    assert drained() == []
    # drained and put back, in turn: each batch taken out of the load
    # balancer and put back by one nginx_drain call each (tested staged
    # copy, graceful reload), both reporting a change
    assert drain_calls(out) == [
        ("drained", "scalable-app1"),
        ("active", "scalable-app1"),
        ("drained", "scalable-app2"),
        ("active", "scalable-app2"),
    ], out[-3000:]
    # the migrations ran once for the rollout (first host of the build play)
    assert out.count("Run the database migrations") >= 1
    assert recap(out)["scalable-app2"]["failed"] == "0"


def test_stopped_php_fpm_on_one_app_server_costs_at_most_a_handful_of_requests():
    app1 = node("scalable-app1")
    with load("php-fpm-down") as run:
        try:
            app1.check_output("systemctl stop php8.2-fpm")
            # the server is really down: its own nginx answers 502 for PHP
            status = node("scalable-lb").check_output("curl -s -o /dev/null -w '%{http_code}' http://scalable-app1/up")
            assert status == "502", status
            time.sleep(20)
        finally:
            app1.check_output("systemctl start php8.2-fpm")
    report = run.report
    assert report["requests"] > 50, report
    assert report["failures"] <= 5, report["failure_samples"]
    # failures, if any, came right after the stop; the rest of the run was clean
    assert all(sample["at_s"] < report["duration_s"] - 15 for sample in report["failure_samples"]), report
    assert set(report["servers"]) == set(APPS), report


def test_a_failing_batch_stops_the_rollout_and_leaves_the_others_on_the_old_release():
    artifact = with_failing_health(EPHEMERAL / "app-B.tar.gz", EPHEMERAL / "app-C.tar.gz")
    with load("failing") as run:
        rc, out = deploy(RELEASE_C, artifact)
    assert rc != 0, out[-3000:]
    assert f"Release {RELEASE_C} failed its health check" in out, out[-3000:]
    report = run.report
    assert report["failures"] == 0, report["failure_samples"]
    assert RELEASE_C not in report["releases"], report
    # the first server went back to B; the second and the worker never left it
    for name in [*APPS, "scalable-worker"]:
        assert live_release(node(name)) == RELEASE_B, name
    assert node("scalable-app2").file(f"/srv/app/releases/{RELEASE_C}/.built").exists  # unpacked, never switched
    # the failed server stays out of rotation until a deploy succeeds on it
    # (the next deploy drains and puts back the batch as in the first test)
    assert drained() == ["scalable-app1:80"]


def test_a_failed_migration_on_the_first_host_switches_no_host():
    """The migrations run once, on the first app server, while every host
    builds: when they fail, the whole rollout stops before any switch (the
    other app server and the worker built the release and keep B)."""
    artifact = with_failing_migration(EPHEMERAL / "app-B.tar.gz", EPHEMERAL / "app-D.tar.gz")
    with load("failed-migration") as run:
        rc, out = deploy("20240104-d", artifact)
    flat = " ".join(out.split())
    assert rc != 0, out[-3000:]
    assert "deliberately broken migration" in flat and "The rollout stopped on scalable-app1" in flat, flat[-3000:]
    report = run.report
    assert report["failures"] == 0, report["failure_samples"]
    assert "20240104-d" not in report["releases"], report
    for name in [*APPS, "scalable-worker"]:
        assert live_release(node(name)) == RELEASE_B, name
        assert not node(name).file("/srv/app/.deploy.lock").exists, name
    assert node("scalable-app2").file("/srv/app/releases/20240104-d/.built").exists  # built, never switched
    assert drained() == ["scalable-app1:80"]  # nothing was drained or put back
