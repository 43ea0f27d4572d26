"""A jail that fail2ban-client -t rejects (unknown filter) fails the play with
a message naming fail2ban_jails; the live jail.local stays as it was and
fail2ban keeps running with it."""

import os
import subprocess
from pathlib import Path

import testinfra

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
JAIL_LOCAL = "/etc/fail2ban/jail.local"

testinfra_hosts = ["fail2ban-deb12"]


def test_rejected_jail_keeps_the_live_configuration():
    target = testinfra.get_host("docker://fail2ban-deb12")
    before = target.run(f"sha256sum {JAIL_LOCAL}").stdout.split()[0]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(PROJECT / ".cache" / "collections"))
    run = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "bad_input.yml")],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "fail2ban_jails or another fail2ban_* variable was rejected" in output
    assert "no-such-filter" in output
    assert target.run(f"sha256sum {JAIL_LOCAL}").stdout.split()[0] == before
    assert "no-such-filter" not in target.file(JAIL_LOCAL).content_string
    assert target.run("fail2ban-client ping").stdout.strip() == "Server replied: pong"
    assert "sshd" in target.run("fail2ban-client status").stdout
