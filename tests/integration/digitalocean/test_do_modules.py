"""The DigitalOcean modules run by ansible-playbook against the local fake API.

Each phase is a real ``ansible-playbook`` run; the fake records every request,
so "check mode sends no write" and "a re-run sends no write" are asserted on
what really went over the wire. Every exchange is validated against the
official OpenAPI description at the end of each test.
"""

import copy

import pytest

from .conftest import Merged, RunningPlay
from .spec import validate_exchanges

PUBKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa0dYxTDU0b5cFA6Nbm+UFoaGMzxpUY5M84AdcGDvEH deploy@example"
FAST = {"poll_interval": 0.05, "wait_timeout": 20}
GROUP = "group/baobab.webstack.digitalocean"

V1 = {
    "key_name": "deploy",
    "vpc_description": "web network",
    "droplet_tags": ["web", "shop"],
    "backups": False,
    "record_ttl": 1800,
    "records": "all",
    "fw_inbound": [
        {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "icmp", "sources": {"addresses": ["0.0.0.0/0"]}},
    ],
}
V2 = dict(V1, key_name="deploy-2026", vpc_description="web network v2", droplet_tags=["web", "shop", "app"],
          backups=True, record_ttl=300, records="update", fw_inbound=[
              V1["fw_inbound"][0],
              {"protocol": "tcp", "ports": "8080", "sources": {"tags": ["lb"], "addresses": ["10.0.0.0/8"]}},
          ])
# V1 written differently: other rule, address and tag order, "all" ports spelled 0
V1_REORDERED = dict(V1, droplet_tags=["shop", "web"], fw_inbound=[
    {"protocol": "icmp", "ports": "0", "sources": {"addresses": ["0.0.0.0/0"]}},
    {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["::/0", "0.0.0.0/0"]}},
    {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["::/0", "0.0.0.0/0"]}},
    {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"], "tags": []}},
])

RECORDS = [
    {"type": "A", "name": "www", "data": "192.0.2.10"},
    {"type": "AAAA", "name": "www", "data": "2001:db8::10"},
    {"type": "CNAME", "name": "static", "data": "www.example.com."},
    {"type": "TXT", "name": "@", "data": "v=spf1 -all"},
    {"type": "MX", "name": "@", "data": "mx1.example.net.", "priority": 10},
    {"type": "CAA", "name": "@", "data": "letsencrypt.org", "flags": 0, "tag": "issue"},
]

PRESENT_NAMES = ["ssh key", "vpc", "droplet", "firewall", "domain", "records"]
DELETE_NAMES = ["delete record", "delete domain", "delete firewall", "delete droplet", "delete vpc", "delete ssh key"]


def play(name, tasks):
    return {"name": name, "hosts": "localhost", "gather_facts": False, "module_defaults": {GROUP: FAST},
            "tasks": tasks}


