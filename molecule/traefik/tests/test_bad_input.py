"""Wrong and dangerous values for the traefik and backend roles are refused
before either role changes anything, each message naming the variable; the
running Traefik and the backend release keep serving.

Traefik is the scenario's stand-in binary (see test_traefik.py): what is
checked for it is that the same process still holds its entry points. The
backend is really requested, through nginx."""

import json

import pytest
from conftest import run_playbook

CASES = {
    "traefik-specs": (
        "converge.yml",
        {"traefik_log_level": "LOUD", "traefik_metrics_enabled": "perhaps"},
        [
            "value of traefik_log_level must be one of: TRACE, DEBUG, INFO, WARN, ERROR, FATAL, PANIC, got: LOUD",
            "argument 'traefik_metrics_enabled' is of type",
        ],
    ),
    "traefik-values": (
        "converge.yml",
        {
            "traefik_private_address": ":8082",
            "traefik_websecure_address": ":99999",
            "traefik_user": "root",
            "traefik_acme_ca_server": "acme.example.test/dir",
        },
        [
            "traefik_private_address: ':8082' listens on every address, including public ones;"
            " set traefik_allow_public_private_address: true",
            "traefik_websecure_address: ':99999' has a port out of range (1-65535)",
            "traefik_user/traefik_group: 'root' would run Traefik with every privilege",
            "traefik_acme_ca_server: 'acme.example.test/dir' is not an http or https URL",
        ],
    ),
    "backend-specs": (
        "bad_backend.yml",
        {"backend_port": "http", "backend_mode": "vm"},
        [
            "argument 'backend_port' is of type",
            "value of backend_mode must be one of: native, container, got: vm",
        ],
    ),
    "backend-values": (
        "bad_backend.yml",
        {
            "backend_bind_address": "0.0.0.0",
            "backend_keep_releases": 0,
            "backend_health_timeout": -5,
            "backend_user": "root",
            "backend_memory_max": "lots",
        },
        [
            "backend_bind_address: '0.0.0.0' listens on every address, including public ones;"
            " set backend_allow_public_bind: true",
            "backend_keep_releases: 0 is out of range (1-100)",
            "backend_health_timeout: -5 is out of range (1-3600)",
            "backend_user/backend_group: 'root' would run the backend with every privilege",
            "backend_memory_max: 'lots' is not a size",
        ],
    ),
}


def _state(host):
    return host.check_output(
        "cd /etc/traefik && sha256sum traefik.yml dynamic/*; sha256sum /etc/app/* /etc/systemd/system/app.service; "
        "readlink /opt/app/current; systemctl show -p MainPID --value traefik app"
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_values_are_refused_before_any_change(host, case):
    playbook, extra, needles = CASES[case]
    before = _state(host)
    run = run_playbook(playbook, "-e", json.dumps(extra))
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for needle in needles:
        assert needle in output, needle + "\n" + output
    assert "not-for-logs" not in output
    assert _state(host) == before
    # the backend still answers through the proxy, and Traefik still holds its ports
    out = host.run("curl -sS -H 'Host: app.test' http://127.0.0.1:8000/")
    assert out.rc == 0 and out.stdout == "backend release 1.0.0\n", out.stdout + out.stderr
    for port in (80, 443, 8082):
        assert host.run(f"timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'").rc == 0, port
