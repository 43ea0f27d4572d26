"""Crash recovery of the whole monolith under load: while two threads GET
`/up` and two threads POST jobs, the main process of each service the
application needs is killed with SIGKILL in turn (PHP-FPM, nginx, the
PostgreSQL postmaster, Redis, the queue worker). After each kill `/up` must
answer 200 again within 30 s with no human action, and every job the API
accepted (202) must have run exactly once within 3 minutes of the last kill:
nothing lost in Redis (AOF), no job that failed during an outage spent its
tries before the outage ended (the workers' backoff).

Runs after the rollout tests (file order), against whatever release is live."""

import json
import sys
import time
from pathlib import Path

import pytest
import testinfra
from helpers import BASE, CONTAINER, INVENTORY, UNITS, UP, Load, wait_for_every_job

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

import webstack_crash

pytestmark = pytest.mark.skipif(not INVENTORY, reason="needs the molecule inventory (run through molecule verify)")


@pytest.fixture(scope="module")
def host():
    return testinfra.get_hosts(["ansible://all"], ansible_inventory=INVENTORY)[0]


def test_every_service_killed_under_load_comes_back_and_no_accepted_job_is_lost(host):
    recovered = {}
    started = time.time()
    with Load(CONTAINER, BASE, ["/up"], concurrency=2, name="crashload", post="/api/jobs", post_concurrency=2) as load:
        time.sleep(3)
        for unit in UNITS:
            recovered[unit] = webstack_crash.recovers_from_kill(host, unit, UP, within=30)
            # jobs flow again before the next kill
            time.sleep(3)
    print(json.dumps({"seconds_to_up_200": recovered}))
    accepted = load.report["jobs_accepted"]
    assert len(accepted) > 50, load.report
    # no unit gave up: each was killed once, far from its crash-loop guard
    for unit in UNITS:
        state = webstack_crash.unit_props(host, unit, "ActiveState")["ActiveState"]
        assert state == "active", f"{unit} is {state} after one kill"
    # a job reserved by the killed worker is retried after retry_after (90 s);
    # a job that failed while PostgreSQL or Redis was down, after the
    # workers' backoff (10 s, then 30 s)
    counts = wait_for_every_job(host, accepted, within=180)
    summary = {"jobs_accepted": len(accepted), "runs": counts, "jobs_refused": load.report["jobs_refused"]}
    with (webstack_crash.TIMES.parent / "recovery-jobs.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"seconds_to_up_200": recovered, **summary}) + "\n")
    if set(counts) != {1}:
        # what the workers said about failed attempts, for the report
        failed = host.run(
            f"journalctl -u 'laravel-worker@*' --since '@{int(started)}' --no-pager -o cat | grep -i -m 20 fail"
        ).stdout
        pytest.fail(f"accepted jobs by number of runs (0: never ran): {counts}; worker log: {failed}")
