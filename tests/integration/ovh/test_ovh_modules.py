"""The ovh_* modules through ansible-playbook against the local fake API:
create, idempotence, check mode (no write reaches the API), update, delete,
delete again, duplicate names, timeouts, bad credentials, retries."""

import json

import pytest
from ovh_harness import background

LIFECYCLE = """
- hosts: localhost
  gather_facts: false
  vars:
    st: present
    flavor: b2-7
    ttl: 0
    ips: ["198.51.100.7/32"]
    rotate: false
  tasks:
    - name: key
      baobab.webstack.ovh_cloud_ssh_key:
        name: deploy
        public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyForTests test@example
        state: "{{ st }}"
    - name: network
      baobab.webstack.ovh_cloud_private_network:
        name: priv
        regions: [GRA11]
        vlan_id: 42
        subnets: [{region: GRA11, cidr: 10.42.0.0/16, start: 10.42.0.10, end: 10.42.255.250}]
        state: "{{ st }}"
      when: st == 'present'
    - name: instance
      baobab.webstack.ovh_cloud_instance:
        name: web-1
        region: GRA11
        flavor: "{{ flavor }}"
        image: Debian 12
        ssh_key: deploy
        networks: [priv]
        user_data: "#cloud-config\\npackages: [nginx]\\n"
        state: "{{ st }}"
      register: instance
    - name: network absent
      baobab.webstack.ovh_cloud_private_network:
        name: priv
        state: absent
      when: st == 'absent'
    - name: record
      baobab.webstack.ovh_domain_record:
        zone: example.com
        sub_domain: www
        type: A
        target: "{{ instance.instance.addresses.public_ipv4 | default('192.0.2.1') }}"
        ttl: "{{ ttl }}"
        unique: true
        state: "{{ st }}"
    - name: database
      baobab.webstack.ovh_cloud_database:
        name: app-db
        plan: essential
        version: "16"
        flavor: db1-4
        region: GRA
        ip_restrictions: "{{ ips | map('community.general.dict_kv', 'ip') | list }}"
        state: "{{ st }}"
    - name: s3
      baobab.webstack.ovh_cloud_s3_credentials:
        name: files
        rotate: "{{ rotate }}"
        state: "{{ st }}"
      no_log: true
"""

MUTATING = ("POST", "PUT", "DELETE")


def mutations(fake, since):
    """Requests that change state (reading an S3 secret is a POST that does not)."""
    return [r for r in fake.requests[since:] if r["method"] in MUTATING and not r["path"].endswith("/secret")]


def changed(run):
    return {name: res.get("changed", False) for name, res in run.tasks().items()}


@pytest.fixture(scope="module")
def load_balancer_run(tmp_path_factory):
    run = background(load_balancer_scenario, tmp_path_factory)
    yield run
    run.close()


