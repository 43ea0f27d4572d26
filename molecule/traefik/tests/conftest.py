"""Shared helpers of the traefik scenario's tests."""

import os
import subprocess
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1]


def run_playbook(name, *args):
    """Run one of the scenario's playbooks against the test host."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return subprocess.run(
        ["ansible-playbook", "-i", inventory, str(SCENARIO / name), *args],
        capture_output=True, text=True, timeout=600, check=False,
    )


def is_standin(host):
    """True when the installed Traefik is the scenario's stand-in script."""
    return "stand-in" in host.check_output("/usr/local/bin/traefik version")
