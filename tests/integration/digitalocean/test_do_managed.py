"""Managed database and load balancer modules against the local fake API.

One playbook walks each resource through create, check-mode change, change,
re-run, delete and delete again; the fake's request log proves which tasks
wrote (the check-mode tasks and the re-runs must not).
"""

import json

from .conftest import Merged, RunningPlay
from .spec import validate_exchanges

GROUP = "group/baobab.webstack.digitalocean"
FAST = {"poll_interval": 0.05, "wait_timeout": 20}
CLUSTER = {"name": "shop-pg", "engine": "pg", "version": "16", "size": "db-s-1vcpu-1gb", "region": "fra1"}
RULES = [{"type": "ip_addr", "value": "10.20.0.0/20"}, {"type": "tag", "value": "app"}]
POOL = {"cluster_id": "{{ pg.database.id }}", "name": "shop-pool", "mode": "transaction", "size": 5, "db": "shop",
        "user": "shop"}
LB = {
    "name": "shop-lb", "region": "fra1", "tag": "app",
    "forwarding_rules": [
        {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80},
        {"entry_protocol": "https", "entry_port": 443, "target_protocol": "https", "target_port": 443,
         "tls_passthrough": True},
    ],
    "health_check": {"protocol": "http", "port": 80, "path": "/health"},
}


def t(name, module, args, **extra):
    task = {"name": name, "baobab.webstack.%s" % module: args}
    task.update(extra)
    return task