def test_lifecycle(play, fake, load_balancer_run):
    load_balancer_run.start()  # overlaps with this test; checked by test_load_balancer_lifecycle
    # create
    run = play(LIFECYCLE, "--diff")
    assert run.rc == 0, run
    assert changed(run) == {"key": True, "network": True, "instance": True, "network absent": False,
                            "record": True, "database": True, "s3": True}
    inst = next(iter(fake.instances.values()))
    assert inst["status"] == "ACTIVE" and inst["flavor"]["name"] == "b2-7" and inst["image"]["name"] == "Debian 12"
    assert inst["sshKey"]["name"] == "deploy"
    assert inst["_userData"].startswith("#cloud-config")
    assert next(a["ip"] for a in inst["ipAddresses"] if a["type"] == "private").startswith("10.42.")
    result = run.tasks()["instance"]["instance"]
    assert result["addresses"]["public_ipv4"].startswith("51.68.")
    assert result["addresses"]["private"][0].startswith("10.42.")
    # the curated shape: shared keys, the resource's own, and the provider's object under raw
    assert result["public_ipv4"] == result["addresses"]["public_ipv4"]
    assert result["private_ipv4"] == result["addresses"]["private"][0]
    assert (result["id"], result["name"], result["region"], result["status"]) == (inst["id"], "web-1", "GRA11",
                                                                                  "ACTIVE")
    assert (result["flavor"], result["image"]) == ("b2-7", "Debian 12") and result["raw"]["id"] == inst["id"]
    tasks = run.tasks()
    network = tasks["network"]["network"]
    (net,) = fake.networks.values()
    assert (network["id"], network["name"], network["vlan_id"], network["regions"]) == (net["id"], "priv", 42,
                                                                                        ["GRA11"])
    assert network["openstack_ids"]["GRA11"] and [s["cidr"] for s in network["subnets"]] == ["10.42.0.0/16"]
    returned_record = tasks["record"]["record"]
    assert {k: returned_record[k] for k in ("name", "zone", "sub_domain", "type", "target", "ttl")} == {
        "name": "www.example.com", "zone": "example.com", "sub_domain": "www", "type": "A",
        "target": result["public_ipv4"], "ttl": 0}
    assert returned_record["raw"]["fieldType"] == "A"
    database = tasks["database"]["database"]
    db = next(iter(fake.databases.values()))
    assert (database["id"], database["name"], database["status"], database["plan"], database["version"]) == (
        db["id"], "app-db", "READY", "essential", "16")
    assert database["host"] == db["endpoints"][0]["domain"] and database["port"] == db["endpoints"][0]["port"]
    assert database["ip_restrictions"] == ["198.51.100.7/32"] and database["raw"]["description"] == "app-db"
    record = next(iter(fake.zones["example.com"].values()))
    public_ipv4 = result["public_ipv4"]
    assert (record["subDomain"], record["fieldType"], record["target"]) == ("www", "A", public_ipv4)
    assert fake.refreshes["example.com"] == 1
    db = next(iter(fake.databases.values()))
    assert db["status"] == "READY" and db["plan"] == "essential"
    assert [r["ip"] for r in db["ipRestrictions"]] == ["198.51.100.7/32"]
    user = next(iter(fake.users.values()))
    first_access = list(user["_creds"])
    assert len(first_access) == 1
    assert "secret-for" not in run.proc.stdout, "the S3 secret leaked into the output"

    # the same again: nothing changes, nothing is written
    mark = len(fake.requests)
    run = play(LIFECYCLE)
    assert run.rc == 0, run
    assert run.stats["changed"] == 0, run
    assert mutations(fake, mark) == []

    # check mode with updates: reported, shown in the diff, never sent
    mark = len(fake.requests)
    update = ["-e", json.dumps({"flavor": "b2-15", "ttl": 300, "ips": ["198.51.100.8/32"], "rotate": True})]
    run = play(LIFECYCLE, "--check", "--diff", *update)
    assert run.rc == 0, run
    assert changed(run) == {"key": False, "network": False, "instance": True, "network absent": False,
                            "record": True, "database": True, "s3": True}
    assert run.tasks()["instance"]["diff"] == {
        "before": {"name": "web-1", "region": "GRA11", "flavor": "b2-7", "image": "Debian 12"},
        "after": {"name": "web-1", "region": "GRA11", "flavor": "b2-15", "image": "Debian 12"}}
    assert run.tasks()["database"]["diff"]["after"]["ip_restrictions"] == ["198.51.100.8/32"]
    assert fake.requests[mark:], "check mode must still read"
    assert [r for r in fake.requests[mark:] if r["method"] != "GET"] == []

    # update for real
    run = play(LIFECYCLE, *update)
    assert run.rc == 0, run
    assert changed(run)["instance"] and changed(run)["record"] and changed(run)["database"]
    assert inst["flavor"]["name"] == "b2-15" and inst["status"] == "ACTIVE"
    assert any(r["path"].endswith("/resize") and r["body"] == {"flavorId": "gra11-b2-15"} for r in fake.requests)
    assert [r["ttl"] for r in fake.zones["example.com"].values()] == [300]
    assert [r["ip"] for r in db["ipRestrictions"]] == ["198.51.100.8/32"]
    assert any(r["method"] == "DELETE" and r["path"].endswith("/ipRestriction/198.51.100.7%2F32")
               for r in fake.requests)
    assert list(user["_creds"]) != first_access and len(user["_creds"]) == 1
    assert fake.refreshes["example.com"] == 2

    # delete
    run = play(LIFECYCLE, "-e", "st=absent")
    assert run.rc == 0, run
    assert changed(run) == {"key": True, "network": False, "instance": True, "network absent": True,
                            "record": True, "database": True, "s3": True}
    assert fake.instances == {} and fake.sshkeys == {} and fake.networks == {} and fake.subnets == {}
    assert fake.databases == {} and fake.users == {} and fake.zones["example.com"] == {}

    # delete again: nothing to do
    mark = len(fake.requests)
    run = play(LIFECYCLE, "-e", "st=absent")
    assert run.rc == 0, run
    assert run.stats["changed"] == 0, run
    assert mutations(fake, mark) == []


