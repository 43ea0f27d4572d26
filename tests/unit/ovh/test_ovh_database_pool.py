"""ovh_cloud_database_pool against a local server: the database and user are
resolved to their IDs, a pool is updated only when its settings differ and then
with the fields a PUT may change, no password reaches the result, a create or
delete of unknown outcome is never sent again, a PUT is, errors name the call
and the status, and the input is checked before the first request.

The connection pool routes are not in the stored API reference files
(../shared/reference); the paths and fields this server answers follow the
public sources recorded in tests/integration/ovh/ovh_pool_source.py (ovh/manager's
generated API types, the OVHcloud Terraform provider), and
tests/integration/ovh/test_ovh_pool_source.py checks the fake API against that
record, not against the reference files.

The server decides when it answers (a slow write waits on an Event the test
sets after the module returned), so these tests do not depend on timing.
"""

import json
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ansible_collections.baobab.webstack.plugins.modules import ovh_cloud_database_pool  # noqa: E402
from ansible_collections.baobab.webstack.plugins.modules.ovh_cloud_database_pool import (  # noqa: E402
    uri_without_password,
)
from cloud_harness import PATIENCE, LocalApi, run_module  # noqa: E402

CLUSTER = "/1.0/cloud/project/p1/database/postgresql/c1"
POOLS = CLUSTER + "/connectionPool"
CALL = "/cloud/project/p1/database/postgresql/c1/connectionPool"
SECRET = "Wv78n3zpZ42xeZdk"
HELD = "held"
#: api_timeout of the tests where the server holds a write until the client gave up
SLOW_WRITE_TIMEOUT = 2


def pool_object(pool_id="pool-1", name="ksm-pool", mode="transaction", size=10, database="db-1", user="user-1"):
    """A pool as the API answers it (cloud.project.database.postgresql.ConnectionPool)."""
    pool = {"id": pool_id, "name": name, "databaseId": database, "mode": mode, "size": size, "port": 20185,
            "sslMode": "require",
            "uri": "postgresql://ksm:%s@postgresql-c1.database.cloud.ovh.net:20185/%s?sslmode=require" % (SECRET,
                                                                                                         name)}
    if user:
        pool["userId"] = user
    return pool


def args(api, **extra):
    base = {"endpoint": "ovh-eu", "application_key": "AK", "application_secret": "AS", "consumer_key": "CK",
            "api_url": api.url + "/1.0", "api_timeout": 30, "api_retries": 5, "service_name": "p1",
            "cluster_id": "c1", "name": "ksm-pool", "size": 10, "database": "ksm", "user": "ksm"}
    base.update(extra)
    return dict((k, v) for k, v in base.items() if v is not None)


class PoolServer:
    """A service with databases ``db-1`` (ksm) and ``db-2`` (reports), users
    ``user-1`` (ksm) and ``user-2`` (reporter), and ``pools``.

    ``acts``: whether a write is carried out. ``answers``: what the server
    answers to the writes, in order (``HELD``: carry it out, then hold the
    answer until ``release``, so the client times out; a ``(status,
    payload)``); once they are used up, the API's success answer. Every
    listing of the pools after the first waits until a write was handled
    (the lookup after a write of unknown outcome)."""

    def __init__(self, pools=(), acts=True, answers=()):
        self.dbs = {"db-1": {"id": "db-1", "name": "ksm", "default": False},
                    "db-2": {"id": "db-2", "name": "reports", "default": False}}
        self.users = {"user-1": {"id": "user-1", "username": "ksm", "status": "READY"},
                      "user-2": {"id": "user-2", "username": "reporter", "status": "READY"}}
        self.pools = dict((p["id"], dict(p)) for p in pools)
        self.acts = acts
        self.answers = list(answers)
        self.release = threading.Event()
        self.written = threading.Event()
        self.listings = 0
        self.lock = threading.Lock()

    def act(self, ex):
        body = ex.json() or {}
        if ex.method == "POST":
            pool = pool_object("pool-new", body["name"], body["mode"], body["size"], body["databaseId"],
                               body.get("userId"))
            self.pools[pool["id"]] = pool
            return 200, dict(pool)
        pool_id = ex.path.rsplit("/", 1)[1]
        if ex.method == "PUT":
            self.pools[pool_id].update((k, body[k]) for k in ("databaseId", "mode", "size", "userId") if k in body)
            return 200, dict(self.pools[pool_id])
        del self.pools[pool_id]
        return 200, None

    def __call__(self, ex):
        if ex.path == "/1.0/auth/time":
            return 200, int(time.time())
        if ex.method == "GET":
            return self.read(ex)
        if ex.method in ("POST", "PUT", "DELETE") and ex.path.startswith(POOLS):
            with self.lock:
                answer = self.answers.pop(0) if self.answers else None
            success = self.act(ex) if self.acts else (200, None)
            self.written.set()
            if answer == HELD:
                self.release.wait(PATIENCE)
                return success
            return answer or success
        return 404, {"message": "no route %s %s" % (ex.method, ex.path)}

    def read(self, ex):
        for path, table in ((POOLS, self.pools), (CLUSTER + "/database", self.dbs), (CLUSTER + "/user", self.users)):
            if ex.path == path:
                if table is self.pools:
                    with self.lock:
                        self.listings += 1
                        later = self.listings > 1
                    if later:
                        assert self.written.wait(PATIENCE)
                return 200, sorted(table)
            if ex.path.startswith(path + "/"):
                found = table.get(ex.path[len(path) + 1:])
                return (200, dict(found)) if found else (404, {"message": "This object does not exist"})
        return 404, {"message": "no route GET %s" % ex.path}


