"""The traefik role on Debian 12.

What is real here: the download from a mirror (a python http.server on the
container's loopback serving archives built by prepare.yml), the SHA-256
verification and its refusal, the unpacking and version check, the user,
directories and permissions, the hardened unit (systemd-analyze verify and
the sandbox it really applies to the running process), the rendered static
and dynamic files and the role's validation of them.

What is a stand-in: the Traefik binary (molecule/traefik/files/traefik-standin.py),
which only reports its version, binds the entry point addresses and records
what the sandbox lets it write. Routing, TLS, the redirect, metrics and ACME
need the real binary: those tests are skipped with the reason unless the
scenario is run with WEBSTACK_TRAEFIK_ARCHIVE=/path/to/traefik_v3.x.y_linux_amd64.tar.gz.
Obtaining a certificate from pebble is not automated here: the ACME settings
are checked in the rendered file only (caServer points at loopback so that a
real binary never reaches a public CA from a test).
"""

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import is_standin, run_playbook

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))

from ansible_collections.baobab.webstack.plugins.module_utils._traefik_config import (  # noqa: E402
    validate_dynamic,
    validate_static,
)

REAL_ONLY = (
    "needs the real Traefik binary; run with WEBSTACK_TRAEFIK_ARCHIVE=/path/to/traefik_v3.x.y_linux_amd64.tar.gz"
)


def load(host, path):
    return yaml.safe_load(host.file(path).content_string)


def dynamic_files(host):
    return sorted(host.check_output("ls /etc/traefik/dynamic").split())


def snapshot(host):
    return host.check_output("cd /etc/traefik && sha256sum traefik.yml dynamic/*")


@pytest.fixture(scope="module")
def real(host):
    if is_standin(host):
        pytest.skip(REAL_ONLY)


def test_binary_comes_from_the_verified_archive(host):
    link = host.file("/usr/local/bin/traefik")
    assert link.is_symlink
    version = host.check_output("/usr/local/bin/traefik version")
    installed = link.linked_to
    assert installed.startswith("/opt/traefik/") and installed.endswith("/traefik")
    assert f"Version:      {installed.split('/')[3]}" in version
    binary = host.file(installed)
    assert binary.user == "root" and binary.mode == 0o755
    # the download directory is gone
    assert host.run("ls -d /opt/traefik/.download-*").rc != 0


def test_service_user_is_not_root(host):
    user = host.user("traefik")
    assert user.uid < 1000 and user.uid != 0
    assert user.shell == "/usr/sbin/nologin"


def test_directories_and_permissions(host):
    data = host.file("/var/lib/traefik")
    assert (data.user, data.group, data.mode) == ("traefik", "traefik", 0o700)
    acme = host.file("/var/lib/traefik/acme.json")
    assert (acme.user, acme.mode) == ("traefik", 0o600)
    conf = host.file("/etc/traefik")
    assert (conf.user, conf.group, conf.mode) == ("root", "traefik", 0o750)
    env = host.file("/etc/traefik/traefik.env")
    assert (env.user, env.mode) == ("root", 0o600)
    assert 'TEST_SECRET="not-for-logs"' in env.content_string
    for name in dynamic_files(host):
        item = host.file("/etc/traefik/dynamic/" + name)
        assert (item.user, item.group, item.mode) == ("root", "traefik", 0o640), name


def test_unit_verifies_and_is_hardened(host):
    out = host.run("systemd-analyze verify /etc/systemd/system/traefik.service")
    assert out.rc == 0, out.stderr
    show = dict(
        line.split("=", 1)
        for line in host.check_output(
            "systemctl show traefik -p User -p NoNewPrivileges -p ProtectSystem -p PrivateTmp "
            "-p AmbientCapabilities -p CapabilityBoundingSet -p ReadWritePaths -p ActiveState"
        ).splitlines()
    )
    assert show["ActiveState"] == "active"
    assert show["User"] == "traefik"
    assert show["NoNewPrivileges"] == "yes"
    assert show["ProtectSystem"] == "strict"
    assert show["PrivateTmp"] == "yes"
    assert show["AmbientCapabilities"] == "cap_net_bind_service"
    assert show["CapabilityBoundingSet"] == "cap_net_bind_service"
    assert show["ReadWritePaths"] == "/var/lib/traefik"


def test_running_process_is_confined(host):
    """What the sandbox really allowed the process (recorded at its start)."""
    status = json.loads(host.file("/var/lib/traefik/standin-status.json").content_string) if is_standin(host) else None
    if status is None:
        pid = host.check_output("systemctl show traefik -p MainPID --value")
        assert host.check_output(f"stat -c %U /proc/{pid}") == "traefik"
        return
    assert status["uid"] == host.user("traefik").uid
    # ports 80 and 443 taken without root, thanks to CAP_NET_BIND_SERVICE
    assert {":80", ":443", "127.0.0.1:8082"} <= set(status["bound"])
    assert status["writable"] == {
        "/var/lib/traefik": True, "/etc/traefik": False, "/opt": False, "/usr/local/bin": False,
    }
    listening = host.check_output("ss -Htlnp")
    assert "0.0.0.0:80 " in listening or "*:80 " in listening
    assert "127.0.0.1:8082" in listening


