"""site.yml built the whole KSM monolith on one host: the checks a user
would make over HTTPS from the server itself."""

import json
import time

from helpers import haversine_m, https, live_release


def test_up_reports_database_redis_and_queue_healthy(host):
    status, headers, body = https(host, "GET", "/up")
    assert status == 200, body
    data = json.loads(body)
    assert (data["database"], data["redis"], data["queue"]) == ("ok", "ok", "ok"), data
    assert headers["x-release"] == live_release(host)


def test_postgis_route_computes_the_distance(host):
    status, _, body = https(host, "POST", "/api/places", {"name": "Abidjan", "lat": 5.3600, "lng": -4.0083})
    assert status == 201, body
    status, _, body = https(host, "GET", "/api/places/near?lat=14.6928&lng=-17.4467&km=2500")
    assert status == 200, body
    found = [p for p in json.loads(body)["places"] if p["name"] == "Abidjan"]
    assert found, body
    # PostGIS measures on the WGS84 spheroid, this sphere formula within 0.5 %
    expected = haversine_m(14.6928, -17.4467, 5.3600, -4.0083)
    assert abs(found[0]["distance_m"] - expected) < expected * 0.005, (found, expected)
    _, _, body = https(host, "GET", "/api/places/near?lat=14.6928&lng=-17.4467&km=1000")
    assert all(p["name"] != "Abidjan" for p in json.loads(body)["places"]), body


def test_dispatched_job_is_processed_by_the_worker(host):
    status, _, body = https(host, "POST", "/api/jobs", {"payload": "monolith"})
    assert status == 202, body
    job = json.loads(body)["id"]
    for _ in range(40):
        data = json.loads(https(host, "GET", f"/api/jobs/{job}")[2])
        if data["processed_at"]:
            break
        time.sleep(1)
    assert data["result"] == "monolith"[::-1], data
    assert data["processed_by_release"] == live_release(host)
    assert host.service("laravel-worker@1").is_running


def _heartbeats(host):
    out = host.run(
        "runuser -u postgres -- psql -tA -d app -c "
        '"select count(*), coalesce(max(extract(epoch from ran_at))::bigint, 0) from heartbeats"'
    )
    assert out.rc == 0, out.stderr
    count, last = out.stdout.strip().split("|")
    return int(count), int(last)


def test_scheduler_heartbeat_advances(host):
    assert host.service("laravel-scheduler.timer").is_enabled
    count, last = _heartbeats(host)
    # the timer fires at every minute boundary
    for _ in range(45):
        time.sleep(2)
        new_count, new_last = _heartbeats(host)
        if new_count > count:
            break
    assert new_count > count and new_last >= last, (count, new_count)


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
