"""roles/_common's distro_vars, run for real on this machine (local
connection, nothing installed) from a throwaway role that imports it, with
the host's facts given as extra vars: which vars file it loads, and the
refusal that names the supported distributions when none describes the
host. Also: every public role loads its
distribution variables through it, with no copy of its own."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

ROLE_TASKS = """---
- name: Load the distribution variables
  ansible.builtin.import_role:
    name: baobab.webstack._common
    tasks_from: distro_vars

- name: Show what was loaded
  ansible.builtin.debug:
    msg: "probe loaded {{ probe_value }}"
"""

PLAYBOOK = """---
- name: Probe
  hosts: localhost
  gather_facts: false
  roles: [probe]
"""


def run(tmp_path, vars_files, distribution="Ubuntu", major="24", family="Debian"):
    role = tmp_path / "roles" / "probe"
    (role / "tasks").mkdir(parents=True)
    (role / "vars").mkdir()
    (role / "tasks" / "main.yml").write_text(ROLE_TASKS)
    for name, value in vars_files.items():
        (role / "vars" / name).write_text(f"probe_value: {value}\n")
    playbook = tmp_path / "probe.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
        ANSIBLE_ROLES_PATH=str(tmp_path / "roles"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    env.pop("ANSIBLE_CONFIG", None)
    res = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "-e",
            json.dumps(
                {
                    "ansible_facts": {
                        "distribution": distribution,
                        "distribution_major_version": major,
                        "os_family": family,
                    }
                }
            ),
            str(playbook),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return res.returncode, res.stdout + res.stderr


def test_the_distribution_file_wins_over_the_family_file(tmp_path):
    rc, out = run(tmp_path, {"Ubuntu-24.yml": "distribution", "Debian-24.yml": "family", "Debian-12.yml": "other"})
    assert rc == 0, out
    assert "probe loaded distribution" in out


def test_the_family_file_is_the_fallback(tmp_path):
    rc, out = run(tmp_path, {"Debian-24.yml": "family", "Ubuntu-22.yml": "other"})
    assert rc == 0, out
    assert "probe loaded family" in out


def test_a_host_no_vars_file_describes_is_refused_with_the_supported_list(tmp_path):
    supported = {"Debian-12.yml": "x", "Ubuntu-22.yml": "y"}
    rc, out = run(tmp_path, supported, distribution="Fedora", major="41", family="RedHat")
    assert rc != 0, out
    assert "probe supports Debian 12, Ubuntu 22; this host runs Fedora 41." in out, out
    assert "probe loaded" not in out


def test_every_role_loads_its_distribution_variables_through_the_shared_tasks():
    """No role keeps a copy of the lookup: each imports _common's distro_vars
    from its main tasks."""
    roles = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert roles
    for role in roles:
        main = (role / "tasks" / "main.yml").read_text(encoding="utf-8")
        assert "tasks_from: distro_vars" in main, f"{role.name} does not import _common's distro_vars"
        for tasks in (role / "tasks").glob("*.yml"):
            text = tasks.read_text(encoding="utf-8")
            assert "ansible.builtin.include_vars" not in text, f"{tasks} loads vars files by itself"
