"""One phase of the nginx role runs alone (`--tags nginx_config`, ...), as
an operator would re-apply only the configuration: the setting reaches the
live nginx, the install and service tasks do not run, and the other phases
on a converged host change nothing."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import playbook, recap

SCENARIO = Path(__file__).resolve().parents[1]
PHASE = SCENARIO / "phase.yml"
HOST = "nginx-deb12"

testinfra_hosts = [HOST]


def keepalive(host):
    config = host.check_output("nginx -T 2>/dev/null")
    return [line.strip() for line in config.splitlines() if "keepalive_requests" in line]


def test_the_config_phase_alone_applies_a_setting_and_nothing_else(host):
    rc, out = playbook(PHASE, "--limit", HOST, "--tags", "nginx_config", "-e", "nginx_keepalive_requests=77")
    assert rc == 0, out[-3000:]
    assert "keepalive_requests 77;" in keepalive(host), keepalive(host)
    assert "Stage the main configuration" in out
    for skipped in ("Install nginx", "Create the ACME challenge webroot", "Start and enable nginx",
                    "Bring nginx back after a crash"):
        assert skipped not in out, skipped
    assert host.service("nginx").is_running
    # back to the converge's value, by the same phase
    rc, out = playbook(PHASE, "--limit", HOST, "--tags", "nginx_config")
    assert rc == 0, out[-3000:]
    assert "keepalive_requests 1000;" in keepalive(host)
    assert int(recap(out)[HOST]["changed"]) > 0


def test_the_install_and_service_phases_change_nothing_on_a_converged_host(host):
    rc, out = playbook(PHASE, "--limit", HOST, "--tags", "nginx_install,nginx_service")
    assert rc == 0, out[-3000:]
    assert "Install nginx" in out and "Start and enable nginx" in out
    assert "Stage the main configuration" not in out
    assert recap(out)[HOST]["changed"] == "0", recap(out)


def test_a_phase_still_refuses_bad_input_before_any_change(host):
    """The argument specs and the role's checks run whatever phase is chosen."""
    before = host.check_output("find /etc/nginx -type f | sort | xargs sha256sum")
    rc, out = playbook(PHASE, "--limit", HOST, "--tags", "nginx_service", "-e", "nginx_worker_connections=0")
    assert rc != 0
    assert "nginx_worker_connections: 0 is out of range" in out, out[-3000:]
    assert host.check_output("find /etc/nginx -type f | sort | xargs sha256sum") == before
