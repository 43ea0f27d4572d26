"""site.yml built the whole KSM monolith on one host: the checks a user
would make over HTTPS from the server itself."""

import json

from helpers import check_postgis_distance, https, live_release, run_job, scheduler_ticks_once_a_minute


def test_up_reports_database_redis_and_queue_healthy(host):
    status, headers, body = https(host, "GET", "/up")
    assert status == 200, body
    data = json.loads(body)
    assert (data["database"], data["redis"], data["queue"]) == ("ok", "ok", "ok"), data
    assert headers["x-release"] == live_release(host)


def test_postgis_route_computes_the_distance(host):
    check_postgis_distance(lambda method, path, body: https(host, method, path, body))


def test_dispatched_job_is_processed_by_the_worker(host):
    data = run_job(lambda method, path, body: https(host, method, path, body), "monolith")
    assert data["processed_by_release"] == live_release(host)
    assert host.service("laravel-worker@1").is_running


def test_scheduler_heartbeat_advances(host):
    assert host.service("laravel-scheduler.timer").is_enabled
    scheduler_ticks_once_a_minute(host)


def test_spa_and_its_client_side_routes(host):
    status, _, index = https(host, "GET", "/")
    assert status == 200 and 'src="/assets/app.' in index
    # a client-side route falls back to the SPA's index.html
    status, _, body = https(host, "GET", "/places/dakar/details")
    assert status == 200 and body == index
    # the API is Laravel's, not the SPA's: an unknown API route is a JSON 404
    status, _, body = https(host, "GET", "/api/no-such-route")
    assert status == 404 and body != index


def test_tls_serves_and_http_redirects(host):
    res = host.run("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://127.0.0.1/up")
    assert res.stdout == "301 https://127.0.0.1/up", res.stdout
    cert = host.run(
        "echo | openssl s_client -connect 127.0.0.1:443 -servername localhost 2>/dev/null"
        " | openssl x509 -noout -ext subjectAltName"
    )
    assert "DNS:localhost" in cert.stdout, cert.stdout + cert.stderr
    old = host.run("echo | openssl s_client -connect 127.0.0.1:443 -tls1_1 2>&1")
    assert old.rc != 0, "TLS 1.1 must be refused"


def test_data_services_listen_on_loopback_only(host):
    listeners = host.run("ss -Htln").stdout.split("\n")
    for port in (5432, 6379):
        addrs = [line.split()[3] for line in listeners if line.split() and line.split()[3].endswith(f":{port}")]
        assert addrs and all(a.startswith(("127.0.0.1:", "[::1]:")) for a in addrs), (port, addrs)


def test_no_other_local_user_reads_a_secret(host):
    """The inventory's secrets (database and Redis passwords, APP_KEY) are on
    disk where the services need them: .env, each release's configuration
    cache, redis.conf. Another local user (nobody) finds none of them in
    any file it can read."""
    import base64

    from helpers import EPHEMERAL

    names = ("db", "redis", "app_key", "restic")
    values = {name: (EPHEMERAL / "secrets" / name).read_text().split()[0] for name in names}
    values["app_key"] = "base64:" + base64.b64encode(values["app_key"].encode()).decode()
    patterns = " ".join(f"-e {value}" for value in values.values())
    places = "/srv /etc /home /opt /tmp /var/tmp /var/log /var/backups /run"
    # root sees them: the search does find what is there
    found = host.run(f"grep -rlsF {patterns} {places}").stdout.split()
    assert "/srv/app/shared/.env" in found, found
    assert f"/srv/app/releases/{live_release(host)}/bootstrap/cache/config.php" in found, found
    assert "/etc/webstack-backups/restic.password" in found, found
    assert "/etc/pgbouncer/userlist.txt" in found, found
    res = host.run(f"runuser -u nobody -- grep -rlsF {patterns} {places}")
    assert res.stdout.split() == [], res.stdout


def test_the_embedded_default_backs_up_and_its_drill_checks_the_dump(host):
    """The embedded default's backups (a local restic repository): the
    database dump, the files and the restore drill each run once, leave their
    success stamps for the monitoring role, and the drill really restored the
    dump and compared it with what was dumped."""
    for job in ("postgresql", "files", "drill"):
        res = host.run(f"systemctl start webstack-backup-{job}.service")
        log = host.run(f"journalctl -u webstack-backup-{job}.service --no-pager -o cat -n 40").stdout
        assert res.rc == 0, res.stderr + log
        assert host.file(f"/var/lib/webstack-backups/status/{job}.last-success").exists, job
        assert not host.file(f"/var/lib/webstack-backups/status/{job}.last-failure").exists, log
    drill = host.run("journalctl -u webstack-backup-drill.service --no-pager -o cat").stdout
    assert "drill of app passed" in drill, drill
    listing = host.run("/usr/local/sbin/webstack-backup restic local snapshots --json")
    assert listing.rc == 0, listing.stderr
    tags = {tag for snap in json.loads(listing.stdout) for tag in snap.get("tags") or []}
    assert {"postgresql", "files"} <= tags, tags
