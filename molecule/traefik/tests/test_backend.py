"""The backend role's native mode on Debian 12, behind nginx.

The "binary" is tests/fixtures/backend/backend.py, a Python http.server
program standing in for a compiled application (the KoproGo API is a Rust
binary): the role installs and runs it exactly as it would a real one. nginx
(installed by prepare.yml) proxies app.test on 127.0.0.1:8000 to it, as
Traefik does in production. The container mode is not exercised: no image
can be pulled here.
"""

import json

import pytest
from conftest import run_playbook


def via_nginx(host, path="/"):
    return host.run(f"curl -sS -H 'Host: app.test' http://127.0.0.1:8000{path}")


def test_backend_runs_as_its_user_with_its_environment(host):
    assert host.service("app").is_running and host.service("app").is_enabled
    whoami = json.loads(host.check_output("curl -sS http://127.0.0.1:8080/whoami"))
    assert whoami["user"] == "app"
    # sha256("test-token"): the secret reached the process through the env file
    assert whoami["token_sha256"] == "4c5dc9b7708905f77f5e5d16316b5dfb425e68cb326dcd55a860e90a7707031e"


def test_backend_listens_on_loopback_only(host):
    listening = host.check_output("ss -Htln 'sport = :8080'")
    assert "127.0.0.1:8080" in listening and "0.0.0.0:8080" not in listening


def test_env_file_is_private(host):
    env = host.file("/etc/app/app.env")
    assert (env.user, env.group, env.mode) == ("root", "app", 0o640)
    assert 'API_TOKEN="test-token"' in env.content_string


def test_unit_verifies_and_is_hardened(host):
    out = host.run("systemd-analyze verify /etc/systemd/system/app.service")
    assert out.rc == 0, out.stderr
    props = host.check_output("systemctl show app -p NoNewPrivileges -p ProtectSystem -p User -p CapabilityBoundingSet")
    assert "NoNewPrivileges=yes" in props and "ProtectSystem=strict" in props and "User=app" in props
    assert "CapabilityBoundingSet=\n" in props + "\n"


def test_nginx_routes_to_the_release(host):
    out = via_nginx(host)
    assert out.rc == 0 and out.stdout == "backend release 1.0.0\n"
    assert host.file("/opt/app/current").linked_to == "/opt/app/releases/1.0.0"


@pytest.fixture(scope="module")
def bad_deploy(host):
    return run_playbook("bad_backend.yml")


def test_unhealthy_release_fails_the_play_with_the_reason(host, bad_deploy):
    out = bad_deploy.stdout + bad_deploy.stderr
    assert bad_deploy.returncode != 0
    assert "app release 2.0.0 failed its health check at http://127.0.0.1:8080/health" in " ".join(out.split())
    assert "status 503" in out
    assert "the previous release 1.0.0 is serving again" in " ".join(out.split())


def test_previous_release_keeps_serving(host, bad_deploy):
    assert bad_deploy.returncode != 0
    assert host.file("/opt/app/current").linked_to == "/opt/app/releases/1.0.0"
    assert host.service("app").is_running
    out = via_nginx(host)
    assert out.rc == 0 and out.stdout == "backend release 1.0.0\n"
    assert host.check_output("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/health") == "200"
