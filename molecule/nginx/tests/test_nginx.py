"""nginx answers for every site type from inside the container, TLS is
modern, and a site nginx rejects never reaches the live configuration."""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

SCENARIO = Path(__file__).resolve().parents[1]


def fetch(host, url, site, extra=""):
    """Status, headers (lower-case names) and body of one request to the local nginx."""
    out = host.run(
        f"curl -s -S -D /tmp/h -o /tmp/b -H 'Host: {site}' {extra} '{url}'; cat /tmp/h; echo '===BODY==='; cat /tmp/b"
    )
    assert out.rc == 0, out.stderr
    head, body = out.stdout.split("===BODY===\n", 1)
    lines = [line.strip() for line in head.strip().splitlines()]
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return status, headers, body


def test_nginx_runs_and_default_site_is_gone(host):
    assert host.service("nginx").is_running
    assert host.service("nginx").is_enabled
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    assert host.run("nginx -t").rc == 0


def test_unknown_host_gets_404(host):
    status, _, _ = fetch(host, "http://127.0.0.1/", "nobody.test")
    assert status == 404


def test_spa_serves_index_and_falls_back(host):
    status, headers, body = fetch(host, "http://127.0.0.1/", "ksm.test")
    assert status == 200 and "ksm spa" in body
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    status, _, body = fetch(host, "http://127.0.0.1/orders/42/edit", "ksm.test")
    assert status == 200 and "ksm spa" in body
    # no HSTS on plain HTTP
    assert "strict-transport-security" not in headers


def test_spa_hashed_assets_are_cached_for_a_year(host):
    status, headers, body = fetch(host, "http://127.0.0.1/assets/app-4f3a9c2b7d.js", "ksm.test")
    assert status == 200 and "console.log" in body
    assert "immutable" in headers["cache-control"]
    assert "max-age=31536000" in headers["cache-control"]
    # a missing hashed asset is a 404, not the SPA page
    status, _, _ = fetch(host, "http://127.0.0.1/assets/app-00000000aa.js", "ksm.test")
    assert status == 404


def test_laravel_location_passes_only_index_php_to_fastcgi(host):
    # the pool socket does not exist in this scenario: 502 proves the
    # request went to FastCGI (molecule/php_fpm runs it against real PHP)
    status, _, _ = fetch(host, "http://127.0.0.1/api/users?page=2", "ksm.test")
    assert status == 502
    # another PHP file is never served nor executed
    status, _, body = fetch(host, "http://127.0.0.1/api/info.php", "ksm.test")
    assert status == 404 and "phpinfo" not in body
    # dotfiles are denied
    status, _, body = fetch(host, "http://127.0.0.1/api/.env", "ksm.test")
    assert status == 403 and "APP_KEY" not in body
    conf = host.file("/etc/nginx/sites-enabled/ksm.conf").content_string
    assert "fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;" in conf
    assert "fastcgi_param DOCUMENT_ROOT $realpath_root;" in conf


def test_storage_files_are_static(host):
    status, headers, body = fetch(host, "http://127.0.0.1/storage/report.txt", "ksm.test")
    assert status == 200 and body == "stored file\n"
    assert headers["cache-control"] == "public, max-age=3600"


def test_proxy_reaches_the_upstream_with_keepalive(host):
    status, headers, body = fetch(host, "http://127.0.0.1/health", "proxy.test")
    assert status == 200 and body == "backend ok\n"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    upstreams = host.file("/etc/nginx/conf.d/baobab-upstreams.conf").content_string
    assert "server 127.0.0.1:8081 max_fails=2 fail_timeout=5s;" in upstreams
    assert "keepalive 8;" in upstreams
    # the upstream down: nginx answers 502 quickly instead of hanging
    host.run("systemctl stop test-backend")
    try:
        status, _, _ = fetch(host, "http://127.0.0.1/health", "proxy.test", "--max-time 10")
        assert status == 502
    finally:
        host.run("systemctl start test-backend")


def test_static_site_and_dotfiles(host):
    status, _, body = fetch(host, "http://127.0.0.1/", "static.test")
    assert status == 200 and body == "static home\n"
    status, _, _ = fetch(host, "http://127.0.0.1/.git/config", "static.test")
    assert status == 403
    status, _, _ = fetch(host, "http://127.0.0.1/missing", "static.test")
    assert status == 404


