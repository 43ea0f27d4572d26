"""The curated results of the DigitalOcean resource modules: the collection's
own names (``id``, ``name``, ``region``, ``status``, addresses, ``tags``...)
with the provider's object under ``raw``, the same in check mode, and ``{}``
once the resource is gone."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible_collections.baobab.webstack.plugins.module_utils._base import curated
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import curated_droplet
from ansible_collections.baobab.webstack.plugins.modules import (
    do_database_cluster,
    do_database_db,
    do_database_pool,
    do_database_user,
    do_domain,
    do_domain_record,
    do_droplet,
    do_firewall,
    do_load_balancer,
    do_ssh_key,
    do_vpc,
)
from cloud_harness import LocalApi, run_module

SHARED = {"name", "raw"}
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa0dYxTDU0b5cFA6Nbm+UFoaGMzxpUY5M84AdcGDvEH admin@example"
CLUSTER_ID = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"


def args(api, **extra):
    base = {"api_token": "t0ken", "api_url": api.url + "/v2", "request_timeout": 30, "max_retries": 0,
            "wait": False, "poll_interval": 0.01}
    base.update(extra)
    return base


def listing(key, items):
    return {key: list(items), "links": {}, "meta": {"total": len(items)}}


DROPLET = {
    "id": 3164444, "name": "web-1", "status": "active", "region": {"slug": "fra1", "name": "Frankfurt 1"},
    "size_slug": "s-1vcpu-1gb", "image": {"id": 1, "slug": "debian-12-x64"}, "tags": ["app"],
    "features": ["backups", "private_networking"], "vpc_uuid": "5a4981aa-9653-4bd1-bef5-d6bff52042e4",
    "networks": {"v4": [{"ip_address": "10.20.0.2", "type": "private"},
                        {"ip_address": "203.0.113.10", "type": "public"}],
                 "v6": [{"ip_address": "2001:db8::10", "type": "public"}]},
}


def test_curated_keeps_the_provider_object_under_raw_and_empty_stays_empty():
    assert curated({"id": 1}, id=1, name="x") == {"id": 1, "name": "x", "raw": {"id": 1}}
    assert curated({}, id=None) == {}
    assert curated(None) == {}


def test_curated_droplet_names_the_addresses_and_flattens_region_and_image():
    out = curated_droplet(DROPLET)
    assert out == {
        "id": 3164444, "name": "web-1", "region": "fra1", "status": "active", "tags": ["app"],
        "public_ipv4": "203.0.113.10", "public_ipv6": "2001:db8::10", "private_ipv4": "10.20.0.2",
        "size": "s-1vcpu-1gb", "image": "debian-12-x64", "vpc_uuid": DROPLET["vpc_uuid"], "backups": True,
        "raw": DROPLET,
    }


def refuse_writes(resources):
    """A server that lists ``resources`` (path -> (key, items)) and answers 500 to any write."""

    def handler(ex):
        if ex.method == "GET" and ex.path in resources:
            key, items = resources[ex.path]
            return 200, listing(key, items)
        if ex.method == "GET":
            return 404, {"id": "not_found", "message": "not found"}
        return 500, {"id": "unexpected", "message": "no write expected"}

    return handler


@pytest.mark.parametrize("module, key, extra, expected", [
    (do_droplet, "droplet", {"name": "web-1", "region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
                             "tags": ["app"]},
     {"name": "web-1", "region": "fra1", "status": "new", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
      "tags": ["app"], "public_ipv4": None, "backups": False}),
    (do_load_balancer, "load_balancer", {"name": "lb", "region": "fra1", "tag": "app", "forwarding_rules": [
        {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}]},
     {"name": "lb", "region": "fra1", "status": "new", "tag": "app", "size_unit": 1, "public_ipv4": None}),
    (do_firewall, "firewall", {"name": "web", "tags": ["app"], "inbound_rules": [
        {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}}]},
     {"name": "web", "tags": ["app"]}),
    (do_database_cluster, "database", {"name": "pg", "size": "db-s-1vcpu-1gb", "region": "fra1"},
     {"name": "pg", "region": "fra1", "status": "creating", "engine": "pg", "num_nodes": 1}),
    (do_domain_record, "record", {"domain": "example.com", "type": "A", "name": "www", "data": "192.0.2.1"},
     {"name": "www", "domain": "example.com", "fqdn": "www.example.com", "type": "A", "data": "192.0.2.1",
      "ttl": 1800, "id": None}),
    (do_vpc, "vpc", {"name": "web", "region": "fra1", "ip_range": "10.20.0.0/20"},
     {"id": None, "name": "web", "region": "fra1", "ip_range": "10.20.0.0/20", "default": False}),
    (do_ssh_key, "ssh_key", {"name": "deploy", "public_key": PUBKEY},
     {"id": None, "name": "deploy", "fingerprint": do_ssh_key.fingerprint_of(PUBKEY), "public_key": PUBKEY}),
    (do_domain, "domain", {"name": "example.com"}, {"name": "example.com"}),
    (do_database_db, "db", {"cluster_id": CLUSTER_ID, "name": "shop"}, {"name": "shop"}),
    (do_database_user, "user", {"cluster_id": CLUSTER_ID, "name": "shop"},
     {"name": "shop", "role": None, "password": None}),
    (do_database_pool, "pool", {"cluster_id": CLUSTER_ID, "name": "shop-pool", "size": 10, "db": "shop"},
     {"name": "shop-pool", "mode": "transaction", "size": 10, "db": "shop", "user": None, "connection": {},
      "private_connection": {}}),
])
def test_check_mode_returns_the_curated_shape_of_what_would_be_created(module, key, extra, expected):
    empty = {"/v2/droplets": ("droplets", []), "/v2/load_balancers": ("load_balancers", []),
             "/v2/vpcs": ("vpcs", []), "/v2/account/keys": ("ssh_keys", []),
             "/v2/firewalls": ("firewalls", []), "/v2/databases": ("databases", []),
             "/v2/domains/example.com/records": ("domain_records", [])}
    with LocalApi(refuse_writes(empty)) as api:
        result, failed, _warnings = run_module(module.main, args(api, _ansible_check_mode=True, **extra))
    assert not failed, result
    assert result["changed"] is True
    assert api.calls("POST") == []
    resource = result[key]
    assert set(resource) >= SHARED
    assert dict((k, resource[k]) for k in expected) == expected
    assert resource["raw"]["name"] == extra["name"]


RECORD = {"id": 28448433, "type": "A", "name": "www", "data": "192.0.2.1", "ttl": 1800, "priority": None,
          "port": None, "weight": None, "flags": None, "tag": None}


def test_an_existing_record_is_returned_curated_and_deleted_returns_empty():
    records = {"/v2/domains/example.com/records": ("domain_records", [RECORD])}

    def handler(ex):
        if ex.method == "DELETE":
            return 204, None
        return refuse_writes(records)(ex)

    with LocalApi(handler) as api:
        present, failed, _warnings = run_module(do_domain_record.main, args(
            api, domain="example.com", type="A", name="www", data="192.0.2.1"))
        assert not failed, present
        absent, failed, _warnings = run_module(do_domain_record.main, args(
            api, domain="example.com", type="A", name="www", data="192.0.2.1", state="absent"))
        assert not failed, absent
    assert present["changed"] is False
    assert present["record"] == dict(RECORD, domain="example.com", fqdn="www.example.com", raw=RECORD)
    assert absent["changed"] is True and absent["record"] == {}
    assert len(api.calls("DELETE")) == 1