FAILURES = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: info
      baobab.webstack.ovh_cloud_instance_info:
        region: GRA11
        name: twin
    - name: duplicate
      baobab.webstack.ovh_cloud_instance: {name: twin, region: GRA11, flavor: b2-7, image: Debian 12}
      ignore_errors: true
    - name: timeout
      baobab.webstack.ovh_cloud_instance:
        name: slow
        region: GRA11
        flavor: b2-7
        image: Debian 12
        wait_timeout: 1
        poll_interval: 0.2
      ignore_errors: true
    - name: unknown flavor
      baobab.webstack.ovh_cloud_instance: {name: odd, region: GRA11, flavor: z9-999, image: Debian 12}
      ignore_errors: true
    - name: bad secret
      baobab.webstack.ovh_cloud_ssh_key: {name: k, public_key: ssh-ed25519 AAAA, application_secret: wrong}
      ignore_errors: true
    - name: server error without retries
      baobab.webstack.ovh_cloud_ssh_key: {name: k, public_key: ssh-ed25519 AAAA, api_retries: 0}
      ignore_errors: true
    - name: throttled then served
      baobab.webstack.ovh_domain_record: {zone: example.com, type: TXT, target: '"v=spf1 -all"'}
"""


def test_failures(play, fake):
    for suffix in ("a", "b"):
        fake.instances["dup-" + suffix] = {"id": "dup-" + suffix, "name": "twin", "region": "GRA11",
                                           "status": "ACTIVE", "flavor": None, "image": None, "sshKey": None,
                                           "ipAddresses": []}
    fake.ready_after = 10 ** 6
    fake.inject("GET", r"/sshkey$", 500, times=1)
    fake.inject("GET", r"/domain/zone/example.com/record$", 429, times=1)
    run = play(FAILURES)
    assert run.rc == 0, run
    tasks = run.tasks()
    assert tasks["info"]["changed"] is False
    assert sorted(i["id"] for i in tasks["info"]["instances"]) == ["dup-a", "dup-b"]
    dup = tasks["duplicate"]
    assert dup["failed"] and "found 2 instances named 'twin' in region GRA11" in dup["msg"], dup["msg"]
    assert "dup-a" in dup["msg"] and "dup-b" in dup["msg"]
    slow = tasks["timeout"]
    assert slow["failed"] and "timed out after 1s" in slow["msg"] and "status=BUILD" in slow["msg"], slow["msg"]
    assert slow["msg"].startswith("GET /cloud/project/p-test/instance/")
    assert "flavor 'z9-999' not found in region GRA11" in tasks["unknown flavor"]["msg"]
    bad = tasks["bad secret"]
    assert bad["failed"] and bad["msg"] == "GET /cloud/project/p-test/sshkey failed with HTTP 400: Invalid signature"
    assert bad["status"] == 400
    err = tasks["server error without retries"]
    assert err["msg"].startswith("GET /cloud/project/p-test/sshkey failed with HTTP 500"), err["msg"]
    assert tasks["throttled then served"]["changed"] is True
    # the throttled call was repeated and succeeded
    listing = [r for r in fake.requests if r["path"] == "/domain/zone/example.com/record" and r["method"] == "GET"]
    assert len(listing) == 2
    # nothing was created by the failing tasks
    assert sorted(i["name"] for i in fake.instances.values()) == ["slow", "twin", "twin"]
    assert fake.sshkeys == {}


LOAD_BALANCER = """
- hosts: localhost
  gather_facts: false
  vars:
    st: present
    members: [10.42.0.11, 10.42.0.12]
    algorithm: roundRobin
    listeners:
      - {port: 80, protocol: http, algorithm: "{{ algorithm }}", health_monitor: {type: http, url_path: /health}}
      - {port: 443, protocol: tcp, algorithm: "{{ algorithm }}"}
  tasks:
    - name: lb
      baobab.webstack.ovh_cloud_load_balancer:
        name: front
        region: GRA11
        network_id: os-net-gra11-42
        subnet_id: subnet-seeded
        listeners: "{{ listeners }}"
        members: "{{ members | map('community.general.dict_kv', 'address') | list }}"
        state: "{{ st }}"
