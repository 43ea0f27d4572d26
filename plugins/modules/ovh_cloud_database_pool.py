#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_database_pool
short_description: Manage a connection pool (PgBouncer) of an OVHcloud managed PostgreSQL service
version_added: 0.3.0
description:
  - Create, update or delete one connection pool of a managed PostgreSQL service, identified by its O(name).
  - The task describes the pool; a pool whose O(mode), O(size), O(database) or O(user) differs is updated in place
    with one C(PUT). The API cannot rename a pool (a new name is a new pool).
  - The database and the user are given by name (or by ID) and resolved to their IDs through the service's lists of
    databases and users, like M(baobab.webstack.ovh_cloud_database_db) and
    M(baobab.webstack.ovh_cloud_database_user) find theirs.
  - The pool is returned with its port, SSL mode and connection URI, never with a password (a password inside the
    URI is removed). Read the user's password from the result of M(baobab.webstack.ovh_cloud_database_user).
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
attributes:
  check_mode:
    support: full
    description:
      - No write request is sent in check mode.
      - A database or user that does not exist yet (created by an earlier task of the same run, which check mode
        skipped) is reported with a warning instead of failing.
  diff_mode:
    support: full
    description: Shows the pool's name, mode, size, database and user before and after.
seealso:
  - module: baobab.webstack.ovh_cloud_database
    description: The PostgreSQL service the pool belongs to.
  - module: baobab.webstack.ovh_cloud_database_db
    description: The database a pool connects to.
  - module: baobab.webstack.ovh_cloud_database_user
    description: The user a pool can be restricted to.
options:
  cluster_id:
    description: ID of the PostgreSQL service (C(database.id) returned by M(baobab.webstack.ovh_cloud_database)).
    type: str
    required: true
  name:
    description: Pool name, unique in the service. Clients connect to a database of this name on the pool's port.
    type: str
    required: true
  mode:
    description:
      - PgBouncer pooling mode. V(transaction) returns the server connection to the pool after each transaction,
        V(session) when the client disconnects, V(statement) after each statement.
    type: str
    choices: [session, statement, transaction]
    default: transaction
  size:
    description:
      - Number of server connections of the pool, at least 1. Required when O(state=present).
      - The service refuses a size larger than the connections its flavor allows.
    type: int
  database:
    description:
      - Database the pool connects to, by name or by ID. Required when O(state=present).
    type: str
  user:
    description:
      - The only user allowed to connect through the pool, by name or by ID.
      - Left out, the user is not compared and a new pool is open to every user.
      - V("") asks for a pool open to every user. A pool already restricted to a user is not opened in place (the
        API documents no way to remove the user of a pool); the task fails naming O(user), and the pool has to be
        deleted and created again.
    type: str
  state:
    description: Whether the pool should exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - >-
    The connection pool paths are not in the API reference the collection's tests use; the request and answer fields
    follow the OVHcloud control panel's generated API types (repository C(ovh/manager), files
    C(packages/manager/apps/pci-databases-analytics/src/types/cloud/project/database/postgresql/ConnectionPool.ts),
    C(ConnectionPoolCreation.ts), C(connectionpool/ModeEnum.ts) and C(connectionpool/SslModeEnum.ts) beside them,
    and C(packages/manager/apps/pci-databases-analytics/src/data/api/database/connectionPool.api.ts) for the calls)
    and the OVHcloud Terraform provider (repository C(ovh/terraform-provider-ovh), file
    C(ovh/resource_cloud_project_database_postgresql_connection_pool.go), where the name forces a new pool and the
    database, mode, size and user are updated in place; C(ovh/data_cloud_project_database_postgresql_connection_pool.go)
    lists the pools as IDs and finds one by name).
"""

EXAMPLES = r"""
- name: Pool in front of the application database
  baobab.webstack.ovh_cloud_database_pool:
    service_name: "{{ ovh_project }}"
    cluster_id: "{{ db.database.id }}"
    name: ksm-pool
    mode: transaction
    size: 20
    database: ksm
    user: ksm
  register: ksm_pool

- name: The application connects through the pool
  ansible.builtin.set_fact:
    ksm_db_port: "{{ ksm_pool.pool.port }}"
    ksm_db_name: "{{ ksm_pool.pool.name }}"

- name: Pool open to every user of the service
  baobab.webstack.ovh_cloud_database_pool:
    service_name: "{{ ovh_project }}"
    cluster_id: "{{ db.database.id }}"
    name: reporting
    mode: session
    size: 3
    database: ksm
    user: ""

- name: No pool any more
  baobab.webstack.ovh_cloud_database_pool:
    service_name: "{{ ovh_project }}"
    cluster_id: "{{ db.database.id }}"
    name: reporting
    state: absent