def run_pool(server, **extra):
    if HELD in server.answers:
        extra.setdefault("api_timeout", SLOW_WRITE_TIMEOUT)
    with LocalApi(server) as api:
        try:
            result, failed, warnings = run_module(ovh_cloud_database_pool.main, args(api, **extra))
        finally:
            server.release.set()
    return api, result, failed, warnings


def writes(api):
    return [(r.method, r.path) for r in api.requests if r.method in ("POST", "PUT", "DELETE")]


def assert_no_password(result):
    assert SECRET not in json.dumps(result)


# -- lookup, comparison, updates --------------------------------------------------------------------

def test_a_pool_with_the_wanted_settings_is_left_alone_and_returned_without_password():
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server)
    assert not failed, result
    assert result["changed"] is False
    assert writes(api) == []
    pool = result["pool"]
    assert {k: pool[k] for k in ("id", "name", "mode", "size", "database", "database_id", "user", "user_id", "port",
                                 "ssl_mode")} == {
        "id": "pool-1", "name": "ksm-pool", "mode": "transaction", "size": 10, "database": "ksm",
        "database_id": "db-1", "user": "ksm", "user_id": "user-1", "port": 20185, "ssl_mode": "require"}
    assert pool["uri"] == "postgresql://ksm@postgresql-c1.database.cloud.ovh.net:20185/ksm-pool?sslmode=require"
    assert pool["raw"]["uri"] == pool["uri"]
    assert_no_password(result)
    # the server's own object is untouched
    assert SECRET in server.pools["pool-1"]["uri"]


def test_a_password_key_in_an_answer_is_removed():
    server = PoolServer([dict(pool_object(), password=SECRET)])
    _api, result, failed, _warnings = run_pool(server)
    assert not failed, result
    assert "password" not in result["pool"]["raw"]
    assert_no_password(result)


@pytest.mark.parametrize("extra, body", [
    ({"size": 20}, {"databaseId": "db-1", "mode": "transaction", "size": 20, "userId": "user-1"}),
    ({"mode": "session"}, {"databaseId": "db-1", "mode": "session", "size": 10, "userId": "user-1"}),
    ({"database": "reports"}, {"databaseId": "db-2", "mode": "transaction", "size": 10, "userId": "user-1"}),
    ({"database": "db-2"}, {"databaseId": "db-2", "mode": "transaction", "size": 10, "userId": "user-1"}),
    ({"user": "reporter"}, {"databaseId": "db-1", "mode": "transaction", "size": 10, "userId": "user-2"}),
    ({"user": "user-2"}, {"databaseId": "db-1", "mode": "transaction", "size": 10, "userId": "user-2"}),
], ids=["size", "mode", "database", "database-by-id", "user", "user-by-id"])
def test_one_different_setting_sends_one_put_of_the_changeable_fields(extra, body):
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server, _ansible_diff=True, **extra)
    assert not failed, result
    assert result["changed"] is True
    (put,) = api.calls("PUT", POOLS + "/pool-1")
    # name, port, sslMode, uri and id are never sent: the API does not change them
    assert put.json() == body
    assert writes(api) == [("PUT", POOLS + "/pool-1")]
    (key,) = [k for k in ("mode", "size", "database", "user") if k in extra]
    names = {"db-2": "reports", "user-2": "reporter"}
    want = names.get(extra[key], extra[key])
    assert result["diff"]["after"][key] == want != result["diff"]["before"][key]
    assert result["pool"][key] == want
    assert_no_password(result)


