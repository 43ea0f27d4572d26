"""Release management across a rollout, driven with ansible-playbook against
the scenario's inventory: release B (an artifact without vendor/, so composer
runs on the host) replaces A, a rollback returns to A, a
rollback with no older release refuses, a release whose migration fails is
never activated, a held deploy lock stops a deployment, and releases beyond
laravel_keep_releases are removed, failed builds first.

These tests run once for all hosts, in file order (each builds on the
state the previous one left)."""

import json
import time
from pathlib import Path

import pytest
import testinfra
from helpers import EPHEMERAL, INVENTORY, ROOT, build, http, live_release, recap, with_failing_migration
from helpers import playbook as run_playbook

SCENARIO = Path(__file__).resolve().parents[1]
RELEASE_A = "20240101-a"
RELEASE_B = "20240102-b"
RELEASE_C = "20240103-c"

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")


def hosts():
    return testinfra.get_hosts(["ansible://all"], ansible_inventory=INVENTORY)


def playbook(name, *args, **env):
    return run_playbook(SCENARIO / name, *args, **env)


def assert_live(expected_release, expected_version=None):
    for host in hosts():
        assert live_release(host) == expected_release, host.backend.host
        status, headers, body = http(host, "GET", "/up")
        assert status == 200, body
        assert headers["x-release"] == expected_release
        if expected_version:
            assert headers["x-app-version"] == expected_version


def test_release_a_is_live():
    assert_live(RELEASE_A, "1.0.0")


def test_check_mode_on_the_live_release_changes_nothing():
    rc, out = playbook("converge.yml", "--check", LARAVEL_RELEASE_ID=RELEASE_A)
    assert rc == 0, out
    counts = recap(out)
    assert counts and all(c["changed"] == "0" for c in counts.values()), counts


def test_an_empty_revive_interval_turns_the_revive_timer_off_and_the_default_back_on():
    """laravel_worker_revive_interval: "" is documented to disable the timer
    that restarts failed workers: on a redeploy of the live release it is
    stopped and its units removed, and the default installs and starts it
    again."""
    timer = "laravel-worker-revive.timer"
    rc, out = playbook(
        "converge.yml", "-e", json.dumps({"laravel_worker_revive_interval": ""}), LARAVEL_RELEASE_ID=RELEASE_A
    )
    assert rc == 0, out[-3000:]
    for host in hosts():
        # stopped, and its units removed (systemd no longer knows it)
        assert host.run(f"systemctl is-active {timer}").stdout.strip() != "active", host.backend.host
        assert not host.file(f"/etc/systemd/system/{timer}").exists, host.backend.host
        assert host.run(f"systemctl is-enabled {timer}").stdout.strip() not in ("enabled", "static"), host.backend.host
        assert host.service("laravel-worker@1").is_running, host.backend.host
    rc, out = playbook("converge.yml", LARAVEL_RELEASE_ID=RELEASE_A)
    assert rc == 0, out[-3000:]
    for host in hosts():
        assert host.service(timer).is_running and host.service(timer).is_enabled, host.backend.host


