"""OVHcloud modules against a local server: creates never sent twice, keys
replaced without a gap, non-JSON errors keep their status, apex records looked
up without an empty filter, input checked before the first request.

The server decides when it answers (a slow POST waits on an Event the test
sets after the module returned), so these tests do not depend on timing.
"""

import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible_collections.baobab.webstack.plugins.modules import (  # noqa: E402
    ovh_cloud_database_pool,
    ovh_cloud_instance,
    ovh_cloud_load_balancer,
    ovh_cloud_private_network,
    ovh_cloud_ssh_key,
    ovh_domain_record,
)
from cloud_harness import PATIENCE, LocalApi, run_module  # noqa: E402

P = "/1.0/cloud/project/p1"
OLD_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLDOLD old@host"
NEW_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEWNEW new@host"


def args(api, cloud=True, **extra):
    base = {"endpoint": "ovh-eu", "application_key": "AK", "application_secret": "AS", "consumer_key": "CK",
            "api_url": api.url + "/1.0", "api_timeout": 30, "api_retries": 5}
    if cloud:
        base["service_name"] = "p1"
    base.update(extra)
    return base


def auth_time(ex):
    if ex.path == "/1.0/auth/time":
        return 200, int(time.time())
    return None


def routed(routes):
    """A handler from {(method, path): answer or callable(ex)}; 404 otherwise."""
    def handler(ex):
        answer = auth_time(ex)
        if answer is not None:
            return answer
        route = routes.get((ex.method, ex.path))
        if route is None:
            return 404, {"message": "no route %s %s" % (ex.method, ex.path)}
        return route(ex) if callable(route) else route
    return handler


def nothing_expected(ex):
    answer = auth_time(ex)
    return answer if answer is not None else (500, {"message": "no request expected"})


class KeyServer:
    """SSH keys; POST creates the key then answers ``post_status`` or waits for ``release``."""

    def __init__(self, keys=(), creates=True, post_status=None):
        self.keys = [dict(k) for k in keys]
        self.creates = creates
        self.post_status = post_status
        self.release = threading.Event()
        self.posted = threading.Event()
        self.lists = 0

    def __call__(self, ex):
        answer = auth_time(ex)
        if answer is not None:
            return answer
        if ex.method == "GET" and ex.path == P + "/sshkey":
            self.lists += 1
            if self.lists > 1 and self.post_status is None:
                # the lookup after the POST timed out: answer once the POST was handled
                assert self.posted.wait(PATIENCE)
            return 200, self.keys
        if ex.method == "POST" and ex.path == P + "/sshkey":
            body = ex.json()
            key = {"id": "key-%d" % (len(self.keys) + 1), "name": body["name"], "publicKey": body["publicKey"],
                   "regions": ["GRA11"]}
            if self.creates:
                self.keys.append(key)
            self.posted.set()
            if self.post_status is None:
                self.release.wait(PATIENCE)
                return 200, key
            if isinstance(self.post_status, tuple):
                return self.post_status
            return self.post_status, "<html><body><h1>%d</h1>gateway</body></html>" % self.post_status
        if ex.method == "DELETE" and ex.path.startswith(P + "/sshkey/"):
            key_id = ex.path.rsplit("/", 1)[1]
            self.keys = [k for k in self.keys if k["id"] != key_id]
            return 200, None
        if ex.method == "GET" and ex.path.startswith(P + "/sshkey/"):
            key_id = ex.path.rsplit("/", 1)[1]
            found = [k for k in self.keys if k["id"] == key_id]
            return (200, found[0]) if found else (404, {"message": "no key"})
        return 404, {"message": "no route"}


def run_key(server, **extra):
    if server.post_status is None and not server.release.is_set():
        # the server holds the POST until the client gave up
        extra.setdefault("api_timeout", 2)
    with LocalApi(server) as api:
        try:
            result = run_module(ovh_cloud_ssh_key.main, args(api, name="deploy", **extra))
        finally:
            server.release.set()
        return (api, *result)


