"""do_database_pool against a local server: a pool is updated only when its
settings differ, and then with all of them; the password the API sends with a
pool never reaches the result; a create or delete of unknown outcome is never
sent again; API errors name the call and the status.

The server decides when it answers (a slow write waits on an Event the test
sets after the module returned), so these tests do not depend on timing.
"""

import json
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible_collections.baobab.webstack.plugins.modules import do_database_pool
from ansible_collections.baobab.webstack.plugins.modules.do_database_pool import uri_without_password
from cloud_harness import PATIENCE, LocalApi, run_module

CLUSTER_ID = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
POOLS = "/v2/databases/%s/pools" % CLUSTER_ID
POOL_PATH = POOLS + "/shop-pool"
SECRET = "wv78n3zpz42xezdk"
#: request_timeout of the tests where the server holds a write until the client gave up
SLOW_WRITE_TIMEOUT = 2
HELD = "held"


def pool_object(name="shop-pool", mode="transaction", size=10, db="shop", user="shop"):
    """A pool as the API answers it, with the password of its user."""
    login = user or "doadmin"

    def conn(host):
        return {"uri": "postgresql://%s:%s@%s:25061/%s?sslmode=require" % (login, SECRET, host, name),
                "database": name, "host": host, "port": 25061, "user": login, "password": SECRET, "ssl": True}

    return {"name": name, "mode": mode, "size": size, "db": db, "user": user or "",
            "connection": conn("shop-pg-do-user-1.db.ondigitalocean.com"),
            "private_connection": conn("private-shop-pg-do-user-1.db.ondigitalocean.com")}


def args(api, **extra):
    base = {"api_token": "t0ken", "api_url": api.url + "/v2", "request_timeout": 30, "max_retries": 5,
            "wait": False, "poll_interval": 0.01, "cluster_id": CLUSTER_ID, "name": "shop-pool",
            "size": 10, "db": "shop", "user": "shop"}
    base.update(extra)
    return dict((k, v) for k, v in base.items() if v is not None)


class PoolServer:
    """The pools of one cluster.

    ``acts``: whether a write is carried out. ``answers``: what the server
    answers to the writes, in order (``HELD``: carry it out, then hold the
    answer until ``release``, so the client times out; a ``(status,
    payload)``); once they are used up, the API's success answer. Every read
    after the first waits until a write was handled (the lookup after a write
    of unknown outcome)."""

    def __init__(self, pools=(), acts=True, answers=()):
        self.pools = dict((p["name"], p) for p in pools)
        self.acts = acts
        self.answers = list(answers)
        self.release = threading.Event()
        self.written = threading.Event()
        self.gets = 0
        self.lock = threading.Lock()

    def act(self, ex):
        name = ex.path[len(POOLS) + 1:]
        body = ex.json() or {}
        # a missing user is the inbound user
        settings = {key: body.get(key) for key in ("mode", "size", "db", "user")}
        if ex.method == "POST":
            self.pools[body["name"]] = pool_object(body["name"], **settings)
            return 201, {"pool": self.pools[body["name"]]}
        if ex.method == "PUT":
            self.pools[name] = pool_object(name, **settings)
        if ex.method == "DELETE":
            del self.pools[name]
        return 204, None

    def __call__(self, ex):
        if ex.method == "GET" and ex.path.startswith(POOLS + "/"):
            with self.lock:
                self.gets += 1
                later = self.gets > 1
            if later:
                assert self.written.wait(PATIENCE)
            pool = self.pools.get(ex.path[len(POOLS) + 1:])
            if pool is None:
                return 404, {"id": "not_found", "message": "The resource you were accessing could not be found."}
            return 200, {"pool": pool}
        if ex.method in ("POST", "PUT", "DELETE") and ex.path.startswith(POOLS):
            with self.lock:
                answer = self.answers.pop(0) if self.answers else None
            success = self.act(ex) if self.acts else (204, None)
            self.written.set()
            if answer == HELD:
                self.release.wait(PATIENCE)
                return success
            return answer or success
        return 404, {"id": "not_found", "message": "no route"}


