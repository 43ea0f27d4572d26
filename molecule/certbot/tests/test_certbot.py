"""certbot gets real certificates from pebble (Let's Encrypt's test CA)
through nginx, nginx serves them, renewals work and reload nginx."""

import time

import pytest

testinfra_hosts = ["certbot-deb12", "certbot-deb13"]

ENV = "REQUESTS_CA_BUNDLE=/usr/local/share/pebble-ca.pem"
SERVER = "https://certbot-pebble:14000/dir"


@pytest.fixture()
def name(host):
    return host.backend.get_hostname()


@pytest.fixture()
def pebble_root(host):
    """pebble makes a new root at start; fetch it from its management API."""
    res = host.run(
        "curl -s -f --cacert /usr/local/share/pebble-ca.pem "
        "https://certbot-pebble:15000/roots/0 -o /tmp/pebble-root.pem"
    )
    assert res.rc == 0, res.stderr
    return "/tmp/pebble-root.pem"


def served_cert(host, servername, cafile):
    res = host.run(
        f"echo | openssl s_client -connect 127.0.0.1:443 -servername {servername} -CAfile {cafile} "
        "-verify_return_error -showcerts 2>&1"
    )
    return res


def test_certificate_issued_by_pebble_and_served_by_nginx(host, name, pebble_root):
    res = served_cert(host, name, pebble_root)
    assert res.rc == 0, res.stdout
    assert "Verify return code: 0 (ok)" in res.stdout
    # the chain: leaf for this name, then pebble's intermediate
    assert "Pebble Intermediate CA" in res.stdout
    subject = host.run("openssl x509 -noout -ext subjectAltName -in /etc/letsencrypt/live/web/cert.pem").stdout
    assert f"DNS:{name}" in subject
    key = host.run("openssl pkey -noout -text -in /etc/letsencrypt/live/web/privkey.pem").stdout
    assert "prime256v1" in key or "P-256" in key


def test_https_answers_with_hsts_and_http_redirects(host, name, pebble_root):
    res = host.run(f"curl -s -D - --cacert {pebble_root} --resolve {name}:443:127.0.0.1 https://{name}/")
    assert res.rc == 0, res.stderr
    assert f"hello from {name}" in res.stdout
    assert "strict-transport-security: max-age=31536000" in res.stdout.lower()
    res = host.run(f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' -H 'Host: {name}' http://127.0.0.1/x")
    assert res.stdout == f"301 https://{name}/x"


def test_nginx_authenticator_certificate(host, name, pebble_root):
    www = f"www.{name}.test"
    res = served_cert(host, www, pebble_root)
    assert "Verify return code: 0 (ok)" in res.stdout, res.stdout
    conf = host.file("/etc/letsencrypt/renewal/www.conf").content_string
    assert "authenticator = nginx" in conf
    # certbot --nginx only borrowed the configuration: our files are intact
    assert host.run("grep -rl 'managed by Certbot' /etc/nginx/").stdout == ""


def test_renewal_uses_the_distribution_timer(host):
    timer = host.service("certbot.timer")
    assert timer.is_enabled and timer.is_running
    assert "REQUESTS_CA_BUNDLE=/usr/local/share/pebble-ca.pem" in host.run(
        "systemctl show -p Environment certbot.service"
    ).stdout
    # Debian's /etc/cron.d/certbot does nothing under systemd; nothing else schedules certbot
    crons = host.run("grep -rl certbot /etc/cron* /var/spool/cron 2>/dev/null").stdout.split()
    assert crons in ([], ["/etc/cron.d/certbot"])
    assert "systemd/system" in host.file("/etc/cron.d/certbot").content_string


def test_renew_dry_run(host):
    # --dry-run would switch to Let's Encrypt's staging server: name pebble
    res = host.run(f"{ENV} certbot renew --dry-run --no-random-sleep-on-renew --server {SERVER}")
    assert res.rc == 0, res.stdout + res.stderr
    assert "Congratulations, all simulated renewals succeeded" in res.stdout + res.stderr


def test_forced_renewal_reloads_nginx_through_the_deploy_hook(host, name, pebble_root):
    def pids():
        master = host.run("cat /run/nginx.pid").stdout.strip()
        workers = set(host.run(f"pgrep -P {master}").stdout.split())
        return master, workers

    serial_before = host.run("openssl x509 -noout -serial -in /etc/letsencrypt/live/web/cert.pem").stdout
    master, workers = pids()
    assert workers
    res = host.run(f"{ENV} certbot renew --force-renewal --cert-name web --no-random-sleep-on-renew")
    assert res.rc == 0, res.stdout + res.stderr
    log = host.run("grep 'Running deploy-hook command' /var/log/letsencrypt/letsencrypt.log").stdout
    assert "50-baobab-reload" in log
    serial_after = host.run("openssl x509 -noout -serial -in /etc/letsencrypt/live/web/cert.pem").stdout
    assert serial_after != serial_before
    for _ in range(20):
        new_master, new_workers = pids()
        if new_workers and not new_workers & workers:
            break
        time.sleep(0.5)
    # a reload, not a restart: same master, new workers
    assert new_master == master
    assert new_workers and not new_workers & workers
    served = host.run(
        f"echo | openssl s_client -connect 127.0.0.1:443 -servername {name} 2>/dev/null | openssl x509 -noout -serial"
    ).stdout
    assert served == serial_after


def test_self_signed_mode_writes_certbots_layout(host):
    for f in ("fullchain.pem", "privkey.pem", "chain.pem", "cert.pem"):
        assert host.file(f"/etc/letsencrypt/live/local/{f}").exists, f
    assert host.file("/etc/letsencrypt/live/local/privkey.pem").mode == 0o600
    text = host.run(
        "openssl x509 -noout -subject -ext subjectAltName -in /etc/letsencrypt/live/local/fullchain.pem"
    ).stdout
    assert "CN=localhost" in text.replace(" = ", "=")
    assert "DNS:localhost" in text and "DNS:local.test" in text
    # self-signed: it verifies against itself
    res = host.run("openssl verify -CAfile /etc/letsencrypt/live/local/chain.pem /etc/letsencrypt/live/local/cert.pem")
    assert res.rc == 0, res.stdout
    assert not host.file("/etc/letsencrypt/renewal/local.conf").exists
