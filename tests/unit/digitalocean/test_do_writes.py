"""DigitalOcean modules against a local server: writes are never sent twice,
nothing is resized unless asked, input is checked before the first request.

The server decides when it answers (a slow POST waits on an Event the test
sets after the module returned), so these tests do not depend on timing.
"""

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible_collections.baobab.webstack.plugins.modules import (
    do_database_cluster,
    do_database_db,
    do_database_pool,
    do_database_user,
    do_domain_record,
    do_droplet,
    do_load_balancer,
    do_vpc,
)
from cloud_harness import PATIENCE, LocalApi, run_module

#: request_timeout of the tests where the server holds a write until the client gave up
SLOW_WRITE_TIMEOUT = 2
VPC = {"id": "5a4981aa-9653-4bd1-bef5-d6bff52042e4", "name": "web", "region": "fra1", "ip_range": "10.10.0.0/20",
       "description": "", "urn": "do:vpc:5a4981aa-9653-4bd1-bef5-d6bff52042e4", "default": False}


def args(api, **extra):
    # generous timeout and retries: a loaded machine may answer slowly, and a read that
    # times out is retried; only the tests of a slow write shorten the timeout
    base = {"api_token": "t0ken", "api_url": api.url + "/v2", "request_timeout": 30, "max_retries": 5,
            "wait": False, "poll_interval": 0.01}
    base.update(extra)
    return base


def listing(key, items):
    return {key: list(items), "links": {}, "meta": {"total": len(items)}}


class VpcServer:
    """A VPC endpoint whose POST creates (or not) the VPC, then answers
    ``post_status`` or waits for ``release`` before answering."""

    def __init__(self, creates, post_status=None):
        self.vpcs = []
        self.creates = creates
        self.post_status = post_status
        self.release = threading.Event()
        self.posted = threading.Event()
        self.gets = 0

    def __call__(self, ex):
        if ex.method == "GET" and ex.path == "/v2/vpcs":
            self.gets += 1
            if self.gets > 1:
                # the lookup after the failed POST: answer once the POST was handled
                assert self.posted.wait(PATIENCE)
            return 200, listing("vpcs", self.vpcs)
        if ex.method == "POST" and ex.path == "/v2/vpcs":
            if self.creates:
                self.vpcs.append(dict(VPC, **ex.json()))
            self.posted.set()
            if self.post_status is None:
                self.release.wait(PATIENCE)
                return 201, {"vpc": self.vpcs[-1] if self.vpcs else VPC}
            return self.post_status, {"id": "server_error", "message": "Server Error"}
        return 404, {"id": "not_found", "message": "no route"}


def run_vpc(server, **extra):
    if server.post_status is None:
        extra.setdefault("request_timeout", SLOW_WRITE_TIMEOUT)
    with LocalApi(server) as api:
        try:
            result, failed, warnings = run_module(do_vpc.main, args(api, name="web", region="fra1", **extra))
        finally:
            server.release.set()
        assert server.posted.wait(PATIENCE)
        return api, result, failed, warnings


@pytest.mark.parametrize("post_status", [None, 500, 503], ids=["slow", "500", "503"])
def test_a_create_that_reached_the_server_is_adopted_not_sent_again(post_status):
    server = VpcServer(creates=True, post_status=post_status)
    api, result, failed, warnings = run_vpc(server)
    assert not failed, result
    assert len(api.calls("POST", "/v2/vpcs")) == 1
    assert result["changed"] is True
    assert result["vpc"]["id"] == VPC["id"]
    assert len(server.vpcs) == 1
    assert any("POST /v2/vpcs" in w and "adopted" in w for w in warnings), warnings


