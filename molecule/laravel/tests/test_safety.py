"""Release safety, each guarantee attacked: values that would break
production, another local user reading secrets, a failure after the
switch, a held and a stale deploy lock, failed builds that would push the
rollback target out, and playbooks/deploy.yml and rollback.yml on two hosts
(this container under two names: the second serves /srv/app2 with no web
check and no worker, sharing the database), where a failed migration on the
first host must switch no host, a lock held on one host must stop the whole
rollout before any change, and a rollback must land every host on one
release.

Runs after test_rollout.py (B live, A its rollback target), in file order."""

import json
import sys
from pathlib import Path

import pytest
import testinfra
import yaml
from helpers import (
    EPHEMERAL,
    INVENTORY,
    ROOT,
    build,
    http,
    live_release,
    mitogen_args,
    patched,
    recap,
    run_job,
    with_failing_migration,
)
from helpers import playbook as run_playbook

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import webstack_crash

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
RELEASE_A = "20240101-a"
RELEASE_B = "20240102-b"
ROOT2 = "/srv/app2"
SECRETS = ["base64:dGVzdC1vbmx5LWtleS1mb3ItdGhlLXNjZW5hcmlvLTA=", "app-db-secret"]

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")


@pytest.fixture(scope="module")
def host():
    return testinfra.get_hosts(["ansible://all"], ansible_inventory=INVENTORY)[0]


def converge(*args, **env):
    return run_playbook(SCENARIO / "converge.yml", *args, **env)


def artifact_b():
    return str(EPHEMERAL / "laravel-app-B.tar.gz")


def assert_serves(host, release):
    assert live_release(host) == release
    status, headers, body = http(host, "GET", "/up")
    assert status == 200, body
    assert headers["x-release"] == release


