"""playbooks/provision_digitalocean.yml for both topologies, run twice each (the second run changes nothing),
and in check mode on an empty account (nothing is written).

Each scenario gets its own fake API server, so the three scenarios run at the
same time without seeing each other's resources or requests. DigitalOcean
calls go to the local fakes, the Spaces buckets to moto on 127.0.0.1.
"""

import pytest

from .conftest import ROOT, RunningPlay
from .fake_api import FakeDigitalOcean
from .spec import validate_exchanges

PLAYBOOK = ROOT / "playbooks" / "provision_digitalocean.yml"
PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa0dYxTDU0b5cFA6Nbm+UFoaGMzxpUY5M84AdcGDvEH admin@example"


def common(moto_url, bucket):
    return {
        "do_project": "shop",
        "do_region": "fra1",
        "do_ssh_public_key": PUBKEY,
        "do_domain": "shop.example.com",
        "do_droplet_size": "s-2vcpu-4gb",
        "do_worker_size": "s-1vcpu-2gb",
        "do_redis_size": "s-1vcpu-2gb",
        "do_poll_interval": 0.05,
        "do_wait_timeout": 30,
        "do_spaces_enabled": True,
        "do_spaces_bucket": bucket,
        "do_spaces_endpoint": moto_url,
        "do_spaces_region": "us-east-1",
        "do_spaces_addressing_style": "path",
        "do_spaces_access_key": "testing-key",
        "do_spaces_secret_key": "testing-secret",
    }


SCENARIOS = {
    # monolith with the optional managed PostgreSQL (the droplet then is not in group db)
    "monolith": {"do_topology": "monolith", "do_database_enabled": True},
    "scalable": {"do_topology": "scalable", "do_app_count": 2,
                 "do_database_pools": [{"name": "shop-pool", "size": 10},
                                       {"name": "reports", "mode": "session", "size": 3, "user": ""}]},
}


@pytest.fixture
def fakes():
    servers = dict((name, FakeDigitalOcean(ready_after=2).start()) for name in ("monolith", "scalable", "check"))
    yield servers
    for server in servers.values():
        server.stop()


def tags_by_name(fake):
    return dict((d["name"], sorted(d["tags"])) for d in fake.droplets.values())


def check_monolith(fake):
    assert tags_by_name(fake) == {"shop-web-1": ["app", "cache", "shop", "worker"]}
    droplet = next(iter(fake.droplets.values()))
    (fw,) = fake.firewalls.values()
    assert sorted(r["ports"] for r in fw["inbound_rules"]) == ["22", "443", "80"] and fw["tags"] == ["shop"]
    (db,) = fake.databases.values()
    assert [r["value"] for r in db["_firewall"]] == ["shop"]
    assert [u["name"] for u in db["users"]] == ["doadmin", "shop"]
    assert [d["name"] for d in db["_dbs"]] == ["defaultdb", "shop"]
    public_ip = droplet["networks"]["v4"][0]["ip_address"]
    a_records = {r["name"]: r["data"] for r in fake.records["shop.example.com"] if r["type"] == "A"}
    assert a_records == {"@": public_ip, "www": public_ip}


