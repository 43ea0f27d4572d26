"""The fake's connection pool routes match the public sources recorded in
ovh_pool_source.py: paths, methods, body fields, required fields, and the
shape of the answers.

These routes are checked against that record (ovh/manager's generated API
types and the OVHcloud Terraform provider), not against the stored reference
files under ../shared/reference, which do not describe them. So these tests
need no reference files and always run."""

import sys

import ovh_pool_source as source
from ovh_fake_api import ROUTES, FakeOvh
from ovh_harness import COLLECTIONS

sys.path.insert(0, str(COLLECTIONS))
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import OvhApi


def pool_routes():
    return dict(((r["method"], r["template"]), r) for r in ROUTES if "/connectionPool" in r["template"])


def test_the_fake_serves_exactly_the_recorded_pool_routes():
    assert set(pool_routes()) == set(source.ROUTES)


def test_the_fake_pool_bodies_match_the_recorded_types():
    for key, r in pool_routes().items():
        fields = source.ROUTES[key]
        if fields is None:
            assert r["fields"] is None, "%s %s takes no body" % key
            continue
        assert r["fields"] == set(fields), "%s %s: fields %s" % (*key, sorted(r["fields"] ^ set(fields)))
        assert r["required"] == set(k for k, required in fields.items() if required), key


def test_the_fake_pool_answers_have_the_recorded_shape():
    fake = FakeOvh().start()
    try:
        fake.ready_after = 0
        api = OvhApi(application_key=fake.ak, application_secret=fake.as_, consumer_key=fake.ck, api_url=fake.url)
        db = api.post("/cloud/project/%s/database/postgresql" % fake.project, {
            "description": "d", "plan": "essential", "version": "16",
            "nodesPattern": {"flavor": "db1-4", "number": 1, "region": "GRA"}})
        base = "/cloud/project/%s/database/postgresql/%s" % (fake.project, db["id"])
        api.get(base)
        database = api.post(base + "/database", {"name": "ksm"})
        user = api.post(base + "/user", {"name": "ksm"})
        open_pool = api.post(base + "/connectionPool", {"name": "all", "databaseId": database["id"],
                                                        "mode": "session", "size": 2})
        user_pool = api.post(base + "/connectionPool", {"name": "ksm-pool", "databaseId": database["id"],
                                                        "mode": "transaction", "size": 10, "userId": user["id"]})
        listed = api.get(base + "/connectionPool")
        read = api.get(base + "/connectionPool/" + user_pool["id"])
        updated = api.put(base + "/connectionPool/" + user_pool["id"], {
            "databaseId": database["id"], "mode": "statement", "size": 12, "userId": user["id"]})
    finally:
        fake.stop()
    assert sorted(listed) == sorted([open_pool["id"], user_pool["id"]])
    for sample in (open_pool, user_pool, read, updated):
        assert set(sample) <= set(source.CONNECTION_POOL), sorted(set(sample) - set(source.CONNECTION_POOL))
        assert [f for f, required in source.CONNECTION_POOL.items() if required and f not in sample] == []
        assert sample["mode"] in source.MODES and sample["sslMode"] in source.SSL_MODES
    assert "userId" not in open_pool and read["userId"] == user["id"]
    assert (updated["mode"], updated["size"]) == ("statement", 12)
