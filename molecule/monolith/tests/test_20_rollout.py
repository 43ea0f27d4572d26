"""Zero-downtime releases of the monolith, driven the way a CI job drives
them (playbooks/deploy.yml and playbooks/rollback.yml against the
scenario's inventory) while a load generator inside the container keeps
calling the site over HTTPS: no request may fail, and responses move to the
new release. Deployments that must not go live (a failing migration, a
failing health check) leave the previous release serving.

The tests run in file order; each starts from what the previous one left."""

import pytest
import testinfra
from helpers import (
    BASE,
    CONTAINER,
    EPHEMERAL,
    INVENTORY,
    PROJECT,
    Load,
    build,
    deploy,
    https,
    live_release,
    playbook,
    recap,
    with_failing_health,
    with_failing_migration,
)

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")

RELEASE_B = "20240102-b"
# the calls a browser and the SPA make: health, the SPA, a PostGIS query,
# and a page that opens a session in Redis
PATHS = ["/up", "/", "/api/places/near?lat=14.6928&lng=-17.4467&km=2500", "/release"]


@pytest.fixture(scope="module")
def host():
    return testinfra.get_hosts(["ansible://all"], ansible_inventory=INVENTORY)[0]


@pytest.fixture(scope="module")
def state():
    return {}


def assert_no_failures(load, switched_to=None):
    report = load.report
    assert report["requests"] > 50, report
    assert report["failures"] == 0, report["failure_samples"]
    if switched_to:
        assert report["last_release"] == switched_to, report["timeline"]


def test_deploy_under_load_fails_no_request(host, state):
    state["previous"] = live_release(host)
    artifact = build("2.0.0", EPHEMERAL / "app-B.tar.gz")
    with Load(CONTAINER, BASE, PATHS) as load:
        rc, out = deploy(RELEASE_B, artifact)
    assert rc == 0, out
    assert_no_failures(load, switched_to=RELEASE_B)
    # responses moved from the previous release to B, and never went back
    assert load.report["timeline"][0] == state["previous"]
    assert set(load.report["releases"]) == {state["previous"], RELEASE_B}, load.report
    assert live_release(host) == RELEASE_B
    status, headers, _ = https(host, "GET", "/up")
    assert status == 200 and headers["x-app-version"] == "2.0.0"


def test_redeploying_the_live_release_changes_nothing(host):
    rc, out = deploy(RELEASE_B, EPHEMERAL / "app-B.tar.gz")
    assert rc == 0, out
    counts = recap(out)
    assert counts and all(c["changed"] == "0" for c in counts.values()), counts


def test_rollback_under_load_fails_no_request(host, state):
    with Load(CONTAINER, BASE, PATHS) as load:
        rc, out = playbook(PROJECT / "playbooks" / "rollback.yml")
    assert rc == 0, out
    assert_no_failures(load, switched_to=state["previous"])
    assert live_release(host) == state["previous"]


def test_failing_migration_keeps_the_previous_release(host, state):
    artifact = with_failing_migration(build("3.0.0", EPHEMERAL / "app-C0.tar.gz"), EPHEMERAL / "app-C.tar.gz")
    with Load(CONTAINER, BASE, PATHS) as load:
        rc, out = deploy("20240103-c", artifact)
    assert rc != 0
    assert "Release 20240103-c was not activated" in out and "deliberately broken migration" in out, out
    assert_no_failures(load, switched_to=state["previous"])
    assert live_release(host) == state["previous"]


def test_failing_health_check_puts_the_previous_release_back(host, state):
    artifact = with_failing_health(build("4.0.0", EPHEMERAL / "app-D0.tar.gz"), EPHEMERAL / "app-D.tar.gz")
    # /up is what breaks in D, so the load here is what users call besides it
    with Load(CONTAINER, BASE, PATHS[1:]) as load:
        rc, out = deploy("20240104-d", artifact, "-e", "laravel_health_retries=3")
    assert rc != 0
    assert "Release 20240104-d failed its health check" in out, out
    # the message carries what /up answered: the failed check is named
    flat = " ".join(out.split())
    assert "database" in flat and "error: deliberately broken" in flat, flat[-3000:]
    assert f"current is back on /srv/app/releases/{state['previous']}" in out, out
    assert_no_failures(load, switched_to=state["previous"])
    assert live_release(host) == state["previous"]
    status, headers, body = https(host, "GET", "/up")
    assert status == 200 and headers["x-release"] == state["previous"], body


def test_rollback_never_returns_to_a_release_that_failed(host, state):
    # C (migration failed) and D (health check failed) were built after B;
    # after a good release E goes live, a rollback must skip them both and
    # land on the newest release that went live before E: B
    rc, out = deploy("20240105-e", build("5.0.0", EPHEMERAL / "app-E.tar.gz"))
    assert rc == 0, out
    assert live_release(host) == "20240105-e"
    rc, out = playbook(PROJECT / "playbooks" / "rollback.yml")
    assert rc == 0, out
    assert live_release(host) == RELEASE_B
    status, headers, _ = https(host, "GET", "/up")
    assert status == 200 and headers["x-release"] == RELEASE_B
