"""fail2ban for real: failed SSH logins from the client container, read from
the journal, get the client banned through nftables (its next connection is
refused), the ban survives a reload of the base firewall, and it expires
after the scenario's 20 s bantime. The nginx jails cannot be exercised here
(no nginx in this scenario); recidive runs as a file based jail."""

import re

from conftest import failed_login, tcp_probe
from conftest import wait_until as wait_for

testinfra_hosts = ["fail2ban-deb12", "fail2ban-deb13"]

MAXRETRY = 3


def banned(host, jail="sshd"):
    status = host.run(f"fail2ban-client status {jail}").stdout
    match = re.search(r"Banned IP list:\s*(.*)", status)
    return match.group(1).split() if match else []


def nft_set(host):
    return host.run("nft list set inet f2b-table addr-set-sshd").stdout


def test_jails_running_with_journal_backend(host):
    assert host.service("fail2ban").is_running
    status = host.run("fail2ban-client status").stdout
    assert re.search(r"Jail list:\s*recidive, sshd", status)
    sshd = host.run("fail2ban-client status sshd").stdout
    assert "Journal matches:" in sshd and "_SYSTEMD_UNIT=ssh.service" in sshd
    assert not host.file("/var/log/auth.log").exists
    # recidive reads a file
    assert "File list:" in host.run("fail2ban-client status recidive").stdout


def test_failed_logins_ban_the_client_until_bantime_expires(host, client, client_ip, name):
    # clean start (a previous run of these tests may have left a ban)
    host.run(f"fail2ban-client set sshd unbanip {client_ip}")
    assert client_ip not in banned(host)
    assert client_ip not in nft_set(host)
    assert tcp_probe(client, name, 22), "sshd must answer the client before the test"

    # maxretry failures ban the client; a couple of spare attempts absorb a
    # journal line that reaches fail2ban late
    attempts = 0
    while client_ip not in banned(host) and attempts < MAXRETRY + 2:
        attempt = failed_login(client, name)
        attempts += 1
        if attempt.rc == 255 and "Permission denied" not in attempt.stderr:
            break  # refused: the ban is already in place
        if attempts >= MAXRETRY:
            wait_for(lambda: client_ip in banned(host), 5)
    assert wait_for(lambda: client_ip in banned(host), 10), "fail2ban did not ban the client"
    # (fewer than maxretry attempts here only when failures of an earlier run
    # of these tests are still inside findtime)
    assert host.run("fail2ban-client get sshd actions").stdout.strip().endswith("nftables-multiport")
    assert client_ip in nft_set(host)
    # the ban is enforced: the client's next connection is refused
    assert not tcp_probe(client, name, 22)
    assert failed_login(client, name).rc == 255

    # reloading the base firewall does not drop fail2ban's table
    assert host.run("systemctl reload nftables").rc == 0
    assert client_ip in nft_set(host)
    assert not tcp_probe(client, name, 22)

    # the ban expires (bantime 20s, capped at 30s with increments)
    assert wait_for(lambda: client_ip not in banned(host), 60, step=2), "the ban did not expire"
    assert client_ip not in nft_set(host)
    assert tcp_probe(client, name, 22)


def test_base_firewall_still_filters(host, client, name):
    # port 8080 is not open in the base firewall; 80 is (nothing listens: refused, not dropped)
    host.run("systemd-run --unit=probe-8080 --collect python3 -m http.server 8080 --directory /tmp")
    try:
        assert wait_for(
            lambda: host.run("python3 -c \"import socket;socket.create_connection(('127.0.0.1',8080),1)\"").rc == 0, 10
        )
        assert not tcp_probe(client, name, 8080)
    finally:
        host.run("systemctl stop probe-8080")
