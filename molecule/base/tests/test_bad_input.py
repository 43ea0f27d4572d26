"""A value that fails validation stops the play with a message naming the
variable and leaves the previous, working file live: a sudo rule rejected by
visudo (base-deb12) and an sshd option rejected by sshd -t (base-deb13),
applied through molecule/base/bad_input.yml against the scenario inventory.
An AllowUsers list that would lock the operator out is refused before any
change (molecule/base/bad_ssh_users.yml), and written only with its opt-in."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra
from conftest import KEY, ssh

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import playbook

SCENARIO = Path(__file__).resolve().parents[1]
SUDOERS = "/etc/sudoers.d/baobab-webstack"
SSHD_DROPIN = "/etc/ssh/sshd_config.d/00-baobab-webstack.conf"

testinfra_hosts = ["base-deb12"]


def _digest(target, path):
    return target.run(f"sha256sum {path}").stdout.split()[0]


def _playbook(name, *args):
    """A playbook of the scenario on its inventory (the shared runner)."""
    rc, output = playbook(SCENARIO / name, *args)
    return subprocess.CompletedProcess(args=[], returncode=rc, stdout=output, stderr="")


@pytest.fixture(scope="module")
def bad_run():
    deb12 = testinfra.get_host("docker://base-deb12")
    deb13 = testinfra.get_host("docker://base-deb13")
    before = {"sudo": _digest(deb12, SUDOERS), "sshd": _digest(deb13, SSHD_DROPIN)}
    run = _playbook("bad_input.yml")
    return {"run": run, "before": before, "deb12": deb12, "deb13": deb13}


def test_play_fails_naming_the_variables(bad_run):
    run = bad_run["run"]
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "base_sudo_rules was rejected by visudo" in output
    assert "base_ssh_extra_options" in output and "rejected by sshd -t" in output
    assert "Bad configuration option: NoSuchOption" in output


def test_sudo_rules_kept_and_working(bad_run):
    deb12 = bad_run["deb12"]
    assert _digest(deb12, SUDOERS) == bad_run["before"]["sudo"]
    assert "NOPASSWD ALL" not in deb12.file(SUDOERS).content_string
    assert deb12.run("su - deploy -c 'sudo -n id -u'").stdout.strip() == "0"


def test_sshd_dropin_kept_and_sshd_answers(bad_run, client):
    deb13 = bad_run["deb13"]
    assert _digest(deb13, SSHD_DROPIN) == bad_run["before"]["sshd"]
    assert "NoSuchOption" not in deb13.file(SSHD_DROPIN).content_string
    login = ssh(client, "base-deb13", "deploy", "id -un", f"-o BatchMode=yes -i {KEY}")
    assert login.rc == 0, login.stderr
    assert login.stdout.strip() == "deploy"


def _login(client, target):
    return ssh(client, target, "deploy", "id -un", f"-o BatchMode=yes -i {KEY}")


def test_allow_users_that_would_lock_the_operator_out_are_refused(client):
    # The scenario connects with the docker connection, as root; root needs
    # AllowUsers only where PermitRootLogin lets it in (base-deb13 here), the
    # deploy user always.
    hosts = {name: testinfra.get_host(f"docker://{name}") for name in ("base-deb12", "base-deb13")}
    before = {name: _digest(target, SSHD_DROPIN) for name, target in hosts.items()}
    run = _playbook("bad_ssh_users.yml")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    for needle in (
        "base_ssh_allow_users[1]: 'Bad User!' is not a valid user name",
        "base_ssh_allow_users does not include 'deploy' (base_deploy_user)",
        "base_ssh_allow_users does not include 'root' (the user Ansible connects as)",
        "base_ssh_allow_operator_lockout: true",
        "base_ssh_port: 70000 is out of range (1-65535)",
        "base_ssh_login_grace_time: 0 is out of range (1-600)",
        "base_swap_size_mb: -512 must be at least 0",
    ):
        assert needle in output, (needle, output)
    # refused before any change, on both hosts
    recap = output.split("PLAY RECAP")[-1]
    for name, target in hosts.items():
        assert re.search(rf"{name}\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1", recap), recap
        assert _digest(target, SSHD_DROPIN) == before[name]
        assert "AllowUsers" not in target.file(SSHD_DROPIN).content_string
        login = _login(client, name)
        assert login.rc == 0 and login.stdout.strip() == "deploy", login.stderr


def test_wrong_types_and_choices_are_refused_before_any_change(client):
    target = testinfra.get_host("docker://base-deb12")
    before = _digest(target, SSHD_DROPIN)
    run = _playbook(
        "converge.yml",
        "--limit",
        "base-deb12,base-client",
        "-e",
        json.dumps({"base_ssh_max_auth_tries": "three", "base_ssh_permit_root_login": "yes"}),
    )
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "argument 'base_ssh_max_auth_tries' is of type" in output
    assert "value of base_ssh_permit_root_login must be one of: no, prohibit-password, got: yes" in output
    assert _digest(target, SSHD_DROPIN) == before
    login = _login(client, "base-deb12")
    assert login.rc == 0 and login.stdout.strip() == "deploy", login.stderr


def test_allow_users_lockout_is_written_only_with_its_opt_in(client):
    limit = ("--limit", "base-deb12,base-client")
    run = _playbook(
        "converge.yml",
        *limit,
        "-e",
        json.dumps({"base_ssh_allow_users": ["someone-else"], "base_ssh_allow_operator_lockout": True}),
    )
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        deb12 = testinfra.get_host("docker://base-deb12")
        assert "AllowUsers someone-else" in deb12.file(SSHD_DROPIN).content_string
        # the lock-out is real: sshd now refuses the deploy user's key
        login = _login(client, "base-deb12")
        assert login.rc != 0 and "Permission denied" in login.stderr, login.stdout + login.stderr
    finally:
        restore = _playbook("converge.yml", *limit)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    login = _login(client, "base-deb12")
    assert login.rc == 0 and login.stdout.strip() == "deploy", login.stderr
