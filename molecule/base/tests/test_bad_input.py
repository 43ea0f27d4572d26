"""A value that fails validation stops the play with a message naming the
variable and leaves the previous, working file live: a sudo rule rejected by
visudo (base-deb12) and an sshd option rejected by sshd -t (base-deb13),
applied through molecule/base/bad_input.yml against the scenario inventory."""

import os
import subprocess
from pathlib import Path

import pytest
import testinfra
from conftest import KEY, ssh

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
SUDOERS = "/etc/sudoers.d/baobab-webstack"
SSHD_DROPIN = "/etc/ssh/sshd_config.d/00-baobab-webstack.conf"

testinfra_hosts = ["base-deb12"]


def _digest(target, path):
    return target.run(f"sha256sum {path}").stdout.split()[0]


@pytest.fixture(scope="module")
def bad_run():
    deb12 = testinfra.get_host("docker://base-deb12")
    deb13 = testinfra.get_host("docker://base-deb13")
    before = {"sudo": _digest(deb12, SUDOERS), "sshd": _digest(deb13, SSHD_DROPIN)}
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
