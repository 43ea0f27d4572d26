"""The deployed release A answers for real: health of database, Redis and
queue, PostGIS distances, a job run by a queue worker, the scheduler, and
the layout and units the role manages."""

import json
import time

from helpers import ROOT, check_postgis_distance, http, live_release, run_job, scheduler_ticks_once_a_minute


def test_up_reports_every_dependency_healthy(host):
    status, headers, body = http(host, "GET", "/up")
    data = json.loads(body)
    assert status == 200, body
    assert data["database"] == "ok" and data["redis"] == "ok" and data["queue"] == "ok"
    assert data["release"] == live_release(host)
    assert headers["x-release"] == live_release(host)


def test_up_fails_when_redis_is_down(host):
    host.run_expect([0], "systemctl stop redis-server")
    try:
        status, _, body = http(host, "GET", "/up")
        assert status == 503, body
        assert json.loads(body)["redis"] != "ok"
    finally:
        host.run_expect([0], "systemctl start redis-server")
    # workers reconnect and the site is healthy again
    for _ in range(30):
        status, _, body = http(host, "GET", "/up")
        if status == 200:
            break
        time.sleep(2)
    assert status == 200, body


def test_release_page_renders_a_cached_view(host):
    status, headers, body = http(host, "GET", "/release")
    assert status == 200
    assert f'<strong id="release">{live_release(host)}</strong>' in body
    assert "app_session=" in headers.get("set-cookie", "")


def test_spa_is_served_at_root(host):
    status, _, body = http(host, "GET", "/")
    assert status == 200
    script = body.split('src="/assets/')[1].split('"')[0]
    assert script.startswith("app.") and script.endswith(".js")
    status, _, js = http(host, "GET", f"/assets/{script}")
    assert status == 200 and 'fetch("/up"' in js


def test_postgis_distance_dakar_abidjan(host):
    check_postgis_distance(lambda method, path, body: http(host, method, path, body))


def test_invalid_place_is_rejected(host):
    status, _, _ = http(host, "POST", "/api/places", {"name": "Nowhere", "lat": 123, "lng": 0})
    assert status == 422


def test_queued_job_is_processed_by_a_worker(host):
    data = run_job(lambda method, path, body: http(host, method, path, body), "baobab")
    assert data["processed_by_release"] == live_release(host)


def test_sessions_and_cache_live_in_redis(host):
    http(host, "GET", "/release")
    # session payloads: Redis prefix "app:" + cache prefix "cache:" + 40-char id
    keys = host.run("redis-cli -n 0 --scan --pattern 'app:cache:*'").stdout.split()
    assert any(len(k) == len("app:cache:") + 40 for k in keys), keys
    assert host.run("redis-cli -n 1 --scan --pattern '*health:hits*'").stdout.strip()


def test_workers_run_as_the_app_user(host):
    for n in (1, 2):
        svc = host.service(f"laravel-worker@{n}")
        assert svc.is_running and svc.is_enabled
        pid = host.run(f"systemctl show -p MainPID --value laravel-worker@{n}").stdout.strip()
        assert host.run(f"ps -o user= -p {pid}").stdout.strip() == "app"
    unit = host.run("systemctl cat laravel-worker@1").stdout
    assert "--max-time=3600" in unit and "--timeout=30" in unit
    assert host.run("systemctl show -p TimeoutStopUSec --value laravel-worker@1").stdout.strip() == "1min"
    assert host.service("laravel-worker@3").is_running is False


def test_layout_and_secrets_file(host):
    current = host.file(f"{ROOT}/current")
    assert current.is_symlink
    release = live_release(host)
    assert host.file(f"{ROOT}/releases/{release}/REVISION").content_string == f"{release}\n"
    assert host.file(f"{ROOT}/releases/{release}/storage").linked_to == f"{ROOT}/shared/storage"
    env = host.file(f"{ROOT}/shared/.env")
    assert env.user == "app" and env.group == "www-data" and env.mode == 0o640
    assert "APP_KEY=" in env.content_string
    assert host.file(f"{ROOT}/releases/{release}/bootstrap/cache/config.php").exists
    assert host.file(f"{ROOT}/releases/{release}/bootstrap/cache/routes-v7.php").exists
    assert f"deploy {release}" in host.file(f"{ROOT}/releases.log").content_string
    assert not host.file(f"{ROOT}/.deploy.lock").exists


def test_scheduler_timer_records_heartbeats(host):
    timer = host.service("laravel-scheduler.timer")
    assert timer.is_running and timer.is_enabled
    scheduler_ticks_once_a_minute(host)
    sched = host.run("journalctl -u laravel-scheduler.service --no-pager -o cat | tail -n 20").stdout
    assert "app:heartbeat" in sched or "heartbeat" in sched


def pool_console(host, command):
    """Rows of a PgBouncer admin console command as dicts (the console
    answers only the user pgbouncer, over the socket, as postgres)."""
    out = host.check_output(
        f"runuser -u postgres -- psql -X -h /var/run/postgresql -p 6432 -U pgbouncer pgbouncer"
        f" -A -F '|' -P footer=off -c '{command}'"
    )
    lines = [line for line in out.splitlines() if line]
    head = lines[0].split("|")
    return [dict(zip(head, line.split("|"))) for line in lines[1:]]


def test_queries_go_through_the_pool_in_transaction_mode(host):
    """PgBouncer 1.24 in transaction mode between PHP and PostgreSQL: PDO
    prepares every query as a named statement, and a server connection
    changes hands after each transaction, so concurrent requests only all
    succeed when the pooler carries the prepared statements over."""
    config = {row["key"]: row["value"] for row in pool_console(host, "SHOW CONFIG")}
    assert (config["pool_mode"], config["max_prepared_statements"]) == ("transaction", "200"), config

    def queries():
        stats = pool_console(host, "SHOW STATS")
        return sum(int(row["total_query_count"]) for row in stats if row["database"] == "app")

    before = queries()
    url = "http://127.0.0.1/api/places/near?lat=14.6928&lng=-17.4467&km=2500"
    codes = host.check_output(
        f"seq 64 | xargs -P 8 -I{{}} curl -s -o /dev/null -w '%{{http_code}}\\n' --max-time 20 '{url}'"
    ).split()
    assert codes == ["200"] * 64, sorted(set(codes))
    assert queries() >= before + 64
    # PostgreSQL sees the application only through the pool's server connections
    servers = {row["remote_pid"] for row in pool_console(host, "SHOW SERVERS") if row["database"] == "app"}
    backends = host.check_output(
        "runuser -u postgres -- psql -XAtc \"select pid from pg_stat_activity where usename = 'app'\""
    ).split()
    assert backends and set(backends) <= servers and len(servers) <= 20, (backends, servers)
