"""playbooks/deploy.yml's first play, run for real on this machine (every
inventory host is the local connection, nothing is installed): batch
settings that make no sense and a batch that would drain every app server
from the load balancers are refused before any lock is taken; a rollout
that passes the checks takes its lock and releases it when its build
phase fails."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = ROOT / "playbooks" / "deploy.yml"


def run(tmp_path, apps, *extra):
    hosts = {name: {} for name in apps}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "ansible_become": False,
                "laravel_root": str(tmp_path / "app"),
                "laravel_health_url": "http://127.0.0.1/up",
            },
            "children": {"app": {"hosts": hosts}, "lb": {"hosts": {"lb1": {}}}},
        }
    }
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"), ANSIBLE_FORCE_COLOR="0")
    env.pop("ANSIBLE_CONFIG", None)
    res = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(path), str(PLAYBOOK), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    return res.returncode, " ".join((res.stdout + res.stderr).split())


@pytest.mark.parametrize(
    ("apps", "serial"),
    [(["app1"], "1"), (["app1", "app2"], "100%"), (["app1", "app2", "app3"], "3")],
)
def test_a_batch_that_drains_the_whole_pool_is_refused(tmp_path, apps, serial):
    rc, out = run(tmp_path, apps, "-e", "laravel_release_id=r1", "-e", f"webstack_deploy_serial={serial}")
    assert rc != 0
    assert "draining it would leave no server to answer" in out, out[-2000:]
    assert "webstack_deploy_allow_undrained" in out
    assert not (tmp_path / "app").exists()  # no lock, nothing touched


@pytest.mark.parametrize("serial", ["0", "-1", "lots", "150%"])
def test_nonsense_batch_settings_are_refused(tmp_path, serial):
    rc, out = run(tmp_path, ["app1", "app2"], "-e", "laravel_release_id=r1", "-e", f"webstack_deploy_serial={serial}")
    assert rc != 0
    assert "webstack_deploy_serial must be a number of hosts" in out, out[-2000:]
    assert not (tmp_path / "app").exists()


def test_a_rollout_that_passes_the_checks_releases_its_lock_when_its_build_fails(tmp_path):
    # an allowed undrained whole-pool batch passes; the build fails at once
    # on the malformed release id, before the role changes anything
    rc, out = run(
        tmp_path,
        ["app1", "app2"],
        "-e",
        "laravel_release_id=not/valid",
        "-e",
        "webstack_deploy_serial=100%",
        "-e",
        "webstack_deploy_allow_undrained=true",
    )
    assert rc != 0
    assert "draining it would leave" not in out
    assert "laravel_release_id must be 1-64 characters" in out, out[-2000:]
    assert "The rollout stopped on app1" in out or "The rollout stopped on app2" in out, out[-2000:]
    assert (tmp_path / "app").is_dir()  # the lock was taken there ...
    assert not (tmp_path / "app" / ".deploy.lock").exists()  # ... and released