def run_pool(server, **extra):
    if HELD in server.answers:
        extra.setdefault("request_timeout", SLOW_WRITE_TIMEOUT)
    with LocalApi(server) as api:
        try:
            result, failed, warnings = run_module(do_database_pool.main, args(api, **extra))
        finally:
            server.release.set()
    return api, result, failed, warnings


def assert_no_password(result):
    assert SECRET not in json.dumps(result)


# -- settings compared, updates carry them all ------------------------------------------------------

def test_a_pool_with_the_wanted_settings_is_left_alone_and_returned_without_password():
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server)
    assert not failed, result
    assert result["changed"] is False
    assert [c.method for c in api.requests] == ["GET"]
    pool = result["pool"]
    assert {k: pool[k] for k in ("name", "mode", "size", "db", "user")} == {
        "name": "shop-pool", "mode": "transaction", "size": 10, "db": "shop", "user": "shop"}
    assert pool["connection"] == {
        "uri": "postgresql://shop@shop-pg-do-user-1.db.ondigitalocean.com:25061/shop-pool?sslmode=require",
        "database": "shop-pool", "host": "shop-pg-do-user-1.db.ondigitalocean.com", "port": 25061, "user": "shop",
        "ssl": True}
    assert pool["private_connection"]["host"].startswith("private-")
    assert "password" not in pool["raw"]["connection"]
    assert_no_password(result)
    # the server's own object is untouched
    assert server.pools["shop-pool"]["connection"]["password"] == SECRET


@pytest.mark.parametrize("extra, body", [
    ({"size": 20}, {"mode": "transaction", "size": 20, "db": "shop", "user": "shop"}),
    ({"mode": "session"}, {"mode": "session", "size": 10, "db": "shop", "user": "shop"}),
    ({"db": "reports"}, {"mode": "transaction", "size": 10, "db": "reports", "user": "shop"}),
    ({"user": "reporter"}, {"mode": "transaction", "size": 10, "db": "shop", "user": "reporter"}),
    # left out or empty: the inbound user, so the update carries no user
    ({"user": None}, {"mode": "transaction", "size": 10, "db": "shop"}),
    ({"user": ""}, {"mode": "transaction", "size": 10, "db": "shop"}),
], ids=["size", "mode", "db", "user", "inbound-user", "empty-user"])
def test_one_different_setting_sends_one_put_with_all_of_them(extra, body):
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server, _ansible_diff=True, **extra)
    assert not failed, result
    assert result["changed"] is True
    (put,) = api.calls("PUT", POOL_PATH)
    assert put.json() == body
    assert api.calls("POST") == [] and api.calls("DELETE") == []
    (key,) = [k for k in ("mode", "size", "db", "user") if k in extra]
    want = extra[key] or None
    assert result["diff"]["after"][key] == want != result["diff"]["before"][key]
    assert (result["pool"][key] or None) == want
    assert_no_password(result)


@pytest.mark.parametrize("user", [None, ""], ids=["left-out", "empty"])
def test_a_pool_of_the_inbound_user_stays_so(user):
    server = PoolServer([pool_object(user="")])
    api, result, failed, _warnings = run_pool(server, user=user)
    assert not failed, result
    assert result["changed"] is False
    assert api.calls("PUT") == []


def test_check_mode_reports_the_update_without_sending_it():
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server, size=20, mode="statement", _ansible_check_mode=True,
                                              _ansible_diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert [c.method for c in api.requests] == ["GET"]
    assert result["pool"]["size"] == 20 and result["pool"]["mode"] == "statement"
    assert result["diff"] == {
        "before": {"name": "shop-pool", "mode": "transaction", "size": 10, "db": "shop", "user": "shop"},
        "after": {"name": "shop-pool", "mode": "statement", "size": 20, "db": "shop", "user": "shop"},
    }
    assert_no_password(result)


