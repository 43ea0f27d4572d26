"""The harness works: systemd is PID 1, apt installs, a unit answers."""

import re


def test_systemd_is_pid1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_system_is_running(host):
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend").stdout


def test_apt_installed_the_package(host):
    pkg = host.package("lighttpd")
    assert pkg.is_installed
    # the shared cache volume kept the downloaded archive
    assert host.run("ls /var/cache/apt/archives/lighttpd_*.deb").rc == 0


def test_service_started_by_systemd_answers(host):
    svc = host.service("lighttpd")
    assert svc.is_running
    main_pid = host.run("systemctl show -p MainPID --value lighttpd").stdout.strip()
    ppid = host.run(f"ps -o ppid= -p {main_pid}").stdout.strip()
    assert ppid == "1"
    major = host.ansible("setup", "filter=ansible_distribution_major_version")[
        "ansible_facts"
    ]["ansible_distribution_major_version"]
    body = host.run("python3 -c \"import urllib.request as u;print(u.urlopen('http://127.0.0.1/').read().decode())\"")
    assert body.rc == 0
    assert re.fullmatch(rf"smoke {major}\s*", body.stdout)