# Two independent chains of resources (servers; network edge and DNS), run as two
# playbooks at the same time against the same fake to keep the test short.
def present_plays(phase_records="all"):
    record = {k: "{{ item.%s | default(omit) }}" % k for k in ("type", "name", "data", "priority", "flags", "tag")}
    record.update(domain="example.com", ttl="{{ record_ttl }}")
    return [play("servers present", [
            {"name": "ssh key", "baobab.webstack.do_ssh_key": {"name": "{{ key_name }}", "public_key": PUBKEY},
             "register": "key"},
            {"name": "vpc", "baobab.webstack.do_vpc": {
                "name": "web-net", "region": "fra1", "ip_range": "10.20.0.0/20",
                "description": "{{ vpc_description }}"},
             "register": "vpc"},
            {"name": "droplet", "baobab.webstack.do_droplet": {
                "name": "web-1", "region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
                "ssh_keys": ["{{ key.ssh_key.fingerprint }}"], "tags": "{{ droplet_tags }}", "backups": "{{ backups }}",
                "vpc_uuid": "{{ vpc.vpc.id | default(omit) }}", "monitoring": True,
                "user_data": "#cloud-config\npackage_update: true\n"}, "register": "web"},
            {"name": "droplet info", "baobab.webstack.do_droplet_info": {"tag": "web"}, "register": "info",
             "when": "records == 'all'"},
        ]), play("edge present", [
            {"name": "firewall", "baobab.webstack.do_firewall": {
                "name": "web", "tags": ["web"], "inbound_rules": "{{ fw_inbound }}",
                "outbound_rules": [{"protocol": "tcp", "ports": "all",
                                    "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}},
                                   {"protocol": "udp", "ports": "53", "destinations": {"addresses": ["0.0.0.0/0"]}}]}},
            {"name": "domain", "baobab.webstack.do_domain": {"name": "example.com"}},
            # every record type at creation; later phases only touch two of them (fewer module runs)
            {"name": "records", "baobab.webstack.do_domain_record": record,
             "loop": RECORDS if phase_records == "all" else [RECORDS[0], RECORDS[4]],
             "loop_control": {"label": "{{ item.type }} {{ item.name }}"}},
        ])]


def absent_plays():
    return [play("servers absent", [
        {"name": "delete droplet", "baobab.webstack.do_droplet": {
            "name": "web-1", "region": "fra1", "state": "absent"}},
        {"name": "delete vpc", "baobab.webstack.do_vpc": {"name": "web-net", "state": "absent"}},
        {"name": "delete ssh key", "baobab.webstack.do_ssh_key": {"public_key": PUBKEY, "state": "absent"}},
    ]), play("edge absent", [
        {"name": "delete record", "baobab.webstack.do_domain_record": {
            "domain": "example.com", "type": "CAA", "data": "letsencrypt.org", "state": "absent"}},
        {"name": "delete domain", "baobab.webstack.do_domain": {"name": "example.com", "state": "absent"}},
        {"name": "delete firewall", "baobab.webstack.do_firewall": {"name": "web", "state": "absent"}},
    ])]


@pytest.fixture
def run_side_by_side(fake_do, tmp_path):
    counter = [0]

    def run(playbooks, extra_vars=None, check=False, diff=False):
        counter[0] += 1
        running = [RunningPlay(fake_do, [pb] if isinstance(pb, dict) else pb,
                               tmp_path / ("run%d-%d" % (counter[0], i)), extra_vars, check, diff)
                   for i, pb in enumerate(playbooks)]
        return Merged([r.wait() for r in running])

    return run


def assert_ok(result):
    assert result.rc == 0, result.explain()


def changed(result, name):
    return result.task(name).get("changed")


def test_lifecycle_create_rerun_check_update_delete(run_side_by_side, fake_do, do_spec):
    run_play = run_side_by_side
    # create
    result = run_play(present_plays(), V1)
    assert_ok(result)
    for name in PRESENT_NAMES:
        assert changed(result, name), name
    droplet = result.task("droplet")
    assert droplet["droplet"]["status"] == "active"
    assert droplet["public_ipv4"].startswith("203.0.113.")
    assert droplet["private_ipv4"].startswith("10.20.")
    # the curated droplet: addresses inside the resource (the top-level copies are deprecated), raw object kept
    curated = droplet["droplet"]
    assert curated["public_ipv4"] == droplet["public_ipv4"] and curated["private_ipv4"] == droplet["private_ipv4"]
    assert curated["region"] == "fra1" and curated["name"] == "web-1" and curated["raw"]["id"] == curated["id"]
    assert {"id", "name", "region", "status", "public_ipv4", "public_ipv6", "private_ipv4", "tags", "size",
            "image", "vpc_uuid", "backups", "raw"} == set(curated)
    assert result.task("firewall")["firewall"]["name"] == "web" and "raw" in result.task("firewall")["firewall"]
    assert [d["name"] for d in result.task("droplet info")["droplets"]] == ["web-1"]
    assert len(fake_do.droplets) == 1 and len(fake_do.ssh_keys) == 1 and len(fake_do.firewalls) == 1
    recs = {(r["type"], r["name"]) for r in fake_do.records["example.com"]}
    assert {("A", "www"), ("AAAA", "www"), ("CNAME", "static"), ("TXT", "@"), ("MX", "@"), ("CAA", "@")} <= recs

    # re-run, same state written differently: nothing changes, nothing is written
    mark = len(fake_do.exchanges)
    result = run_play(present_plays(), V1_REORDERED)
    assert_ok(result)
    assert result.stats.get("changed") == 0, [n for n, r in result.tasks if r.get("changed")]
    assert fake_do.writes(mark) == []

    # check mode, changes and then deletions: reported, never sent
    before = copy.deepcopy((fake_do.ssh_keys, fake_do.vpcs, fake_do.firewalls, fake_do.records))
    mark = len(fake_do.exchanges)
    servers, edge = present_plays("update")
    gone_servers, gone_edge = absent_plays()
    result = run_play([[servers, gone_servers], [edge, gone_edge]], V2, check=True, diff=True)
    assert_ok(result)
    assert fake_do.writes(mark) == [], [(e["method"], e["path"]) for e in fake_do.writes(mark)]
    assert (fake_do.ssh_keys, fake_do.vpcs, fake_do.firewalls, fake_do.records) == before
    for name in PRESENT_NAMES:
        if name != "domain":
            assert changed(result, name), name
    assert not changed(result, "domain")
    for name in DELETE_NAMES:
        assert changed(result, name), name
    diff = result.task("vpc")["diff"]
    assert diff["before"]["description"] == "web network" and diff["after"]["description"] == "web network v2"

    # update
    result = run_play(present_plays("update"), V2)
    assert_ok(result)
    for name in PRESENT_NAMES:
        assert changed(result, name) == (name != "domain"), name
    key = next(iter(fake_do.ssh_keys.values()))
    assert key["name"] == "deploy-2026" and len(fake_do.ssh_keys) == 1
    droplet = next(iter(fake_do.droplets.values()))
    assert sorted(droplet["tags"]) == ["app", "shop", "web"] and "backups" in droplet["features"]
    fw = next(iter(fake_do.firewalls.values()))
    assert {r["ports"] for r in fw["inbound_rules"]} == {"22", "8080"}
    ttls = {r["type"]: r["ttl"] for r in fake_do.records["example.com"] if r["type"] not in ("NS", "SOA")}
    assert ttls == {"A": 300, "MX": 300, "AAAA": 1800, "CNAME": 1800, "TXT": 1800, "CAA": 1800}

    # delete
    result = run_play(absent_plays())
    assert_ok(result)
    for name in DELETE_NAMES:
        assert changed(result, name), name
    assert not fake_do.droplets and not fake_do.domains and not fake_do.ssh_keys and not fake_do.firewalls
    assert [v for v in fake_do.vpcs.values() if not v["default"]] == []

    # delete again: unchanged
    mark = len(fake_do.exchanges)
    result = run_play(absent_plays())
    assert_ok(result)
    assert result.stats.get("changed") == 0
    assert fake_do.writes(mark) == []

    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)


