"""The tags an operator selects a part of site.yml with: tiers, roles and
the phases of the server roles. Read from
`ansible-playbook --list-tasks` on the local inventory (nothing runs) and
from the roles' task files; molecule/nginx runs a phase for real."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PHASED = ["base", "fail2ban", "postgis", "redis", "traefik", "php_fpm", "pgbouncer", "nginx"]
PHASES = ["install", "config", "service"]


def listed(*args):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"), ANSIBLE_FORCE_COLOR="0")
    res = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(ROOT / "inventories" / "local"),
            str(ROOT / "site.yml"),
            "--list-tasks",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    tasks = []
    for line in res.stdout.splitlines():
        match = re.match(r"^\s{6}(.+?)\tTAGS: \[(.*)\]$", line)
        if match:
            tasks.append((match.group(1), {t.strip() for t in match.group(2).split(",") if t.strip()}))
    return tasks


def names(tasks):
    return [name for name, _tags in tasks]


def test_a_phase_selects_its_tasks_and_the_checks_only():
    tasks = listed("--tags", "nginx_config")
    got = names(tasks)
    assert "Check the operating system is supported" in got  # preflight: always
    assert "baobab.webstack.nginx : Promote the tested configuration to /etc/nginx" in got
    assert "baobab.webstack.nginx : Check the site definitions" in got
    assert not any("Install nginx" in n or "Start and enable nginx" in n for n in got), got
    # other roles contribute only their argument checks (tagged always)
    others = [n for n in got if n.startswith("baobab.webstack.") and not n.startswith("baobab.webstack.nginx")]
    assert others and all("Validating arguments" in n for n in others if "_common" not in n), others


def test_a_tier_and_a_role_select_all_their_tasks():
    app = names(listed("--tags", "app"))
    assert "baobab.webstack.php_fpm : Install PHP-FPM and the extensions" in app
    assert "baobab.webstack.nginx : Install nginx" in app
    assert not any(n.startswith("baobab.webstack.postgis :") and "Validating" not in n for n in app)
    nginx = names(listed("--tags", "nginx"))
    assert "baobab.webstack.nginx : Install nginx" in nginx
    assert not any(n.startswith("baobab.webstack.php_fpm :") and "Validating" not in n for n in nginx)


def test_the_release_is_a_tag_of_its_own():
    release = "Check a release id and an artifact are given"
    assert release in names(listed("--tags", "release"))
    got = names(listed("--skip-tags", "release"))
    assert "baobab.webstack.nginx : Install nginx" in got
    assert release not in got


def check_tasks(role, path, tasks, allowed):
    """Each task carries phases of its role; an include either passes its
    tags to the included tasks (apply) or includes tasks that carry theirs."""
    for task in tasks:
        tags = set(task.get("tags") or [])
        where = f"{role}: {path.name}: '{task.get('name')}'"
        include = task.get("ansible.builtin.include_tasks")
        imported = task.get("ansible.builtin.import_tasks")
        # a static import is no task: its tasks carry their own tags
        assert (tags or imported is not None) and tags <= allowed, f"{where} has tags {sorted(tags)}"
        if isinstance(include, dict) and "apply" in include:
            assert set(include["apply"].get("tags", [])) == tags, f"{where}: apply tags differ from its tags"
        elif include is not None or imported is not None:
            name = include if isinstance(include, str) else (imported if imported is not None else include["file"])
            inner_path = path.parent / name
            inner = yaml.safe_load(inner_path.read_text(encoding="utf-8"))
            check_tasks(role, inner_path, inner, tags if include is not None else allowed)


@pytest.mark.parametrize("role", PHASED)
def test_every_task_of_a_phased_role_has_its_phases(role):
    main = ROOT / "roles" / role / "tasks" / "main.yml"
    allowed = {f"{role}_{p}" for p in PHASES}
    check_tasks(role, main, yaml.safe_load(main.read_text(encoding="utf-8")), allowed)


def test_every_role_application_in_the_tier_playbooks_carries_the_role_tag():
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for entry in play.get("roles", []) or []:
                role = entry["role"].rsplit(".", 1)[-1]
                assert role in (entry.get("tags") or []), f"{path.name}: {entry['role']} has no tag {role}"


def test_the_tier_tags_sit_on_site_yml_s_imports_not_on_the_plays():
    # A play's tags are also its fact gathering's: with a tier tag on the
    # play, `app.yml --tags php_fpm` run on its own skipped the facts and
    # failed in the first role that reads one.
    site = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text(encoding="utf-8"))
    imports = {entry["ansible.builtin.import_playbook"]: set(entry.get("tags") or []) for entry in site}
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        if path.name not in imports or path.name in ("preflight.yml", "deploy.yml"):
            continue
        tier = path.stem
        assert imports[path.name] == {tier}, f"site.yml imports {path.name} with tags {imports[path.name]}"
        for play in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            assert "tags" not in play, f"{path.name}: play '{play.get('name')}' has tags {play['tags']}"


def test_a_tier_playbook_on_its_own_with_a_role_tag_gathers_facts(tmp_path):
    # the fact gathering of a play is listed neither by --list-tasks nor
    # --list-tags: run the tier playbook for real, against localhost in
    # check mode, with a tag that selects none of its tasks but the
    # argument checks (which read the facts)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"), ANSIBLE_FORCE_COLOR="0")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n    app:\n      hosts:\n        localhost:\n"
        f"          ansible_connection: local\n          ansible_python_interpreter: {sys.executable}\n",
        encoding="utf-8",
    )
    res = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory),
            str(ROOT / "playbooks" / "app.yml"),
            "--tags",
            "no_such_phase",
            "--check",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=ROOT,
    )
    assert "Gathering Facts" in res.stdout, res.stdout[-3000:]
    assert "has no attribute 'memtotal_mb'" not in res.stdout + res.stderr, res.stdout[-3000:]
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