"""


def lb_state(fake):
    (lb,) = fake.lbs.values()
    listeners = sorted((li["port"], li["protocol"]) for li in fake.listeners.values())
    pools = {pl["listenerId"]: pl for pl in fake.pools.values()}
    members = sorted((fake.listeners[lid]["port"], m["address"], m["protocolPort"])
                     for lid, pl in pools.items() for m in pl["_members"].values())
    return lb, listeners, pools, members


def seed_network(fake):
    fake.networks["pn-1234_42"] = {"id": "pn-1234_42", "name": "priv", "vlanId": 42, "status": "ACTIVE",
                                   "type": "private", "regions": [{"region": "GRA11", "status": "ACTIVE",
                                                                   "openstackId": "os-net-gra11-42"}]}
    fake.subnets["subnet-seeded"] = {"id": "subnet-seeded", "cidr": "10.42.0.0/16", "dhcpEnabled": True,
                                     "gatewayIp": None, "_network": "pn-1234_42",
                                     "ipPools": [{"region": "GRA11", "network": "10.42.0.0/16", "dhcp": True,
                                                  "start": "10.42.0.10", "end": "10.42.255.250"}]}


def test_load_balancer_lifecycle(load_balancer_run):
    load_balancer_run.result()


def load_balancer_scenario(fake, play):
    seed_network(fake)
    run = play(LOAD_BALANCER)
    assert run.rc == 0, run
    assert changed(run) == {"lb": True}
    lb, listeners, pools, members = lb_state(fake)
    assert lb["provisioningStatus"] == "active" and lb["floatingIp"]["ip"]
    assert any(r["path"].endswith("/operation/" + next(iter(fake.operations))) for r in fake.requests)
    assert listeners == [(80, "http"), (443, "tcp")]
    assert members == [(80, "10.42.0.11", 80), (80, "10.42.0.12", 80), (443, "10.42.0.11", 443),
                       (443, "10.42.0.12", 443)]
    (monitor,) = fake.monitors.values()
    assert monitor["monitorType"] == "http" and monitor["httpConfiguration"]["urlPath"] == "/health"
    returned = run.tasks()["lb"]["load_balancer"]
    assert returned["floating_ipv4"] == returned["public_ipv4"] == lb["floatingIp"]["ip"]
    assert returned["private_ipv4"] == lb["vipAddress"] and returned["status"] == "active"
    assert (returned["id"], returned["name"], returned["region"]) == (lb["id"], "front", "GRA11")
    assert returned["listeners"] == [{"port": 80, "protocol": "http"}, {"port": 443, "protocol": "tcp"}]
    assert returned["members"] == ["10.42.0.11", "10.42.0.12"]
    assert returned["raw"]["floatingIp"] == lb["floatingIp"]

    mark = len(fake.requests)
    run = play(LOAD_BALANCER)
    assert run.rc == 0, run
    assert run.stats["changed"] == 0, run
    assert mutations(fake, mark) == []

    update = ["-e", json.dumps({"members": ["10.42.0.12", "10.42.0.13"], "algorithm": "leastConnections"})]
    mark = len(fake.requests)
    run = play(LOAD_BALANCER, "--check", "--diff", *update)
    assert run.rc == 0, run
    assert changed(run) == {"lb": True}
    assert run.tasks()["lb"]["diff"]["after"]["members"] == ["10.42.0.12", "10.42.0.13"]
    assert [r for r in fake.requests[mark:] if r["method"] != "GET"] == []

    run = play(LOAD_BALANCER, *update)
    assert run.rc == 0, run
    assert changed(run)["lb"] is True
    lb, listeners, pools, members = lb_state(fake)
    assert sorted(set(m[1] for m in members)) == ["10.42.0.12", "10.42.0.13"] and len(members) == 4
    assert set(pl["algorithm"] for pl in pools.values()) == {"leastConnections"}

    run = play(LOAD_BALANCER, "-e", "st=absent")
    assert run.rc == 0, run
    assert changed(run)["lb"] is True
    assert fake.lbs == {} and fake.listeners == {} and fake.pools == {} and fake.monitors == {}
    mark = len(fake.requests)
    run = play(LOAD_BALANCER, "-e", "st=absent")
    assert run.rc == 0 and run.stats["changed"] == 0, run
    assert mutations(fake, mark) == []