@pytest.mark.parametrize("user, stored", [(None, "user-1"), (None, None), ("", None)],
                         ids=["left-out-restricted", "left-out-open", "empty-open"])
def test_a_user_left_out_or_empty_on_an_open_pool_changes_nothing(user, stored):
    server = PoolServer([pool_object(user=stored)])
    api, result, failed, _warnings = run_pool(server, user=user)
    assert not failed, result
    assert result["changed"] is False and writes(api) == []
    assert result["pool"]["user"] == ("ksm" if stored else None)


def test_opening_a_restricted_pool_fails_naming_the_user_option_and_writes_nothing():
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server, user="")
    assert failed
    assert "restricted to user ksm" in result["msg"] and "(user: \"\")" in result["msg"]
    assert "state: absent" in result["msg"]
    assert writes(api) == []


def test_check_mode_reports_the_update_without_sending_it():
    server = PoolServer([pool_object()])
    api, result, failed, _warnings = run_pool(server, size=20, mode="statement", database="reports",
                                              _ansible_check_mode=True, _ansible_diff=True)
    assert not failed, result
    assert result["changed"] is True
    assert writes(api) == []
    assert (result["pool"]["size"], result["pool"]["mode"], result["pool"]["database"]) == (20, "statement", "reports")
    assert result["diff"] == {
        "before": {"name": "ksm-pool", "mode": "transaction", "size": 10, "database": "ksm", "user": "ksm"},
        "after": {"name": "ksm-pool", "mode": "statement", "size": 20, "database": "reports", "user": "ksm"},
    }
    assert_no_password(result)


@pytest.mark.parametrize("user, body", [
    ("ksm", {"name": "ksm-pool", "databaseId": "db-1", "mode": "session", "size": 5, "userId": "user-1"}),
    (None, {"name": "ksm-pool", "databaseId": "db-1", "mode": "session", "size": 5}),
    ("", {"name": "ksm-pool", "databaseId": "db-1", "mode": "session", "size": 5}),
], ids=["user", "left-out", "every-user"])
def test_a_missing_pool_is_created_with_the_resolved_ids(user, body):
    server = PoolServer()
    api, result, failed, warnings = run_pool(server, mode="session", size=5, user=user, _ansible_diff=True)
    assert not failed, result
    assert result["changed"] is True and warnings == []
    (post,) = api.calls("POST", POOLS)
    assert post.json() == body
    assert result["pool"]["id"] == "pool-new" and result["pool"]["port"] == 20185
    assert result["diff"] == {"before": {}, "after": {"name": "ksm-pool", "mode": "session", "size": 5,
                                                      "database": "ksm", "user": user or None}}
    assert_no_password(result)


def test_check_mode_reports_the_creation_without_sending_it():
    server = PoolServer()
    api, result, failed, _warnings = run_pool(server, _ansible_check_mode=True)
    assert not failed, result
    assert result["changed"] is True
    assert writes(api) == []
    pool = result["pool"]
    assert pool["raw"] == {"name": "ksm-pool", "databaseId": "db-1", "mode": "transaction", "size": 10,
                           "userId": "user-1"}
    assert (pool["id"], pool["database"], pool["user"], pool["port"]) == (None, "ksm", "ksm", None)


@pytest.mark.parametrize("option, value", [("database", "shop"), ("user", "nobody")])
def test_an_unknown_database_or_user_fails_before_any_write(option, value):
    server = PoolServer()
    api, result, failed, _warnings = run_pool(server, **{option: value})
    assert failed
    assert "%s %r not found in PostgreSQL service c1" % (option, value) in result["msg"]
    assert "known: " in result["msg"]
    assert writes(api) == []