def test_redirect_site_keeps_the_path(host):
    status, headers, _ = fetch(host, "http://127.0.0.1/a/b?c=d", "old.test")
    assert status == 301
    assert headers["location"] == "https://ksm.test/a/b?c=d"


def test_gzip(host):
    host.run("head -c 4000 /dev/zero | tr '\\0' a > /srv/static/big.txt")
    res = host.run(
        "curl -s -D - -o /dev/null -H 'Host: static.test' -H 'Accept-Encoding: gzip' http://127.0.0.1/big.txt"
    )
    assert "content-encoding: gzip" in res.stdout.lower()


def test_acme_challenge_is_served_on_port_80_for_every_name(host):
    host.run("echo token-ok > /var/www/acme/.well-known/acme-challenge/t0k3n")
    for site in ("ksm.test", "secure.test", "nobody.test", "static.test"):
        status, _, body = fetch(host, "http://127.0.0.1/.well-known/acme-challenge/t0k3n", site)
        assert (status, body) == (200, "token-ok\n"), site


def test_tls_site_redirects_http_and_serves_https(host):
    status, headers, _ = fetch(host, "http://127.0.0.1/page?x=1", "secure.test")
    assert status == 301 and headers["location"] == "https://secure.test/page?x=1"
    status, headers, body = fetch(host, "https://secure.test/", "secure.test", "-k --resolve secure.test:443:127.0.0.1")
    assert status == 200 and body == "static home\n"
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert headers["x-content-type-options"] == "nosniff"


def test_tls_site_without_certificate_stays_on_http(host):
    status, _, body = fetch(host, "http://127.0.0.1/", "pending.test")
    assert status == 200 and body == "static home\n"
    conf = host.file("/etc/nginx/sites-enabled/pending.conf").content_string
    assert "listen 443" not in conf and "has no certificate yet" in conf


def test_old_tls_versions_are_refused(host):
    for flag in ("--tls-max 1.1 --tlsv1.0", "--tls-max 1.0 --tlsv1.0"):
        res = host.run(f"curl -sk -o /dev/null {flag} --resolve secure.test:443:127.0.0.1 https://secure.test/")
        assert res.rc != 0, flag
    res = host.run(
        "curl -sk -o /dev/null --tlsv1.2 --tls-max 1.2 --resolve secure.test:443:127.0.0.1 https://secure.test/"
    )
    assert res.rc == 0


def test_testssl_grades_the_tls_site(host):
    """Debian's testssl.sh, bounded: protocols, cipher categories, headers."""
    res = host.run(
        "rm -f /tmp/testssl.json; timeout 300 testssl --quiet --color 0 --warnings off --sneaky -p -s -h "
        "--ip 127.0.0.1 --jsonfile /tmp/testssl.json https://secure.test/ >/tmp/testssl.txt 2>&1; "
        "cat /tmp/testssl.json"
    )
    findings = {f["id"]: f for f in json.loads(res.stdout)}
    summary = {k: findings[k]["finding"] for k in findings if k.startswith(("SSL", "TLS", "cipherlist", "HSTS"))}
    print("testssl.sh summary:", json.dumps(summary, indent=1))
    # kept after the scenario's destroy, for the record
    Path(tempfile.gettempdir(), f"testssl-{host.backend.get_hostname()}.json").write_text(json.dumps(summary, indent=1))
    for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert findings[proto]["finding"].startswith("not offered"), (proto, findings[proto])
    assert findings["TLS1_2"]["finding"].startswith("offered")
    assert findings["TLS1_3"]["finding"].startswith("offered")
    for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA"):
        assert findings[weak]["finding"] == "not offered", (weak, findings[weak])
    # testssl.sh 3.0 (Debian 12) says AVERAGE, 3.2 (Debian 13) OBSOLETED: CBC suites
    cbc = [k for k in ("cipherlist_AVERAGE", "cipherlist_OBSOLETED") if k in findings]
    assert cbc
    for key in cbc:
        assert findings[key]["finding"] == "not offered", findings[key]
    assert findings["HSTS_time"]["severity"] == "OK", findings["HSTS_time"]