"""

RETURN = r"""
pool:
  description:
    - The pool (empty when absent). Never holds a password.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the pool (V(null) in check mode for a pool not created yet).
      type: str
      returned: success
      sample: 2bd3c1e1-4ac6-4d4b-9e9b-0d9a7c0f6a3e
    name:
      description: Pool name, also the database name clients connect to.
      type: str
      returned: success
      sample: ksm-pool
    mode:
      description: Pooling mode.
      type: str
      returned: success
      sample: transaction
    size:
      description: Number of server connections.
      type: int
      returned: success
      sample: 20
    database:
      description: Name of the database the pool connects to (its ID when the name is unknown).
      type: str
      returned: success
      sample: ksm
    database_id:
      description: ID of that database.
      type: str
      returned: success
    user:
      description: Name of the only user allowed through the pool; V(null) when every user is.
      type: str
      returned: success
      sample: ksm
    user_id:
      description: ID of that user; V(null) when every user is allowed.
      type: str
      returned: success
    port:
      description: Port of the pool (V(null) in check mode for a pool not created yet).
      type: int
      returned: success
      sample: 20185
    ssl_mode:
      description: SSL mode of the pool's connections.
      type: str
      returned: success
      sample: require
    uri:
      description: Connection URI of the pool, without a password.
      type: str
      returned: success
      sample: postgresql://ksm@postgresql-1a2b3c4d.database.cloud.ovh.net:20185/ksm-pool?sslmode=require
    raw:
      description:
        - The API's full object (the create request in check mode), with any password removed.
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

import copy  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    ApiError,
    curated,
)
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    DatabaseChild,
    Desired,
    quote_segment,
)

MODES = ["session", "statement", "transaction"]
#: what the diff shows of a pool, in the order of the options
VIEW_KEYS = ("name", "mode", "size", "database", "user")


def uri_without_password(uri):
    """``uri`` with the password of its user information removed."""
    if not uri or not isinstance(uri, str):
        return uri
    parts = urlsplit(uri)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return uri
    return urlunsplit(parts._replace(netloc="%s@%s" % (userinfo.split(":", 1)[0], host)))


def without_password(pool):
    """A copy of ``pool`` with no password, neither as a key nor in its URI."""
    out = copy.deepcopy(pool)
    out.pop("password", None)
    if "uri" in out:
        out["uri"] = uri_without_password(out["uri"])
    return out