def check_scalable(fake):
    assert tags_by_name(fake) == {
        "shop-app-1": ["app", "shop"], "shop-app-2": ["app", "shop"],
        "shop-worker-1": ["shop", "worker"], "shop-redis-1": ["cache", "shop"],
    }
    (vpc,) = [v for v in fake.vpcs.values() if not v["default"]]
    assert all(d["vpc_uuid"] == vpc["id"] for d in fake.droplets.values())
    (lb,) = fake.load_balancers.values()
    assert lb["tag"] == "app" and lb["vpc_uuid"] == vpc["id"] and lb["health_check"]["path"] == "/health"
    firewalls = {f["name"]: f for f in fake.firewalls.values()}
    assert sorted(firewalls) == ["shop-app", "shop-cache", "shop-worker"]
    web = [r for r in firewalls["shop-app"]["inbound_rules"] if r["ports"] in ("80", "443")]
    assert all(r["sources"] == {"load_balancer_uids": [lb["id"]]} for r in web) and len(web) == 2
    redis = [r for r in firewalls["shop-cache"]["inbound_rules"] if r["ports"] == "6379"]
    assert redis[0]["sources"] == {"tags": ["app", "worker"]}
    (db,) = fake.databases.values()
    assert db["num_nodes"] == 2 and db["private_network_uuid"] == vpc["id"]
    assert [(r["type"], r["value"]) for r in db["_firewall"]] == [("ip_addr", vpc["ip_range"])]
    assert db["_pools"] == [
        {"name": "shop-pool", "mode": "transaction", "size": 10, "db": "shop", "user": "shop"},
        {"name": "reports", "mode": "session", "size": 3, "db": "shop", "user": ""},
    ]
    a_records = {r["name"]: r["data"] for r in fake.records["shop.example.com"] if r["type"] == "A"}
    assert a_records == {"@": lb["ip"], "www": lb["ip"]}


def test_both_topologies_twice_and_check_mode(fakes, moto, do_spec, tmp_path):
    extra = dict((name, dict(common(moto, "shop-files-%s" % name), **vars_))
                 for name, vars_ in SCENARIOS.items())
    check_vars = dict(common(moto, "shop-files-check"), **SCENARIOS["scalable"])

    # first runs and the check-mode run on an empty account, all at once
    running = dict((name, RunningPlay(fakes[name], str(PLAYBOOK), tmp_path / (name + "1"), extra[name]))
                   for name in SCENARIOS)
    running["check"] = RunningPlay(fakes["check"], str(PLAYBOOK), tmp_path / "check", check_vars, check=True)
    first = dict((name, run.wait()) for name, run in running.items())
    for name, result in first.items():
        assert result.rc == 0, "%s: %s" % (name, result.explain())
        assert result.stats["changed"] > 0, name

    checked = fakes["check"]
    assert checked.writes() == [], [(e["method"], e["path"]) for e in checked.writes()]
    assert not checked.droplets and not checked.ssh_keys and not checked.databases

    # second runs: nothing changes, nothing is written
    marks = dict((name, len(fakes[name].exchanges)) for name in SCENARIOS)
    running = dict((name, RunningPlay(fakes[name], str(PLAYBOOK), tmp_path / (name + "2"), extra[name]))
                   for name in SCENARIOS)
    for name, run in running.items():
        result = run.wait()
        assert result.rc == 0, "%s: %s" % (name, result.explain())
        assert result.stats["changed"] == 0, (name, [n for n, r in result.tasks if r.get("changed")])
        assert fakes[name].writes(marks[name]) == [], name

    check_monolith(fakes["monolith"])
    check_scalable(fakes["scalable"])
    for name, fake in fakes.items():
        problems = validate_exchanges(do_spec, fake.exchanges)
        assert problems == [], "%s:\n%s" % (name, "\n".join(problems))


def test_the_playbook_reads_only_curated_return_values():
    """Registered results are read through the modules' curated keys, never
    through the provider's object (``raw``) or the deprecated top-level copies."""
    import re

    text = PLAYBOOK.read_text()
    reads = set(re.findall(r"__do_[a-z_]+(?:\.results\[\d+\]|\.[a-z0-9_]+)+", text))
    assert reads, "no registered result is read"
    assert not [r for r in reads if ".raw" in r], reads
    allowed = {
        "__do_key.ssh_key.fingerprint", "__do_vpc.vpc.id", "__do_pg.database.id",
        "__do_lb.load_balancer.public_ipv4", "__do_droplet_results.results[0].droplet.public_ipv4",
    }
    assert reads <= allowed | {"__do_lb.load_balancer"}, reads - allowed
