"""playbooks/provision_ovh.yml against the fake API, both topologies, twice each
(the second run changes nothing), plus a check-mode run on an empty project."""

import json
import socket
import threading

import boto3
import pytest
from moto.server import ThreadedMotoServer
from ovh_fake_api import FakeOvh
from ovh_harness import ROOT, background, ovh_env, run_playbook

PLAYBOOK = ROOT / "playbooks" / "provision_ovh.yml"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyForTests deploy@ksm"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_url():
    """A local S3 API (moto) standing in for OVHcloud Object Storage."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield "http://127.0.0.1:%d" % port
    server.stop()


def provision(fake, topology, *extra, s3_url="http://127.0.0.1:9"):
    env = None
    if topology == "monolith":
        # credentials as play variables, handed to every module by
        # module_defaults: group/baobab.webstack.ovh (none in the environment)
        env = ovh_env(fake)
        for name in ("OVH_API_URL", "OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY"):
            del env[name]
        extra = ("-e", json.dumps({"ovh_api_url": fake.url, "ovh_application_key": fake.ak,
                                   "ovh_application_secret": fake.as_, "ovh_consumer_key": fake.ck}), *extra)
    return run_playbook(fake, PLAYBOOK, "-e", "ovh_topology=%s" % topology, "-e", "ovh_dns_zone=example.com",
                        "-e", "ovh_ssh_public_key='%s'" % KEY, "-e", "ovh_s3_endpoint=%s" % s3_url,
                        "-e", "ovh_s3_addressing_style=path", "-e", "ovh_bucket_name=ksm-%s" % topology, *extra,
                        env=env)


#: the scalable runs also create connection pools (one with the defaults, one open to every user)
POOLS = ["-e", json.dumps({"ovh_database_pools": [{"name": "ksm-pool", "size": 20},
                                                  {"name": "reports", "size": 3, "mode": "session", "user": ""}]})]


def twice(topology, out, s3_url):
    fake = FakeOvh().start()
    extra = POOLS if topology == "scalable" else []
    try:
        first = provision(fake, topology, *extra, s3_url=s3_url)
        mark = len(fake.requests)
        second = provision(fake, topology, *extra, s3_url=s3_url)
        out[topology] = (fake, first, second, [r for r in fake.requests[mark:]
                                               if r["method"] != "GET" and not r["path"].endswith("/secret")])
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def check_mode_run(tmp_path_factory):
    run = background(check_mode_scenario, tmp_path_factory)
    yield run
    run.close()


def test_both_topologies_twice(s3_url, check_mode_run):
    check_mode_run.start()  # overlaps with this test; checked by the next one
    out = {}
    threads = [threading.Thread(target=twice, args=(t, out, s3_url)) for t in ("monolith", "scalable")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    fake, first, second, writes = out["monolith"]
    assert first.rc == 0, first
    assert second.rc == 0, second
    assert second.stats["changed"] == 0, second
    assert writes == []
    (inst,) = fake.instances.values()
    assert (inst["name"], inst["region"], inst["flavor"]["name"], inst["image"]["name"]) == \
        ("ksm-1", "GRA11", "b2-7", "Debian 12")
    assert inst["sshKey"]["publicKey"] == KEY
    (db,) = fake.databases.values()
    public_ip = next(a["ip"] for a in inst["ipAddresses"] if a["type"] == "public" and a["version"] == 4)
    assert db["plan"] == "essential" and db["nodeNumber"] == 1 and db["networkType"] == "public"
    assert [r["ip"] for r in db["ipRestrictions"]] == [public_ip + "/32"]
    assert [d["name"] for d in db["_dbs"].values()] == ["ksm"]
    assert [u["username"] for u in db["_users"].values()] == ["ksm"]
    assert db["_pools"] == {}
    (s3user,) = fake.users.values()
    assert s3user["description"] == "ksm-files" and len(s3user["_creds"]) == 1
    records = sorted((r["subDomain"], r["fieldType"], r["target"]) for r in fake.zones["example.com"].values())
    assert records == [("", "A", public_ip), ("www", "A", public_ip)]
    assert "pw-dbuser" not in first.proc.stdout and "secret-for" not in first.proc.stdout
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="gra", aws_access_key_id="x", aws_secret_access_key="y")
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["ksm-monolith", "ksm-scalable"]

    fake, first, second, writes = out["scalable"]
    assert first.rc == 0, first
    assert second.rc == 0, second
    assert second.stats["changed"] == 0, second
    assert writes == []
    names = sorted(i["name"] for i in fake.instances.values())
    assert names == ["ksm-app-1", "ksm-app-2", "ksm-redis-1", "ksm-worker-1"]
    (net,) = fake.networks.values()
    assert net["vlanId"] == 42 and net["status"] == "ACTIVE"
    for inst in fake.instances.values():
        assert [a["networkId"] for a in inst["ipAddresses"] if a["type"] == "private"] == ["os-net-gra11-42"]
    (db,) = fake.databases.values()
    assert db["plan"] == "business" and db["nodeNumber"] == 2 and db["networkType"] == "private"
    assert db["networkId"] == "os-net-gra11-42" and db["subnetId"]
    private_ips = sorted(a["ip"] + "/32" for i in fake.instances.values() for a in i["ipAddresses"]
                         if a["type"] == "private")
    assert sorted(r["ip"] for r in db["ipRestrictions"]) == private_ips
    (ksm_db,) = db["_dbs"]
    (ksm_user,) = db["_users"]
    pools = sorted((p["name"], p["mode"], p["size"], p["databaseId"], p.get("userId")) for p in db["_pools"].values())
    assert pools == [("ksm-pool", "transaction", 20, ksm_db, ksm_user), ("reports", "session", 3, ksm_db, None)]
    (lb,) = fake.lbs.values()
    assert lb["name"] == "ksm-lb" and lb["vipNetworkId"] == "os-net-gra11-42"
    assert sorted((li["port"], li["protocol"]) for li in fake.listeners.values()) == [(80, "http"), (443, "tcp")]
    app_ips = sorted(a["ip"] for i in fake.instances.values() if i["name"].startswith("ksm-app-")
                     for a in i["ipAddresses"] if a["type"] == "private")
    for pool in fake.pools.values():
        assert sorted(m["address"] for m in pool["_members"].values()) == app_ips
    assert [m["httpConfiguration"]["urlPath"] for m in fake.monitors.values()] == ["/health"]
    records = sorted((r["subDomain"], r["target"]) for r in fake.zones["example.com"].values())
    assert records == [("", lb["floatingIp"]["ip"]), ("www", lb["floatingIp"]["ip"])]


def test_check_mode_on_an_empty_project_writes_nothing(check_mode_run):
    check_mode_run.result()


def check_mode_scenario(fake, play):
    for topology in ("monolith", "scalable"):
        run = provision(fake, topology, "--check", *(POOLS if topology == "scalable" else []))
        assert run.rc == 0, run
        assert run.stats["changed"] >= 4, run
    assert fake.requests and [r for r in fake.requests if r["method"] != "GET"] == []
    assert fake.instances == {} and fake.databases == {} and fake.users == {} and fake.networks == {}
