#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_database_cluster
short_description: Manage a DigitalOcean managed database cluster
description:
  - Creates, resizes or deletes a managed database cluster (PostgreSQL by default), identified by its name.
  - Waits until the cluster is C(online) and returns its connection information.
  - The returned connections hold the admin password; register the result in a task with C(no_log=true).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the cluster must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Cluster name (unique in the account).
    type: str
    required: true
  engine:
    description: Database engine slug; C(pg) is PostgreSQL.
    type: str
    default: pg
    choices: [pg, mysql, valkey, mongodb, kafka, opensearch]
  version:
    description: Major version of the engine (C(16)). The provider's default when left out. Only used at creation.
    type: str
  size:
    description:
      - Node size slug (C(db-s-1vcpu-2gb)). Required to create.
      - Compared with the live cluster only when set; a different size resizes the cluster.
    type: str
  num_nodes:
    description:
      - Number of nodes (1 to 3; 2 and 3 add standby nodes).
      - V(1) when a cluster is created without it.
      - Compared with the live cluster only when set, so leaving it out never adds or removes nodes; a different
        number resizes the cluster.
    type: int
  region:
    description:
      - Region slug. Required to create.
      - Compared with the live cluster only when set; a cluster cannot move, so a different region fails the task.
    type: str
  private_network_uuid:
    description: VPC the cluster is attached to. Only used at creation.
    type: str
  tags:
    description: Tags set at creation.
    type: list
    elements: str
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Managed PostgreSQL in the application VPC
  baobab.webstack.do_database_cluster:
    name: shop-pg
    engine: pg
    version: "16"
    size: db-s-1vcpu-2gb
    num_nodes: 2
    region: fra1
    private_network_uuid: "{{ vpc.vpc.id }}"
  register: pg
  no_log: true
"""

RETURN = r"""
database:
  description:
    - The cluster as the API returns it (empty after deletion).
    - Sensitive, holds C(connection.password) and C(private_connection.password).
  returned: always
  type: dict
  sample: {"id": "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30", "name": "shop-pg", "engine": "pg", "status": "online"}
connection:
  description: Public connection information (host, port, user, password, database, uri, ssl). Sensitive.
  returned: when the cluster exists
  type: dict
  sample: {"host": "shop-pg-do-user-1.db.ondigitalocean.com", "port": 25060, "user": "doadmin", "password": "..."}
private_connection:
  description: Connection information inside the VPC. Sensitive.
  returned: when the cluster exists
  type: dict
  sample: {"host": "private-shop-pg-do-user-1.db.ondigitalocean.com", "port": 25060}
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
)


class Cluster(DigitalOceanModule):
    resource_name = "database"

    def wait_online(self, cluster):
        if cluster.get("status") == "online" or not self.params["wait"]:
            return cluster
        path = "databases/%s" % cluster["id"]
        return self.wait_until(
            "GET /v2/%s (database cluster %s becoming online)" % (path, cluster["name"]),
            lambda: self.client.get(path)["database"],
            lambda c: c.get("status") == "online",
        )

    @staticmethod
    def summary(cluster):
        keys = ("name", "engine", "version", "size", "num_nodes", "region", "private_network_uuid", "status")
        return dict((k, cluster.get(k)) for k in keys if k in cluster)

    def lookup(self):
        name = self.params["name"]
        clusters = self.client.get("databases").get("databases") or []
        return self.one_match([c for c in clusters if c.get("name") == name], "database clusters named %s" % name)

    def check_input(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["num_nodes"] is not None and not 1 <= p["num_nodes"] <= 3:
            self.fail("num_nodes must be 1, 2 or 3, got %s" % p["num_nodes"])
        for key in ("size", "region", "version"):
            if p[key] is not None and not str(p[key]).strip():
                self.fail("%s must not be empty" % key)

    def run(self):
        p = self.params
        self.check_input()
        current = self.lookup()
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff(self.summary(current), {})
                if self.will_write():
                    self.delete_or_confirm(lambda: self.client.delete("databases/%s" % current["id"]), self.lookup,
                                           "database cluster %s" % p["name"])
            return
        if current is None:
            missing = [k for k in ("size", "region") if not p[k]]
            if missing:
                self.fail("%s required to create database cluster %s" % (" and ".join(missing), p["name"]))
            body = dict((k, p[k]) for k in ("name", "engine", "version", "size", "num_nodes", "region",
                                            "private_network_uuid", "tags") if p[k] is not None)
            body.setdefault("num_nodes", 1)
            self.set_diff({}, body)
            cluster = dict(body, status="creating")
            if self.will_write():
                cluster = self.wait_online(self.create_or_adopt(
                    lambda: self.client.post("databases", body)["database"], self.lookup,
                    "database cluster %s" % p["name"]))
        else:
            for key in ("engine", "region", "private_network_uuid"):
                if p[key] and key in current and p[key] != current.get(key):
                    self.fail("database cluster %s has %s=%s; it cannot be changed to %s"
                              % (p["name"], key, current.get(key), p[key]))
            if p["version"] and str(p["version"]) != str(current.get("version")):
                self.module.warn("database cluster %s runs version %s, not %s: upgrades are not done by this module"
                                 % (p["name"], current.get("version"), p["version"]))
            cluster = current
            # size and num_nodes are compared only when set: leaving one out keeps the live value
            size = p["size"] or current.get("size")
            num_nodes = p["num_nodes"] if p["num_nodes"] is not None else current.get("num_nodes")
            if size != current.get("size") or num_nodes != current.get("num_nodes"):
                after = dict(self.summary(current), size=size, num_nodes=num_nodes)
                self.set_diff(self.summary(current), after)
                cluster = dict(current, size=size, num_nodes=num_nodes)
                if self.will_write():
                    self.client.put("databases/%s/resize" % current["id"], {"size": size, "num_nodes": num_nodes})
                    cluster = self.client.get("databases/%s" % current["id"])["database"]
            if not self.check_mode:
                cluster = self.wait_online(cluster)
        self.set_resource(cluster)
        self.result["connection"] = cluster.get("connection") or {}
        self.result["private_connection"] = cluster.get("private_connection") or {}


def main():
    module = build_module(dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        engine=dict(type="str", default="pg", choices=["pg", "mysql", "valkey", "mongodb", "kafka", "opensearch"]),
        version=dict(type="str"),
        size=dict(type="str"),
        num_nodes=dict(type="int"),
        region=dict(type="str"),
        private_network_uuid=dict(type="str"),
        tags=dict(type="list", elements="str"),
    ))
    Cluster(module).execute()


if __name__ == "__main__":
    main()