def test_release_b_switches_responses():
    # B ships without vendor/: the role installs composer and runs
    # `composer install --no-dev --optimize-autoloader` (Packagist disabled
    # in composer.json: nothing leaves the host)
    artifact = build("2.0.0", EPHEMERAL / "laravel-app-B.tar.gz", no_vendor=True)
    for host in hosts():
        # no composer on the host: laravel_release installs the distribution's
        # package itself (install_composer), which this release exercises
        host.run("apt-get remove -y -q composer >/dev/null 2>&1")
        assert not host.file("/usr/bin/composer").exists, host.backend.host
    rc, out = playbook("converge.yml", LARAVEL_RELEASE_ID=RELEASE_B, LARAVEL_ARTIFACT=str(artifact))
    assert rc == 0, out
    assert_live(RELEASE_B, "2.0.0")
    for host in hosts():
        assert host.file("/usr/bin/composer").exists, host.backend.host
        # workers were restarted onto B: a new job is processed by B's code
        status, _, body = http(host, "POST", "/api/jobs", {"payload": "after-switch"})
        assert status == 202
        job = json.loads(body)["id"]
        for _ in range(40):
            _, _, body = http(host, "GET", f"/api/jobs/{job}")
            if '"processed_by_release":"' + RELEASE_B in body:
                break
            time.sleep(1)
        assert '"processed_by_release":"' + RELEASE_B in body, body
        assert host.file(f"{ROOT}/releases/{RELEASE_B}/vendor/composer/autoload_classmap.php").exists
        assert not host.file(f"{ROOT}/releases/{RELEASE_A}/vendor/composer").exists
        assert host.file(f"{ROOT}/releases/{RELEASE_A}").is_directory
        log = host.file(f"{ROOT}/releases.log").content_string
        assert f"deploy {RELEASE_B} previous={RELEASE_A}" in log


def test_rollback_returns_to_the_previous_release():
    rc, out = playbook("rollback.yml")
    assert rc == 0, out
    assert_live(RELEASE_A, "1.0.0")
    for host in hosts():
        assert f"rollback {RELEASE_A} previous={RELEASE_B}" in host.file(f"{ROOT}/releases.log").content_string


def test_rollback_refuses_without_an_older_release():
    rc, out = playbook("rollback.yml")
    assert rc != 0
    assert "Nothing to roll back to" in out, out
    assert_live(RELEASE_A)


def test_release_with_a_failing_migration_is_not_activated():
    artifact = with_failing_migration(
        build("3.0.0", EPHEMERAL / "laravel-app-C-base.tar.gz"), EPHEMERAL / "laravel-app-C.tar.gz"
    )
    rc, out = playbook("converge.yml", LARAVEL_RELEASE_ID=RELEASE_C, LARAVEL_ARTIFACT=str(artifact))
    assert rc != 0
    assert f"Release {RELEASE_C} was not activated" in out, out
    assert "deliberately broken migration" in out
    assert_live(RELEASE_A, "1.0.0")
    for host in hosts():
        assert not host.file(f"{ROOT}/.deploy.lock").exists


def test_held_lock_stops_a_deployment():
    for host in hosts():
        host.run_expect(
            [0], f"mkdir {ROOT}/.deploy.lock && echo 'release x by ci since now' > {ROOT}/.deploy.lock/owner"
        )
    try:
        rc, out = playbook(
            "converge.yml", LARAVEL_RELEASE_ID=RELEASE_B, LARAVEL_ARTIFACT=str(EPHEMERAL / "laravel-app-B.tar.gz")
        )
        assert rc != 0
        assert "Another deployment holds the deploy lock" in out and "release x by ci" in out, out
        assert_live(RELEASE_A)
        for host in hosts():
            # the lock of the other deployment is left alone
            assert host.file(f"{ROOT}/.deploy.lock/owner").exists
    finally:
        for host in hosts():
            host.run(f"rm -rf {ROOT}/.deploy.lock")


def test_old_releases_are_pruned():
    # A, B and C (built, never activated) exist; going back to B with
    # laravel_keep_releases=2 keeps B (live) and A, the newest other release
    # that went live (rollback's target); C, a failed build, goes first
    rc, out = playbook(
        "converge.yml",
        "-e",
        "laravel_keep_releases=2",  # a string, as from a command line
        LARAVEL_RELEASE_ID=RELEASE_B,
        LARAVEL_ARTIFACT=str(EPHEMERAL / "laravel-app-B.tar.gz"),
    )
    assert rc == 0, out
    assert_live(RELEASE_B, "2.0.0")
    for host in hosts():
        left = sorted(host.run(f"ls {ROOT}/releases").stdout.split())
        assert left == [RELEASE_A, RELEASE_B], left
