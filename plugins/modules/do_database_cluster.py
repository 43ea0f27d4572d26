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
    description: Node size slug (C(db-s-1vcpu-2gb)). Required to create; a different size resizes the cluster.
    type: str
  num_nodes:
    description: Number of nodes (1 to 3; 2 and 3 add standby nodes). A different number resizes the cluster.
    type: int
    default: 1
  region:
    description: Region slug. Required to create.
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
        return self.wait_for(
            lambda: self.client.get(path)["database"],
            lambda c: c.get("status") == "online",
            "GET /v2/%s (database cluster %s becoming online)" % (path, cluster["name"]),
        )

    @staticmethod
    def summary(cluster):
        keys = ("name", "engine", "version", "size", "num_nodes", "region", "private_network_uuid", "status")
        return dict((k, cluster.get(k)) for k in keys if k in cluster)

    def run(self):
        p = self.params
        clusters = self.client.get("databases").get("databases") or []
        current = self.find_one([c for c in clusters if c.get("name") == p["name"]],
                                "database clusters named %s" % p["name"])
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff(self.summary(current), {})
                if self.will_write():
                    self.client.delete("databases/%s" % current["id"])
            return
        if current is None:
            missing = [k for k in ("size", "region") if not p[k]]
            if missing:
                self.fail("%s required to create database cluster %s" % (" and ".join(missing), p["name"]))
            body = dict((k, p[k]) for k in ("name", "engine", "version", "size", "num_nodes", "region",
                                            "private_network_uuid", "tags") if p[k] is not None)
            self.set_diff({}, body)
            cluster = dict(body, status="creating")
            if self.will_write():
                cluster = self.wait_online(self.client.post("databases", body)["database"])
        else:
            for key in ("engine", "region", "private_network_uuid"):
                if p[key] and key in current and p[key] != current.get(key):
                    self.fail("database cluster %s has %s=%s; it cannot be changed to %s"
                              % (p["name"], key, current.get(key), p[key]))
            if p["version"] and str(p["version"]) != str(current.get("version")):
                self.module.warn("database cluster %s runs version %s, not %s: upgrades are not done by this module"
                                 % (p["name"], current.get("version"), p["version"]))
            cluster = current
            size = p["size"] or current.get("size")
            if size != current.get("size") or p["num_nodes"] != current.get("num_nodes"):
                after = dict(self.summary(current), size=size, num_nodes=p["num_nodes"])
                self.set_diff(self.summary(current), after)
                cluster = dict(current, size=size, num_nodes=p["num_nodes"])
                if self.will_write():
                    self.client.put("databases/%s/resize" % current["id"], {"size": size, "num_nodes": p["num_nodes"]})
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
        num_nodes=dict(type="int", default=1),
        region=dict(type="str"),
        private_network_uuid=dict(type="str"),
        tags=dict(type="list", elements="str"),
    ))
    Cluster(module).execute()


if __name__ == "__main__":
    main()
