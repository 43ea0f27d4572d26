"""Monitoring on a monolith-style host: every target is scraped, real
conditions make alerts fire in Alertmanager and reach the webhook receiver,
and they resolve when the condition ends. A rule promtool rejects fails the
play and leaves the loaded rules in place."""

import json
import re
import shlex
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import playbook, recap

SCENARIO = Path(__file__).resolve().parents[1]
PROM = "http://127.0.0.1:9090"
AM = "http://127.0.0.1:9093"
RULES = "/etc/prometheus/rules/webstack.yml"
WEBHOOK_LOG = "/var/lib/webhook-recorder/alerts.jsonl"
STATUS = "/var/lib/webstack-backups/status"
TIMERS = "/etc/systemd/system"
CRASHLOOP = "webstack-crashloop-test.service"
REDIS = "redis-cli -a monitoring-test-redis --no-auth-warning"

testinfra_hosts = ["docker://monitoring-deb12"]


def _get(host, url):
    return json.loads(host.check_output(f"curl -sfg '{url}'"))


def _wait(check, timeout=90, every=1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    return last


def _value(host, query, missing=None):
    """The first sample of an instant query, or `missing` when there is none."""
    result = _get(host, f"{PROM}/api/v1/query?query={query}")["data"]["result"]
    return float(result[0]["value"][1]) if result else missing


def _am_alerts(host, name, **labels):
    """Active alerts of that name (and labels) in Alertmanager's API."""
    found = []
    for alert in _get(host, f"{AM}/api/v2/alerts?active=true&silenced=false&inhibited=false"):
        if alert["labels"].get("alertname") != name:
            continue
        if all(alert["labels"].get(k) == v for k, v in labels.items()):
            found.append(alert)
    return found


def _delivered(host, name, status, since_line=0, **labels):
    """Alerts of that name delivered to the webhook with that status."""
    lines = host.file(WEBHOOK_LOG).content_string.splitlines() if host.file(WEBHOOK_LOG).exists else []
    found = []
    for line in lines[since_line:]:
        for alert in json.loads(line)["alerts"]:
            if alert["labels"].get("alertname") != name or alert["status"] != status:
                continue
            if all(alert["labels"].get(k) == v for k, v in labels.items()):
                found.append(alert)
    return found


def _webhook_lines(host):
    log = host.file(WEBHOOK_LOG)
    return len(log.content_string.splitlines()) if log.exists else 0


def _fire_and_resolve(host, name, provoke, restore, **labels):
    """Provoke a condition, see the alert in Alertmanager and at the webhook,
    end the condition, see it resolved at the webhook."""
    assert not _am_alerts(host, name, **labels), f"{name} fires before the condition is provoked"
    mark = _webhook_lines(host)
    host.check_output(provoke)
    try:
        assert _wait(lambda: _am_alerts(host, name, **labels)), f"{name} never reached Alertmanager"
        assert _wait(lambda: _delivered(host, name, "firing", mark, **labels)), f"{name} was not delivered"
    finally:
        host.check_output(restore)
    assert _wait(lambda: _delivered(host, name, "resolved", mark, **labels)), f"{name} was not resolved"
    assert _wait(lambda: not _am_alerts(host, name, **labels))


def test_every_target_is_up(host):
    expected = {
        "node": "127.0.0.1:9100",
        "postgres": "127.0.0.1:9187",
        "redis": "127.0.0.1:9121",
        "nginx": "127.0.0.1:9113",
        "prometheus": "127.0.0.1:9090",
        "alertmanager": "127.0.0.1:9093",
        "blackbox": "127.0.0.1:9115",
        "blackbox_http": "https://127.0.0.1/up",
        "blackbox_tls": "127.0.0.1:443",
    }

    def health():
        targets = _get(host, f"{PROM}/api/v1/targets")["data"]["activeTargets"]
        seen = {(t["labels"]["job"], t["labels"]["instance"]): t["health"] for t in targets}
        return seen if all(seen.get(item) == "up" for item in expected.items()) else None

    seen = _wait(health, timeout=60)
    assert seen, f"targets not all up: {_get(host, PROM + '/api/v1/targets')['data']['activeTargets']}"
    assert seen[("blackbox_http", "http://127.0.0.1/up")] == "up"


def test_exporters_read_their_services(host):
    def value(query):
        return _value(host, query)

    assert _wait(lambda: value("pg_up") == 1.0, timeout=30)
    assert value("redis_up") == 1.0
    assert value("nginx_up") == 1.0
    assert value("webstack_php_fpm_up") == 1.0
    assert value('probe_success{job="blackbox_http",instance="http://127.0.0.1/up"}') == 1.0
    assert value("pg_settings_max_connections") > 0
    # recording rules for operators
    assert 0 < value("instance:node_memory_used:ratio") < 1
    assert value("instance:node_cpus:count") >= 1


def test_web_uis_and_exporters_listen_on_loopback_only(host):
    listening = host.check_output("ss -Hltn")
    for port in (9090, 9093, 9100, 9113, 9115, 9121, 9187, 8089):
        lines = [line for line in listening.splitlines() if f":{port} " in line]
        assert lines, f"nothing listens on {port}"
        assert all("127.0.0.1:" in line for line in lines), lines
    # Alertmanager clustering is off
    assert ":9094 " not in listening


def test_status_listener_refuses_other_clients(host):
    assert "Active connections" in host.check_output("curl -sf http://127.0.0.1:8089/stub_status")
    address = host.check_output("hostname -I").split()[0]
    # the listener is bound to loopback: another address is refused outright
    assert host.run(f"curl -sf --max-time 3 http://{address}:8089/stub_status").rc != 0


def test_postgres_exporter_role_is_least_privilege(host):
    row = host.check_output(
        "runuser -u postgres -- psql -tAc "
        '"SELECT rolsuper, rolcreatedb, rolcreaterole, '
        "(SELECT string_agg(b.rolname, ',') FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid "
        "WHERE m.member = r.oid) FROM pg_roles r WHERE rolname = 'prometheus_exporter'\""
    )
    assert row == "f|f|f|pg_monitor"


def test_secrets_are_not_world_readable(host):
    assert host.file("/etc/default/prometheus-postgres-exporter").mode == 0o600
    assert host.file("/etc/default/prometheus-redis-exporter").mode == 0o600
    alertmanager = host.file("/etc/prometheus/alertmanager.yml")
    assert alertmanager.mode == 0o640 and alertmanager.group == "prometheus"
    assert "monitoring-test-redis" not in host.check_output("ps -eo args")


def test_certificate_expiring_soon_fires(host):
    # prepare's certificate is valid for 7 days, under the 14-day threshold
    alerts = _wait(lambda: _am_alerts(host, "CertificateExpiringSoon", instance="127.0.0.1:443"))
    assert alerts
    assert _wait(lambda: _delivered(host, "CertificateExpiringSoon", "firing"))


def _run_backup_job(host, job, ok=True):
    res = host.run(f"systemctl start webstack-backup-{job}.service")
    log = host.run(f"journalctl -u webstack-backup-{job}.service --no-pager -o cat -n 30").stdout
    assert (res.rc == 0) == ok, res.stderr + log


def test_a_real_backup_job_stamp_reaches_prometheus(host):
    # the backups role's files job (restic to a local repository), run as
    # its timer runs it: the stamp it writes is the series the alerts read
    _run_backup_job(host, "files")
    stamp = float(host.file(f"{STATUS}/files.last-success").content_string)
    query = 'webstack_backup_last_success_timestamp_seconds{backup="files"}'
    assert _wait(lambda: _value(host, query) == stamp, timeout=60), (_value(host, query), stamp)
    assert _value(host, 'webstack_backup_configured{backup="files"}') == 1.0


def test_old_backup_fires_and_fresh_one_resolves(host):
    assert _wait(lambda: _am_alerts(host, "BackupTooOld", backup="db")), "two-day-old backup not reported"
    assert not _am_alerts(host, "BackupTooOld", backup="files")
    mark = _webhook_lines(host)
    host.check_output(f"date +%s > {STATUS}/db.last-success")
    assert _wait(lambda: _delivered(host, "BackupTooOld", "resolved", mark, backup="db"))


def test_backup_dir_is_the_backups_roles_status_directory(host):
    # one contract: the stamps the backups role writes under
    # <backups_state_dir>/status are the ones the collector reads
    config = json.loads(host.file("/etc/webstack-monitoring/textfile.json").content_string)
    assert config["backup_dir"] == STATUS
    assert _wait(lambda: _value(host, 'webstack_backup_last_success_timestamp_seconds{backup="files"}'), timeout=30)


def test_configured_backup_that_never_succeeded_fires_after_its_grace(host):
    # max age of `neverran` is 20 s in this scenario; its timer unit is what
    # makes it a configured job
    timer = f"{TIMERS}/webstack-backup-neverran.timer"
    host.check_output(f"printf '[Timer]\\nOnCalendar=yearly\\n' > {timer}")
    try:
        assert _wait(lambda: _value(host, 'webstack_backup_configured{backup="neverran"}') == 1.0, timeout=30)
        # freshly installed: no page before its first run is due
        assert not _am_alerts(host, "BackupNeverSucceeded", backup="neverran")
        mark = _webhook_lines(host)
        # the timer was written long ago and the job has never succeeded
        host.check_output(f"touch -d @$(( $(date +%s) - 600 )) {timer}")
        assert _wait(lambda: _delivered(host, "BackupNeverSucceeded", "firing", mark, backup="neverran"))
        summary = _delivered(host, "BackupNeverSucceeded", "firing", mark, backup="neverran")[0]["annotations"]
        assert "neverran" in summary["summary"]
        host.check_output(f"date +%s > {STATUS}/neverran.last-success")
        assert _wait(lambda: _delivered(host, "BackupNeverSucceeded", "resolved", mark, backup="neverran"))
        # the stamp disappears: no success on record any more
        mark = _webhook_lines(host)
        host.check_output(f"rm -f {STATUS}/neverran.last-success")
        assert _wait(lambda: _delivered(host, "BackupNeverSucceeded", "firing", mark, backup="neverran"))
    finally:
        host.check_output(f"rm -f {timer} {STATUS}/neverran.last-success")
    assert _wait(lambda: not _am_alerts(host, "BackupNeverSucceeded", backup="neverran"))


def test_backup_failure_after_last_success_fires_and_resolves(host):
    # a real failure: the files job finds its repository gone; it is back
    # for the next run, which succeeds and resolves the alert
    repo = "/var/backups/webstack-restic"
    name = "BackupFailed"
    assert not _am_alerts(host, name, backup="files"), f"{name} fires before the failure"
    mark = _webhook_lines(host)
    host.check_output(f"mv {repo} {repo}.away")
    try:
        _run_backup_job(host, "files", ok=False)
        assert host.file(f"{STATUS}/files.last-failure").exists
        assert _wait(lambda: _am_alerts(host, name, backup="files")), f"{name} never reached Alertmanager"
        assert _wait(lambda: _delivered(host, name, "firing", mark, backup="files")), f"{name} was not delivered"
        assert _value(host, 'webstack_backup_last_failure_timestamp_seconds{backup="files"}') > 0
    finally:
        host.check_output(f"mv {repo}.away {repo}")
    time.sleep(1)  # the next success is stamped after the failure
    _run_backup_job(host, "files")
    assert _wait(lambda: _delivered(host, name, "resolved", mark, backup="files")), f"{name} was not resolved"


def test_a_real_job_that_stops_running_fires_backup_too_old(host):
    # the backups role's check job (restic check of the local repository),
    # allowed 30 s in this scenario: it runs once, its timer stops, the
    # alert fires; the next run resolves it
    mark = _webhook_lines(host)
    host.check_output("systemctl stop webstack-backup-check.timer")
    try:
        _run_backup_job(host, "check")
        fired = _wait(lambda: _delivered(host, "BackupTooOld", "firing", mark, backup="check"), timeout=150)
        assert fired, "BackupTooOld was not delivered for the stopped check job"
        assert "check" in fired[0]["annotations"]["summary"]
        _run_backup_job(host, "check")
        assert _wait(lambda: _delivered(host, "BackupTooOld", "resolved", mark, backup="check"), timeout=90)
    finally:
        host.check_output("systemctl start webstack-backup-check.timer")


def _unit(host, prop):
    return host.check_output(f"systemctl show -p {prop} --value {CRASHLOOP}")


def _running_or_failed(host):
    state = _unit(host, "ActiveState")
    if state == "failed":
        return "failed"
    return "running" if state == "active" and _unit(host, "MainPID") != "0" else None


def test_crash_loop_ends_failed_and_alerts_then_resolves(host):
    # Restart=on-failure, RestartSec=1, at most 5 starts in 60 s: the fifth
    # kill -9 leaves it failed
    host.check_output(f"systemctl daemon-reload && systemctl reset-failed {CRASHLOOP} || true")
    host.check_output(f"systemctl start {CRASHLOOP}")
    mark = _webhook_lines(host)
    try:
        for _ in range(6):
            state = _wait(lambda: _running_or_failed(host), timeout=15)
            assert state, _unit(host, "ActiveState")
            if state == "failed":
                break
            host.check_output(f"kill -9 {_unit(host, 'MainPID')}")
            time.sleep(1.5)  # RestartSec=1
        assert _wait(lambda: _unit(host, "ActiveState") == "failed", timeout=15), _unit(host, "ActiveState")
        assert int(_unit(host, "NRestarts")) >= 4
        assert _wait(lambda: _am_alerts(host, "SystemdUnitFailed", unit=CRASHLOOP)), "not in Alertmanager"
        fired = _wait(lambda: _delivered(host, "SystemdUnitFailed", "firing", mark, unit=CRASHLOOP))
        assert fired, "SystemdUnitFailed was not delivered"
        alert = fired[0]
        assert alert["labels"]["instance"] == "127.0.0.1:9100"
        assert CRASHLOOP in alert["annotations"]["summary"] and "127.0.0.1:9100" in alert["annotations"]["summary"]
        assert _wait(lambda: _delivered(host, "SystemdUnitRestarting", "firing", mark, unit=CRASHLOOP))
    finally:
        host.run(f"systemctl reset-failed {CRASHLOOP}; systemctl stop {CRASHLOOP}")
    assert _wait(lambda: _delivered(host, "SystemdUnitFailed", "resolved", mark, unit=CRASHLOOP))
    assert _wait(lambda: not _am_alerts(host, "SystemdUnitFailed", unit=CRASHLOOP))


def test_watched_units_are_exported(host):
    assert _wait(lambda: _value(host, 'webstack_systemd_unit_failed{unit="nginx.service"}') == 0.0, timeout=30)
    assert _value(host, 'webstack_systemd_unit_restarts_total{unit="prometheus.service"}') is not None


def test_prometheus_lifecycle_endpoints_are_off(host):
    assert "--web.enable-lifecycle" not in host.check_output("ps -eo args")
    status = host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' -X POST {PROM}/-/quit")
    assert status != "200"
    time.sleep(2)
    assert host.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' {PROM}/-/ready") == "200"
    assert host.service("prometheus").is_running


def test_full_disk_fires_and_resolves(host):
    _fire_and_resolve(
        host,
        "DiskSpaceLow",
        "dd if=/dev/zero of=/srv/fill/blob bs=1M count=8 2>/dev/null; true",
        "rm -f /srv/fill/blob",
        mountpoint="/srv/fill",
    )


def test_php_fpm_down_fires_and_resolves(host):
    _fire_and_resolve(host, "PhpFpmDown", "systemctl stop php8.2-fpm", "systemctl start php8.2-fpm")


def test_access_log_metrics_count_real_requests(host):
    def value(query):
        return _value(host, query, missing=0.0)

    before = value('webstack_http_requests_total{log="site",code="200"}')
    host.check_output("for i in 1 2 3 4 5; do curl -sf -o /dev/null http://127.0.0.1/app.php; done")
    assert _wait(lambda: value('webstack_http_requests_total{log="site",code="200"}') >= before + 5, timeout=30)
    assert value('webstack_http_request_duration_seconds_count{log="site"}') >= 5


def test_http_error_rate_fires_and_resolves(host):
    # nginx answers 502 while PHP-FPM is stopped; the access log counts them
    traffic = "for i in $(seq 150); do curl -s -o /dev/null http://127.0.0.1/app.php; sleep 0.2; done"
    _fire_and_resolve(
        host,
        "HighErrorRate",
        f"systemctl stop php8.2-fpm && (setsid sh -c '{traffic}' >/dev/null 2>&1 </dev/null &)",
        "systemctl start php8.2-fpm",
        log="site",
    )


def test_target_down_fires_and_resolves(host):
    _fire_and_resolve(
        host,
        "TargetDown",
        "systemctl stop prometheus-redis-exporter",
        "systemctl start prometheus-redis-exporter",
        job="redis",
    )


def test_queue_backlog_fires_and_resolves(host):
    # threshold 5 in this scenario (monitoring_alert_queue_size)
    _fire_and_resolve(
        host,
        "QueueBacklog",
        f"{REDIS} LPUSH queues:default 1 2 3 4 5 6 7 8 9 10",
        f"{REDIS} DEL queues:default",
        key="queues:default",
    )


def test_stopped_worker_fires_and_resolves(host):
    _fire_and_resolve(
        host,
        "QueueWorkerNotRunning",
        "systemctl stop laravel-worker@1.service",
        "systemctl start laravel-worker@1.service",
    )


PSQL = "runuser -u postgres -- psql -XAtq"


def _psql(host, *statements):
    """Run statements as postgres in the postgres database, one -c each."""
    return host.check_output(" ".join([PSQL, *(f"-c {shlex.quote(sql)}" for sql in statements)]))


STATEMENT_ID = "SELECT queryid FROM pg_stat_statements WHERE toplevel AND query = '{}'"


def test_statement_counters_come_from_pg_stat_statements(host):
    _psql(host, "SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", "SELECT 5")
    queryid = _psql(host, STATEMENT_ID.format("SELECT $1"))
    calls = f'webstack_pg_statements_calls{{datname="postgres",usename="postgres",queryid="{queryid}"}}'
    assert _wait(lambda: (_value(host, calls) or 0) >= 5, timeout=30), "the SELECT $1 statement is not exported"
    # the exporter's own statements are left out, and its query file loaded
    assert _value(host, 'count(webstack_pg_statements_calls{usename="prometheus_exporter"})') is None
    assert _value(host, "pg_exporter_user_queries_load_error") == 0.0


def test_slow_tail_fires_the_query_p99_estimate_and_resolves(host):
    # One statement, pg_sleep($1), from one session: nine calls of 10 ms,
    # then one of 300 ms, over and over. Its mean (39 ms) stays under the
    # 50 ms default threshold, its tail does not: the real P99 is 300 ms, the
    # normal estimate mean + 2.326 sd about 240 ms. application_name marks
    # the session so that the restore ends exactly that one.
    name = "UpgradeDatabaseQueryP99Estimate"
    labels = {"datname": "postgres", "usename": "postgres"}
    script = "".join("SELECT pg_sleep(0.3);\n" if i % 10 == 9 else "SELECT pg_sleep(0.01);\n" for i in range(2000))
    host.check_output(f"printf %s {shlex.quote(script)} > /tmp/slow-tail.sql")
    slow = "PGAPPNAME=slow-tail runuser -u postgres -- psql -Xq -f /tmp/slow-tail.sql"
    stop = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'slow-tail'"

    assert not _am_alerts(host, name, **labels), f"{name} fires before the slow statements run"
    mark = _webhook_lines(host)
    host.check_output(f'(setsid sh -c "{slow}" >/dev/null 2>&1 </dev/null &)')
    try:
        assert _wait(lambda: _am_alerts(host, name, **labels)), f"{name} never reached Alertmanager"
        assert _wait(lambda: _delivered(host, name, "firing", mark, **labels)), f"{name} was not delivered"
        queryid = _psql(host, STATEMENT_ID.format("SELECT pg_sleep($1)"))
        mean = _value(host, f'statement:pg_exec_seconds:mean{{queryid="{queryid}"}}')
        estimate = _value(host, f'statement:pg_exec_seconds:p99_normal_estimate{{queryid="{queryid}"}}')
    finally:
        _psql(host, stop)
    assert _wait(lambda: _delivered(host, name, "resolved", mark, **labels)), f"{name} was not resolved"
    assert _wait(lambda: not _am_alerts(host, name, **labels))

    fired = _delivered(host, name, "firing", mark, **labels)
    assert {alert["labels"]["queryid"] for alert in fired} == {queryid}
    # the mean alone would not have fired; the standard deviation did
    assert 0.03 < mean < 0.05, mean
    assert 0.15 < estimate < 0.35, estimate
    assert re.search(r"estimated P99 [0-9.]+ms \(threshold 50 ms\)", fired[0]["annotations"]["summary"]), fired
    assert "Estimate, not a measured percentile" in fired[0]["annotations"]["description"]


@pytest.fixture(scope="module")
def bad_run(host):
    before = host.check_output(f"sha256sum {RULES}")
    rc, output = playbook(SCENARIO / "bad_input.yml")
    return {"rc": rc, "output": output, "before": before}


def test_broken_rule_fails_the_play_with_a_clear_message(bad_run):
    output = bad_run["output"]
    assert bad_run["rc"] != 0
    assert "promtool check rules rejected the rules built from monitoring_extra_rules" in output
    assert "Prometheus keeps the rules it has loaded" in output


def test_broken_rule_leaves_the_loaded_rules(host, bad_run):
    assert host.check_output(f"sha256sum {RULES}") == bad_run["before"]
    host.check_output("systemctl reload prometheus")
    time.sleep(3)
    assert _value(host, "prometheus_config_last_reload_successful") == 1.0
    groups = {g["name"]: g for g in _get(host, f"{PROM}/api/v1/rules")["data"]["groups"]}
    assert "webstack-alerts" in groups and "webstack-extra" not in groups
    names = {r["name"] for r in groups["webstack-alerts"]["rules"]}
    assert {"TargetDown", "DiskSpaceLow", "QueueBacklog", "BackupTooOld"} <= names
    assert all(r["health"] == "ok" for g in groups.values() for r in g["rules"] if "health" in r)


def test_check_mode_on_the_converged_host_changes_nothing():
    rc, output = playbook(SCENARIO / "converge.yml", "--check", "-e", "@" + str(SCENARIO / "group_vars" / "all.yml"))
    assert rc == 0, output
    counts = recap(output)
    assert counts and all(c["changed"] == "0" and c["failed"] == "0" for c in counts.values()), counts


# --- crash recovery: the attacks of molecule/_shared/webstack_crash.py -----

import webstack_crash  # noqa: E402


@pytest.mark.parametrize(
    "unit, probe",
    [
        ("prometheus.service", "curl -sf -o /dev/null --max-time 2 http://127.0.0.1:9090/-/ready"),
        ("prometheus-node-exporter.service", "curl -sf -o /dev/null --max-time 2 http://127.0.0.1:9100/metrics"),
    ],
)
def test_killed_monitoring_services_come_back(host, unit, probe):
    # the drop-in restarted nothing when it was written: this is the policy
    assert host.file(f"/etc/systemd/system/{unit}.d/40-webstack-recovery.conf").exists
    webstack_crash.recovers_from_kill(host, unit, probe)
