"""extensions/github/deploy.sh with a fake ansible-playbook and ansible on PATH.

The fakes record their arguments, the environment Ansible would see and the
state (mode, content digest) of every file the script hands over, so these
tests prove what reaches Ansible and ssh without a host. The real deploy of a
container is in molecule/monolith/tests/test_github_deploy.py; the ssh options
(pinned known_hosts, key, StrictHostKeyChecking) are only provable here,
because the test containers are reached with the docker connection.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "extensions" / "github" / "deploy.sh"

SECRET_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1ib2R5LTQyNDI=\n-----END OPENSSH PRIVATE KEY-----"
SECRET_VAULT = "vault-pass-Zq81xK"
KNOWN_HOSTS = "web1.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsRk2Lv0wTDfxXc0gnKx8dU0Xh2y5TbK2bD7s0XlO9c"
SHA = "0123456789abcdef0123456789abcdef01234567"

FAKE_PLAYBOOK = textwrap.dedent(
    r"""
    #!/usr/bin/env python3
    import json, os, sys, hashlib
    args = sys.argv[1:]
    record = {"argv": args, "files": {}, "env": {}}
    for k in ("ANSIBLE_PRIVATE_KEY_FILE", "ANSIBLE_SSH_COMMON_ARGS", "ANSIBLE_HOST_KEY_CHECKING",
              "SSH_PRIVATE_KEY", "ANSIBLE_VAULT_PASSWORD", "SSH_KNOWN_HOSTS", "ANSIBLE_SSH_CONTROL_PATH_DIR",
              "ANSIBLE_STRATEGY", "ANSIBLE_STRATEGY_PLUGINS"):
        record["env"][k] = os.environ.get(k)
    control_dir = os.environ.get("ANSIBLE_SSH_CONTROL_PATH_DIR")
    if control_dir and "--list-hosts" not in args:
        # what ssh leaves behind with ControlPersist: a master's socket
        import socket
        master = socket.socket(socket.AF_UNIX)
        master.bind(os.path.join(control_dir, "0123456789"))
    paths = []
    if "--vault-password-file" in args:
        paths.append(args[args.index("--vault-password-file") + 1])
    if os.environ.get("ANSIBLE_PRIVATE_KEY_FILE"):
        paths.append(os.environ["ANSIBLE_PRIVATE_KEY_FILE"])
    for tok in os.environ.get("ANSIBLE_SSH_COMMON_ARGS", "").split():
        if tok.startswith("UserKnownHostsFile="):
            paths.append(tok.split("=", 1)[1])
    for p in paths:
        data = open(p, "rb").read()
        record["files"][p] = {"mode": oct(os.stat(p).st_mode & 0o777), "sha256": hashlib.sha256(data).hexdigest()}
    with open(os.environ["FAKE_LOG"], "a") as fh:
        fh.write(json.dumps(record) + "\n")
    if "--list-hosts" in args:
        print("\nplaybook: baobab.webstack.deploy\n\n  play #1 (app:worker): Deploy\tTAGS: []\n"
              "    pattern: ['app:worker']\n    hosts (2):\n      web1\n      web2\n")
        sys.exit(0)
    rc = int(os.environ.get("FAKE_RC", "0"))
    print("PLAY [Deploy a release of the application] ****\n")
    print("PLAY RECAP *********\nweb1 : ok=20 changed=%s unreachable=0 failed=%d\n"
          % (os.environ.get("FAKE_CHANGED", "3"), 1 if rc else 0))
    sys.exit(rc)
    """
).lstrip()

FAKE_SSH = textwrap.dedent(
    r"""
    #!/usr/bin/env python3
    import json, os, sys
    with open(os.environ["FAKE_LOG"], "a") as fh:
        fh.write(json.dumps({"ssh": sys.argv[1:]}) + "\n")
    """
).lstrip()

FAKE_ANSIBLE = textwrap.dedent(
    r"""
    #!/usr/bin/env python3
    import json, os, sys
    with open(os.environ["FAKE_LOG"], "a") as fh:
        fh.write(json.dumps({"adhoc": sys.argv[1:]}) + "\n")
    print('web1 | SUCCESS => {"changed": false, "status": 200, "url": "https://127.0.0.1/up", "x_release": "%s"}'
          % os.environ.get("FAKE_RELEASE", ""))
    print('web2 | FAILED! => {"changed": false, "msg": "Status code was -1: connection refused"}')
    """
).lstrip()


@pytest.fixture
def fake(tmp_path: Path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, body in (("ansible-playbook", FAKE_PLAYBOOK), ("ansible", FAKE_ANSIBLE), ("ssh", FAKE_SSH)):
        p = bindir / name
        p.write_text(body)
        p.chmod(0o755)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    web1:\n")
    artifact = tmp_path / "app.tar.gz"
    artifact.write_bytes(b"not really a tarball")
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    summary = tmp_path / "summary.md"
    log = tmp_path / "calls.jsonl"
    env = {
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "FAKE_LOG": str(log),
        "FAKE_RELEASE": SHA,
        "WEBSTACK_INVENTORY": str(inventory),
        "WEBSTACK_ARTIFACT": str(artifact),
        "WEBSTACK_ENVIRONMENT": "staging",
        "GITHUB_SHA": SHA,
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(summary),
        "SSH_PRIVATE_KEY": SECRET_KEY,
        "SSH_KNOWN_HOSTS": KNOWN_HOSTS,
        "ANSIBLE_VAULT_PASSWORD": SECRET_VAULT,
    }

    class Fake:
        def __init__(self):
            self.env, self.summary, self.log, self.runner_temp = env, summary, log, runner_temp
            self.artifact = artifact

        def run(self, *args: str, **overrides: str | None) -> subprocess.CompletedProcess:
            e = dict(self.env)
            for k, v in overrides.items():
                if v is None:
                    e.pop(k, None)
                else:
                    e[k] = v
            return subprocess.run(
                ["bash", str(SCRIPT), *args], env=e, capture_output=True, text=True, timeout=60, check=False
            )

        def calls(self) -> list[dict]:
            if not self.log.exists():
                return []
            return [json.loads(line) for line in self.log.read_text().splitlines()]

    return Fake()


def deploy_call(calls: list[dict]) -> dict:
    runs = [c for c in calls if "argv" in c and "--list-hosts" not in c["argv"]]
    assert len(runs) == 1, calls
    return runs[0]


def test_release_id_artifact_and_extra_args_reach_the_playbook(fake):
    res = fake.run("--limit", "web1", "-e", "foo=bar")
    assert res.returncode == 0, res.stderr
    argv = deploy_call(fake.calls())["argv"]
    assert argv[-1] == "baobab.webstack.deploy"
    assert argv[:2] == ["-i", fake.env["WEBSTACK_INVENTORY"]]
    assert f"laravel_release_id={SHA}" in argv
    assert f"laravel_artifact={fake.artifact}" in argv
    # pass-through arguments come after ours, in order, before the playbook
    assert argv[-5:-1] == ["--limit", "web1", "-e", "foo=bar"]


def test_explicit_release_id_and_playbook_path_win(fake):
    res = fake.run(WEBSTACK_RELEASE_ID="v1.2.3", WEBSTACK_PLAYBOOK="playbooks/deploy.yml")
    assert res.returncode == 0, res.stderr
    argv = deploy_call(fake.calls())["argv"]
    assert "laravel_release_id=v1.2.3" in argv
    assert argv[-1] == "playbooks/deploy.yml"


@pytest.mark.parametrize("known_hosts", [None, "", "  \n# only a comment\n"])
def test_missing_known_hosts_is_refused_before_anything_runs(fake, known_hosts):
    res = fake.run(SSH_KNOWN_HOSTS=known_hosts)
    assert res.returncode == 2
    assert "SSH_KNOWN_HOSTS is empty" in res.stderr
    assert "never turned off" in res.stderr
    assert fake.calls() == []  # Ansible never started
    assert list(fake.runner_temp.iterdir()) == []  # no key written
    assert not fake.summary.exists()


def test_malformed_known_hosts_is_refused(fake):
    res = fake.run(SSH_KNOWN_HOSTS="web1.example.org ssh-ed25519")
    assert res.returncode == 2
    assert "not '<hosts> <key type> <key>'" in res.stderr
    assert fake.calls() == []


def test_unsafe_release_id_is_refused(fake):
    res = fake.run(WEBSTACK_RELEASE_ID="v1;rm -rf /")
    assert res.returncode == 2
    assert fake.calls() == []


def test_missing_artifact_is_refused(fake, tmp_path):
    res = fake.run(WEBSTACK_ARTIFACT=str(tmp_path / "nope.tar.gz"))
    assert res.returncode == 2
    assert "artifact not found" in res.stderr


def test_secret_files_are_0600_pinned_and_removed_on_exit(fake):
    res = fake.run()
    assert res.returncode == 0, res.stderr
    call = deploy_call(fake.calls())
    env = call["env"]
    # the secrets themselves are not in Ansible's environment any more
    assert env["SSH_PRIVATE_KEY"] is None
    assert env["ANSIBLE_VAULT_PASSWORD"] is None
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "True"
    ssh_args = env["ANSIBLE_SSH_COMMON_ARGS"].split()
    assert "StrictHostKeyChecking=yes" in ssh_args
    assert "IdentitiesOnly=yes" in ssh_args
    files = call["files"]
    assert len(files) == 3  # vault password, key, known_hosts
    assert {f["mode"] for f in files.values()} == {"0o600"}
    vault_file = call["argv"][call["argv"].index("--vault-password-file") + 1]
    for path in files:
        assert path.startswith(str(fake.runner_temp))
        assert not os.path.exists(path), f"{path} left behind"
    assert vault_file in files
    # what ssh and Ansible read is the secret itself, with a final newline
    digests = {f["sha256"] for f in files.values()}
    for secret in (SECRET_KEY, SECRET_VAULT, KNOWN_HOSTS):
        assert hashlib.sha256((secret + "\n").encode()).hexdigest() in digests
    assert list(fake.runner_temp.iterdir()) == []


@pytest.mark.parametrize("rc", ["0", "2"])
def test_ssh_masters_are_closed_and_their_sockets_removed_on_exit(fake, rc):
    res = fake.run(FAKE_RC=rc)
    assert res.returncode == int(rc), res.stderr
    control_dir = deploy_call(fake.calls())["env"]["ANSIBLE_SSH_CONTROL_PATH_DIR"]
    assert control_dir and len(control_dir) < 40  # room for ssh's socket names
    exits = [c["ssh"] for c in fake.calls() if "ssh" in c]
    assert exits == [["-o", f"ControlPath={control_dir}/0123456789", "-O", "exit", "webstack-deploy"]], exits
    assert not os.path.exists(control_dir)


def test_the_ci_run_url_reaches_the_lock(fake):
    res = fake.run(GITHUB_RUN_ID="4242", GITHUB_REPOSITORY="acme/shop", GITHUB_SERVER_URL="https://github.com")
    assert res.returncode == 0, res.stderr
    assert "laravel_deploy_run_url=https://github.com/acme/shop/actions/runs/4242" in deploy_call(fake.calls())["argv"]


def test_secrets_are_removed_even_when_the_playbook_fails(fake):
    res = fake.run(FAKE_RC="2")
    assert res.returncode == 2
    assert list(fake.runner_temp.iterdir()) == []
    assert "FAILED" in fake.summary.read_text()


def test_no_secret_in_output_or_summary(fake):
    res = fake.run("-v")
    assert res.returncode == 0, res.stderr
    text = res.stdout + res.stderr + fake.summary.read_text()
    for secret in (SECRET_VAULT, "c2VjcmV0LWtleS1ib2R5LTQyNDI=", "PRIVATE KEY"):
        assert secret not in text


def test_summary_names_release_hosts_and_up_result(fake):
    res = fake.run()
    assert res.returncode == 0, res.stderr
    summary = fake.summary.read_text()
    assert "## Deployed to staging" in summary
    assert f"| release id | `{SHA}` |" in summary
    assert "| hosts | web1 web2 |" in summary
    assert f"web1: HTTP 200 from https://127.0.0.1/up (X-Release: {SHA})" in summary
    assert "web2: FAILED!" in summary
    assert "changed=3" in summary  # the play recap
    adhoc = [c["adhoc"] for c in fake.calls() if "adhoc" in c]
    assert adhoc and adhoc[0][0] == "app"
    assert "ansible.builtin.uri" in adhoc[0]


def test_without_key_ssh_uses_the_agent(fake):
    res = fake.run(SSH_PRIVATE_KEY=None, ANSIBLE_VAULT_PASSWORD=None)
    assert res.returncode == 0, res.stderr
    call = deploy_call(fake.calls())
    assert call["env"]["ANSIBLE_PRIVATE_KEY_FILE"] is None
    assert "--vault-password-file" not in call["argv"]
    assert "StrictHostKeyChecking=yes" in call["env"]["ANSIBLE_SSH_COMMON_ARGS"]


def test_script_is_shipped_executable():
    assert SCRIPT.stat().st_mode & stat.S_IXUSR


def test_the_default_strategy_is_ansibles_own(fake):
    res = fake.run()
    assert res.returncode == 0, res.stderr
    env = deploy_call(fake.calls())["env"]
    assert env["ANSIBLE_STRATEGY"] is None and env["ANSIBLE_STRATEGY_PLUGINS"] is None
    assert "(strategy linear)" in res.stderr


def fake_mitogen(tmp_path: Path) -> Path:
    """A stand-in for the installed mitogen package: the layout the script
    looks up (ansible_mitogen/plugins/strategy/mitogen_linear.py)."""
    strategies = tmp_path / "site" / "ansible_mitogen" / "plugins" / "strategy"
    strategies.mkdir(parents=True)
    (strategies.parents[1] / "__init__.py").write_text("")
    (strategies / "mitogen_linear.py").write_text("")
    return strategies


def test_mitogen_strategy_points_ansible_at_the_installed_package(fake, tmp_path):
    strategies = fake_mitogen(tmp_path)
    res = fake.run(WEBSTACK_STRATEGY="mitogen", PYTHONPATH=str(tmp_path / "site"))
    assert res.returncode == 0, res.stderr
    env = deploy_call(fake.calls())["env"]
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert env["ANSIBLE_STRATEGY_PLUGINS"] == str(strategies)
    # Mitogen changes the transport, not the ssh policy
    assert "StrictHostKeyChecking=yes" in env["ANSIBLE_SSH_COMMON_ARGS"]
    assert "(strategy mitogen)" in res.stderr


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ("mitogen", "cannot import ansible_mitogen"),
        ("free", "must be linear or mitogen, not 'free'"),
    ],
)
def test_an_unusable_strategy_is_refused_before_anything_runs(fake, tmp_path, strategy, message):
    # a Python without the package (isolated mode ignores PYTHONPATH and user site)
    python = tmp_path / "python-without-mitogen"
    python.write_text('#!/bin/sh\nexec python3 -I -S "$@"\n')
    python.chmod(0o755)
    res = fake.run(WEBSTACK_STRATEGY=strategy, WEBSTACK_PYTHON=str(python))
    assert res.returncode == 2
    assert message in res.stderr, res.stderr
    assert fake.calls() == []
    assert list(fake.runner_temp.iterdir()) == []