@pytest.mark.parametrize("post_status", [None, 500], ids=["slow", "500"])
def test_a_create_with_an_unknown_outcome_and_nothing_found_fails_naming_the_call(post_status):
    server = VpcServer(creates=False, post_status=post_status)
    api, result, failed, _warnings = run_vpc(server)
    assert failed
    assert len(api.calls("POST", "/v2/vpcs")) == 1
    assert "POST /v2/vpcs failed" in result["msg"]
    assert "not sent again" in result["msg"]
    assert result["call"] == "POST /v2/vpcs"
    if post_status:
        assert result["status"] == post_status


DROPLET = {"id": 3164444, "name": "web-1", "status": "active", "region": {"slug": "fra1"}, "size_slug": "s-1vcpu-1gb",
           "tags": [], "features": [], "networks": {"v4": []}, "vpc_uuid": VPC["id"]}


@pytest.mark.parametrize("removed", [True, False], ids=["gone", "still-there"])
def test_a_delete_that_timed_out_is_confirmed_by_a_lookup(removed):
    droplets = [dict(DROPLET)]
    release = threading.Event()
    deleted = threading.Event()
    gets = []

    def handler(ex):
        if ex.method == "GET" and ex.path == "/v2/droplets":
            gets.append(ex)
            if len(gets) > 1:
                # the lookup after the DELETE timed out: answer once the DELETE was handled
                assert deleted.wait(PATIENCE)
            return 200, listing("droplets", droplets)
        if ex.method == "DELETE" and ex.path == "/v2/droplets/%s" % DROPLET["id"]:
            if removed:
                droplets.clear()
            deleted.set()
            release.wait(PATIENCE)
            return 204, None
        return 404, {"id": "not_found", "message": "no route"}

    with LocalApi(handler) as api:
        try:
            result, failed, _warnings = run_module(do_droplet.main, args(api, name="web-1", state="absent",
                                                                         request_timeout=SLOW_WRITE_TIMEOUT))
        finally:
            release.set()
    assert len(api.calls("DELETE")) == 1
    if removed:
        assert not failed, result
        assert result["changed"] is True
    else:
        assert failed
        assert "DELETE /v2/droplets/3164444 failed" in result["msg"]
        assert "still exists" in result["msg"]


CLUSTER = {"id": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30", "name": "shop-pg", "engine": "pg", "version": "16",
           "size": "db-s-2vcpu-4gb", "num_nodes": 3, "region": "fra1", "status": "online",
           "connection": {}, "private_connection": {}}


def cluster_handler(ex):
    if ex.method == "GET" and ex.path == "/v2/databases":
        return 200, {"databases": [CLUSTER]}
    if ex.method == "GET" and ex.path == "/v2/databases/%s" % CLUSTER["id"]:
        return 200, {"database": CLUSTER}
    if ex.method == "PUT":
        return 202, None
    return 404, {"id": "not_found", "message": "no route"}


def test_database_cluster_left_without_num_nodes_or_size_is_not_resized():
    with LocalApi(cluster_handler) as api:
        result, failed, _warnings = run_module(do_database_cluster.main, args(api, name="shop-pg"))
    assert not failed, result
    assert result["changed"] is False
    assert api.calls("PUT") == []


def test_database_cluster_resizes_only_what_is_set():
    with LocalApi(cluster_handler) as api:
        result, failed, _warnings = run_module(do_database_cluster.main, args(api, name="shop-pg", num_nodes=2))
    assert not failed, result
    assert result["changed"] is True
    assert [c.json() for c in api.calls("PUT")] == [{"size": "db-s-2vcpu-4gb", "num_nodes": 2}]


LB = {"id": "4de7ac8b-495b-4884-9a69-1050c6793cd6", "name": "shop-lb", "status": "active", "region": {"slug": "fra1"},
      "size": "lb-small", "tag": "app", "redirect_http_to_https": False, "enable_proxy_protocol": False,
      "enable_backend_keepalive": False, "sticky_sessions": {"type": "none"},
      "forwarding_rules": [{"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80,
                            "tls_passthrough": False, "certificate_id": ""}],
      "health_check": {"protocol": "http", "port": 80, "path": "/", "check_interval_seconds": 10,
                       "response_timeout_seconds": 5, "healthy_threshold": 3, "unhealthy_threshold": 5}}
