"""Bad backup settings are refused before the role changes anything, each
message naming the variable (and the list entry), no secret in the output;
the units, scripts and settings stay as they were and a backup job still
stores a snapshot in both repositories. Runs after test_backups.py (it needs
only the converged host) and before the check-mode test."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import refused_run

SCENARIO = Path(__file__).resolve().parents[1]
TARGET = "backups-deb12"
SECRET = "token-never-shown-4711"

testinfra_hosts = [TARGET]

CASES = {
    # wrong types and a misspelt key: the argument specs' job
    "argument_specs": (
        {
            "backups_keep_daily": "seven",
            "backups_repositories": [{"name": "local", "urll": "/srv/restic"}],
        },
        [
            "argument 'backups_keep_daily' is of type str and we were unable to convert to int",
            "backups_repositories.urll. Supported parameters include",
        ],
    ),
    # ranges, formats and dangerous values, all named in one run
    "values": (
        {
            "backups_keep_daily": 0,
            "backups_keep_weekly": 0,
            "backups_keep_monthly": 0,
            "backups_pgbackrest_process_max": 0,
            "backups_check_read_data_subset": "5 percent",
            "backups_state_dir": "/",
            "backups_restore_files_target": "srv/restore",
            "backups_restore_pitr_port": 70000,
            "backups_restore_pitr_socket_dir": "run/pitr",
            "backups_forget_schedule": "Sun 4 oclock",
            "backups_heartbeat_url": f"ftp://backups-s3/ping?key={SECRET}",
            "backups_repositories": [
                {"name": "local", "url": "/srv/restic"},
                {"name": "root", "url": "/"},
                {"name": "s3", "url": "s3:https://backups-s3:9000", "access_key_id": "testing"},
            ],
        },
        [
            "backups_keep_daily, backups_keep_weekly and backups_keep_monthly are all 0",
            "backups_pgbackrest_process_max: 0 is out of range (1-999)",
            "backups_check_read_data_subset: '5 percent' is not N% (0 < N <= 100) or N/M (1 <= N <= M)",
            "backups_state_dir: '/' is a system directory",
            "backups_restore_files_target: 'srv/restore' is not an absolute path",
            "backups_restore_pitr_port: 70000 is out of range (1-65535)",
            "backups_restore_pitr_socket_dir: 'run/pitr' is not an absolute path",
            "backups_forget_schedule: 'Sun 4 oclock' is not a systemd calendar event",
            "backups_heartbeat_url is not an http or https URL (value not shown",
            "backups_repositories[1].url: '/' is a system directory",
            "backups_repositories[2].url is not s3:[https://]<host>/<bucket>[/<path>]",
            "backups_repositories[2]: access_key_id and secret_access_key go together",
        ],
    ),
}


def _state(host):
    return host.check_output(
        "find /etc/systemd/system -maxdepth 1 -name 'webstack-backup-*' -type f -print0 | sort -z "
        "| xargs -0 sha256sum /usr/local/sbin/webstack-backup /etc/pgbackrest.conf; "
        "find /etc/webstack-backups -type f -print0 | sort -z | xargs -0 sha256sum; "
        "stat -c '%n %U:%G %a' / /srv/restic /var/lib/webstack-backups /var/lib/webstack-backups/*; "
        "systemctl is-enabled webstack-backup-postgresql.timer webstack-backup-files.timer webstack-backup-forget.timer"
    )


def _files_snapshots(host, repo):
    cmd = host.run("/usr/local/sbin/webstack-backup restic %s snapshots --json --tag files", repo)
    assert cmd.rc == 0, cmd.stderr
    return {s["id"] for s in json.loads(cmd.stdout) or []}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_settings_are_refused_before_any_change(host, case):
    extra, needles = CASES[case]
    before = _state(host)
    # secrets of the inventory and of the bad value never reach the output
    secrets = (SECRET, "restic-Secr3t-for-tests", "testing-secret")
    refused_run(SCENARIO / "bad_input.yml", extra, needles, target=TARGET, secrets=secrets)
    assert _state(host) == before
    # the backups still work: a files job stores a new snapshot in both repositories
    seen = {repo: _files_snapshots(host, repo) for repo in ("s3", "local")}
    job = host.run("systemctl start webstack-backup-files.service")
    assert job.rc == 0, job.stderr
    for repo, ids in seen.items():
        assert _files_snapshots(host, repo) - ids, repo