@pytest.mark.parametrize("post_status", [None, 500, 502], ids=["slow", "500", "502-html"])
def test_an_ssh_key_create_that_reached_the_server_is_adopted_not_sent_again(post_status):
    server = KeyServer(post_status=post_status)
    api, result, failed, warnings = run_key(server, public_key=NEW_KEY)
    assert server.posted.wait(PATIENCE)
    assert not failed, result
    assert len(api.calls("POST", P + "/sshkey")) == 1
    assert len(server.keys) == 1
    assert result["ssh_key"]["id"] == "key-1"
    assert any("POST /cloud/project/p1/sshkey" in w and "adopted" in w for w in warnings), warnings


def test_an_ssh_key_create_with_an_unknown_outcome_and_nothing_found_fails_naming_the_call():
    server = KeyServer(creates=False)
    api, result, failed, _warnings = run_key(server, public_key=NEW_KEY)
    assert server.posted.wait(PATIENCE)
    assert failed
    assert len(api.calls("POST", P + "/sshkey")) == 1
    assert "POST /cloud/project/p1/sshkey failed" in result["msg"]
    assert "not sent again" in result["msg"]


def test_a_replaced_ssh_key_is_created_before_the_old_one_is_deleted():
    server = KeyServer(keys=[{"id": "key-old", "name": "deploy", "publicKey": OLD_KEY, "regions": ["GRA11"]}],
                       post_status=None)
    server.release.set()
    api, result, failed, _warnings = run_key(server, public_key=NEW_KEY)
    assert not failed, result
    writes = [(r.method, r.path) for r in api.requests if r.method in ("POST", "DELETE")]
    assert writes == [("POST", P + "/sshkey"), ("DELETE", P + "/sshkey/key-old")]
    assert [k["publicKey"] for k in server.keys] == [NEW_KEY]


def test_a_failed_replacement_leaves_the_old_ssh_key_in_place():
    old = {"id": "key-old", "name": "deploy", "publicKey": OLD_KEY, "regions": ["GRA11"]}
    server = KeyServer(keys=[old], creates=False, post_status=(400, {"message": "Invalid public key"}))
    api, result, failed, _warnings = run_key(server, public_key=NEW_KEY)
    assert failed
    assert "HTTP 400" in result["msg"]
    assert api.calls("DELETE") == []
    assert server.keys == [old]


def test_a_gateway_page_on_a_read_is_retried_and_reported_with_its_status():
    page = "<html><head><title>503 Service Unavailable</title></head><body>" + "busy " * 200 + "</body></html>"
    with LocalApi(routed({("GET", P + "/sshkey"): (503, page)})) as api:
        result, failed, _warnings = run_module(ovh_cloud_ssh_key.main, args(api, name="deploy", public_key=NEW_KEY,
                                                                             api_retries=1))
    assert failed
    assert len(api.calls("GET", P + "/sshkey")) == 2
    assert "GET /cloud/project/p1/sshkey failed with HTTP 503" in result["msg"]
    assert "503 Service Unavailable" in result["msg"]
    assert "Failed to decode" not in result["msg"]
    assert len(result["msg"]) < 400
    assert result["status"] == 503


LB_PATH = P + "/region/GRA11/loadbalancing"


def test_a_load_balancer_created_without_resource_id_is_found_once_listed():
    balancers = []
    lists = []

    def list_lbs(ex):
        lists.append(ex)
        if len(lists) >= 3:  # listed a little after the operation completed
            balancers[:] = [{"id": "lb-1", "name": "web", "provisioningStatus": "active", "region": "GRA11"}]
        return 200, balancers

    routes = {
        ("GET", LB_PATH + "/loadbalancer"): list_lbs,
        ("GET", LB_PATH + "/flavor"): (200, [{"id": "flv-small", "name": "small", "region": "GRA11"}]),
        ("POST", LB_PATH + "/loadbalancer"): (200, {"id": "op-1", "action": "loadbalancing#create",
                                                    "status": "created"}),
        ("GET", P + "/operation/op-1"): (200, {"id": "op-1", "action": "loadbalancing#create",
                                               "status": "completed"}),
        ("GET", LB_PATH + "/loadbalancer/lb-1"): (200, {"id": "lb-1", "name": "web", "provisioningStatus": "active",
                                                        "region": "GRA11"}),
        ("GET", LB_PATH + "/listener"): (200, []),
        ("GET", LB_PATH + "/pool"): (200, []),
    }
    with LocalApi(routed(routes)) as api:
        result, failed, _warnings = run_module(ovh_cloud_load_balancer.main, args(
            api, name="web", region="GRA11", network_id="net-1", subnet_id="sub-1", floating_ip=False,
            wait_timeout=PATIENCE, poll_interval=0.01))
    assert not failed, result
    assert result["load_balancer"]["id"] == "lb-1"
    assert len(api.calls("POST")) == 1