RULE = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}


def lb_handler(ex):
    if ex.method == "GET" and ex.path == "/v2/load_balancers":
        return 200, listing("load_balancers", [LB])
    if ex.method == "PUT":
        return 200, {"load_balancer": dict(LB, **ex.json())}
    return 404, {"id": "not_found", "message": "no route"}


def test_load_balancer_sized_by_slug_is_left_alone():
    with LocalApi(lb_handler) as api:
        result, failed, _warnings = run_module(do_load_balancer.main, args(
            api, name="shop-lb", tag="app", forwarding_rules=[RULE]))
    assert not failed, result
    assert result["changed"] is False
    assert api.calls("PUT") == []


def test_load_balancer_update_sends_no_null_vpc_and_keeps_the_slug():
    with LocalApi(lb_handler) as api:
        result, failed, _warnings = run_module(do_load_balancer.main, args(
            api, name="shop-lb", tag="app", forwarding_rules=[RULE], redirect_http_to_https=True))
    assert not failed, result
    (put,) = api.calls("PUT")
    body = put.json()
    assert "vpc_uuid" not in body
    assert body["size"] == "lb-small"
    assert "size_unit" not in body
    assert body["redirect_http_to_https"] is True


@pytest.mark.parametrize("extra, message", [
    ({"type": "MX", "data": "mx.example.net."}, "priority is required for MX records"),
    ({"type": "SRV", "data": "sip.example.net.", "priority": 10}, "port and weight are required for SRV records"),
    ({"type": "CAA", "data": "letsencrypt.org"}, "flags and tag are required for CAA records"),
    ({"type": "A", "data": "192.0.2.1", "ttl": -5}, "ttl must be a positive number"),
    ({"type": "SRV", "data": "sip.example.net.", "priority": 10, "port": 70000, "weight": 1}, "port must be between"),
])
def test_domain_record_input_is_checked_before_the_first_request(extra, message):
    with LocalApi(lambda ex: (500, {"id": "unexpected", "message": "no request expected"})) as api:
        result, failed, _warnings = run_module(do_domain_record.main, args(api, domain="example.com", name="www",
                                                                           **extra))
    assert failed
    assert message in result["msg"]
    assert api.requests == []


@pytest.mark.parametrize("module, extra, message", [
    (do_database_cluster, {"name": "pg", "num_nodes": 0}, "num_nodes must be 1, 2 or 3"),
    (do_database_cluster, {"name": " "}, "name must not be empty"),
    (do_load_balancer, {"name": "lb", "size_unit": -1, "forwarding_rules": [RULE]}, "size_unit must be between"),
    (do_load_balancer, {"name": "lb", "forwarding_rules": [dict(RULE, target_port=0)]},
     "forwarding_rules[0].target_port"),
    (do_droplet, {"name": "", "region": "fra1"}, "name must not be empty"),
    (do_database_db, {"cluster_id": CLUSTER["id"], "name": " "}, "name must not be empty"),
    (do_database_user, {"cluster_id": "", "name": "shop"}, "cluster_id must not be empty"),
    (do_database_pool, {"cluster_id": CLUSTER["id"], "name": "shop-pool", "db": "shop", "size": "ten"},
     "argument 'size' is of type str"),
    (do_database_pool, {"cluster_id": CLUSTER["id"], "name": "shop-pool", "db": "shop", "size": 0},
     "size must be at least 1"),
])
def test_do_input_is_checked_before_the_first_request(module, extra, message):
    with LocalApi(lambda ex: (500, {"id": "unexpected", "message": "no request expected"})) as api:
        result, failed, _warnings = run_module(module.main, args(api, **extra))
    assert failed
    assert message in result["msg"]
    assert api.requests == []
