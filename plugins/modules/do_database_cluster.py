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
  - Waits until the cluster is V(online) and returns its connection information.
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
    description: Database engine slug; V(pg) is PostgreSQL.
    type: str
    default: pg
    choices: [pg, mysql, valkey, mongodb, kafka, opensearch]
  version:
    description: Major version of the engine (V(16)). The provider's default when left out. Only used at creation.
    type: str
  size:
    description:
      - Node size slug (V(db-s-1vcpu-2gb)). Required to create.
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
    - The cluster, with the collection's names for what playbooks need (empty after deletion).
    - Sensitive, holds the admin password in RV(database.connection) and RV(database.private_connection).
  returned: always
  type: dict
  contains:
    id:
      description:
        - Cluster id (UUID), the O(baobab.webstack.do_database_db#module:cluster_id) of its databases and users.
      type: str
      returned: success
      sample: 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
    name:
      description: Cluster name.
      type: str
      returned: success
      sample: shop-pg
    region:
      description: Region slug.
      type: str
      returned: success
      sample: fra1
    status:
      description: C(creating), C(online), C(resizing), C(migrating) or C(forking).
      type: str
      returned: success
      sample: online
    tags:
      description: Tags of the cluster.
      type: list
      elements: str
      returned: success
      sample: [shop]
    engine:
      description: Engine slug.
      type: str
      returned: success
      sample: pg
    version:
      description: Major version of the engine.
      type: str
      returned: success
      sample: "16"
    size:
      description: Node size slug.
      type: str
      returned: success
      sample: db-s-1vcpu-2gb
    num_nodes:
      description: Number of nodes.
      type: int
      returned: success
      sample: 2
    private_network_uuid:
      description: VPC the cluster is attached to.
      type: str
      returned: success
      sample: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    connection:
      description: Public connection information (host, port, user, password, database, uri, ssl). Sensitive.
      type: dict
      returned: success
      sample: {"host": "shop-pg-do-user-1.db.ondigitalocean.com", "port": 25060, "user": "doadmin", "password": "..."}
    private_connection:
      description: Connection information inside the VPC. Sensitive.
      type: dict
      returned: success
      sample: {"host": "private-shop-pg-do-user-1.db.ondigitalocean.com", "port": 25060}
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
connection:
  description:
    - Public connection information (host, port, user, password, database, uri, ssl). Sensitive.
    - The same as RV(database.connection).
  returned: when the cluster exists
  type: dict
  sample: {"host": "shop-pg-do-user-1.db.ondigitalocean.com", "port": 25060, "user": "doadmin", "password": "..."}
private_connection:
  description:
    - Connection information inside the VPC. Sensitive.
    - The same as RV(database.private_connection).
  returned: when the cluster exists
  type: dict
  sample: {"host": "private-shop-pg-do-user-1.db.ondigitalocean.com", "port": 25060}
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    curated,
    state_argument_spec,
)
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
)

CREATE_KEYS = ("name", "engine", "version", "size", "num_nodes", "region", "private_network_uuid", "tags")


class Cluster(DigitalOceanModule):
    resource_name = "database"
    api_path = "databases"
    noun = "database cluster"
    ready_status = "online"
    #: compared only when set: leaving one out keeps the live value
    updatable = ("size", "num_nodes")
    wait_unchanged = True

    def validate(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["num_nodes"] is not None and not 1 <= p["num_nodes"] <= 3:
            self.fail("num_nodes must be 1, 2 or 3, got %s" % p["num_nodes"])
        for key in ("size", "region", "version"):
            if p[key] is not None and not str(p[key]).strip():
                self.fail("%s must not be empty" % key)

    def lookup(self):
        return self.named(self.client.get("databases").get("databases") or [])

    def desired(self):
        p = self.params
        return dict((k, p[k]) for k in CREATE_KEYS if p[k] is not None)

    def view(self, resource):
        keys = ("name", "engine", "version", "size", "num_nodes", "region", "private_network_uuid", "status")
        return dict((k, resource.get(k)) for k in keys if k in resource)

    def check_create(self, desired):
        missing = [k for k in ("size", "region") if not desired.get(k)]
        if missing:
            self.fail("%s required to create database cluster %s" % (" and ".join(missing), desired["name"]))

    def creation(self, desired):
        return dict(desired, num_nodes=desired.get("num_nodes", 1))

    def planned(self, desired):
        return dict(desired, status="creating")

    def differences(self, current, desired):
        p = self.params
        for key in ("engine", "region", "private_network_uuid"):
            if p[key] and key in current and p[key] != current.get(key):
                self.fail("database cluster %s has %s=%s; it cannot be changed to %s"
                          % (p["name"], key, current.get(key), p[key]))
        if p["version"] and str(p["version"]) != str(current.get("version")):
            self.module.warn("database cluster %s runs version %s, not %s: upgrades are not done by this module"
                             % (p["name"], current.get("version"), p["version"]))
        return super(Cluster, self).differences(current, desired)

    def update(self, current, desired, changes):
        # a resize carries both values: the one left out keeps the live value
        body = dict((key, desired.get(key, current.get(key))) for key in self.updatable)
        self.client.put("%s/resize" % self.item_path(current), body)
        return self.fetch(current)

    def curate(self, resource):
        return curated(
            resource,
            id=resource.get("id"),
            name=resource.get("name"),
            region=resource.get("region"),
            status=resource.get("status"),
            tags=list(resource.get("tags") or []),
            engine=resource.get("engine"),
            version=resource.get("version"),
            size=resource.get("size"),
            num_nodes=resource.get("num_nodes"),
            private_network_uuid=resource.get("private_network_uuid"),
            connection=resource.get("connection") or {},
            private_connection=resource.get("private_connection") or {},
        )

    def set_resource(self, resource):
        super(Cluster, self).set_resource(resource)
        if resource:
            self.result["connection"] = resource.get("connection") or {}
            self.result["private_connection"] = resource.get("private_connection") or {}


def main():
    Cluster.run_module(dict(
        state_argument_spec(),
        name=dict(type="str", required=True),
        engine=dict(type="str", default="pg", choices=["pg", "mysql", "valkey", "mongodb", "kafka", "opensearch"]),
        version=dict(type="str"),
        size=dict(type="str"),
        num_nodes=dict(type="int"),
        region=dict(type="str"),
        private_network_uuid=dict(type="str"),
        tags=dict(type="list", elements="str"),
    ))


if __name__ == "__main__":
    main()
