"""Each role's meta/argument_specs.yml and defaults/main.yml declare the same
variables, every variable is prefixed with the role name, and the README
documents each of them."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# the public roles; roles/_common is private plumbing with no main entry point
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir() and not p.name.startswith("_"))


def _load(path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_defaults_match_argument_specs(role):
    defaults_file = role / "defaults" / "main.yml"
    specs_file = role / "meta" / "argument_specs.yml"
    assert specs_file.is_file(), f"{role.name}: meta/argument_specs.yml is missing"
    defaults = set(_load(defaults_file)) if defaults_file.is_file() else set()
    options = _load(specs_file)["argument_specs"]["main"].get("options") or {}
    spec_names = set(options)
    assert defaults - spec_names == set(), f"{role.name}: in defaults but not in argument_specs"
    # options without a default must be marked required or documented as
    # optional with no default; anything else with a spec default must be in defaults
    with_default = {n for n, o in options.items() if "default" in o}
    assert with_default - defaults == set(), f"{role.name}: spec default without defaults/main.yml entry"


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_spec_defaults_equal_defaults(role):
    defaults_file = role / "defaults" / "main.yml"
    if not defaults_file.is_file():
        pytest.skip("role has no defaults")
    defaults = _load(defaults_file)
    options = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options") or {}
    for name, value in defaults.items():
        spec = options.get(name, {})
        if "default" in spec and not (isinstance(value, str) and "{{" in value):
            assert spec["default"] == value, f"{role.name}: {name} default differs between spec and defaults"


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_variables_are_prefixed_and_documented(role):
    options = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options") or {}
    readme = (role / "README.md").read_text(encoding="utf-8") if (role / "README.md").is_file() else ""
    assert readme, f"{role.name}: README.md is missing"
    for name in options:
        assert name.startswith(role.name + "_"), f"{role.name}: {name} is not prefixed with the role name"
        assert f"`{name}`" in readme, f"{role.name}: {name} is not documented in README.md"