def single(module, args, name="task", register=None, defaults=None):
    task = {"name": name, module: args}
    if register:
        task["register"] = register
    return [{"name": "one task", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {GROUP: dict(FAST, **(defaults or {}))}, "tasks": [task]}]


DROPLET = {"name": "dup", "region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64"}


def test_two_matching_droplets_fail_clearly(run_play, fake_do, do_spec):
    for _ in range(2):
        fake_do.create_droplet({}, DROPLET)
    result = run_play(single("baobab.webstack.do_droplet", dict(DROPLET, tags=["x"])))
    assert result.rc != 0
    msg = result.task("task")["msg"]
    assert "2 droplets named dup in fra1 match, refusing to guess" in msg
    assert fake_do.writes() == []


def test_wait_timeout_fails_clearly(run_play, fake_do, do_spec):
    fake_do.never_ready.add("slow")
    result = run_play(single("baobab.webstack.do_droplet", dict(DROPLET, name="slow"), defaults={"wait_timeout": 1}))
    assert result.rc != 0
    msg = result.task("task")["msg"]
    assert "droplet slow becoming active" in msg and "timed out after 1 seconds" in msg
    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)


def test_rate_limit_burst_is_retried(run_play, fake_do, do_spec):
    fake_do.burst_limit = 2
    result = run_play(single("baobab.webstack.do_droplet", DROPLET, register="d"))
    assert_ok(result)
    assert result.task("task")["droplet"]["status"] == "active"
    statuses = [e["status"] for e in fake_do.exchanges]
    assert 429 in statuses, statuses
    assert len(fake_do.droplets) == 1
    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)


