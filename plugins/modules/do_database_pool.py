#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_database_pool
short_description: Manage a connection pool (PgBouncer) of a DigitalOcean managed PostgreSQL cluster
description:
  - Creates, updates or deletes one connection pool of a managed PostgreSQL cluster, identified by its name.
  - The task describes the whole pool; a pool whose O(mode), O(size), O(db) or O(user) differs is updated in place.
  - The pool is returned with its connection information, but never with a password (the API sends the password of
    the pool's user; it is removed from the result). Read the password from
    M(baobab.webstack.do_database_user) or M(baobab.webstack.do_database_cluster).
version_added: 0.3.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the pool must exist.
    type: str
    choices: [present, absent]
    default: present
  cluster_id:
    description: Id (UUID) of the cluster.
    type: str
    required: true
  name:
    description: Pool name, 3 to 60 characters. Clients connect to a database of this name on the pool's port.
    type: str
    required: true
  mode:
    description:
      - PgBouncer pooling mode. V(transaction) returns the server connection to the pool after each transaction,
        V(session) after the client disconnects, V(statement) after each statement.
    type: str
    choices: [transaction, session, statement]
    default: transaction
  size:
    description:
      - Number of server connections of the pool (at least 1). Required when O(state=present).
      - The cluster allows about 25 connections per GiB of memory of its primary node, shared by all its pools;
        a larger size is refused by the API.
    type: int
  db:
    description:
      - Database the pool connects to. Required when O(state=present).
    type: str
  user:
    description:
      - User the pool connects as.
      - Left out (or empty), clients connect as themselves (the inbound user); an existing pool bound to a user is
        then changed to use the inbound user.
    type: str
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Pool in front of the application database
  baobab.webstack.do_database_pool:
    cluster_id: "{{ pg.database.id }}"
    name: shop-pool
    mode: transaction
    size: 10
    db: shop
    user: shop
  register: shop_pool

- name: The application connects through the pool
  ansible.builtin.set_fact:
    shop_db_host: "{{ shop_pool.pool.private_connection.host }}"
    shop_db_port: "{{ shop_pool.pool.private_connection.port }}"
    shop_db_name: "{{ shop_pool.pool.name }}"

- name: Pool where clients log in as themselves
  baobab.webstack.do_database_pool:
    cluster_id: "{{ pg.database.id }}"
    name: reporting
    mode: session
    size: 3
    db: shop

- name: No pool any more
  baobab.webstack.do_database_pool:
    cluster_id: "{{ pg.database.id }}"
    name: reporting
    state: absent
"""

RETURN = r"""
pool:
  description:
    - The pool with its connection information (empty after deletion).
    - Never holds a password, neither in the connections nor in their URIs.
  returned: always
  type: dict
  contains:
    name:
      description: Pool name, also the database name clients connect to.
      type: str
      returned: success
      sample: shop-pool
    mode:
      description: Pooling mode.
      type: str
      returned: success
      sample: transaction
    size:
      description: Number of server connections.
      type: int
      returned: success
      sample: 10
    db:
      description: Database the pool connects to.
      type: str
      returned: success
      sample: shop
    user:
      description: User the pool connects as; empty or V(null) when clients connect as themselves.
      type: str
      returned: success
      sample: shop
    connection:
      description:
        - Public connection information (host, port, user, database, uri, ssl), without the password.
        - Empty in check mode for a pool not created yet.
      type: dict
      returned: success
      sample: {"host": "shop-pg-do-user-1.db.ondigitalocean.com", "port": 25061, "user": "shop",
               "database": "shop-pool", "ssl": true,
               "uri": "postgresql://shop@shop-pg-do-user-1.db.ondigitalocean.com:25061/shop-pool?sslmode=require"}
    private_connection:
      description: Connection information inside the VPC, without the password.
      type: dict
      returned: success
      sample: {"host": "private-shop-pg-do-user-1.db.ondigitalocean.com", "port": 25061}
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode), with
          every password removed.
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

import copy  # noqa: E402

from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import curated  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DatabaseChild,
)

MODES = ["transaction", "session", "statement"]
#: what a pool is made of besides its name; an update sends them all
SETTINGS = ("mode", "size", "db", "user")
#: the connection objects of a pool in the API's answers
CONNECTIONS = ("connection", "private_connection", "standby_connection", "standby_private_connection")


def uri_without_password(uri):
    """``uri`` with the password of its user information removed."""
    if not uri or not isinstance(uri, str):
        return uri
    parts = urlsplit(uri)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return uri
    return urlunsplit(parts._replace(netloc="%s@%s" % (userinfo.split(":", 1)[0], host)))


def without_passwords(pool):
    """A copy of ``pool`` whose connections hold no password."""
    out = copy.deepcopy(pool)
    for key in CONNECTIONS:
        connection = out.get(key)
        if isinstance(connection, dict):
            connection.pop("password", None)
            if "uri" in connection:
                connection["uri"] = uri_without_password(connection["uri"])
    return out


def pool_user(resource):
    """The user of a pool, ``None`` for the inbound user."""
    return (resource or {}).get("user") or None


class Pool(DatabaseChild):
    resource_name = "pool"
    collection = "pools"
    noun = "connection pool"

    @classmethod
    def argument_spec(cls):
        spec = cls.child_argument_spec()
        spec.update(
            mode=dict(type="str", default="transaction", choices=MODES),
            size=dict(type="int"),
            db=dict(type="str"),
            user=dict(type="str"),
        )
        return spec

    @classmethod
    def main(cls):
        cls.run_module(cls.argument_spec(), required_if=[("state", "present", ("size", "db"))])

    def validate(self):
        super(Pool, self).validate()
        p = self.params
        if not 3 <= len(p["name"]) <= 60:
            self.fail("name must be between 3 and 60 characters, got %d: %r" % (len(p["name"]), p["name"]))
        if p["state"] == "absent":
            return
        if p["size"] < 1:
            self.fail("size must be at least 1, got %s" % p["size"])
        if not p["db"].strip():
            self.fail("db must not be empty")

    def desired(self):
        p = self.params
        return {"name": p["name"], "mode": p["mode"], "size": p["size"], "db": p["db"], "user": p["user"] or None}

    def settings(self, pool):
        """The pool's settings as a create or an update sends them (no user:
        the inbound user)."""
        body = dict((key, pool.get(key)) for key in SETTINGS)
        if not body["user"]:
            del body["user"]
        return body

    def creation(self, desired):
        return dict(self.settings(desired), name=desired["name"])

    def planned(self, desired):
        return desired

    def view(self, resource):
        view = dict((key, resource.get(key)) for key in ("name", *SETTINGS))
        view["user"] = pool_user(resource)
        return view

    def differences(self, current, desired):
        want, have = self.view(desired), self.view(current)
        return sorted(key for key in SETTINGS if want[key] != have[key])

    def update(self, current, desired, changes):
        # a PUT replaces the pool's settings: it carries them all, a missing user is the inbound user
        self.client.put(self.path(current["name"]), self.settings(desired))
        updated = self.fetch_child(current["name"])
        if updated is None:
            self.fail("connection pool %s was updated, then could not be found any more" % current["name"])
        return updated

    def curate(self, resource):
        clean = without_passwords(resource)
        return curated(
            clean,
            name=clean.get("name"),
            mode=clean.get("mode"),
            size=clean.get("size"),
            db=clean.get("db"),
            user=clean.get("user"),
            connection=clean.get("connection") or {},
            private_connection=clean.get("private_connection") or {},
        )


def main():
    Pool.main()


if __name__ == "__main__":
    main()
