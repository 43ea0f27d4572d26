"""The baobab.webstack.digitalocean inventory plugin through ansible-inventory, against the local fake API."""

import json
import subprocess

from .conftest import base_env
from .spec import validate_exchanges

DROPLET = {"region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}


def make(fake, name, tags, region="fra1", vpc_uuid=None):
    body = dict(DROPLET, name=name, tags=tags, region=region)
    if vpc_uuid:
        body["vpc_uuid"] = vpc_uuid
    droplet = fake.create_droplet({}, body)[1]["droplet"]
    for _ in range(fake.ready_after):  # let it become active, as polling would
        fake.get_droplet(str(droplet["id"]), {}, {})
    return droplet


def plain(value):
    """ansible-inventory --list marks strings from inventory sources as untrusted: unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory(fake, path, *args):
    proc = subprocess.run(["ansible-inventory", "-i", str(path), *args], capture_output=True, text=True,
                          env=base_env(fake), cwd=str(path.parent), timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_inventory_groups_hostvars_filters_and_cache(fake_do, do_spec, tmp_path):
    vpc = fake_do.create_vpc({}, {"name": "shop-net", "region": "fra1", "ip_range": "10.30.0.0/20"})[1]["vpc"]
    make(fake_do, "shop-app-1", ["shop", "app"], vpc_uuid=vpc["id"])
    make(fake_do, "shop-app-2", ["shop", "app"], vpc_uuid=vpc["id"])
    make(fake_do, "shop-db-1", ["shop", "db", "cache"], vpc_uuid=vpc["id"])
    make(fake_do, "other-1", ["other", "app"], region="ams3")
    fake_do.per_page_default = 2  # the plugin asks for 200 per page anyway
    config = tmp_path / "shop.digitalocean.yml"
    config.write_text(
        "plugin: baobab.webstack.digitalocean\n"
        "filter_tags: [shop]\n"
        "regions: [fra1]\n"
        "vpc_uuids: ['%s']\n"
        "ansible_host_interface: private\n"
        "keyed_groups:\n  - key: do_region\n    prefix: region\n"
        "compose:\n  ansible_user: \"'root'\"\n"
        "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n"
        % (vpc["id"], tmp_path / "cache")
    )
    graph = inventory(fake_do, config, "--graph")
    assert "@app:" in graph and "@db:" in graph and "@cache:" in graph and "@region_fra1:" in graph
    app_block = graph.split("@app:")[1].split("@")[0]
    assert "shop-app-1" in app_block and "shop-app-2" in app_block and "shop-db-1" not in app_block
    assert "other-1" not in graph

    # second run answers from the cache: a new droplet is not seen yet
    make(fake_do, "shop-app-3", ["shop", "app"], vpc_uuid=vpc["id"])
    calls = len(fake_do.exchanges)
    data = plain(json.loads(inventory(fake_do, config, "--list")))
    assert len(fake_do.exchanges) == calls
    hostvars = data["_meta"]["hostvars"]
    assert "shop-app-3" not in hostvars
    app1 = hostvars["shop-app-1"]
    assert app1["ansible_host"] == app1["do_private_ipv4"] and app1["ansible_host"].startswith("10.30.")
    assert app1["ansible_user"] == "root" and app1["do_tags"] == ["shop", "app"]

    # flushing the cache asks the API again
    data = plain(json.loads(inventory(fake_do, config, "--list", "--flush-cache")))
    assert "shop-app-3" in data["_meta"]["hostvars"]
    assert sorted(data["app"]["hosts"]) == ["shop-app-1", "shop-app-2", "shop-app-3"]
    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)


def test_inventory_public_addresses_and_api_errors(fake_do, tmp_path):
    make(fake_do, "web-1", ["web"])
    config = tmp_path / "digitalocean.yml"
    config.write_text("plugin: baobab.webstack.digitalocean\n")
    data = plain(json.loads(inventory(fake_do, config, "--list")))
    assert data["_meta"]["hostvars"]["web-1"]["ansible_host"].startswith("203.0.113.")
    assert data["web"]["hosts"] == ["web-1"]

    env = base_env(fake_do)
    env["DIGITALOCEAN_TOKEN"] = "wrong"
    proc = subprocess.run(["ansible-inventory", "-i", str(config), "--list"], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=120)
    assert "GET /v2/droplets failed with HTTP 401: Unable to authenticate you" in proc.stderr
