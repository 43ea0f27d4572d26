"""Opt-in, read-only check against the real DigitalOcean API.

Skipped unless DIGITALOCEAN_LIVE_TOKEN holds a token. It only lists droplets
(do_droplet_info); it never creates, changes or deletes anything.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

from .conftest import COLLECTIONS

TOKEN = os.environ.get("DIGITALOCEAN_LIVE_TOKEN")


@pytest.mark.skipif(not TOKEN, reason="set DIGITALOCEAN_LIVE_TOKEN to run the live, read-only check")
def test_live_droplet_info(tmp_path):
    play = [{"name": "live", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "list", "baobab.webstack.do_droplet_info": {"api_url": "https://api.digitalocean.com/v2"}}]}]
    path = tmp_path / "live.yml"
    path.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), DIGITALOCEAN_TOKEN=TOKEN,
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env.pop("DIGITALOCEAN_API_URL", None)
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert isinstance(result["droplets"], list)
