"""Every module's DOCUMENTATION, EXAMPLES and RETURN are valid YAML with
text descriptions: a ': ' inside a description turns a list item into a
mapping, which only ansible-test's validate-modules would otherwise notice,
late in the suite (it also checks the options against the code)."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
MODULES = sorted((ROOT / "plugins" / "modules").glob("*.py"))


def blocks(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in ("DOCUMENTATION", "EXAMPLES", "RETURN") and isinstance(node.value, ast.Constant):
                found[name] = node.value.value
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_documentation_blocks_are_yaml(path):
    found = blocks(path)
    assert set(found) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, f"{path.name}: {sorted(found)}"
    doc = yaml.safe_load(found["DOCUMENTATION"])
    assert isinstance(doc, dict) and doc.get("module") == path.stem
    for option, spec in (doc.get("options") or {}).items():
        assert isinstance(spec, dict), f"{path.name}: option {option} is not a mapping"
        description = spec.get("description")
        items = description if isinstance(description, list) else [description]
        assert all(isinstance(item, str) for item in items), f"{path.name}: {option}'s description is not text"
    for item in doc.get("description") or []:
        assert isinstance(item, str), f"{path.name}: a description item is not text: {item!r}"
    yaml.safe_load(found["EXAMPLES"])
    yaml.safe_load(found["RETURN"] or "{}")
