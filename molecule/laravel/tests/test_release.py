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