def test_in_check_mode_an_unknown_database_is_a_warning():
    """An earlier task of the same run would create it; check mode skipped that."""
    server = PoolServer()
    api, result, failed, warnings = run_pool(server, database="shop", _ansible_check_mode=True)
    assert not failed, result
    assert result["changed"] is True and writes(api) == []
    assert any("database 'shop' not found" in w and "check mode" in w for w in warnings), warnings
    assert result["pool"]["database"] == "shop"


def test_two_pools_of_the_same_name_fail_listing_their_ids():
    server = PoolServer([pool_object("pool-1"), pool_object("pool-2")])
    api, result, failed, _warnings = run_pool(server)
    assert failed
    assert "found 2 connection pools named 'ksm-pool'" in result["msg"]
    assert "pool-1" in result["msg"] and "pool-2" in result["msg"]
    assert writes(api) == []


@pytest.mark.parametrize("exists, check", [(True, False), (True, True), (False, False)],
                         ids=["delete", "check-mode", "already-gone"])
def test_absent(exists, check):
    server = PoolServer([pool_object()] if exists else [])
    api, result, failed, _warnings = run_pool(server, state="absent", size=None, database=None, user=None,
                                              _ansible_check_mode=check, _ansible_diff=True)
    assert not failed, result
    assert result["changed"] is exists
    assert result["pool"] == {}
    assert writes(api) == ([("DELETE", POOLS + "/pool-1")] if exists and not check else [])
    assert bool(server.pools) == (exists and check)
    if exists:
        assert result["diff"]["before"]["database"] == "ksm" and result["diff"]["after"] == {}


# -- writes of unknown outcome --------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [HELD, (500, {"message": "Internal server error"}),
                                    (502, "<html><body><h1>502</h1>gateway</body></html>")],
                         ids=["slow", "500", "502-html"])
def test_a_create_that_reached_the_server_is_adopted_not_sent_again(answer):
    server = PoolServer(answers=[answer])
    api, result, failed, warnings = run_pool(server)
    assert not failed, result
    assert len(api.calls("POST", POOLS)) == 1
    assert result["changed"] is True
    assert result["pool"]["id"] == "pool-new" and result["pool"]["size"] == 10
    assert any("POST %s" % CALL in w and "adopted" in w for w in warnings), warnings
    assert_no_password(result)


@pytest.mark.parametrize("answer", [HELD, (503, {"message": "Service Unavailable"})], ids=["slow", "503"])
def test_a_create_with_an_unknown_outcome_and_nothing_found_fails_naming_the_call(answer):
    server = PoolServer(acts=False, answers=[answer])
    api, result, failed, _warnings = run_pool(server)
    assert failed
    assert len(api.calls("POST", POOLS)) == 1
    assert "POST %s failed" % CALL in result["msg"]
    assert "not sent again" in result["msg"]
    assert result["call"] == "POST %s" % CALL
    if answer != HELD:
        assert result["status"] == 503


def test_a_refused_create_fails_with_the_status_and_the_providers_message():
    message = "Size exceeds the connections available on this cluster"
    server = PoolServer(acts=False, answers=[(400, {"message": message})])
    api, result, failed, _warnings = run_pool(server, size=400)
    assert failed
    assert len(api.calls("POST", POOLS)) == 1
    assert result["msg"] == "POST %s failed with HTTP 400: %s" % (CALL, message)
    assert result["status"] == 400
    # a refusal is certain: the pools are not listed again
    assert len(api.calls("GET", POOLS)) == 1


def test_an_update_that_timed_out_is_sent_again_with_the_same_values():
    """A PUT carries absolute values: sending it again leaves the same pool."""
    server = PoolServer([pool_object()], answers=[HELD])
    api, result, failed, _warnings = run_pool(server, size=20)
    assert not failed, result
    puts = api.calls("PUT", POOLS + "/pool-1")
    assert len(puts) == 2 and puts[0].json() == puts[1].json()
    assert result["changed"] is True and result["pool"]["size"] == 20


