"""The baobab.webstack.ovh inventory plugin through ansible-inventory against the fake API."""

import json
import subprocess
import sys
from pathlib import Path

from ovh_harness import ROOT, ovh_env


def plain(value):
    """ansible-inventory --list marks untrusted strings as {"__ansible_unsafe": ...}"""
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def seed(fake, name, region, private=None):
    n = len(fake.instances) + 1
    addresses = [{"ip": "51.68.0.%d" % n, "type": "public", "version": 4},
                 {"ip": "2001:db8::%d" % n, "type": "public", "version": 6}]
    if private:
        addresses.append({"ip": private, "type": "private", "version": 4})
    fake.instances["i-%d" % n] = {"id": "i-%d" % n, "name": name, "region": region, "status": "ACTIVE",
                                  "flavor": {"id": "gra11-b2-7"}, "image": {"id": "img"}, "sshKey": None,
                                  "ipAddresses": addresses}


def inventory(fake, tmp_path, config, *args, **extra_env):
    path = tmp_path / "ovh.yml"
    path.write_text(config)
    cmd = [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), *args]
    env = ovh_env(fake)
    env["ANSIBLE_STDOUT_CALLBACK"] = "default"
    env.update(extra_env)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


CONFIG = """
plugin: baobab.webstack.ovh
regions: [GRA11]
name_pattern: "^ksm-"
ansible_host_source: private
name_groups:
  app: "-app-"
  cache: "-redis-"
compose:
  ansible_user: "'debian'"
keyed_groups:
  - key: ovh_flavor_id
    prefix: flavor
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: {cache}
"""


def test_graph_and_hostvars(fake, tmp_path):
    seed(fake, "ksm-app-1", "GRA11", "10.42.0.11")
    seed(fake, "ksm-app-2", "GRA11", "10.42.0.12")
    seed(fake, "ksm-redis-1", "GRA11", "10.42.0.13")
    seed(fake, "ksm-app-3", "SBG5", "10.42.0.14")   # other region: filtered out
    seed(fake, "other-app-1", "GRA11")               # name pattern: filtered out
    config = CONFIG.format(cache=tmp_path / "cache")
    graph = inventory(fake, tmp_path, config, "--graph")
    assert graph.returncode == 0, graph.stderr
    lines = [line.strip(" |-@") for line in graph.stdout.splitlines()]
    assert "app:" in lines and "cache:" in lines and "ksm_app:" in lines and "ovh_region_gra11:" in lines
    assert "flavor_gra11_b2_7:" in lines
    assert "ksm-app-3" not in graph.stdout and "other-app-1" not in graph.stdout

    listing = json.loads(inventory(fake, tmp_path, config, "--list").stdout)
    assert sorted(listing["app"]["hosts"]) == ["ksm-app-1", "ksm-app-2"]
    assert listing["cache"]["hosts"] == ["ksm-redis-1"]
    app1 = listing["_meta"]["hostvars"]["ksm-app-1"]
    assert plain(app1["ansible_host"]) == "10.42.0.11" and plain(app1["ansible_user"]) == "debian"
    assert plain(app1["ovh_public_ipv4"]) == "51.68.0.1" and plain(app1["ovh_region"]) == "GRA11"

    # served from the cache: the API is not asked again
    asked = len(fake.requests)
    cached = inventory(fake, tmp_path, config, "--graph")
    assert cached.returncode == 0 and "ksm-app-1" in cached.stdout
    assert len(fake.requests) == asked


def test_bad_credentials_are_reported(fake, tmp_path):
    run = inventory(fake, tmp_path, "plugin: baobab.webstack.ovh\n", "--graph",
                    OVH_APPLICATION_SECRET="not-the-secret", ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    assert run.returncode != 0
    assert "GET /cloud/project/p-test/instance failed with HTTP 400: Invalid signature" in run.stderr, run.stderr
