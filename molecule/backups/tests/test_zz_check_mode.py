"""Runs last: the role in check mode on the converged host reports no change
and no error (after the restores above changed the data, not the config)."""

import os
import re
import subprocess
from pathlib import Path

testinfra_hosts = ["backups-deb12"]

ROOT = Path(__file__).resolve().parents[3]


def test_check_mode_on_a_converged_host_changes_nothing():
    result = subprocess.run(
        ["ansible-playbook", "--check", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         str(ROOT / "molecule" / "backups" / "converge.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    recap = re.search(r"backups-deb12\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", result.stdout)
    assert recap, result.stdout
    assert recap.group(1) == "0", result.stdout