@pytest.mark.parametrize("user, body", [
    ("shop", {"name": "shop-pool", "mode": "session", "size": 5, "db": "shop", "user": "shop"}),
    (None, {"name": "shop-pool", "mode": "session", "size": 5, "db": "shop"}),
], ids=["user", "inbound-user"])
def test_a_missing_pool_is_created_with_what_the_task_says(user, body):
    server = PoolServer()
    api, result, failed, warnings = run_pool(server, mode="session", size=5, user=user, _ansible_diff=True)
    assert not failed, result
    assert result["changed"] is True and warnings == []
    (post,) = api.calls("POST", POOLS)
    assert post.json() == body
    assert result["pool"]["connection"]["user"] == (user or "doadmin")
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["size"] == 5
    assert_no_password(result)


def test_check_mode_reports_the_creation_without_sending_it():
    server = PoolServer()
    api, result, failed, _warnings = run_pool(server, _ansible_check_mode=True)
    assert not failed, result
    assert result["changed"] is True
    assert [c.method for c in api.requests] == ["GET"]
    assert result["pool"]["raw"] == {"name": "shop-pool", "mode": "transaction", "size": 10, "db": "shop",
                                     "user": "shop"}
    assert result["pool"]["connection"] == {} and result["pool"]["size"] == 10


@pytest.mark.parametrize("exists, check", [(True, False), (True, True), (False, False)],
                         ids=["delete", "check-mode", "already-gone"])
def test_absent(exists, check):
    server = PoolServer([pool_object()] if exists else [])
    api, result, failed, _warnings = run_pool(server, state="absent", size=None, db=None, user=None,
                                              _ansible_check_mode=check)
    assert not failed, result
    assert result["changed"] is exists
    assert result["pool"] == {}
    assert len(api.calls("DELETE", POOL_PATH)) == (1 if exists and not check else 0)
    assert bool(server.pools) == (exists and check)


# -- writes of unknown outcome ----------------------------------------------------------------------

@pytest.mark.parametrize("answer", [HELD, (500, {"id": "server_error", "message": "Server Error"}),
                                    (503, {"id": "unavailable", "message": "Service Unavailable"})],
                         ids=["slow", "500", "503"])
def test_a_create_that_reached_the_server_is_adopted_not_sent_again(answer):
    server = PoolServer(answers=[answer])
    api, result, failed, warnings = run_pool(server)
    assert not failed, result
    assert len(api.calls("POST", POOLS)) == 1
    assert result["changed"] is True
    assert result["pool"]["name"] == "shop-pool" and result["pool"]["size"] == 10
    assert any("POST %s" % POOLS in w and "adopted" in w for w in warnings), warnings
    assert_no_password(result)


@pytest.mark.parametrize("answer", [HELD, (500, {"id": "server_error", "message": "Server Error"})],
                         ids=["slow", "500"])
def test_a_create_with_an_unknown_outcome_and_nothing_found_fails_naming_the_call(answer):
    server = PoolServer(acts=False, answers=[answer])
    api, result, failed, _warnings = run_pool(server)
    assert failed
    assert len(api.calls("POST", POOLS)) == 1
    assert "POST %s failed" % POOLS in result["msg"]
    assert "not sent again" in result["msg"]
    assert result["call"] == "POST %s" % POOLS
    if answer != HELD:
        assert result["status"] == 500


def test_a_refused_create_fails_with_the_status_and_the_providers_message():
    message = "pool size exceeds the connections available on this cluster (12 left)"
    server = PoolServer(acts=False, answers=[(422, {"id": "unprocessable_entity", "message": message})])
    api, result, failed, _warnings = run_pool(server, size=40)
    assert failed
    assert len(api.calls("POST", POOLS)) == 1
    assert result["msg"].startswith("POST %s failed with HTTP 422: %s (unprocessable_entity)" % (POOLS, message))
    assert result["status"] == 422 and result["call"] == "POST %s" % POOLS
    assert len(api.calls("GET")) == 1  # a refusal is certain: nothing is looked up


