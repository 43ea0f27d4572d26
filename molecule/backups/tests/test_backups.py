"""Backups proven by restoring them: restic dumps and files in a TLS S3
endpoint (moto behind nginx) and a local repository, restores with
playbooks/restore.yml, a failing dump, a restore drill and a pgBackRest
point-in-time recovery. The tests run in file order and build on each other.
Times printed here (pytest -s or the -v log) are the RTO evidence."""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

testinfra_hosts = ["backups-deb12"]

ROOT = Path(__file__).resolve().parents[3]
STORAGE = "/srv/app/shared/storage"
TABLE_SUMS = {
    "kartable": "SELECT md5(string_agg(id || ':' || name || ':' || ST_AsText(geom) || ':' || ST_AsText(centroid),"
                " ',' ORDER BY id)) FROM parcels",
    "ledger": "SELECT md5(string_agg(id || ':' || amount || ':' || note, ',' ORDER BY id)) FROM entries",
}


def psql(host, db, sql):
    cmd = host.run("runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d %s -c %s", db, sql)
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout.strip()


def files_sums(host):
    # .env is excluded from the backups on purpose (backups_files_excludes)
    cmd = host.run(
        "cd %s && find . -type f ! -name .env -printf '%%p %%u:%%g %%m\\n' | sort && "
        "find . -type f ! -name .env -print0 | sort -z | xargs -0 sha256sum", STORAGE)
    assert cmd.rc == 0, cmd.stderr
    return cmd.stdout


def snapshots(host, repo="s3"):
    cmd = host.run("/usr/local/sbin/webstack-backup restic %s snapshots --json", repo)
    assert cmd.rc == 0, cmd.stderr

    return json.loads(cmd.stdout) or []


def start(host, job):
    began = time.monotonic()
    cmd = host.run("systemctl start webstack-backup-%s.service", job)
    return cmd, time.monotonic() - began


