"""ovh_cloud_database_pool through ansible-playbook against the local fake API:
create (the database and user resolved by name), re-run unchanged, check mode
with a diff and no write, update in place, a refused opening to every user,
delete, delete again.

The fake's connection pool routes follow the public sources recorded in
ovh_pool_source.py (checked by test_ovh_pool_source.py), not the stored
reference files, which do not describe them."""

import json

MUTATING = ("POST", "PUT", "DELETE")

POOL = """
- hosts: localhost
  gather_facts: false
  vars:
    st: present
    size: 10
    mode: transaction
    user: ksm
  tasks:
    - name: service
      baobab.webstack.ovh_cloud_database: {name: app-db, plan: essential, version: "16", flavor: db1-4, region: GRA}
      register: svc
    - name: database
      baobab.webstack.ovh_cloud_database_db: {cluster_id: "{{ svc.database.id }}", name: ksm}
    - name: user
      baobab.webstack.ovh_cloud_database_user: {cluster_id: "{{ svc.database.id }}", name: ksm}
      no_log: true
    - name: pool
      baobab.webstack.ovh_cloud_database_pool:
        cluster_id: "{{ svc.database.id }}"
        name: ksm-pool
        size: "{{ size }}"
        mode: "{{ mode }}"
        database: ksm
        user: "{{ user }}"
        state: "{{ st }}"
"""


def pool_writes(fake, since):
    return [(r["method"], r["path"].rsplit("/database/postgresql/", 1)[-1].split("/", 1)[-1], r["body"])
            for r in fake.requests[since:] if r["method"] in MUTATING and "/connectionPool" in r["path"]]


def test_pool_lifecycle(play, fake):
    run = play(POOL, "--diff")
    assert run.rc == 0, run
    (svc,) = fake.databases.values()
    (db_id,) = svc["_dbs"]
    (user_id,) = svc["_users"]
    (pool,) = svc["_pools"].values()
    assert (pool["name"], pool["mode"], pool["size"], pool["databaseId"], pool["userId"]) == (
        "ksm-pool", "transaction", 10, db_id, user_id)
    result = run.tasks()["pool"]
    assert result["changed"] is True
    returned = result["pool"]
    assert (returned["id"], returned["database"], returned["database_id"], returned["user"], returned["user_id"]) == (
        pool["id"], "ksm", db_id, "ksm", user_id)
    assert returned["port"] == pool["port"] and returned["ssl_mode"] == "require"
    assert "<password>" in pool["uri"] and "password" not in returned["uri"]
    assert "password" not in json.dumps(returned)
    assert result["diff"] == {"before": {}, "after": {"name": "ksm-pool", "mode": "transaction", "size": 10,
                                                      "database": "ksm", "user": "ksm"}}

    mark = len(fake.requests)
    run = play(POOL)
    assert run.rc == 0, run
    assert run.stats["changed"] == 0, run
    assert pool_writes(fake, mark) == []

    update = ["-e", json.dumps({"size": 20, "mode": "session"})]
    mark = len(fake.requests)
    run = play(POOL, "--check", "--diff", *update)
    assert run.rc == 0, run
    assert run.tasks()["pool"]["changed"] is True
    assert run.tasks()["pool"]["diff"]["after"]["size"] == 20
    assert [r for r in fake.requests[mark:] if r["method"] in MUTATING] == []

    mark = len(fake.requests)
    run = play(POOL, *update)
    assert run.rc == 0, run
    assert pool_writes(fake, mark) == [("PUT", "connectionPool/" + pool["id"],
                                        {"databaseId": db_id, "mode": "session", "size": 20, "userId": user_id})]
    assert (pool["mode"], pool["size"]) == ("session", 20)

    mark = len(fake.requests)
    run = play(POOL, "-e", "user=''", *update)
    assert run.rc != 0, run
    assert "cannot be opened to every user in place" in run.tasks()["pool"]["msg"]
    assert pool_writes(fake, mark) == []

    run = play(POOL, "-e", "st=absent")
    assert run.rc == 0, run
    assert run.tasks()["pool"]["changed"] is True and svc["_pools"] == {}
    mark = len(fake.requests)
    run = play(POOL, "-e", "st=absent")
    assert run.rc == 0 and run.stats["changed"] == 0, run
    assert pool_writes(fake, mark) == []