def test_server_errors_retried_then_reported(run_play, fake_do):
    fake_do.injected = [(r"/v2/vpcs", 503, 0), (r"/v2/vpcs", 502, 0)]
    result = run_play(single("baobab.webstack.do_vpc", {"name": "n1", "region": "ams3"}))
    assert_ok(result)
    assert len([v for v in fake_do.vpcs.values() if v["name"] == "n1"]) == 1

    fake_do.injected = [(r"/v2/vpcs", 500, 0)] * 3
    result = run_play(single("baobab.webstack.do_vpc", {"name": "n2", "region": "ams3"}, defaults={"max_retries": 1}))
    assert result.rc != 0
    msg = result.task("task")["msg"]
    assert msg.startswith("GET /v2/vpcs failed with HTTP 500") and "gave up after 1 retries" in msg


ERROR_CASES = [
    ("invalid input", "baobab.webstack.do_domain_record",
     {"domain": "example.com", "type": "A", "name": "www", "data": "not-an-address"},
     "POST /v2/domains/example.com/records failed with HTTP 422: Data needs to be a valid IPv4 address"),
    ("missing domain", "baobab.webstack.do_domain_record",
     {"domain": "missing.example", "type": "A", "name": "www", "data": "192.0.2.1"},
     "GET /v2/domains/missing.example/records failed with HTTP 404"),
    ("bad token", "baobab.webstack.do_vpc", {"name": "n", "region": "ams3", "api_token": "wrong"},
     "GET /v2/vpcs failed with HTTP 401: Unable to authenticate you"),
]


def test_api_errors_name_call_and_status(run_play, fake_do):
    fake_do.create_domain({}, {"name": "example.com"})
    tasks = [{"name": name, module: args, "ignore_errors": True} for name, module, args, _ in ERROR_CASES]
    result = run_play([{"name": "errors", "hosts": "localhost", "gather_facts": False,
                        "module_defaults": {GROUP: FAST}, "tasks": tasks}])
    assert result.rc == 0, result.explain()
    for name, _, _, expected in ERROR_CASES:
        outcome = result.task(name)
        assert outcome["failed"] is True
        assert outcome["msg"].startswith(expected), outcome["msg"]
    assert [(e["method"], e["status"]) for e in fake_do.writes()] == [("POST", 422)]


def test_unique_record_moves_data_and_two_matches_fail(run_play, fake_do, do_spec):
    fake_do.create_domain({}, {"name": "example.com"})
    args = {"domain": "example.com", "type": "A", "name": "app", "data": "192.0.2.1", "unique": True}
    tasks = [{"name": "create", "baobab.webstack.do_domain_record": args},
             {"name": "move", "baobab.webstack.do_domain_record": dict(args, data="192.0.2.2")}]
    result = run_play([{"name": "unique", "hosts": "localhost", "gather_facts": False,
                        "module_defaults": {GROUP: FAST}, "tasks": tasks}])
    assert_ok(result)
    assert result.task("create")["changed"] and result.task("move")["changed"]
    a_records = [r for r in fake_do.records["example.com"] if r["type"] == "A"]
    assert [r["data"] for r in a_records] == ["192.0.2.2"]
    fake_do.create_record("example.com", {}, {"type": "A", "name": "app", "data": "192.0.2.3"})
    result = run_play(single("baobab.webstack.do_domain_record", args))
    assert result.rc != 0
    assert "2 A records named app.example.com match" in result.task("task")["msg"]
    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)
