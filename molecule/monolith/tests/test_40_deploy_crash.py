"""A service the application needs dies while a release is being deployed:
15 s into `playbooks/deploy.yml` (the release is being unpacked, migrated
and checked), under load (two threads GET `/up`, two POST jobs), the main
process of PHP-FPM, nginx, the PostgreSQL postmaster, Redis and a queue
worker is killed with SIGKILL, one per deployment.

Each deployment must end with either the new release live (and then report
success, with every service running) or the previous one live (and then
fail saying the rollout stopped); the stack serves again within 30 s of the
deployment's end, and every job the API accepted runs exactly once.

Runs after the crash tests (file order), against whatever release is live."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import testinfra
from helpers import (
    BASE,
    CONTAINER,
    EPHEMERAL,
    INVENTORY,
    UNITS,
    UP,
    Load,
    build,
    deploy,
    https,
    live_release,
    wait_for_every_job,
    webstack_crash,
)

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")

KILL_AFTER_S = 15


@pytest.fixture(scope="module")
def host():
    return testinfra.get_hosts(["ansible://all"], ansible_inventory=INVENTORY)[0]


def deploy_with_a_kill(host, unit, release, artifact):
    """Deploy `release`, SIGKILL the unit's main process KILL_AFTER_S into
    it; return (rc, output, seconds the deployment took)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        running = pool.submit(deploy, release, artifact)
        time.sleep(KILL_AFTER_S)
        assert not running.done(), "the deployment ended before the kill: nothing was attacked"
        webstack_crash.kill_main(host, unit)
        rc, out = running.result()
    return rc, out, time.monotonic() - started


def test_a_service_killed_during_a_deploy(host):
    artifact = build("3.0.0", EPHEMERAL / "app-K.tar.gz")
    outcomes = {}
    load = Load(CONTAINER, BASE, ["/up"], concurrency=2, name="deploycrash", post="/api/jobs", post_concurrency=2)
    with load:
        for n, unit in enumerate(UNITS):
            before = live_release(host)
            release = f"20240301-k{n}"
            rc, out, took = deploy_with_a_kill(host, unit, release, artifact)
            ended = time.monotonic()
            assert webstack_crash.wait_until(lambda: webstack_crash.answers(host, UP), 30), (
                f"the stack does not serve 30 s after a deployment that met a killed {unit}"
            )
            live = live_release(host)
            flat = " ".join(out.split())
            if rc == 0:
                # success is reported only with the new release live and
                # every service it needs running
                assert live == release, f"deploy of {release} succeeded but {live} is live"
                states = {u: webstack_crash.unit_props(host, u, "ActiveState")["ActiveState"] for u in UNITS}
                assert set(states.values()) == {"active"}, states
                status, headers, _ = https(host, "GET", "/up")
                assert status == 200 and headers["x-app-version"] == "3.0.0", headers
            else:
                assert live == before, f"deploy of {release} failed but {live} is live (was {before})"
                assert "The rollout stopped on" in flat, flat[-3000:]
            outcomes[unit] = {
                "release": release,
                "deploy_rc": rc,
                "deploy_s": round(took, 1),
                "serving_after_end_s": round(time.monotonic() - ended, 1),
                "live": live,
            }
    print(json.dumps(outcomes, indent=1))
    accepted = load.report["jobs_accepted"]
    assert len(accepted) > 50, load.report
    counts = wait_for_every_job(host, accepted, within=180)
    summary = {"jobs_accepted": len(accepted), "runs": counts, "jobs_refused": load.report["jobs_refused"]}
    with (webstack_crash.TIMES.parent / "recovery-deploys.jsonl").open("a", encoding="utf-8") as report:
        report.write(json.dumps({"deploys": outcomes, **summary}) + "\n")
    assert set(counts) == {1}, f"accepted jobs by number of runs (0: never ran): {counts}"