@pytest.fixture(scope="module")
def bad_run():
    """Apply a site nginx rejects, once, against every instance."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return subprocess.run(
        ["ansible-playbook", "-i", inventory, str(SCENARIO / "bad_input.yml")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_bad_site_fails_the_play_naming_it(host, bad_run):
    assert bad_run.returncode != 0
    assert "nginx_sites entry 'broken'" in bad_run.stdout + bad_run.stderr
    assert '"client_max_body_size" directive' in bad_run.stdout + bad_run.stderr


def test_bad_site_never_goes_live(host, bad_run):
    assert not host.file("/etc/nginx/sites-enabled/broken.conf").exists
    assert host.run("nginx -t").rc == 0
    status, _, body = fetch(host, "http://127.0.0.1/", "ksm.test")
    assert status == 200 and "ksm spa" in body
    # the old configuration is still the one being served
    status, _, _ = fetch(host, "http://127.0.0.1/", "broken.test")
    assert status == 404


def nginx_state(host):
    return host.check_output("find /etc/nginx -type f | sort | xargs sha256sum; systemctl show -p MainPID nginx")


BAD_VALUES = {
    # the argument specs: a wrong type, a misspelt key, a value outside a closed set
    "specs": (
        {
            "nginx_keepalive_requests": "lots",
            "nginx_upstreams": [{"name": "app", "servers": [{"adress": "127.0.0.1:8081"}]}],
            "nginx_sites": [{"name": "x", "server_names": ["x.test"], "type": "php"}],
        },
        [
            "argument 'nginx_keepalive_requests' is of type",
            "nginx_upstreams.servers.adress",
            "value of type must be one of: laravel, spa, proxy, static, redirect, got: php",
        ],
    ),
    # the role's own checks: ranges, formats, a dangerous value
    "values": (
        {
            "nginx_test_bad_sites": [],
            "nginx_worker_connections": 0,
            "nginx_limit_req_status": 200,
            "nginx_hsts_max_age": -1,
            "nginx_client_max_body_size": "10 potatoes",
            "nginx_real_ip_from": ["10.0.0.0/8", "10.0.0.300/8", "0.0.0.0/0"],
        },
        [
            "nginx_worker_connections: 0 is out of range (64-1048576)",
            "nginx_limit_req_status: 200 is out of range (400-599)",
            "nginx_hsts_max_age: -1 must be at least 0",
            "nginx_client_max_body_size: '10 potatoes' is not a size",
            "nginx_real_ip_from[1]: '10.0.0.300/8' is not an IP network",
            "nginx_real_ip_from: '0.0.0.0/0' trusts every client to name its own address",
            "set nginx_real_ip_allow_any: true",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_are_refused_before_any_change(host, case):
    if host.backend.get_hostname() != "nginx-deb12":
        pytest.skip("one host is enough for a refused run")
    extra, needles = BAD_VALUES[case]
    before = nginx_state(host)
    run = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "--limit",
            host.backend.get_hostname(),
            "-e",
            json.dumps(extra),
            str(SCENARIO / "bad_input.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for needle in needles:
        assert needle in output, needle + "\n" + output
    assert nginx_state(host) == before
    status, _, body = fetch(host, "http://127.0.0.1/", "ksm.test")
    assert status == 200 and "ksm spa" in body


# --- crash recovery: the attacks of molecule/_shared/webstack_crash.py -----

import sys  # noqa: E402

sys.path.insert(0, str(SCENARIO.parent / "_shared"))
import webstack_crash  # noqa: E402

NGINX_PROBE = "curl -s -o /dev/null --max-time 2 -H 'Host: unknown.test' http://127.0.0.1/"


def test_killed_nginx_master_comes_back(host):
    seconds = webstack_crash.recovers_from_kill(host, "nginx.service", NGINX_PROBE)
    print(f"nginx answered again {seconds:.1f} s after kill -9 of its master")


def test_stopped_nginx_stays_stopped(host):
    webstack_crash.stays_stopped(host, "nginx.service", NGINX_PROBE)


def test_nginx_crash_loop_ends_failed(host):
    webstack_crash.crash_loop_ends_failed(host, "nginx.service", NGINX_PROBE)