def restore(*extra):
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    cmd = ["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / "restore.yml")]
    extra_vars = {"restore_hosts": "backups-deb12"}
    for item in extra:
        key, value = item.split("=", 1)
        extra_vars[key] = value
    cmd += ["-e", json.dumps(extra_vars)]
    began = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    return result, time.monotonic() - began


ORIGINAL = {}


def test_units_run_as_the_backup_user_on_randomised_timers(host):
    for job in ("postgresql", "files", "forget", "check", "drill", "pgbackrest-full", "pgbackrest-diff"):
        assert host.service("webstack-backup-%s.timer" % job).is_enabled
        assert host.service("webstack-backup-%s.timer" % job).is_running
        timer = host.file("/etc/systemd/system/webstack-backup-%s.timer" % job).content_string
        assert "RandomizedDelaySec=30min" in timer
    for job in ("postgresql", "files"):
        user = host.run("systemctl show -p User --value webstack-backup-%s.service", job).stdout.strip()
        assert user == "webstack-backup"
    password = host.file("/etc/webstack-backups/restic.password")
    assert (password.user, password.mode) == ("webstack-backup", 0o600)
    for repo in ("s3", "local"):
        env = host.file("/etc/webstack-backups/repositories/%s.env" % repo)
        assert (env.user, env.mode) == ("webstack-backup", 0o600)
    # the PostgreSQL role can read but is no superuser
    assert psql(host, "postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = 'webstack-backup'") == "f"
    assert psql(host, "postgres", "SELECT pg_has_role('webstack-backup', 'pg_read_all_data', 'member')") == "t"


def test_backup_jobs_store_dumps_and_files_in_both_repositories(host):
    for db, sql in TABLE_SUMS.items():
        ORIGINAL[db] = psql(host, db, sql)
    ORIGINAL["files"] = files_sums(host)
    assert "parcel" not in ORIGINAL["files"]  # sanity of the helper
    before = time.time()
    cmd, dump_time = start(host, "postgresql")
    assert cmd.rc == 0, cmd.stderr
    cmd, files_time = start(host, "files")
    assert cmd.rc == 0, cmd.stderr
    size = psql(host, "postgres", "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database"
                " WHERE datname IN ('kartable', 'ledger')")
    files_size = host.run("du -sh %s", STORAGE).stdout.split()[0]
    print(f"\nRTO evidence: dump job (kartable 100k PostGIS rows + ledger 50k rows, {size} on disk) "
          f"{dump_time:.1f}s; files job ({files_size}) {files_time:.1f}s; both into 2 repositories")
    for repo in ("s3", "local"):
        tags = [set(s.get("tags") or []) for s in snapshots(host, repo)]
        for wanted in ({"postgresql", "database:kartable"}, {"postgresql", "database:ledger"},
                       {"postgresql", "manifest:kartable"}, {"postgresql", "manifest:ledger"},
                       {"postgresql", "globals"}, {"files"}):
            assert any(wanted <= found for found in tags), (wanted, tags)
        # each dump and its manifest share their run tag
        for db in ("kartable", "ledger"):
            runs = [{t for t in found if t.startswith("run:")} for found in tags
                    if "database:%s" % db in found or "manifest:%s" % db in found]
            assert len(runs) == 2 and runs[0] == runs[1] and len(runs[0]) == 1, runs
    listing = host.run("/usr/local/sbin/webstack-backup restic s3 ls --host backups-deb12 --tag files latest")
    assert listing.rc == 0
    assert STORAGE + "/app/private/invoices/invoice 7.pdf" in listing.stdout
    assert STORAGE + "/.env" not in listing.stdout  # excluded
    for job in ("postgresql", "files"):
        stamp = host.file("/var/lib/webstack-backups/status/%s.last-success" % job)
        assert int(stamp.content_string.strip()) >= int(before) - 1
        assert stamp.mode == 0o644
    # the heartbeat reached the S3 peer's web server
    log = subprocess.run(["docker", "exec", "backups-s3", "grep", "-c", "heartbeat=success", "/var/log/nginx/s3.log"],
                         capture_output=True, text=True, check=False)
    assert int(log.stdout.strip() or 0) >= 2


def test_dry_run_lists_and_changes_nothing(host):
    result, _ = restore("restore_databases=kartable,ledger", "restore_files=true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DRY RUN" in result.stdout
    assert "postgresql-kartable.dump" in result.stdout
    assert "REPLACES a database with tables" in result.stdout
    assert psql(host, "kartable", TABLE_SUMS["kartable"]) == ORIGINAL["kartable"]


def test_restore_refuses_to_overwrite_without_force(host):
    result, _ = restore("restore_databases=ledger", "restore_dry_run=false")
    assert result.returncode != 0
    assert "Refusing to overwrite" in result.stdout + result.stderr
    assert psql(host, "ledger", "SELECT count(*) FROM entries") == "50000"


def worker_started_at(host):
    cmd = host.run("systemctl show -p ActiveEnterTimestampMonotonic --value laravel-worker@default.service")
    assert cmd.rc == 0, cmd.stderr
    return int(cmd.stdout.strip() or 0)


def test_destroyed_database_and_files_come_back_identical(host):
    assert host.service("laravel-worker@default.service").is_running
    worker_before = worker_started_at(host)
    # destroy: one database dropped, the other altered, the files wiped
    psql(host, "postgres", "DROP DATABASE kartable WITH (FORCE)")
    psql(host, "ledger", "DELETE FROM entries WHERE id > 100")
    assert host.run("rm -rf %s/*", STORAGE).rc == 0
    result, took = restore("restore_databases=kartable,ledger", "restore_files=true",
                           "restore_dry_run=false", "restore_force=true")
    assert result.returncode == 0, result.stdout + result.stderr
    # the queue worker was stopped for the restore and runs again
    assert host.service("laravel-worker@default.service").is_running
    assert worker_started_at(host) > worker_before
    # the live ledger (100 rows left) was saved first, as a 0600 dump named in the output
    safety = re.search(r"(/var/lib/webstack-backups/safety/ledger__pre_restore_\d+\.dump)", result.stdout)
    assert safety, result.stdout
    dump = host.file(safety.group(1))
    assert (dump.user, dump.mode) == ("root", 0o600)
    psql(host, "postgres", "CREATE DATABASE safety_check")
    try:
        cmd = host.run("runuser -u postgres -- pg_restore --exit-on-error -d safety_check < %s", safety.group(1))
        assert cmd.rc == 0, cmd.stderr
        assert psql(host, "safety_check", "SELECT count(*) FROM entries") == "100"
    finally:
        psql(host, "postgres", "DROP DATABASE safety_check")
    # nothing left behind: no scratch, no previous copy (backups_restore_keep_previous is false)
    names = psql(host, "postgres", "SELECT string_agg(datname, ',') FROM pg_database")
    assert "__restore_" not in names and "__pre_restore_" not in names, names
    print(f"\nRTO evidence: restore of both databases and the files with restore.yml: {took:.1f}s")
    for db, sql in TABLE_SUMS.items():
        assert psql(host, db, sql) == ORIGINAL[db], db
    assert psql(host, "kartable", "SELECT count(*) FROM parcels WHERE ST_IsValid(geom)") == "100000"
    assert psql(host, "kartable", "SELECT tableowner FROM pg_tables WHERE tablename = 'parcels'") == "kartable_app"
    assert files_sums(host) == ORIGINAL["files"]


def test_failed_restore_leaves_the_live_database_intact(host):
    """A dump that lists fine but breaks half-way (truncated) is restored into
    a scratch database: the live ledger keeps its rows and the worker comes back."""
    latest = latest_dump(host, "ledger")
    psql(host, "ledger", "INSERT INTO pitr_marks (label) VALUES ('live-only')")
    live = psql(host, "ledger", TABLE_SUMS["ledger"])
    cmd = host.run("/usr/local/sbin/webstack-backup restic s3 dump %s /postgresql-ledger.dump > /tmp/full.dump && "
                   "head -c $(( $(stat -c %%s /tmp/full.dump) / 2 )) /tmp/full.dump > /tmp/half.dump && "
                   "/usr/local/sbin/webstack-backup restic s3 backup --json --host backups-deb12 --tag postgresql "
                   "--tag database:ledger --stdin --stdin-filename postgresql-ledger.dump < /tmp/half.dump",
                   latest["id"])
    assert cmd.rc == 0, cmd.stderr
    forged = json.loads(cmd.stdout.strip().splitlines()[-1])["snapshot_id"]
    try:
        result, _ = restore("restore_databases=ledger", "restore_dry_run=false", "restore_force=true")
        assert result.returncode != 0, result.stdout
        assert "the live database was left as it was" in result.stdout + result.stderr, result.stdout
        assert psql(host, "ledger", TABLE_SUMS["ledger"]) == live
        assert psql(host, "ledger", "SELECT count(*) FROM pitr_marks WHERE label = 'live-only'") == "1"
        assert host.service("laravel-worker@default.service").is_running
        names = psql(host, "postgres", "SELECT string_agg(datname, ',') FROM pg_database")
        assert "__restore_" not in names, names
    finally:
        host.run("/usr/local/sbin/webstack-backup restic s3 forget %s", forged)
        psql(host, "ledger", "DELETE FROM pitr_marks WHERE label = 'live-only'")


def test_failed_dump_stores_nothing_and_fails_the_unit(host):
    conf = "/etc/webstack-backups/backup.conf"
    saved = host.file(conf).content_string
    count = len(snapshots(host))
    stamp = host.file("/var/lib/webstack-backups/status/postgresql.last-success").content_string
    try:
        # a database that does not exist, as after a rename nobody told the backups about
        edit = "sed -i -e 's/^DATABASES=.*/DATABASES=(no_such_db)/' -e 's/^GLOBALS=.*/GLOBALS=0/' %s"
        assert host.run(edit, conf).rc == 0
        cmd, _ = start(host, "postgresql")
        assert cmd.rc != 0
        assert host.run("systemctl is-failed webstack-backup-postgresql.service").stdout.strip() == "failed"
        journal = host.run("journalctl -u webstack-backup-postgresql.service --no-pager -n 30").stdout
        assert "database no_such_db FAILED" in journal
        failure = host.file("/var/lib/webstack-backups/status/postgresql.last-failure")
        assert failure.exists and failure.mode == 0o644
    finally:
        host.run("printf '%%s' %s > %s", saved, conf)
        host.run("systemctl reset-failed webstack-backup-postgresql.service")
    assert len(snapshots(host)) == count
    assert host.file("/var/lib/webstack-backups/status/postgresql.last-success").content_string == stamp
    log = subprocess.run(["docker", "exec", "backups-s3", "grep", "-c", "heartbeat=failure", "/var/log/nginx/s3.log"],
                         capture_output=True, text=True, check=False)
    assert int(log.stdout.strip() or 0) >= 1


def test_restore_drill_retention_and_check_jobs_succeed(host):
    for job in ("drill", "forget", "check"):
        cmd, took = start(host, job)
        assert cmd.rc == 0, (job, cmd.stderr)
        print(f"\n{job} job: {took:.1f}s")
    journal = host.run("journalctl -u webstack-backup-drill.service --no-pager -n 30").stdout
    assert "drill of kartable passed: 1 tables with the row counts of dump" in journal
    assert "drill of ledger passed: 2 tables with the row counts of dump" in journal
    assert "webstack_drill" not in psql(host, "postgres", "SELECT string_agg(datname, ',') FROM pg_database")
    # the manifest stored with the dump: user tables and exact counts, no extension table
    manifest = host.run("/usr/local/sbin/webstack-backup restic s3 dump --host backups-deb12 "
                        "--tag manifest:kartable latest /postgresql-kartable.manifest.tsv")
    assert manifest.rc == 0, manifest.stderr
    assert manifest.stdout.splitlines() == ["public.parcels\t100000"]


def forge_dump(host, dump_file, run, manifest_file=None, db="ledger"):
    """Store a dump (and optionally a manifest) for a database as the job would,
    under the run tag given: what a broken or swapped dump looks like."""
    ids = []
    for path, name, tag in ((dump_file, f"postgresql-{db}.dump", f"database:{db}"),
                            (manifest_file, f"postgresql-{db}.manifest.tsv", f"manifest:{db}")):
        if path is None:
            continue
        cmd = host.run("/usr/local/sbin/webstack-backup restic s3 backup --json --host backups-deb12 "
                       "--tag postgresql --tag %s --tag run:%s --stdin --stdin-filename %s < %s",
                       tag, run, name, path)
        assert cmd.rc == 0, cmd.stderr
        ids.append(json.loads(cmd.stdout.strip().splitlines()[-1])["snapshot_id"])
    return ids


def latest_dump(host, db):
    return max((s for s in snapshots(host) if f"database:{db}" in (s.get("tags") or [])), key=lambda s: s["time"])


def drill_journal_since(host, since):
    return host.run("journalctl -u webstack-backup-drill.service --no-pager --since @%s", str(since)).stdout


ATTACKS = {
    # the dump of an empty database under the real manifest (50 000 entries)
    "empty-database-dump": (
        "ledger", "drill of ledger FAILED: table public.entries (50000 rows at dump time) is missing"),
    # the real dump cut in half: pg_restore fails
    "truncated-dump": ("ledger", "drill of ledger FAILED: pg_restore of dump"),
    # dump and manifest agree (a table, no row): the default expectation catches it
    "hollow-database-and-manifest": ("ledger", "drill of ledger FAILED: no user table with a row"),
    # the same for kartable: its backups_drill_expectations entry catches it
    "hollow-kartable-and-manifest": ("kartable", "drill of kartable FAILED: expected table public.parcels is missing"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_drill_fails_on_a_dump_that_does_not_hold_the_data(host, attack):
    db, expected = ATTACKS[attack]
    other = "kartable" if db == "ledger" else "ledger"
    latest = latest_dump(host, db)
    run = next(t[4:] for t in latest["tags"] if t.startswith("run:"))
    psql(host, "postgres", "DROP DATABASE IF EXISTS webstack_empty")
    psql(host, "postgres", "CREATE DATABASE webstack_empty")
    assert host.run("runuser -u postgres -- pg_dump -Fc -d webstack_empty -f /tmp/empty.dump").rc == 0
    # restic 0.14 stores no empty file from stdin: the hollow database has one
    # table and no row, and its manifest says so
    psql(host, "webstack_empty", "CREATE TABLE public.hollow (id int)")
    assert host.run("runuser -u postgres -- pg_dump -Fc -d webstack_empty -f /tmp/hollow.dump").rc == 0
    assert host.run("printf 'public.hollow\\t0\\n' > /tmp/hollow.manifest.tsv").rc == 0
    if attack == "empty-database-dump":
        forged = forge_dump(host, "/tmp/empty.dump", run)
    elif attack == "truncated-dump":
        real = host.run("/usr/local/sbin/webstack-backup restic s3 dump %s /postgresql-ledger.dump > /tmp/full.dump && "
                        "head -c $(( $(stat -c %%s /tmp/full.dump) / 2 )) /tmp/full.dump > /tmp/truncated.dump",
                        latest["id"])
        assert real.rc == 0, real.stderr
        forged = forge_dump(host, "/tmp/truncated.dump", run)
    else:
        forged = forge_dump(host, "/tmp/hollow.dump", "forged-hollow", "/tmp/hollow.manifest.tsv", db=db)
    before = int(time.time())
    time.sleep(1)
    try:
        cmd, _ = start(host, "drill")
        assert cmd.rc != 0
        journal = drill_journal_since(host, before)
        assert expected in journal, journal
        assert f"drill of {other} passed" in journal, journal
        failure = host.file("/var/lib/webstack-backups/status/drill.last-failure")
        assert failure.mode == 0o644
        assert int(failure.content_string.strip()) >= before
    finally:
        # one argument per snapshot id (testinfra quotes each %s as one word)
        host.run("/usr/local/sbin/webstack-backup restic s3 forget " + " ".join(["%s"] * len(forged)), *forged)
        host.run("systemctl reset-failed webstack-backup-drill.service")
        psql(host, "postgres", "DROP DATABASE IF EXISTS webstack_empty")
    assert "webstack_drill" not in psql(host, "postgres", "SELECT string_agg(datname, ',') FROM pg_database")
    # the real dumps drill clean again
    cmd, _ = start(host, "drill")
    assert cmd.rc == 0, drill_journal_since(host, before)


def pitr_target(host, before, after):
    """A time between two new rows of pitr_marks, `before` and `after`, with
    the WAL that holds both archived: a target the restore can reach (the
    recovery stops at the first commit past it, so one must be archived)."""
    psql(host, "ledger", f"INSERT INTO pitr_marks (label) VALUES ('{before}')")  # noqa: S608 (a test constant)
    time.sleep(2)
    target = psql(host, "ledger",
                  "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    time.sleep(2)
    psql(host, "ledger", f"INSERT INTO pitr_marks (label) VALUES ('{after}')")  # noqa: S608 (a test constant)
    psql(host, "ledger", "SELECT pg_switch_wal()")
    check = host.run("runuser -u postgres -- pgbackrest --stanza=main check")
    assert check.rc == 0, check.stdout + check.stderr
    return target


def test_point_in_time_recovery_with_pgbackrest(host):
    cmd, took = start(host, "pgbackrest-full")
    assert cmd.rc == 0, cmd.stderr
    print(f"\nRTO evidence: pgBackRest full backup {took:.1f}s")
    target = pitr_target(host, "before", "after")
    result, took = restore(f"restore_pitr_target={target}", "restore_dry_run=false", "restore_force=true")
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"\nRTO evidence: point-in-time restore of the cluster with restore.yml: {took:.1f}s")
    assert psql(host, "ledger", "SELECT string_agg(label, ',') FROM pitr_marks") == "before"
    assert psql(host, "kartable", TABLE_SUMS["kartable"]) == ORIGINAL["kartable"]
    # the live data directory was switched out, not overwritten: it is kept
    kept = host.run("ls -d /var/lib/postgresql/15/main.before-pitr-*").stdout.split()
    assert len(kept) == 1, kept
    assert host.file(f"{kept[0]}/PG_VERSION").exists


def test_a_pitr_restore_that_cannot_reach_its_target_leaves_the_live_cluster_running(host):
    """The restore replays into a copy beside the live cluster: a target
    past the archived WAL fails there, and the live cluster never stopped."""
    started = psql(host, "postgres", "SELECT pg_postmaster_start_time()")
    psql(host, "ledger", "INSERT INTO pitr_marks (label) VALUES ('live-during-failed-pitr')")
    try:
        result, _ = restore("restore_pitr_target=2099-01-01 00:00:00+00", "restore_dry_run=false", "restore_force=true")
        out = " ".join((result.stdout + result.stderr).split())
        assert result.returncode != 0, out[-3000:]
        assert "The live cluster was not touched and keeps serving" in out, out[-3000:]
        assert psql(host, "postgres", "SELECT pg_postmaster_start_time()") == started
        assert psql(host, "ledger", "SELECT count(*) FROM pitr_marks WHERE label = 'live-during-failed-pitr'") == "1"
        # the unfinished copy is gone; the throwaway server's log stays beside it
        assert host.run("ls -d /var/lib/postgresql/15/main.pitr-*/ 2>/dev/null").stdout.split() == []
    finally:
        psql(host, "ledger", "DELETE FROM pitr_marks WHERE label = 'live-during-failed-pitr'")


def test_a_pitr_restore_without_room_beside_the_live_cluster_is_refused_before_any_change(host):
    """A full disk, stood in for by a df that reports 1 MiB free beside the
    data directory: the restore is refused before pgBackRest writes
    anything, and the live cluster never stopped."""
    started = psql(host, "postgres", "SELECT pg_postmaster_start_time()")
    # what earlier restores left beside the cluster (a failed one keeps its log)
    beside = "ls -d /var/lib/postgresql/15/main.pitr-* 2>/dev/null"
    left_before = host.run(beside).stdout.split()
    fake = "#!/bin/sh\necho ' Avail'\necho 1048576\n"
    moved = host.run("mv /usr/bin/df /usr/bin/df.webstack-test && printf %s > /usr/bin/df && chmod 755 /usr/bin/df",
                     fake)
    assert moved.rc == 0, moved.stderr
    try:
        result, _ = restore("restore_pitr_target=2099-01-01 00:00:00+00", "restore_dry_run=false", "restore_force=true")
        out = " ".join((result.stdout + result.stderr).split())
        assert result.returncode != 0, out[-3000:]
        assert "needs room for a second copy of the cluster" in out and "1.00 MB free" in out, out[-3000:]
        assert "nothing was changed" in out, out[-3000:]
    finally:
        host.run("mv -f /usr/bin/df.webstack-test /usr/bin/df")
    assert psql(host, "postgres", "SELECT pg_postmaster_start_time()") == started
    # no copy and no log of a restore: nothing new beside the cluster
    assert host.run(beside).stdout.split() == left_before
    assert host.run("df --output=avail -B1 /var/lib/postgresql").rc == 0


def test_a_restored_cluster_that_does_not_start_is_switched_back_out(host):
    """The restored copy reached its target, then PostgreSQL does not start
    on it (here a drop-in lets the cluster unit start only on the data
    directory it had before): the previous data directory goes back in
    place, PostgreSQL runs on it with its rows, and the restored copy is
    kept where the message says."""
    data = "/var/lib/postgresql/15/main"
    inode = host.check_output(f"stat -c %i {data}")
    drop_in = "/etc/systemd/system/postgresql@15-main.service.d/99-test-only-this-data.conf"
    host.run("mkdir -p %s", os.path.dirname(drop_in))
    # systemd reads %% as % and $$ as $
    line = f"ExecStartPre=/bin/sh -c 'test \"$$(stat -c %%i {data})\" = {inode}'"
    assert host.run("printf '%%s\\n' %s %s > %s", "[Service]", line, drop_in).rc == 0
    assert host.run("systemctl daemon-reload").rc == 0
    try:
        target = pitr_target(host, "live-before-target", "live-after-target")
        result, _ = restore(f"restore_pitr_target={target}", "restore_dry_run=false", "restore_force=true")
        out = " ".join((result.stdout + result.stderr).split())
        assert result.returncode != 0, out[-3000:]
        assert "the previous data directory is back in place and PostgreSQL runs on it" in out, out[-3000:]
        assert host.check_output(f"stat -c %i {data}") == inode
        # the rows written after the target are there: the live data is back
        assert psql(host, "ledger", "SELECT count(*) FROM pitr_marks WHERE label = 'live-after-target'") == "1"
        kept = host.run(f"ls -d {data}.pitr-*/").stdout.split()
        assert len(kept) == 1 and f"restored copy is kept in {kept[0].rstrip('/')}" in out, (kept, out[-3000:])
    finally:
        host.run(f"rm -f {drop_in}; systemctl daemon-reload; systemctl reset-failed postgresql@15-main.service; "
                 "systemctl start postgresql@15-main.service")
        host.run(f"rm -rf {data}.pitr-*/")
        psql(host, "ledger", "DELETE FROM pitr_marks WHERE label LIKE 'live-%'")


def test_pitr_restore_refuses_without_force(host):
    result, _ = restore("restore_pitr_target=2026-01-01 00:00:00+00", "restore_dry_run=false")
    assert result.returncode != 0
    assert "replaces every database" in result.stdout + result.stderr
    assert psql(host, "ledger", "SELECT count(*) FROM entries") == "50000"


def test_pitr_restore_refuses_a_time_postgresql_cannot_read(host):
    result, _ = restore("restore_pitr_target=2026-13-45 99:00:00+00", "restore_dry_run=false", "restore_force=true")
    assert result.returncode != 0
    assert ("backups_restore_pitr_target: '2026-13-45 99:00:00+00' is not a time PostgreSQL reads"
            in result.stdout + result.stderr), result.stdout
    # refused before PostgreSQL was stopped
    assert psql(host, "ledger", "SELECT count(*) FROM entries") == "50000"


@pytest.mark.parametrize("job", ["postgresql", "files"])
def test_backups_work_again_after_the_restores(host, job):
    cmd, _ = start(host, job)
    assert cmd.rc == 0, cmd.stderr
