"""A jail that fail2ban-client -t rejects (unknown filter) fails the play with
a message naming fail2ban_jails; the live jail.local stays as it was and
fail2ban keeps running with it."""

import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import playbook, refused_run

SCENARIO = Path(__file__).resolve().parents[1]
JAIL_LOCAL = "/etc/fail2ban/jail.local"

testinfra_hosts = ["fail2ban-deb12"]


def test_rejected_jail_keeps_the_live_configuration():
    target = testinfra.get_host("docker://fail2ban-deb12")
    before = target.run(f"sha256sum {JAIL_LOCAL}").stdout.split()[0]
    rc, output = playbook(SCENARIO / "bad_input.yml")
    assert rc != 0, output
    assert "fail2ban_jails or another fail2ban_* variable was rejected" in output
    assert "no-such-filter" in output
    assert target.run(f"sha256sum {JAIL_LOCAL}").stdout.split()[0] == before
    assert "no-such-filter" not in target.file(JAIL_LOCAL).content_string
    assert target.run("fail2ban-client ping").stdout.strip() == "Server replied: pong"
    assert "sshd" in target.run("fail2ban-client status").stdout


GOOD_JAILS = {"sshd": {"enabled": True}}
BAD_VALUES = {
    # the argument specs: a wrong type, a value outside a closed set
    "specs": (
        {"fail2ban_jails": GOOD_JAILS, "fail2ban_maxretry": "many", "fail2ban_backend": "journal"},
        [
            "argument 'fail2ban_maxretry' is of type",
            "value of fail2ban_backend must be one of: systemd, auto, polling, pyinotify, got: journal",
        ],
    ),
    # the role's own checks: ranges, formats, a value that would stop every ban
    "values": (
        {
            "fail2ban_jails": {"sshd": {"enabled": True, "maxretry": 0}, "bad jail": {"enabled": True}},
            "fail2ban_maxretry": 0,
            "fail2ban_bantime": "forever",
            "fail2ban_ignoreip": ["127.0.0.1/8", "::1", "10.0.0.300", "0.0.0.0/0"],
        },
        [
            "fail2ban_maxretry: 0 must be at least 1",
            "fail2ban_bantime: 'forever' is not a fail2ban time",
            "fail2ban_ignoreip[2]: '10.0.0.300' is not an IP network",
            "fail2ban_ignoreip: '0.0.0.0/0' would never ban anyone; set fail2ban_allow_ignore_everyone: true",
            "fail2ban_jails: 'bad jail' is not a jail name",
            "fail2ban_jails.sshd.maxretry must be 1 or more",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_are_refused_before_any_change(case):
    target = testinfra.get_host("docker://fail2ban-deb12")
    extra, needles = BAD_VALUES[case]
    before = target.run(f"sha256sum {JAIL_LOCAL}; systemctl show -p MainPID --value fail2ban").stdout
    refused_run(SCENARIO / "bad_input.yml", extra, needles)
    assert target.run(f"sha256sum {JAIL_LOCAL}; systemctl show -p MainPID --value fail2ban").stdout == before
    # still banning with the live jails: the sshd jail answers
    status = target.run("fail2ban-client status sshd")
    assert status.rc == 0 and "Currently banned" in status.stdout, status.stdout + status.stderr