def test_apex_records_are_looked_up_without_an_empty_sub_domain():
    zone = "/1.0/domain/zone/example.com"
    routes = {
        ("GET", zone + "/record"): (200, [11, 12]),
        ("GET", zone + "/record/11"): (200, {"id": 11, "zone": "example.com", "subDomain": "", "fieldType": "A",
                                            "target": "192.0.2.1", "ttl": 0}),
        ("GET", zone + "/record/12"): (200, {"id": 12, "zone": "example.com", "subDomain": "www", "fieldType": "A",
                                            "target": "192.0.2.1", "ttl": 0}),
    }
    with LocalApi(routed(routes)) as api:
        result, failed, _warnings = run_module(ovh_domain_record.main, args(
            api, cloud=False, zone="example.com", type="A", target="192.0.2.1"))
    assert not failed, result
    assert result["changed"] is False
    assert result["record"]["id"] == 11
    (listing,) = api.calls("GET", zone + "/record")
    assert listing.query == "fieldType=A"


def test_an_unknown_region_is_named_not_the_flavor():
    routes = {
        ("GET", P + "/instance"): (200, []),
        ("GET", P + "/region"): (200, ["GRA11", "SBG5"]),
        ("GET", P + "/flavor"): (200, []),
    }
    with LocalApi(routed(routes)) as api:
        result, failed, _warnings = run_module(ovh_cloud_instance.main, args(
            api, name="web-1", region="XYZ9", flavor="b3-8", image="Debian 12"))
    assert failed
    assert "region 'XYZ9' is not a region of project p1" in result["msg"]
    assert "flavor" not in result["msg"]
    assert api.calls("POST") == []


@pytest.mark.parametrize("module, extra, message", [
    (ovh_cloud_instance, {"name": "", "region": "GRA11", "flavor": "b3-8", "image": "Debian 12"},
     "name must not be empty"),
    (ovh_cloud_ssh_key, {"name": " ", "public_key": NEW_KEY}, "name must not be empty"),
    (ovh_cloud_ssh_key, {"name": "deploy", "public_key": "nonsense"}, "public_key is not an OpenSSH public key"),
    (ovh_domain_record, {"zone": "example.com", "type": "A", "target": "192.0.2.1", "ttl": -1},
     "ttl must be 0"),
    (ovh_cloud_load_balancer, {"name": "web", "region": "GRA11", "listeners": [{"port": 0}]},
     "listeners[0].port must be a port"),
    (ovh_cloud_private_network, {"name": "net", "regions": ["GRA11"], "vlan_id": -3}, "vlan_id must be between"),
    (ovh_cloud_private_network, {"name": "net", "regions": ["GRA11"], "subnets": [
        {"region": "GRA11", "cidr": "10.0.0.0/24", "start": "10.0.1.2", "end": "10.0.0.200"}]},
     "subnets[0].start 10.0.1.2 is outside"),
    (ovh_cloud_database_pool, {"cluster_id": "c1", "name": "pool", "database": "ksm", "size": 0},
     "size must be at least 1"),
    (ovh_cloud_database_pool, {"cluster_id": "c1", "name": "pool", "database": "ksm", "size": "ten"},
     "argument 'size' is of type str"),
    (ovh_cloud_database_pool, {"cluster_id": "c1", "name": "pool", "size": 5},
     "state is present but all of the following are missing: database"),
])
def test_ovh_input_is_checked_before_the_first_request(module, extra, message):
    with LocalApi(nothing_expected) as api:
        result, failed, _warnings = run_module(module.main, args(api, cloud=module is not ovh_domain_record, **extra))
    assert failed
    assert message in result["msg"]
    assert [r for r in api.requests if r.path != "/1.0/auth/time"] == []