def test_database_and_load_balancer_lifecycle(fake_do, do_spec, tmp_path):
    cid = "{{ pg.database.id }}"
    tasks = [
        t("cluster create", "do_database_cluster", dict(CLUSTER, num_nodes=1), register="pg", no_log=False),
        t("cluster again", "do_database_cluster", dict(CLUSTER, num_nodes=1)),
        t("cluster resize check", "do_database_cluster", dict(CLUSTER, num_nodes=2), check_mode=True),
        t("cluster resize", "do_database_cluster", dict(CLUSTER, num_nodes=2), diff=True),
        t("db create", "do_database_db", {"cluster_id": cid, "name": "shop"}),
        t("db again", "do_database_db", {"cluster_id": cid, "name": "shop"}),
        t("user create", "do_database_user", {"cluster_id": cid, "name": "shop"}),
        t("user again", "do_database_user", {"cluster_id": cid, "name": "shop"}),
        t("pool create", "do_database_pool", POOL, register="pool"),
        # the modules never list pools: read the list once so that its answer is checked against the description
        {"name": "pool listed", "ansible.builtin.uri": {
            "url": "{{ lookup('env', 'DIGITALOCEAN_API_URL') }}/databases/%s/pools" % cid,
            "headers": {"Authorization": "Bearer {{ lookup('env', 'DIGITALOCEAN_TOKEN') }}"}}},
        t("pool again", "do_database_pool", POOL),
        t("pool resize check", "do_database_pool", dict(POOL, size=8), check_mode=True, diff=True),
        t("pool resize", "do_database_pool", dict(POOL, size=8, mode="session"), diff=True),
        t("pool resize again", "do_database_pool", dict(POOL, size=8, mode="session")),
        t("pool too large", "do_database_pool", dict(POOL, size=500), ignore_errors=True),
        t("pool inbound user", "do_database_pool", dict(POOL, size=8, mode="session", user=None)),
        t("trusted sources check", "do_database_firewall", {"cluster_id": cid, "rules": RULES}, check_mode=True),
        t("trusted sources", "do_database_firewall", {"cluster_id": cid, "rules": RULES}),
        t("trusted sources again", "do_database_firewall", {"cluster_id": cid, "rules": RULES[::-1]}),
    ]
    lb_tasks = [
        t("lb create", "do_load_balancer", LB),
        t("lb again", "do_load_balancer", LB),
        t("lb redirect check", "do_load_balancer", dict(LB, redirect_http_to_https=True), check_mode=True),
        t("lb redirect", "do_load_balancer", dict(LB, redirect_http_to_https=True), diff=True),
        t("lb delete check", "do_load_balancer", {"name": "shop-lb", "state": "absent"}, check_mode=True),
        t("lb delete", "do_load_balancer", {"name": "shop-lb", "state": "absent"}),
        t("lb delete again", "do_load_balancer", {"name": "shop-lb", "state": "absent"}),
    ]
    tasks += [
        t("pool delete check", "do_database_pool", {"cluster_id": cid, "name": "shop-pool", "state": "absent"},
          check_mode=True),
        t("pool delete", "do_database_pool", {"cluster_id": cid, "name": "shop-pool", "state": "absent"}),
        t("pool delete again", "do_database_pool", {"cluster_id": cid, "name": "shop-pool", "state": "absent"}),
        t("user delete", "do_database_user", {"cluster_id": cid, "name": "shop", "state": "absent"}),
        t("db delete", "do_database_db", {"cluster_id": cid, "name": "shop", "state": "absent"}),
        t("cluster delete", "do_database_cluster", {"name": "shop-pg", "state": "absent"}),
        t("cluster delete again", "do_database_cluster", {"name": "shop-pg", "state": "absent"}),
    ]
    # the database chain and the load balancer chain run side by side (shorter test)
    running = [RunningPlay(fake_do, [{"name": name, "hosts": "localhost", "gather_facts": False,
                                      "module_defaults": {GROUP: FAST}, "tasks": chain}], tmp_path / name)
               for name, chain in (("database", tasks), ("lb", lb_tasks))]
    results = [run.wait() for run in running]
    for result in results:
        assert result.rc == 0, result.explain()
    result = Merged(results)

    expect_changed = {
        "cluster create", "cluster resize check", "cluster resize", "db create", "user create",
        "pool create", "pool resize check", "pool resize", "pool inbound user", "pool delete check", "pool delete",
        "trusted sources check", "trusted sources", "lb create", "lb redirect check", "lb redirect",
        "lb delete check", "lb delete", "user delete", "db delete", "cluster delete",
    }
    for name, res in result.tasks:
        assert bool(res.get("changed")) == (name in expect_changed), name

    created = result.task("cluster create")
    assert created["database"]["status"] == "online"
    assert created["connection"]["user"] == "doadmin" and created["connection"]["password"]
    assert created["private_connection"]["host"].startswith("private-")
    assert result.task("cluster resize")["diff"]["before"]["num_nodes"] == 1
    assert result.task("user create")["user"]["password"]
    pool = result.task("pool create")["pool"]
    assert (pool["name"], pool["mode"], pool["size"], pool["db"], pool["user"]) == (
        "shop-pool", "transaction", 5, "shop", "shop")
    assert pool["connection"]["port"] == 25061 and pool["private_connection"]["host"].startswith("private-")
    # the pool's user's password is in the API's answers, never in a result
    passwords = [result.task("user create")["user"]["password"], created["connection"]["password"]]
    assert passwords[0] in json.dumps(result.task("pool listed")["json"])
    for name in ("pool create", "pool again", "pool resize check", "pool resize", "pool inbound user"):
        assert not [p for p in passwords if p in json.dumps(result.task(name))], name
    assert result.task("pool resize check")["diff"]["after"]["size"] == 8
    assert result.task("pool resize")["diff"]["before"] == {
        "name": "shop-pool", "mode": "transaction", "size": 5, "db": "shop", "user": "shop"}
    assert result.task("pool resize")["pool"]["mode"] == "session"
    too_large = result.task("pool too large")
    assert too_large["failed"] and too_large["status"] == 422
    assert too_large["msg"].startswith("PUT /v2/databases/%s/pools/shop-pool failed with HTTP 422: pool size "
                                       "exceeds" % created["database"]["id"])
    assert result.task("pool inbound user")["pool"]["user"] == ""
    assert result.task("pool delete")["pool"] == {}
    assert result.task("lb create")["load_balancer"]["status"] == "active"
    assert result.task("lb create")["load_balancer"]["raw"]["sticky_sessions"] == {"type": "none"}
    # the curated shape: the collection's own names, and the provider's object under raw
    lb = result.task("lb create")["load_balancer"]
    assert lb["public_ipv4"] == lb["raw"]["ip"] and lb["region"] == "fra1" and lb["tag"] == "app"
    cluster = created["database"]
    assert {"id", "name", "region", "status", "tags", "engine", "version", "size", "num_nodes",
            "private_network_uuid", "connection", "private_connection", "raw"} == set(cluster)
    assert cluster["raw"]["id"] == cluster["id"] and cluster["region"] == "fra1" and cluster["num_nodes"] == 1
    assert result.task("cluster delete")["database"] == {}
    assert result.task("lb redirect")["diff"]["before"]["redirect_http_to_https"] is False

    # what went over the wire: every write, in order; check-mode tasks and re-runs sent none
    writes = [(e["method"], e["path"].replace(created["database"]["id"], "ID")) for e in fake_do.writes()]
    lb_id = result.task("lb create")["load_balancer"]["id"]
    assert [w for w in writes if w[1].startswith("/v2/databases")] == [
        ("POST", "/v2/databases"),
        ("PUT", "/v2/databases/ID/resize"),
        ("POST", "/v2/databases/ID/dbs"),
        ("POST", "/v2/databases/ID/users"),
        ("POST", "/v2/databases/ID/pools"),
        ("PUT", "/v2/databases/ID/pools/shop-pool"),
        ("PUT", "/v2/databases/ID/pools/shop-pool"),
        ("PUT", "/v2/databases/ID/pools/shop-pool"),
        ("PUT", "/v2/databases/ID/firewall"),
        ("DELETE", "/v2/databases/ID/pools/shop-pool"),
        ("DELETE", "/v2/databases/ID/users/shop"),
        ("DELETE", "/v2/databases/ID/dbs/shop"),
        ("DELETE", "/v2/databases/ID"),
    ]
    assert [w for w in writes if w[1].startswith("/v2/load_balancers")] == [
        ("POST", "/v2/load_balancers"),
        ("PUT", "/v2/load_balancers/%s" % lb_id),
        ("DELETE", "/v2/load_balancers/%s" % lb_id),
    ]
    assert len(writes) == 16
    put_bodies = [json.loads(e["body"]) for e in fake_do.writes() if e["path"].endswith("/pools/shop-pool")
                  and e["method"] == "PUT"]
    assert put_bodies == [
        {"mode": "session", "size": 8, "db": "shop", "user": "shop"},
        {"mode": "transaction", "size": 500, "db": "shop", "user": "shop"},
        {"mode": "session", "size": 8, "db": "shop"},
    ]
    assert not fake_do.databases and not fake_do.load_balancers
    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)
