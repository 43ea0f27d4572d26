"""Opt-in, read-only check against the real OVHcloud API.

Skipped unless OVH_LIVE_TESTS=1 and real credentials are exported
(OVH_ENDPOINT, OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY,
OVH_CLOUD_PROJECT_SERVICE). It only lists instances: nothing is created."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ovh_harness import COLLECTIONS, ROOT

NEEDED = ("OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY", "OVH_CLOUD_PROJECT_SERVICE")

pytestmark = pytest.mark.skipif(
    os.environ.get("OVH_LIVE_TESTS") != "1" or not all(os.environ.get(n) for n in NEEDED),
    reason="live OVHcloud tests are opt-in: set OVH_LIVE_TESTS=1 and the OVH_* credentials")


def test_list_instances_on_the_real_api():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS))
    env.pop("OVH_API_URL", None)
    cmd = [str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-m", "baobab.webstack.ovh_cloud_instance_info"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert '"instances"' in run.stdout
