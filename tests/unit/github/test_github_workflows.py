"""Every workflow of the collection, and the documented example caller, pass
actionlint and GitHub's workflow JSON schema (vendored by check-jsonschema,
so this runs offline), and keep the promises docs/github-actions.md makes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml")) + sorted((ROOT / "docs" / "examples").glob("*.yml"))
IDS = [str(p.relative_to(ROOT)) for p in WORKFLOWS]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (requirements.txt)"
    return found


def actionlint(path: Path) -> subprocess.CompletedProcess:
    # -shellcheck= : the run: scripts are checked by shellcheck only where it
    # is installed; the result must not depend on that here.
    return subprocess.run([tool("actionlint"), "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)


def schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads a bare `on` as True; our files quote it
    assert "on" in data, f"{path}: quote the on: key"
    return data


def test_there_are_workflows():
    names = {p.name for p in WORKFLOWS}
    assert {"ci.yml", "deploy.yml", "app-deploy.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=IDS)
def test_actionlint(path):
    res = actionlint(path)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=IDS)
def test_github_workflow_schema(path):
    res = schema(path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_gates_refuse_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text('"on": push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n'
                   '    stepz:\n      - run: echo ${{ github.nope }}\n')
    assert actionlint(bad).returncode != 0
    assert schema(bad).returncode != 0


def test_deploy_is_reusable_with_inputs_and_secrets():
    wf = load(ROOT / ".github" / "workflows" / "deploy.yml")
    call = wf["on"]["workflow_call"]
    assert {"environment", "inventory", "release-id", "artifact-name", "collection-version", "extra-args"} <= set(
        call["inputs"])
    assert call["inputs"]["environment"]["required"] is True
    assert set(call["secrets"]) == {"SSH_PRIVATE_KEY", "SSH_KNOWN_HOSTS", "ANSIBLE_VAULT_PASSWORD"}
    job = wf["jobs"]["deploy"]
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert "inputs.environment" in job["concurrency"]["group"]
    assert job["concurrency"]["cancel-in-progress"] is False


def test_deploy_steps_are_thin_and_call_the_shipped_script():
    wf = load(ROOT / ".github" / "workflows" / "deploy.yml")
    steps = wf["jobs"]["deploy"]["steps"]
    deploy = next(s for s in steps if s.get("name") == "Deploy")
    assert "extensions/github/deploy.sh" in deploy["run"]
    assert deploy["env"]["WEBSTACK_RELEASE_ID"] == "${{ steps.release.outputs.id }}"
    release = next(s for s in steps if s.get("id") == "release")
    assert "inputs.release-id || github.sha" in release["env"]["RELEASE_ID"]
    text = (ROOT / ".github" / "workflows" / "deploy.yml").read_text()
    # secrets only ever reach the script through env:, never a command line
    for line in text.splitlines():
        if "secrets." in line and not line.lstrip().startswith("#"):
            assert re.match(r"\s+[A-Z_]+: \$\{\{ secrets\.[A-Z_]+ \}\}$", line), line
    assert "StrictHostKeyChecking=no" not in text


def test_script_is_inside_the_built_collection():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    ignored = [p.rstrip("/") for p in galaxy.get("build_ignore", [])]
    assert "extensions" not in ignored and "extensions/github" not in ignored
    assert (ROOT / "extensions" / "github" / "deploy.sh").is_file()


def test_example_caller_builds_once_and_deploys_per_environment():
    wf = load(ROOT / "docs" / "examples" / "app-deploy.yml")
    build = wf["jobs"]["build"]
    runs = "\n".join(s.get("run", "") for s in build["steps"])
    assert "composer install --no-dev --optimize-autoloader" in runs
    assert "npm run build" in runs
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in build["steps"])
    for env in ("staging", "production"):
        job = wf["jobs"][env]
        assert job["uses"].startswith("baobab/webstack/.github/workflows/deploy.yml@")
        assert job["with"]["environment"] == env
        assert job["secrets"] == "inherit"
    assert wf["jobs"]["production"]["needs"] == "staging"


def test_docs_show_the_example_caller_verbatim():
    doc = (ROOT / "docs" / "github-actions.md").read_text()
    example = (ROOT / "docs" / "examples" / "app-deploy.yml").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    assert example in blocks, "docs/github-actions.md must hold docs/examples/app-deploy.yml as is"


def test_ci_molecule_matrix_follows_the_scenarios():
    wf = load(ROOT / ".github" / "workflows" / "ci.yml")
    list_step = wf["jobs"]["scenarios"]["steps"][-1]["run"]
    assert 'glob("*/molecule.yml")' in list_step  # the rule run_tests.py uses
    assert "fromJSON(needs.scenarios.outputs.names)" in str(wf["jobs"]["molecule"]["strategy"]["matrix"]["scenario"])
    runs = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert any("scripts/test.sh --no-molecule" in r for r in runs)
    assert any("scripts/test.sh --no-static --only" in r for r in runs)
    run_tests = (ROOT / "scripts" / "run_tests.py").read_text()
    for flag in ("--no-molecule", "--no-static", "--only"):
        assert flag in run_tests