def test_an_update_that_timed_out_is_sent_again_with_the_same_values():
    """A PUT carries absolute values: sending it again leaves the same pool."""
    server = PoolServer([pool_object()], answers=[HELD])
    api, result, failed, _warnings = run_pool(server, size=20)
    assert not failed, result
    puts = api.calls("PUT", POOL_PATH)
    assert len(puts) == 2 and puts[0].json() == puts[1].json()
    assert result["changed"] is True and result["pool"]["size"] == 20


def test_an_update_answered_5xx_is_retried():
    server = PoolServer([pool_object()], answers=[(503, {"id": "unavailable", "message": "Service Unavailable"})])
    api, result, failed, _warnings = run_pool(server, size=20)
    assert not failed, result
    assert len(api.calls("PUT", POOL_PATH)) == 2
    assert result["pool"]["size"] == 20


@pytest.mark.parametrize("status, message", [
    (422, "pool size exceeds the connections available on this cluster (12 left)"),
    (500, "Server Error"),
], ids=["422", "500-every-time"])
def test_a_failed_update_names_the_call_and_the_status(status, message):
    server = PoolServer([pool_object()], acts=False,
                        answers=[(status, {"id": "error", "message": message})] * 3)
    api, result, failed, _warnings = run_pool(server, size=40, max_retries=2)
    assert failed
    assert "PUT %s failed with HTTP %d: %s" % (POOL_PATH, status, message) in result["msg"]
    assert result["status"] == status
    assert len(api.calls("PUT")) == (1 if status == 422 else 3)
    if status == 500:
        assert "gave up after 2 retries" in result["msg"]


@pytest.mark.parametrize("removed", [True, False], ids=["gone", "still-there"])
@pytest.mark.parametrize("answer", [HELD, (500, {"id": "server_error", "message": "Server Error"})],
                         ids=["slow", "500"])
def test_a_delete_of_unknown_outcome_is_confirmed_by_a_lookup(answer, removed):
    server = PoolServer([pool_object()], acts=removed, answers=[answer])
    api, result, failed, _warnings = run_pool(server, state="absent")
    assert len(api.calls("DELETE")) == 1
    if removed:
        assert not failed, result
        assert result["changed"] is True
    else:
        assert failed
        assert "DELETE %s failed" % POOL_PATH in result["msg"]
        assert "still exists" in result["msg"]


# -- input ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    ({"size": "ten"}, "argument 'size' is of type str and we were unable to convert to int"),
    ({"size": 0}, "size must be at least 1"),
    ({"size": -3}, "size must be at least 1"),
    ({"mode": "pooled"}, "value of mode must be one of: transaction, session, statement"),
    ({"size": None}, "state is present but all of the following are missing: size"),
    ({"db": None}, "state is present but all of the following are missing: db"),
    ({"db": " "}, "db must not be empty"),
    ({"name": "ab"}, "name must be between 3 and 60 characters"),
    ({"name": "p" * 61}, "name must be between 3 and 60 characters"),
    ({"name": " "}, "name must not be empty"),
    ({"cluster_id": ""}, "cluster_id must not be empty"),
    ({"size": "1.5"}, "size"),
    ({"mode": 3}, "value of mode must be one of"),
])
def test_input_is_checked_before_the_first_request(extra, message):
    with LocalApi(lambda ex: (500, {"id": "unexpected", "message": "no request expected"})) as api:
        result, failed, _warnings = run_module(do_database_pool.main, args(api, **extra))
    assert failed
    assert message in result["msg"]
    assert api.requests == []


@pytest.mark.parametrize("uri, expected", [
    ("postgresql://shop:pw@db.example:25061/shop-pool?sslmode=require",
     "postgresql://shop@db.example:25061/shop-pool?sslmode=require"),
    ("postgresql://shop:p%40ss%3Aw@db.example:25061/p", "postgresql://shop@db.example:25061/p"),
    ("postgresql://shop@db.example:25061/p", "postgresql://shop@db.example:25061/p"),
    ("postgresql://db.example:25061/p", "postgresql://db.example:25061/p"),
    ("", ""),
    (None, None),
])
def test_uri_without_password(uri, expected):
    assert uri_without_password(uri) == expected