BAD_INPUT = {
    # the role's own checks: values that would stop the workers, skip the
    # health check, let a lock expire mid-deploy or spin a crash loop
    "values": (
        {
            "laravel_workers": -2,
            "laravel_health_url": "",
            "laravel_lock_ttl": 5,
            "laravel_worker_start_limit_burst": 0,
            "laravel_worker_revive_interval": "soon",
            "laravel_worker_backoff": "10s",
        },
        [
            "laravel_workers must be 0 to 64 (got -2)",
            "laravel_health_url must be an http(s) URL",
            "laravel_health_check: false",
            "laravel_lock_ttl must be at least 60 seconds (got 5)",
            "laravel_worker_start_limit_burst: 0 is out of range (1-1000)",
            "laravel_worker_revive_interval: 'soon' is not a duration",
            "laravel_worker_backoff must be seconds per attempt separated by commas",
        ],
    ),
    # the argument specs: a wrong type, a value outside a closed set
    "types": (
        {"laravel_workers": "two", "laravel_source": "ftp"},
        [
            "argument 'laravel_workers' is of type",
            "value of laravel_source must be one of: artifact, git, got: ftp",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_before_any_change(host, case):
    extra, needles = BAD_INPUT[case]
    before = host.file(f"{ROOT}/releases").listdir()
    rc, out = converge("-e", json.dumps(extra), LARAVEL_RELEASE_ID=f"20240109-{case[0]}", LARAVEL_ARTIFACT=artifact_b())
    assert rc != 0
    flat = " ".join(out.split())
    missing = [needle for needle in needles if needle not in flat]
    assert not missing, (missing, flat[-3000:])
    assert host.file(f"{ROOT}/releases").listdir() == before
    assert host.service("laravel-worker@1").is_running and host.service("laravel-worker@2").is_running
    assert_serves(host, RELEASE_B)


def test_no_other_local_user_reads_a_secret(host):
    # the secrets are on disk (the .env, each release's config cache) ...
    found = host.run(f"grep -rlF -e {SECRETS[0]} -e {SECRETS[1]} {ROOT} /etc").stdout.split()
    assert f"{ROOT}/shared/.env" in found
    assert f"{ROOT}/releases/{RELEASE_B}/bootstrap/cache/config.php" in found
    # ... and nobody, or any user outside the application's, reads none
    res = host.run(f"runuser -u nobody -- grep -rlF -e {SECRETS[0]} -e {SECRETS[1]} {ROOT} /etc /tmp /var/log")
    assert res.stdout.split() == [], res.stdout
    # the web server still serves the release (its group enters the releases)
    assert_serves(host, RELEASE_B)


def with_failing_queue_restart(src, out):
    """An artifact whose `artisan queue:restart` fails: the reload after
    the switch fails."""

    def break_restart(php):
        marker = b"<?php\n"
        assert marker in php
        return php.replace(
            marker,
            marker
            + b"if (($argv[1] ?? '') === 'queue:restart') {"
            + b' fwrite(STDERR, "deliberately broken reload\\n"); exit(1); }\n',
            1,
        )

    return patched(src, out, edit={"artisan": break_restart})


def test_a_failure_after_the_switch_is_reverted(host):
    artifact = with_failing_queue_restart(artifact_b(), EPHEMERAL / "laravel-app-R.tar.gz")
    rc, out = converge(LARAVEL_RELEASE_ID="20240104-r", LARAVEL_ARTIFACT=str(artifact))
    assert rc != 0
    flat = " ".join(out.split())
    assert "deliberately broken reload" in flat, flat[-3000:]
    assert f"current is back on {ROOT}/releases/{RELEASE_B}" in flat, flat[-3000:]
    assert_serves(host, RELEASE_B)
    log = host.file(f"{ROOT}/releases.log").content_string
    assert f"revert {RELEASE_B} previous=20240104-r" in log
    assert not host.file(f"{ROOT}/.deploy.lock").exists


def plant_lock(host, root, owner, age_s):
    host.run_expect([0], f"mkdir -p {root} && mkdir {root}/.deploy.lock")
    host.run_expect([0], f"printf '%s\\n' '{json.dumps(owner)}' > {root}/.deploy.lock/owner")
    host.run_expect([0], f"touch -d '@'$(( $(date +%s) - {age_s} )) {root}/.deploy.lock")


OTHER = {
    "id": "other-rollout-1",
    "release": "20240199-x",
    "user": "ci-bot",
    "controller": "runner-7",
    "started_at": "2026-01-01T10:00:00Z",
    "run_url": "https://ci.example/runs/77",
}


def test_a_held_lock_names_its_holder_and_is_broken_only_when_stale_and_asked(host):
    try:
        plant_lock(host, ROOT, OTHER, 30)
        for extra in ([], ["-e", "laravel_lock_break=true"]):  # young: never broken
            rc, out = converge(*extra, LARAVEL_RELEASE_ID=RELEASE_B, LARAVEL_ARTIFACT=artifact_b())
            flat = " ".join(out.split())
            assert rc != 0
            assert "Another deployment holds the deploy lock" in flat, flat[-3000:]
            for part in (
                "20240199-x",
                "ci-bot",
                "2026-01-01T10:00:00Z",
                "https://ci.example/runs/77",
                "Nothing was changed",
            ):
                assert part in flat, part
            assert host.file(f"{ROOT}/.deploy.lock/owner").contains("other-rollout-1")
        # a lock older than laravel_lock_ttl (a dead deployment): still held ...
        host.run_expect([0], f"touch -d '@'$(( $(date +%s) - 7200 )) {ROOT}/.deploy.lock")
        rc, out = converge(LARAVEL_RELEASE_ID=RELEASE_B, LARAVEL_ARTIFACT=artifact_b())
        assert rc != 0 and "laravel_lock_break=true" in out
        # ... until it is broken explicitly
        rc, out = converge("-e", "laravel_lock_break=true", LARAVEL_RELEASE_ID=RELEASE_B, LARAVEL_ARTIFACT=artifact_b())
        assert rc == 0, out[-3000:]
        assert not host.file(f"{ROOT}/.deploy.lock").exists
    finally:
        host.run(f"rm -rf {ROOT}/.deploy.lock")
    assert_serves(host, RELEASE_B)


def test_failed_builds_never_push_the_rollback_target_out(host):
    """Four deployments that failed after their build (never live) leave
    four newer releases; the next good deployment keeps B, the release it
    replaces, and rollback returns to it."""
    for n in range(1, 5):
        failed = f"{ROOT}/releases/20240105-f{n}"
        host.run_expect(
            [0], f"cp -a {ROOT}/releases/{RELEASE_B} {failed} && rm -f {failed}/.live && touch {failed}/.built"
        )
    artifact = build("4.0.0", EPHEMERAL / "laravel-app-G.tar.gz")
    rc, out = converge(LARAVEL_RELEASE_ID="20240106-g", LARAVEL_ARTIFACT=str(artifact))
    assert rc == 0, out[-3000:]
    assert_serves(host, "20240106-g")
    left = sorted(host.file(f"{ROOT}/releases").listdir())
    # laravel_keep_releases: 3: G (live), then B and A (went live), and no failed build
    assert left == [RELEASE_A, RELEASE_B, "20240106-g"], left
    rc, out = run_playbook(SCENARIO / "rollback.yml")
    assert rc == 0, out[-3000:]
    assert_serves(host, RELEASE_B)


# --- playbooks/deploy.yml and rollback.yml on two hosts -------------------


@pytest.fixture(scope="module")
def two_hosts():
    """An inventory naming this container twice: `one` is the scenario's
    host; `two` keeps its releases in /srv/app2."""
    source = yaml.safe_load(Path(INVENTORY).read_text())
    name, conn = next(iter(source["all"]["hosts"].items()))
    settings = yaml.safe_load((SCENARIO / "vars" / "deploy.yml").read_text())
    settings["laravel_migrate_once"] = True  # one database for the rollout
    inventory = {
        "all": {
            "vars": settings,
            "children": {
                "app": {
                    "hosts": {
                        "one": dict(conn or {}, ansible_host=(conn or {}).get("ansible_host", name)),
                        "two": dict(
                            conn or {},
                            ansible_host=(conn or {}).get("ansible_host", name),
                            laravel_root=ROOT2,
                            # the account is `one`'s (same container): `two`
                            # must not move its home to /srv/app2 every run
                            laravel_create_user=False,
                            laravel_service_prefix="laravel2",
                            laravel_workers=0,
                            laravel_scheduler=False,
                            laravel_health_check=False,
                        ),
                    }
                }
            },
        }
    }
    path = EPHEMERAL / "two-hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return str(path)


def deploy(inventory, release, artifact, *args, **env):
    return run_playbook(
        PROJECT / "playbooks" / "deploy.yml",
        "-e",
        f"laravel_release_id={release}",
        "-e",
        f"laravel_artifact={artifact}",
        *args,
        inventory=inventory,
        **env,
    )


def rollback(inventory, *args):
    return run_playbook(PROJECT / "playbooks" / "rollback.yml", *args, inventory=inventory)


def live(host, root):
    return host.file(f"{root}/current").linked_to.rsplit("/", 1)[-1]


RELEASE_H = "20240110-h"


def test_two_hosts_first_rollout(host, two_hosts):
    # `two` gets its first release (B, already live on `one`)
    rc, out = deploy(two_hosts, RELEASE_B, artifact_b())
    assert rc == 0, out[-3000:]
    assert live(host, ROOT) == RELEASE_B and live(host, ROOT2) == RELEASE_B
    assert_serves(host, RELEASE_B)


def test_a_rollout_under_mitogen_switches_both_hosts_and_its_rerun_changes_nothing(host, two_hosts):
    """The optional Mitogen strategy (README, "Mitogen") on the real rollout:
    both hosts go to H together, workers restarted onto it, and deploying
    the live release again reports changed=0 on both."""
    env, args = mitogen_args()
    # the same settings really put Mitogen in charge (a fallback to the
    # plain transport would pass everything below unnoticed)
    rc, out = run_playbook(PROJECT / "molecule" / "_shared" / "mitogen_probe.yml", *args, inventory=two_hosts, **env)
    assert rc == 0, out[-3000:]
    rc, out = deploy(two_hosts, RELEASE_H, artifact_b(), *args, **env)
    assert rc == 0, out[-3000:]
    assert live(host, ROOT) == RELEASE_H and live(host, ROOT2) == RELEASE_H
    for root in (ROOT, ROOT2):
        assert not host.file(f"{root}/.deploy.lock").exists
    assert_serves(host, RELEASE_H)
    job = run_job(lambda method, path, body: http(host, method, path, body), "under-mitogen")
    assert job["processed_by_release"] == RELEASE_H, job
    rc, out = deploy(two_hosts, RELEASE_H, artifact_b(), *args, **env)
    assert rc == 0, out[-3000:]
    counts = recap(out)
    assert set(counts) == {"one", "two"}, counts
    assert all(c["changed"] == "0" and c["failed"] == "0" for c in counts.values()), counts


def test_a_failed_migration_on_the_first_host_switches_no_host(host, two_hosts):
    artifact = with_failing_migration(artifact_b(), EPHEMERAL / "laravel-app-M.tar.gz")
    rc, out = deploy(two_hosts, "20240107-m", str(artifact))
    flat = " ".join(out.split())
    assert rc != 0
    assert "Release 20240107-m was not activated on one" in flat and "deliberately broken migration" in flat, flat[
        -3000:
    ]
    assert "The rollout stopped on one" in flat
    # the second host built it but never switched
    assert host.file(f"{ROOT2}/releases/20240107-m/.built").exists
    assert live(host, ROOT) == RELEASE_H and live(host, ROOT2) == RELEASE_H
    for root in (ROOT, ROOT2):
        assert not host.file(f"{root}/.deploy.lock").exists
    assert_serves(host, RELEASE_H)


def test_a_lock_held_on_one_host_stops_the_rollout_before_any_change(host, two_hosts):
    try:
        plant_lock(host, ROOT2, OTHER, 10)
        rc, out = deploy(two_hosts, "20240108-n", artifact_b())
        flat = " ".join(out.split())
        assert rc != 0
        assert f"Another deployment holds the deploy lock {ROOT2}/.deploy.lock on two" in flat, flat[-3000:]
        assert "ci-bot" in flat and "https://ci.example/runs/77" in flat
        # nothing was built on either host, the lock taken on the first is gone,
        # the other deployment's lock is left alone
        for root in (ROOT, ROOT2):
            assert not host.file(f"{root}/releases/20240108-n").exists
        assert not host.file(f"{ROOT}/.deploy.lock").exists
        assert host.file(f"{ROOT2}/.deploy.lock/owner").contains("other-rollout-1")
        # the unlock playbook breaks it, showing whose it was
        rc, out = run_playbook(PROJECT / "playbooks" / "unlock.yml", inventory=two_hosts)
        assert rc == 0, out[-3000:]
        assert "ci-bot" in out
        assert not host.file(f"{ROOT2}/.deploy.lock").exists
    finally:
        host.run(f"rm -rf {ROOT2}/.deploy.lock")
    assert live(host, ROOT) == RELEASE_H and live(host, ROOT2) == RELEASE_H


def test_a_rollback_lands_every_host_on_one_release(host, two_hosts):
    """Before H, `one` last ran G and `two` ran B: each alone would go back
    to its own. The target is chosen once (G, on the first host); `two`
    lacks it, so nothing switches; once `two` has G, both land on it."""
    rc, out = rollback(two_hosts)
    flat = " ".join(out.split())
    assert rc != 0
    assert "two has no release 20240106-g that went live" in flat, flat[-3000:]
    assert live(host, ROOT) == RELEASE_H and live(host, ROOT2) == RELEASE_H
    for root in (ROOT, ROOT2):
        assert not host.file(f"{root}/.deploy.lock").exists
    host.run_expect([0], f"cp -a {ROOT}/releases/20240106-g {ROOT2}/releases/")
    rc, out = rollback(two_hosts)
    assert rc == 0, out[-3000:]
    assert live(host, ROOT) == "20240106-g" and live(host, ROOT2) == "20240106-g"
    assert_serves(host, "20240106-g")


def test_a_queue_backlog_does_not_roll_a_release_back(host):
    """500 jobs queued at once, with no worker to take them (so the backlog
    and the late heartbeat both hold through the deployment): the release
    still goes live, because a backlog does not stop it from serving. /up
    reports the queue in its body; the monitoring role alerts on it."""
    host.run_expect([0], "systemctl stop 'laravel-worker@*'")
    host.run_expect([0], "printf '%s' '{\"payload\": \"backlog\"}' > /tmp/backlog-job.json")
    post = (
        "curl -sk -o /dev/null -w '%{http_code}\\n' -X POST -H 'Accept: application/json' "
        "-H 'Content-Type: application/json' --data @/tmp/backlog-job.json http://127.0.0.1/api/jobs"
    )
    codes = host.check_output(f"seq 500 | xargs -P 4 -I{{}} {post}").split()
    assert codes.count("202") == 500, sorted(set(codes))
    status, _, body = http(host, "GET", "/up")
    assert status == 200 and json.loads(body)["queue"].startswith("error"), body
    rc, out = converge("-e", "laravel_workers=0", LARAVEL_RELEASE_ID="20240106-q", LARAVEL_ARTIFACT=artifact_b())
    assert rc == 0, out[-3000:]
    assert live_release(host) == "20240106-q"
    # the workers come back and every accepted job runs
    rc, out = converge(LARAVEL_RELEASE_ID="20240106-q", LARAVEL_ARTIFACT=artifact_b())
    assert rc == 0, out[-3000:]
    unrun = (
        "sudo -u postgres psql -XAt -d app -c "
        "\"SELECT count(*) FROM tasks WHERE payload = 'backlog' AND processed_at IS NULL\""
    )
    for _ in range(90):
        if host.check_output(unrun) == "0":
            break
        host.run("sleep 2")
    assert host.check_output(unrun) == "0"
    ran = "sudo -u postgres psql -XAt -d app -c \"SELECT count(*) FROM tasks WHERE payload = 'backlog'\""
    assert host.check_output(ran) == "500"


def test_a_worker_in_a_crash_loop_ends_failed_and_the_next_converge_starts_it(host):
    """A worker killed again and again ends failed (its start-limit guard)
    instead of spinning; systemd would refuse to start it within the window,
    so the next converge clears the failure and starts it, and it runs jobs."""
    unit = "laravel-worker@1.service"
    probe = f"systemctl is-active --quiet {unit}"
    # the retry timer must not fire in the middle of the attack
    assert host.run("systemctl stop laravel-worker-revive.timer").rc == 0
    webstack_crash.crash_loop_ends_failed(host, unit, probe, restore_after=False)
    # systemd refuses to start it again within the window: a plain start fails
    refused = host.run(f"systemctl start {unit}")
    assert refused.rc != 0, refused.stdout
    # the retry (what the timer starts every laravel_worker_revive_interval)
    # brings back a failed worker and leaves one stopped by hand alone
    assert host.run("systemctl stop laravel-worker@2.service").rc == 0
    revive = host.run("systemctl start laravel-worker-revive.service")
    assert revive.rc == 0, revive.stderr
    assert webstack_crash.wait_until(lambda: host.run(probe).rc == 0, 10), f"{unit} not started by the retry"
    assert host.run("systemctl is-active laravel-worker@2.service").stdout.strip() == "inactive"
    # broken again: the guard still ends it failed, the retry did not lift it
    webstack_crash.crash_loop_ends_failed(host, unit, probe, restore_after=False)
    # the next deployment finds the worker failed and, on top of it, PHP-FPM
    # stopped: its reload starts PHP-FPM and the release goes live
    fpm = host.run("systemctl list-units --all --plain --no-legend 'php*-fpm.service'").stdout.split()[0]
    try:
        assert host.run(f"systemctl stop {fpm}").rc == 0
        rc, out = converge(LARAVEL_RELEASE_ID="20240111-s", LARAVEL_ARTIFACT=artifact_b())
        assert rc == 0, out[-3000:]
    finally:
        host.run(f"systemctl start {fpm}")
    assert host.service(fpm).is_running
    assert_serves(host, "20240111-s")
    assert "Clear the crash-loop stop of failed queue workers" in out
    assert host.run(f"systemctl is-active {unit}").stdout.strip() == "active"
    # the converge started the stopped worker and the retry timer again
    assert host.run("systemctl is-active laravel-worker@2.service").stdout.strip() == "active"
    timer = host.run("systemctl show laravel-worker-revive.timer -p ActiveState -p UnitFileState").stdout
    assert "ActiveState=active" in timer and "UnitFileState=enabled" in timer, timer
    data = run_job(lambda method, path, body: http(host, method, path, body), "after-crash-loop")
    assert data["processed_by_release"] == "20240111-s"


def test_a_deploy_meets_a_dead_service(host):
    """A deployment never reports success while the stack cannot serve:
    Redis found dead fails the deployment, the message names the failing
    step and Redis, and the previous release serves again once Redis is
    back. (PHP-FPM found stopped is started by the deployment's reload: the
    crash-loop test's deployment above.)"""
    try:
        assert host.run("systemctl stop redis-server.service").rc == 0
        rc, out = converge(LARAVEL_RELEASE_ID="20240111-t", LARAVEL_ARTIFACT=artifact_b())
    finally:
        host.run("systemctl start redis-server.service")
    assert rc != 0
    flat = " ".join(out.split())
    # the first step that needs Redis after the switch (queue:restart) fails;
    # the message names it and Redis, and the revert completes although the
    # previous release's restart fails the same way
    assert "Release 20240111-t was not activated" in flat, flat[-3000:]
    assert "Restart the queue workers gracefully" in flat and "PhpRedisConnector" in flat, flat[-3000:]
    back = f"current is back on {ROOT}/releases/20240111-s (restarting its queue workers failed too"
    assert back in flat, flat[-3000:]
    assert webstack_crash.wait_until(lambda: http(host, "GET", "/up")[0] == 200, 30)
    assert_serves(host, "20240111-s")
