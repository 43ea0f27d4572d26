"""The security baseline, probed for real: SSH logins from the client
container, TCP reachability through the nftables ruleset, and the files the
services read. Swap and kernel settings cannot be applied inside a
container (swapon and /proc/sys writes are refused): the tests check that the
role skipped them and wrote the persistent configuration."""

import re

import pytest
from conftest import KEY, ssh, tcp_probe

testinfra_hosts = ["base-deb12", "base-deb13"]

PASSWORD = "deploy-password-123"


def test_deploy_user_logs_in_with_its_key_and_may_sudo(host, client, name):
    result = ssh(client, name, "deploy", "'id -un; sudo -n id -u'", f"-o BatchMode=yes -i {KEY}")
    assert result.rc == 0, result.stderr
    assert result.stdout.split() == ["deploy", "0"]


def test_password_login_is_refused(host, client, name):
    # the password is right: it matches the hash in /etc/shadow ...
    shadow = host.run("getent shadow deploy").stdout.split(":")[1]
    salt = shadow.rsplit("$", 1)[0] + "$"
    crypted = host.run(f"perl -e 'print crypt($ARGV[0], $ARGV[1])' {PASSWORD} '{salt}'").stdout
    assert crypted == shadow
    # ... and sshd still refuses it: only publickey is offered
    result = ssh(
        client,
        name,
        "deploy",
        "true",
        "-o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive",
        prefix=f"sshpass -p {PASSWORD} ",
    )
    assert result.rc != 0
    assert "Permission denied (publickey)" in result.stderr


def test_root_login_is_refused_even_with_an_authorized_key(host, client, name):
    key = host.file("/home/deploy/.ssh/authorized_keys").content_string
    host.run("install -d -m 700 /root/.ssh")
    host.run(f"printf '%s' {key!r} > /root/.ssh/authorized_keys")
    result = ssh(client, name, "root", "true", f"-o BatchMode=yes -i {KEY}")
    host.run("rm -f /root/.ssh/authorized_keys")
    assert result.rc != 0
    assert "Permission denied" in result.stderr


@pytest.mark.parametrize(
    "option",
    # a MAC is only negotiated with a non-AEAD cipher
    ["-c aes128-cbc", "-o KexAlgorithms=diffie-hellman-group14-sha1", "-c aes256-ctr -m hmac-sha1"],
    ids=["cbc-cipher", "sha1-kex", "sha1-mac"],
)
def test_weak_algorithms_are_refused(client, name, option):
    result = ssh(client, name, "deploy", "true", f"-o BatchMode=yes -i {KEY} {option}")
    assert result.rc != 0
    assert "no matching" in result.stderr, result.stderr
    # the same login with the default algorithms works
    assert ssh(client, name, "deploy", "true", f"-o BatchMode=yes -i {KEY}").rc == 0


def test_sshd_effective_configuration(host):
    effective = host.run("sshd -T").stdout.splitlines()
    for line in ["passwordauthentication no", "permitrootlogin no", "kbdinteractiveauthentication no", "port 22"]:
        assert line in effective


@pytest.fixture(scope="module")
def listeners(host):
    """TCP listeners on the target, on allowed and on filtered ports."""
    ports = [80, 8080, 8081, 8082]
    for port in ports:
        host.run(
            f"systemd-run --unit=probe-{port} --collect python3 -m http.server {port} --bind 0.0.0.0 --directory /tmp"
        )
    for port in ports:  # each one answers on loopback: a refused probe is the firewall
        ready = host.run(
            'for i in $(seq 50); do python3 -c "import socket;'
            f"socket.create_connection(('127.0.0.1',{port}),1)\" 2>/dev/null && exit 0; "
            "sleep 0.2; done; exit 1"
        )
        assert ready.rc == 0, f"listener on {port} did not start"
    yield ports
    for port in ports:
        host.run(f"systemctl stop probe-{port}")


@pytest.mark.parametrize(
    ("port", "reachable"),
    [(22, True), (80, True), (8081, True), (8080, False), (8082, False)],
    ids=["ssh", "http", "group-rule-client", "not-allowed", "cidr-rule-other-network"],
)
def test_firewall_reachability_from_client(listeners, client, name, port, reachable):
    assert tcp_probe(client, name, port) is reachable


def test_ruleset_is_loaded_with_default_deny(host):
    ruleset = host.run("nft list table inet baobab_filter")
    assert ruleset.rc == 0
    assert re.search(r"hook input priority filter; policy drop;", ruleset.stdout)
    assert host.service("nftables").is_enabled


def test_reload_keeps_other_tables(host):
    host.run("nft add table inet probe_foreign")
    try:
        assert host.run("systemctl reload nftables").rc == 0
        tables = host.run("nft list tables").stdout
        assert "table inet probe_foreign" in tables
        assert "table inet baobab_filter" in tables
    finally:
        host.run("nft delete table inet probe_foreign")


def test_sudo_rules_file(host):
    sudoers = host.file("/etc/sudoers.d/baobab-webstack")
    assert sudoers.mode == 0o440
    assert host.run("visudo -c").rc == 0


def test_unattended_upgrades_take_security_origins_only(host):
    origins = host.run("unattended-upgrade --dry-run -d 2>&1 | grep -m1 'Allowed origins are'").stdout
    codename = host.system_info.codename
    assert f"codename={codename}-security,label=Debian-Security" in origins
    assert f"codename={codename}-updates" not in origins
    periodic = host.run("apt-config dump APT::Periodic").stdout
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic


def test_timezone(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Africa/Dakar"
    assert host.file("/etc/timezone").content_string == "Africa/Dakar\n"


def test_swap_skipped_in_container(host):
    # base_swap_size_mb is 64 in this scenario, but swapon is refused in a container
    assert not host.file("/swapfile").exists
    assert host.file("/proc/swaps").content_string.count("\n") == 1


def test_sysctl_written_for_boot(host):
    conf = host.file("/etc/sysctl.d/60-baobab-webstack.conf").content_string
    assert "net.core.somaxconn = 4096" in conf