@pytest.mark.parametrize("status, message, sent", [
    (400, "Invalid value for size", 1),
    (500, "Internal server error", 3),
], ids=["400", "500-every-time"])
def test_a_failed_update_names_the_call_and_the_status(status, message, sent):
    server = PoolServer([pool_object()], acts=False, answers=[(status, {"message": message})] * 3)
    api, result, failed, _warnings = run_pool(server, size=40, api_retries=2)
    assert failed
    assert "PUT %s/pool-1 failed with HTTP %d: %s" % (CALL, status, message) in result["msg"]
    assert result["status"] == status
    assert len(api.calls("PUT")) == sent
    if status == 500:
        assert "gave up after 3 attempts" in result["msg"]


@pytest.mark.parametrize("removed", [True, False], ids=["gone", "still-there"])
@pytest.mark.parametrize("answer", [HELD, (500, {"message": "Internal server error"})], ids=["slow", "500"])
def test_a_delete_of_unknown_outcome_is_confirmed_by_a_lookup(answer, removed):
    server = PoolServer([pool_object()], acts=removed, answers=[answer])
    api, result, failed, _warnings = run_pool(server, state="absent")
    assert len(api.calls("DELETE")) == 1
    if removed:
        assert not failed, result
        assert result["changed"] is True
    else:
        assert failed
        assert "DELETE %s/pool-1 failed" % CALL in result["msg"]
        assert "still exists" in result["msg"]


# -- input -----------------------------------------------------------------------------------------------

def nothing_expected(ex):
    if ex.path == "/1.0/auth/time":
        return 200, int(time.time())
    return 500, {"message": "no request expected"}


@pytest.mark.parametrize("extra, message", [
    ({"size": "ten"}, "argument 'size' is of type str and we were unable to convert to int"),
    ({"size": "1.5"}, "argument 'size' is of type"),
    ({"size": 0}, "size must be at least 1"),
    ({"size": -3}, "size must be at least 1"),
    ({"mode": "pooled"}, "value of mode must be one of: session, statement, transaction"),
    ({"mode": 3}, "value of mode must be one of"),
    ({"state": "gone"}, "value of state must be one of: present, absent"),
    ({"size": None}, "state is present but all of the following are missing: size"),
    ({"database": None}, "state is present but all of the following are missing: database"),
    ({"database": " "}, "database must not be empty"),
    ({"user": "  "}, "user must be a user name or ID"),
    ({"name": " "}, "name must not be empty"),
    ({"cluster_id": ""}, "cluster_id must not be empty"),
    ({"size": {"connections": 10}}, "argument 'size' is of type dict and we were unable to convert to int"),
    ({"size": True}, "size must be a number of connections, got a boolean"),
    ({"application_key": None}, "missing OVHcloud credentials: application_key"),
])
def test_input_is_checked_before_the_first_request(extra, message, monkeypatch):
    monkeypatch.delenv("OVH_APPLICATION_KEY", raising=False)
    with LocalApi(nothing_expected) as api:
        result, failed, _warnings = run_module(ovh_cloud_database_pool.main, args(api, **extra))
    assert failed
    assert message in result["msg"], result["msg"]
    assert [r for r in api.requests if r.path != "/1.0/auth/time"] == []


def test_the_credentials_are_not_logged():
    spec = ovh_cloud_database_pool.DatabasePool.argument_spec()
    assert [k for k, v in sorted(spec.items()) if v.get("no_log")] == ["application_key", "application_secret",
                                                                       "consumer_key"]


@pytest.mark.parametrize("uri, expected", [
    ("postgresql://ksm:pw@db.example:20185/ksm-pool?sslmode=require",
     "postgresql://ksm@db.example:20185/ksm-pool?sslmode=require"),
    ("postgresql://ksm:p%40ss%3Aw@db.example:20185/p", "postgresql://ksm@db.example:20185/p"),
    ("postgresql://<username>:<password>@db.example:20185/p", "postgresql://<username>@db.example:20185/p"),
    ("postgresql://ksm@db.example:20185/p", "postgresql://ksm@db.example:20185/p"),
    ("postgresql://db.example:20185/p", "postgresql://db.example:20185/p"),
    ("", ""),
    (None, None),
])
def test_uri_without_password(uri, expected):
    assert uri_without_password(uri) == expected