def test_static_configuration(host):
    static = load(host, "/etc/traefik/traefik.yml")
    assert validate_static(static) == []
    web = static["entryPoints"]["web"]
    assert web["address"] == ":80"
    assert web["http"]["redirections"]["entryPoint"] == {"to": "websecure", "scheme": "https", "permanent": True}
    assert static["entryPoints"]["websecure"]["http"]["tls"]["certResolver"] == "letsencrypt"
    acme = static["certificatesResolvers"]["letsencrypt"]["acme"]
    assert acme["caServer"] == "https://127.0.0.1:14000/dir"
    assert acme["httpChallenge"] == {"entryPoint": "web"}
    assert acme["storage"] == "/var/lib/traefik/acme.json"
    assert static["providers"] == {"file": {"directory": "/etc/traefik/dynamic", "watch": True}}
    assert static["metrics"]["prometheus"]["entryPoint"] == "private"
    assert static["entryPoints"]["private"]["address"] == "127.0.0.1:8082"
    assert "api" not in static  # dashboard off by default
    assert static["accessLog"]["format"] == "json"


def test_dynamic_configuration_one_file_each(host):
    assert dynamic_files(host) == [
        "middleware-admins.yml", "middleware-gzip.yml", "middleware-limit.yml", "middleware-office.yml",
        "middleware-secure-headers.yml", "router-admin.yml", "router-app.yml", "service-app.yml",
    ]
    merged = {"http": {"routers": {}, "services": {}, "middlewares": {}}}
    for name in dynamic_files(host):
        part = load(host, "/etc/traefik/dynamic/" + name)
        assert len(part["http"]) == 1
        for section, items in part["http"].items():
            assert len(items) == 1, name
            merged["http"][section].update(items)
    assert validate_dynamic(merged, load(host, "/etc/traefik/traefik.yml")) == []
    app = merged["http"]["routers"]["app"]
    assert app["rule"] == "Host(`app.test`)"
    assert app["tls"] == {"certResolver": "letsencrypt"}
    assert app["middlewares"] == ["secure-headers", "gzip", "limit"]
    lb = merged["http"]["services"]["app"]["loadBalancer"]
    assert lb["servers"] == [{"url": "http://127.0.0.1:8080"}]
    assert lb["healthCheck"]["path"] == "/health"


@pytest.fixture(scope="module")
def bad_router(host):
    before = snapshot(host)
    return before, run_playbook("bad_router.yml")


def test_broken_router_fails_naming_the_variable(host, bad_router):
    _, run = bad_router
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "traefik_routers (http.routers.broken.service): refers to service 'nowhere'" in out


def test_broken_router_leaves_the_previous_configuration(host, bad_router):
    before, _ = bad_router
    assert snapshot(host) == before
    assert not host.file("/etc/traefik/dynamic/router-broken.yml").exists
    assert host.service("traefik").is_running


@pytest.fixture(scope="module")
def bad_checksum(host):
    link = host.file("/usr/local/bin/traefik").linked_to
    # the archive really is on the mirror: only the checksum is wrong
    assert host.run("curl -fsS -o /dev/null http://127.0.0.1:8099/traefik_v3.1.3_linux_amd64.tar.gz").rc == 0
    return link, run_playbook("bad_checksum.yml")


def test_wrong_checksum_is_refused(host, bad_checksum):
    _, run = bad_checksum
    out = run.stdout + run.stderr
    assert run.returncode != 0
    # get_url's own refusal, after the archive was fetched from the mirror
    assert "did not match 0000000000000000000000000000000000000000000000000000000000000000" in out


def test_wrong_checksum_installs_nothing(host, bad_checksum):
    link, _ = bad_checksum
    assert not host.file("/opt/traefik/3.1.3").exists
    assert host.run("ls -d /opt/traefik/.download-*").rc != 0
    assert host.file("/usr/local/bin/traefik").linked_to == link
    assert host.service("traefik").is_running


def https(host, path, extra=""):
    return host.run(
        f"curl -sS -k --resolve app.test:443:127.0.0.1 -o /dev/null -w '%{{http_code}}' {extra} https://app.test{path}"
    )


def test_real_routes_to_the_backend_over_https(host, real):
    out = host.run("curl -sS -k --resolve app.test:443:127.0.0.1 -D - https://app.test/")
    assert out.rc == 0, out.stderr
    assert "backend release" in out.stdout
    assert "x-frame-options: deny" in out.stdout.lower()


def test_real_redirects_http_to_https(host, real):
    out = host.run("curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: app.test' http://127.0.0.1/x")
    assert out.stdout in ("308 https://app.test/x", "301 https://app.test/x"), out.stdout


def test_real_basic_auth_on_admin(host, real):
    assert https(host, "/admin").stdout == "401"
    assert https(host, "/admin", "-u admin:admin-test").stdout == "200"


def test_real_ping_and_metrics_on_the_private_entrypoint(host, real):
    assert host.check_output("curl -sS http://127.0.0.1:8082/ping") == "OK"
    assert "traefik_config_reloads_total" in host.check_output("curl -sS http://127.0.0.1:8082/metrics")



def test_check_mode_on_the_converged_host_changes_nothing(host):
    run = run_playbook("converge.yml", "--check")
    assert run.returncode == 0, run.stdout[-3000:]
    recap = run.stdout.rsplit("PLAY RECAP", 1)[1]
    assert "changed=0" in recap and "failed=0" in recap, recap
