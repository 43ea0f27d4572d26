"""Every example inventory backs up what it runs.

For each inventories/example_* directory, the hosts of the groups that
playbooks/backups.yml targets must have restic repositories (one of them
off-site, on S3), secrets that come from Vault, database dumps on the
database hosts and the monthly restore drill; an application host with
nothing of its own to keep says why in backups_disabled_reason. Every
backups_* value must have the type the role's argument spec declares, and
each vault.yml.example must define every vault_* name the inventory uses.

The inventory is read with ansible-inventory, which leaves "{{ ... }}"
untemplated: the Vault variables (vault.yml is not in the checkout) are
checked as the raw strings that refer to them.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
INVENTORIES = sorted(p for p in (ROOT / "inventories").glob("example_*") if p.is_dir())
PLAYBOOK = ROOT / "playbooks" / "backups.yml"
SPECS = ROOT / "roles" / "backups" / "meta" / "argument_specs.yml"
DB_GROUP = "db"
# read by playbooks/backups.yml, not by the role
PLAYBOOK_VARIABLES = {"backups_disabled_reason"}
VAULT_REFERENCE = re.compile(r"^\{\{\s*vault_[A-Za-z0-9_]+\s*\}\}$")
VAULT_NAME = re.compile(r"\bvault_[A-Za-z0-9_]+")


def _ansible_inventory():
    local = Path(sys.executable).parent / "ansible-inventory"
    if local.is_file():
        return str(local)
    found = shutil.which("ansible-inventory")
    if not found:
        pytest.skip("ansible-inventory is not installed")
    return found


@lru_cache(maxsize=None)
def _inventory(path):
    env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    result = subprocess.run(
        [_ansible_inventory(), "-i", str(path), "--list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"ansible-inventory -i {path.name} failed:\n{result.stderr}"
    return json.loads(result.stdout)


def _target_groups():
    plays = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
    for play in plays:
        tasks = play.get("tasks", []) + play.get("roles", [])
        if "baobab.webstack.backups" in json.dumps(tasks):
            groups = [g.strip() for g in re.split(r"[:,]", play["hosts"]) if g.strip()]
            assert all(re.fullmatch(r"[A-Za-z0-9_]+", g) for g in groups), play["hosts"]
            return groups
    raise AssertionError("no play of playbooks/backups.yml applies baobab.webstack.backups")


def _members(inventory, group):
    seen = set(inventory.get(group, {}).get("hosts", []))
    for child in inventory.get(group, {}).get("children", []):
        seen |= _members(inventory, child)
    return seen


def _target_hosts(inventory):
    hosts = set()
    for group in _target_groups():
        hosts |= _members(inventory, group)
    return sorted(hosts)


def _hostvars(inventory, host):
    return inventory.get("_meta", {}).get("hostvars", {}).get(host, {})


def _is_vault_reference(value):
    return isinstance(value, str) and bool(VAULT_REFERENCE.match(value))


def _ids(paths):
    return [p.name for p in paths]


# --- argument spec types ----------------------------------------------------

_TYPES = {
    "str": str,
    "path": str,
    "bool": bool,
    "int": int,
    "list": list,
    "dict": dict,
}


def _type_errors(name, value, spec):
    """Errors of value against one option of an argument spec (no templating:
    a "{{ ... }}" string stands for whatever it renders to)."""
    if isinstance(value, str) and "{{" in value:
        return []
    kind = spec.get("type", "str")
    expected = _TYPES.get(kind)
    if expected is None:
        return []
    if (kind == "int" and isinstance(value, bool)) or not isinstance(value, expected):
        return [f"{name}: {value!r} is not of type {kind}"]
    errors = []
    if "choices" in spec and value not in spec["choices"]:
        errors.append(f"{name}: {value!r} is not one of {spec['choices']}")
    if kind == "list" and "elements" in spec:
        element = dict(spec, type=spec["elements"])
        element.pop("elements")
        for index, item in enumerate(value):
            errors += _type_errors(f"{name}[{index}]", item, element)
    if kind == "dict" and "options" in spec:
        options = spec["options"]
        for key, item in value.items():
            if key not in options:
                errors.append(f"{name}: unknown key {key}")
            else:
                errors += _type_errors(f"{name}.{key}", item, options[key])
        for key, option in options.items():
            if option.get("required") and key not in value:
                errors.append(f"{name}: {key} is required")
    return errors


@lru_cache(maxsize=None)
def _role_options():
    return yaml.safe_load(SPECS.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]


# --- tests -------------------------------------------------------------------


def test_there_are_example_inventories():
    assert INVENTORIES, "no inventories/example_* directory"


@pytest.mark.parametrize("inventory_dir", INVENTORIES, ids=_ids(INVENTORIES))
def test_backup_hosts_exist(inventory_dir):
    inventory = _inventory(inventory_dir)
    assert _target_hosts(inventory), f"{inventory_dir.name}: no host in {_target_groups()}"
    assert _members(inventory, DB_GROUP), f"{inventory_dir.name}: no host in group {DB_GROUP}"


@pytest.mark.parametrize("inventory_dir", INVENTORIES, ids=_ids(INVENTORIES))
def test_every_backup_host_is_backed_up(inventory_dir):
    inventory = _inventory(inventory_dir)
    db_hosts = _members(inventory, DB_GROUP)
    problems = []
    for host in _target_hosts(inventory):
        hostvars = _hostvars(inventory, host)
        where = f"{inventory_dir.name}/{host}"
        reason = hostvars.get("backups_disabled_reason")
        if host not in db_hosts and isinstance(reason, str) and reason.strip():
            # an application host whose files live elsewhere says so
            if hostvars.get("backups_repositories"):
                problems.append(f"{where}: backups_disabled_reason and backups_repositories together")
            continue
        if host in db_hosts and "backups_disabled_reason" in hostvars:
            problems.append(f"{where}: a database host must not disable its backups")
        repositories = hostvars.get("backups_repositories") or []
        if not repositories:
            problems.append(f"{where}: no backups_repositories")
            continue
        if not any(str(r.get("url", "")).startswith("s3:") for r in repositories):
            problems.append(f"{where}: no off-site (s3:) repository")
        if not _is_vault_reference(hostvars.get("backups_restic_password")):
            problems.append(f"{where}: backups_restic_password does not come from a vault_ variable")
        for repo in repositories:
            if not str(repo.get("url", "")).startswith("s3:"):
                continue
            for key in ("access_key_id", "secret_access_key"):
                if not _is_vault_reference(repo.get(key)):
                    problems.append(f"{where}: repository {repo.get('name')}: {key} is not from a vault_ variable")
            if not repo.get("region"):
                problems.append(f"{where}: repository {repo.get('name')}: no region")
        if host in db_hosts:
            if hostvars.get("backups_postgresql_enabled") is not True:
                problems.append(f"{where}: backups_postgresql_enabled is not true")
            if not hostvars.get("backups_postgresql_databases"):
                problems.append(f"{where}: backups_postgresql_databases is empty")
            if hostvars.get("backups_drill_enabled") is not True:
                problems.append(f"{where}: backups_drill_enabled is not true")
        elif hostvars.get("backups_files_enabled") is not True:
            problems.append(f"{where}: an application host backs up nothing (backups_files_enabled)")
        if hostvars.get("backups_files_enabled") and not hostvars.get("backups_files_paths"):
            problems.append(f"{where}: backups_files_enabled without backups_files_paths")
        if hostvars.get("backups_pgbackrest_enabled"):
            repo = hostvars.get("backups_pgbackrest_repository") or {}
            if repo.get("type", "s3") == "s3":
                for key in ("access_key_id", "secret_access_key"):
                    if not _is_vault_reference(repo.get(key)):
                        problems.append(f"{where}: backups_pgbackrest_repository.{key} is not from a vault_ variable")
            cipher = hostvars.get("backups_pgbackrest_cipher_pass", "")
            if cipher and not _is_vault_reference(cipher):
                problems.append(f"{where}: backups_pgbackrest_cipher_pass does not come from a vault_ variable")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("inventory_dir", INVENTORIES, ids=_ids(INVENTORIES))
def test_backup_values_match_the_argument_spec(inventory_dir):
    inventory = _inventory(inventory_dir)
    options = _role_options()
    problems = []
    for host in _target_hosts(inventory):
        for name, value in sorted(_hostvars(inventory, host).items()):
            if not name.startswith("backups_"):
                continue
            where = f"{inventory_dir.name}/{host}"
            if name in PLAYBOOK_VARIABLES:
                if not isinstance(value, str) or not value.strip():
                    problems.append(f"{where}: {name} must be a non-empty string")
                continue
            if name not in options:
                problems.append(f"{where}: {name} is not a variable of the backups role")
                continue
            problems += [f"{where}: {error}" for error in _type_errors(name, value, options[name])]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("inventory_dir", INVENTORIES, ids=_ids(INVENTORIES))
def test_vault_example_defines_every_vault_variable(inventory_dir):
    example = inventory_dir / "group_vars" / "all" / "vault.yml.example"
    assert example.is_file(), f"{inventory_dir.name}: group_vars/all/vault.yml.example is missing"
    defined = set(yaml.safe_load(example.read_text(encoding="utf-8")) or {})
    used = set(VAULT_NAME.findall(json.dumps(_inventory(inventory_dir).get("_meta", {}))))
    missing = sorted(used - defined)
    assert not missing, f"{inventory_dir.name}: vault.yml.example lacks {missing}"
