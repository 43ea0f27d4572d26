"""Managed database and load balancer modules against the local fake API.

One playbook walks each resource through create, check-mode change, change,
re-run, delete and delete again; the fake's request log proves which tasks
wrote (the check-mode tasks and the re-runs must not).
"""

from .conftest import Merged, RunningPlay
from .spec import validate_exchanges

GROUP = "group/baobab.webstack.digitalocean"
FAST = {"poll_interval": 0.05, "wait_timeout": 20}
CLUSTER = {"name": "shop-pg", "engine": "pg", "version": "16", "size": "db-s-1vcpu-1gb", "region": "fra1"}
RULES = [{"type": "ip_addr", "value": "10.20.0.0/20"}, {"type": "tag", "value": "app"}]
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
        ("PUT", "/v2/databases/ID/firewall"),
        ("DELETE", "/v2/databases/ID/users/shop"),
        ("DELETE", "/v2/databases/ID/dbs/shop"),
        ("DELETE", "/v2/databases/ID"),
    ]
    assert [w for w in writes if w[1].startswith("/v2/load_balancers")] == [
        ("POST", "/v2/load_balancers"),
        ("PUT", "/v2/load_balancers/%s" % lb_id),
        ("DELETE", "/v2/load_balancers/%s" % lb_id),
    ]
    assert len(writes) == 11
    assert not fake_do.databases and not fake_do.load_balancers
    problems = validate_exchanges(do_spec, fake_do.exchanges)
    assert problems == [], "\n".join(problems)