class DatabasePool(DatabaseChild):
    resource_name = "pool"
    collection = "connectionPool"
    noun = "connection pool"

    def __init__(self, module):
        super(DatabasePool, self).__init__(module)
        #: id -> object of the service's databases and users, read once
        self._children = {}
        #: the IDs the task asks for (``None``: not found in check mode)
        self._database_id = None
        self._user_id = None

    @classmethod
    def argument_spec(cls):
        spec = super(DatabasePool, cls).argument_spec()
        spec.update(
            mode=dict(type="str", default="transaction", choices=MODES),
            size=dict(type="int"),
            database=dict(type="str"),
            user=dict(type="str"),
        )
        return spec

    @classmethod
    def main(cls):
        module = AnsibleModule(argument_spec=cls.argument_spec(), supports_check_mode=True,
                               required_if=[("state", "present", ("size", "database"))])
        cls(module).execute()

    # -- input ------------------------------------------------------------------
    def validate(self):
        super(DatabasePool, self).validate()
        p = self.params
        if p["state"] == "absent":
            return
        if isinstance(p["size"], bool):
            self.fail("size must be a number of connections, got a boolean")
        if p["size"] < 1:
            self.fail("size must be at least 1, got %s" % p["size"])
        if not p["database"].strip():
            self.fail("database must not be empty")
        if p["user"] is not None and p["user"] != "" and not p["user"].strip():
            self.fail("user must be a user name or ID, or \"\" for every user")

    # -- the service's databases and users ----------------------------------------
    def cluster_path(self, collection, *rest):
        base = "%s/database/postgresql/%s/%s" % (self.project, quote_segment(self.params["cluster_id"]), collection)
        return "/".join([base, *(quote_segment(r) for r in rest)])

    def children_of(self, collection):
        """{id: object} of the service's ``database`` or ``user`` list."""
        if collection not in self._children:
            found = {}
            for child_id in self.client.get(self.cluster_path(collection)) or []:
                child = self.client.get(self.cluster_path(collection, child_id), absent_ok=True)
                if child:
                    found[child.get("id", child_id)] = child
            self._children[collection] = found
        return self._children[collection]

    def resolve(self, collection, name_field, wanted, what):
        """The ID of the ``what`` given by ID or name; ``None`` when there is
        none, which fails outside check mode."""
        children = self.children_of(collection)
        if wanted in children:
            return wanted
        match = self.one_match([c for c in children.values() if c.get(name_field) == wanted],
                               "%ss named %r" % (what, wanted))
        if match is not None:
            return match.get("id")
        known = ", ".join(sorted(str(c.get(name_field)) for c in children.values())) or "none"
        text = "%s %r not found in PostgreSQL service %s (known: %s)" % (what, wanted, self.params["cluster_id"], known)
        if not self.check_mode:
            raise ApiError("lookup", None, text)
        self.module.warn("%s; in check mode this is reported, a real run fails unless an earlier task creates it"
                         % text)
        return None

    def name_of(self, collection, name_field, child_id):
        """The name of a database or user ID (the ID when it is unknown)."""
        if not child_id:
            return None
        child = self.children_of(collection).get(child_id)
        return child.get(name_field) if child else child_id

    # -- the flow's hooks ----------------------------------------------------------------
    def desired(self):
        p = self.params
        self._database_id = self.resolve("database", "name", p["database"], "database")
        database = self.name_of("database", "name", self._database_id) if self._database_id else p["database"]
        user = None
        if p["user"]:
            self._user_id = self.resolve("user", "username", p["user"], "user")
            user = self.name_of("user", "username", self._user_id) if self._user_id else p["user"]
        return Desired(name=p["name"], mode=p["mode"], size=p["size"], database=database, user=user)

    def show(self, resource):
        return {
            "name": resource.get("name"),
            "mode": resource.get("mode"),
            "size": resource.get("size"),
            "database": self.name_of("database", "name", resource.get("databaseId")),
            "user": self.name_of("user", "username", resource.get("userId")),
        }

    def view(self, resource):
        if not resource:
            return {}
        if isinstance(resource, Desired):
            return dict((key, resource.get(key)) for key in VIEW_KEYS)
        return self.show(resource)

    def differences(self, current, desired):
        changes = []
        if current.get("mode") != desired["mode"]:
            changes.append("mode")
        if current.get("size") != desired["size"]:
            changes.append("size")
        if self._database_id is None or current.get("databaseId") != self._database_id:
            changes.append("database")
        user = self.params["user"]
        if user == "" and current.get("userId"):
            self.fail("connection pool %s is restricted to user %s and cannot be opened to every user in place "
                      "(user: \"\"): the API documents no way to remove a pool's user. Delete the pool "
                      "(state: absent) and create it again, or name its user"
                      % (self.params["name"], self.name_of("user", "username", current["userId"])))
        if user and (self._user_id is None or current.get("userId") != self._user_id):
            changes.append("user")
        return sorted(changes)

    def creation_body(self, desired):
        body = {"name": desired["name"], "databaseId": self._database_id, "mode": desired["mode"],
                "size": desired["size"]}
        if self._user_id:
            body["userId"] = self._user_id
        return body

    def planned(self, desired):
        return self.creation_body(desired)

    def create(self, desired):
        answer = self.client.post(self.path(), self.creation_body(desired))
        if isinstance(answer, dict) and answer.get("id"):
            return answer
        # an answer without the pool: read it back by name
        found = self.lookup()
        if found is None:
            self.fail("connection pool %s was created, then could not be found" % desired["name"])
        return found

    def update_body(self, current, desired):
        """The settings the API lets a PUT change, all of them (a PUT sent
        again after a timeout leaves the same pool)."""
        body = {"databaseId": self._database_id or current.get("databaseId"), "mode": desired["mode"],
                "size": desired["size"]}
        user_id = self._user_id if self.params["user"] else current.get("userId")
        if user_id:
            body["userId"] = user_id
        return body

    def planned_update(self, current, desired, changes):
        planned = dict(current)
        planned.update(self.update_body(current, desired))
        return planned

    def update(self, current, desired, changes):
        self.client.put(self.path(current["id"]), self.update_body(current, desired))
        updated = self.fetch_child(current["id"])
        if updated is None:
            self.fail("connection pool %s was updated, then could not be found" % current.get("name"))
        return updated

    def curate(self, resource):
        clean = without_password(resource)
        database_id = clean.get("databaseId")
        user_id = clean.get("userId")
        return curated(
            clean,
            id=clean.get("id"),
            name=clean.get("name"),
            mode=clean.get("mode"),
            size=clean.get("size"),
            database=self.name_of("database", "name", database_id) if database_id else self.params.get("database"),
            database_id=database_id,
            user=self.name_of("user", "username", user_id),
            user_id=user_id or None,
            port=clean.get("port"),
            ssl_mode=clean.get("sslMode"),
            uri=clean.get("uri"),
        )


def main():
    DatabasePool.main()


if __name__ == "__main__":
    main()
