"""The provider references used by the conformance tests are found relative to
the repository (overridable by BAOBAB_REFERENCE_DIR), never at one machine's
absolute path; under CI=true a missing reference fails instead of skipping."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SPEC_PY = ROOT / "tests" / "integration" / "digitalocean" / "spec.py"
OVH_REFERENCE_TEST = ROOT / "tests" / "integration" / "ovh" / "test_ovh_reference.py"
# an absolute path inside a string that points into the directory holding
# this checkout (wherever it is) or into a workstation's home
MACHINE_PATH = re.compile(r"""["'](%s/|/home/\w|/Users/\w)""" % re.escape(str(ROOT.parent)))


def load_spec_module():
    spec = importlib.util.spec_from_file_location("do_spec_under_test", SPEC_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_machine_path_pattern_catches_this_checkout():
    assert MACHINE_PATH.search(f'"{ROOT}/tests"')
    assert MACHINE_PATH.search(f"'{ROOT.parent}/shared/reference'")
    assert not MACHINE_PATH.search('"../shared/reference"')


def test_no_absolute_machine_path_in_tests_or_plugins():
    offenders = []
    for folder in ("plugins", "tests/integration", "tests/unit"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if MACHINE_PATH.search(line):
                    offenders.append("%s:%d: %s" % (path.relative_to(ROOT), number, line.strip()))
    assert offenders == []


def test_the_openapi_description_is_looked_for_beside_the_checkout(monkeypatch):
    monkeypatch.delenv("BAOBAB_REFERENCE_DIR", raising=False)
    monkeypatch.delenv("DIGITALOCEAN_OPENAPI_SPEC", raising=False)
    module = load_spec_module()
    assert module.spec_path() == ROOT.parent / "shared" / "reference" / "digitalocean-openapi-v2.yaml"
    monkeypatch.setenv("BAOBAB_REFERENCE_DIR", "/srv/reference")
    assert module.spec_path() == Path("/srv/reference/digitalocean-openapi-v2.yaml")


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_openapi_description_fails_under_ci_and_skips_elsewhere(monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setenv("BAOBAB_REFERENCE_DIR", str(tmp_path))
    monkeypatch.delenv("DIGITALOCEAN_OPENAPI_SPEC", raising=False)
    monkeypatch.setenv("CI", ci)
    module = load_spec_module()
    with pytest.raises(outcome, match=re.escape(str(tmp_path))):
        module.load_document()


def test_without_any_shared_directory_ci_skips_and_says_why(monkeypatch, tmp_path):
    """A checkout with no shared/ beside it and no variable naming a
    reference: there is nothing to check against, even under CI."""
    monkeypatch.delenv("BAOBAB_REFERENCE_DIR", raising=False)
    monkeypatch.delenv("DIGITALOCEAN_OPENAPI_SPEC", raising=False)
    monkeypatch.setenv("CI", "true")
    module = load_spec_module()
    module.ROOT = tmp_path / "checkout"
    with pytest.raises(pytest.skip.Exception, match="no shared/ directory is beside the checkout"):
        module.load_document()
    (tmp_path / "shared").mkdir()
    with pytest.raises(pytest.fail.Exception, match="the reference is required"):
        module.load_document()


@pytest.mark.parametrize("ci, expected", [("true", "error"), ("", "skipped")])
def test_a_missing_ovh_reference_fails_under_ci_and_skips_elsewhere(tmp_path, ci, expected):
    env = dict(os.environ, BAOBAB_REFERENCE_DIR=str(tmp_path), CI=ci)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs",
                           str(OVH_REFERENCE_TEST)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert str(tmp_path) in proc.stdout, proc.stdout[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert expected in summary, proc.stdout[-3000:]
    if expected == "error":
        assert proc.returncode != 0
        assert "passed" not in summary
    else:
        assert proc.returncode == 0
