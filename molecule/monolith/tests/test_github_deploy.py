"""The GitHub Actions deploy job's script, extensions/github/deploy.sh, run
for real against this scenario's container with a fake GitHub environment
(GITHUB_SHA, RUNNER_TEMP, GITHUB_STEP_SUMMARY, the secrets as environment
variables), exactly as the reusable workflow runs it.

What cannot be exercised here: the container is reached with the docker
connection, not SSH, so the SSH key and the pinned known_hosts the script
writes are not used by this run (a syntactically valid known_hosts line is
given). How they reach ssh (file modes, StrictHostKeyChecking=yes,
UserKnownHostsFile) is proven by tests/unit/github/test_github_deploy_script.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import EPHEMERAL, INVENTORY, PROJECT, ROOT, build, live_release, recap

CONTAINER = "monolith-deb12"
SCRIPT = PROJECT / "extensions" / "github" / "deploy.sh"
SHA = "6f1d2c3b4a5968776655443322110ffeeddccbba"
OTHER_SHA = "0000aaaa1111bbbb2222cccc3333dddd4444eeee"
KNOWN_HOSTS = "monolith-deb12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsRk2Lv0wTDfxXc0gnKx8dU0Xh2y5TbK2bD7s0XlO9c"
VAULT_PASSWORD = "vault-secret-not-needed-by-this-inventory"
FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZS1rZXktbm90LXVzZWQ=\n-----END OPENSSH PRIVATE KEY-----"


@pytest.fixture(scope="module")
def host():
    return testinfra.get_hosts(["ansible://all"], ansible_inventory=INVENTORY)[0]


@pytest.fixture(scope="module")
def artifact():
    return build("9.1.0", EPHEMERAL / "app-github.tar.gz")


def run_script(tmp_path, artifact, **overrides):
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    summary = tmp_path / "summary.md"
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".cache" / "collections"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        MOLECULE_EPHEMERAL_DIRECTORY=str(EPHEMERAL),
        GITHUB_ACTIONS="true",
        GITHUB_SHA=SHA,
        GITHUB_REPOSITORY="baobab/demo-app",
        RUNNER_TEMP=str(runner_temp),
        GITHUB_STEP_SUMMARY=str(summary),
        WEBSTACK_INVENTORY=INVENTORY,
        WEBSTACK_ARTIFACT=str(artifact),
        WEBSTACK_ENVIRONMENT="staging",
        SSH_PRIVATE_KEY=FAKE_KEY,
        SSH_KNOWN_HOSTS=KNOWN_HOSTS,
        ANSIBLE_VAULT_PASSWORD=VAULT_PASSWORD,
    )
    cfg = EPHEMERAL / "ansible.cfg"
    if cfg.is_file():
        env["ANSIBLE_CONFIG"] = str(cfg)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    res = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=1200, check=False)
    out = res.stdout + res.stderr
    return res.returncode, out, (summary.read_text() if summary.exists() else ""), runner_temp


def up_inside_container():
    """GET /up inside the container, as the brief of the job promises."""
    res = subprocess.run(["docker", "exec", CONTAINER, "curl", "-sk", "-D", "-", "-o", "/dev/null",
                          "https://127.0.0.1/up"], capture_output=True, text=True, timeout=60, check=True)
    lines = res.stdout.splitlines()
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ":" in ln)}
    return int(lines[0].split()[1]), headers


def test_missing_known_hosts_fails_before_any_change(host, artifact, tmp_path):
    before = live_release(host)
    releases_before = host.check_output(f"ls {ROOT}/releases")
    rc, out, summary, runner_temp = run_script(tmp_path, artifact, SSH_KNOWN_HOSTS=None, GITHUB_SHA=OTHER_SHA)
    assert rc == 2, out
    assert "SSH_KNOWN_HOSTS is empty" in out
    assert "PLAY" not in out  # ansible-playbook never started
    assert summary == ""
    assert list(runner_temp.iterdir()) == []  # no key or password written
    assert live_release(host) == before
    assert host.check_output(f"ls {ROOT}/releases") == releases_before
    assert not host.file(f"{ROOT}/releases/{OTHER_SHA}").exists


def test_the_job_deploys_the_commit(host, artifact, tmp_path):
    rc, out, summary, runner_temp = run_script(tmp_path, artifact)
    assert rc == 0, out
    assert live_release(host) == SHA
    status, headers = up_inside_container()
    assert status == 200
    assert headers["x-release"] == SHA
    assert headers["x-app-version"] == "9.1.0"
    # the job summary: environment, release id, hosts, /up as read from the host
    assert "## Deployed to staging" in summary
    assert f"| release id | `{SHA}` |" in summary
    assert "| hosts | monolith-deb12 |" in summary
    assert f"monolith-deb12: HTTP 200 from https://127.0.0.1/up (X-Release: {SHA})" in summary
    # the secret files are gone, and no secret was printed
    assert list(runner_temp.iterdir()) == []
    for secret in (VAULT_PASSWORD, "ZmFrZS1rZXktbm90LXVzZWQ=", "PRIVATE KEY"):
        assert secret not in out and secret not in summary


def test_a_second_deploy_of_the_same_commit_changes_nothing(host, artifact, tmp_path):
    rc, out, summary, _ = run_script(tmp_path, artifact)
    assert rc == 0, out
    counts = recap(out)
    assert counts and all(c["changed"] == "0" for c in counts.values()), counts
    assert "changed=0" in summary  # the recap is in the summary too
    assert live_release(host) == SHA
    assert up_inside_container()[0] == 200
