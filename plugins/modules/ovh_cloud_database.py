#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_database
short_description: Manage OVHcloud managed PostgreSQL services
version_added: 0.1.0
description:
  - Create, update or delete a managed PostgreSQL service (Public Cloud Databases) and its IP restrictions.
  - The service is identified by O(name), stored as its description; two services with that description make
    the module fail.
  - A different O(plan), O(flavor) or O(version) updates the service; the module then waits until it is
    C(READY) again. O(region), O(nodes), O(network_id) and O(subnet_id) only apply at creation.
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
  - baobab.webstack.ovh.wait
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows plan, flavor, version and IP restrictions before and after.
seealso:
  - module: baobab.webstack.ovh_cloud_database_db
    description: Databases inside the service.
  - module: baobab.webstack.ovh_cloud_database_user
    description: Users of the service.
options:
  name:
    description: Name (description) of the service, unique among the project's PostgreSQL services.
    type: str
    required: true
  plan:
    description: Service plan, for example V(essential), V(business) or V(enterprise). Required to create.
    type: str
  version:
    description: PostgreSQL major version, for example V(16). Required to create.
    type: str
  flavor:
    description: Node flavor, for example V(db1-4). Required to create.
    type: str
  nodes:
    description: Number of nodes (V(1) for essential, V(2) or more for business and enterprise).
    type: int
    default: 1
  region:
    description: Region of the nodes, for example V(GRA). Required to create.
    type: str
  network_id:
    description: OpenStack ID of the private network to attach to (see M(baobab.webstack.ovh_cloud_private_network)).
    type: str
  subnet_id:
    description: OpenStack ID of the subnet to attach to; required with O(network_id).
    type: str
  ip_restrictions:
    description:
      - Exact list of address blocks allowed to connect. Left out, the restrictions are not managed.
    type: list
    elements: dict
    suboptions:
      ip:
        description: Address block, for example V(51.0.0.10/32).
        type: str
        required: true
      description:
        description: Free text.
        type: str
        default: ""
  state:
    description: Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Managed PostgreSQL for the monolith
  baobab.webstack.ovh_cloud_database:
    service_name: "{{ ovh_project }}"
    name: ksm-db
    plan: essential
    version: "16"
    flavor: db1-4
    region: GRA
    ip_restrictions:
      - ip: "{{ app.instance.addresses.public_ipv4 }}/32"
        description: app server
  register: db
"""

RETURN = r"""
database:
  description:
    - The PostgreSQL service in the collection's shared vocabulary. Empty when absent.
    - In check mode, what would be created (no RV(database.id) yet).
  returned: always
  type: dict
  contains:
    id:
      description: ID of the service (the O(baobab.webstack.ovh_cloud_database_db#module:cluster_id) of its
        databases and users).
      type: str
      sample: 2f1e0c9a-0000-4000-8000-00000000000a
    name:
      description: Name of the service (its description in the API).
      type: str
      sample: ksm-db
    region:
      description: Region of the nodes.
      type: str
      sample: GRA
    status:
      description: Status as the API reports it (V(CREATING), V(READY)...).
      type: str
      sample: READY
    engine:
      description: Database engine.
      type: str
      sample: postgresql
    plan:
      description: Service plan.
      type: str
      sample: essential
    flavor:
      description: Node flavor.
      type: str
      sample: db1-4
    version:
      description: PostgreSQL major version.
      type: str
      sample: "16"
    host:
      description: Host name of the PostgreSQL endpoint, V(null) until the service has one.
      type: str
      sample: postgresql-2f1e.database.cloud.ovh.net
    port:
      description: Port of the PostgreSQL endpoint.
      type: int
      sample: 20184
    endpoints:
      description: Every endpoint of the service as the API describes it (C(component), C(domain), C(port), C(ssl)...).
      type: list
      elements: dict
      sample: [{"component": "postgresql", "domain": "postgresql-2f1e.database.cloud.ovh.net", "port": 20184}]
    ip_restrictions:
      description: Networks allowed to connect, in CIDR notation.
      type: list
      elements: str
      sample: ["198.51.100.7/32"]
    raw:
      description: The service as the OVHcloud API returns it. Provider-specific, not meant for playbooks.
      type: dict
      sample: {"id": "2f1e0c9a-0000-4000-8000-00000000000a", "description": "ksm-db", "nodeNumber": 1}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    Desired,
    OvhModule,
    cloud_argument_spec,
    first,
    quote_segment,
    wait_argument_spec,
)


class Database(OvhModule):
    resource_name = "database"
    gone_statuses = ("DELETING",)
    #: resizing or re-planning options, compared only when set
    updatable = ("plan", "flavor", "version", "ip_restrictions")

    def path(self, *rest):
        return "/".join(["%s/database/postgresql" % self.project] + [quote_segment(r) for r in rest])

    def resource_path(self, resource_id):
        return self.path(resource_id)

    def label(self):
        return "PostgreSQL service %s" % self.params["name"]

    def show(self, resource):
        svc = resource
        return {"name": svc.get("description"), "plan": svc.get("plan"), "flavor": svc.get("flavor"),
                "version": str(svc.get("version")),
                "ip_restrictions": sorted(r.get("ip") for r in svc.get("ipRestrictions") or [])}

    def curate(self, resource):
        svc = resource
        endpoint = first(e for e in svc.get("endpoints") or [] if e.get("component") == "postgresql") or {}
        return {
            "id": svc.get("id"),
            "name": svc.get("description"),
            "region": svc.get("region") or (svc.get("nodesPattern") or {}).get("region"),
            "status": svc.get("status"),
            "engine": svc.get("engine", "postgresql"),
            "plan": svc.get("plan"),
            "flavor": svc.get("flavor") or (svc.get("nodesPattern") or {}).get("flavor"),
            "version": None if svc.get("version") is None else str(svc.get("version")),
            "host": endpoint.get("domain"),
            "port": endpoint.get("port"),
            "endpoints": svc.get("endpoints") or [],
            "ip_restrictions": self.show(svc)["ip_restrictions"],
            "raw": svc,
        }

    def validate(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["nodes"] is not None and p["nodes"] < 1:
            self.fail("nodes must be at least 1, got %s" % p["nodes"])
        for key in ("plan", "version", "flavor", "region", "network_id", "subnet_id"):
            if p[key] is not None and not str(p[key]).strip():
                self.fail("%s must not be empty" % key)

    def lookup(self):
        found = []
        for cid in self.client.get(self.path()) or []:
            svc = self.client.get(self.path(cid), absent_ok=True)
            if svc and svc.get("description") == self.params["name"]:
                found.append(svc)
        return self.one_match(found, "PostgreSQL services named %r" % self.params["name"])

    def desired(self):
        p = self.params
        ips = p["ip_restrictions"]
        return Desired(name=p["name"], plan=p["plan"], flavor=p["flavor"],
                       version=None if p["version"] is None else str(p["version"]),
                       ip_restrictions=None if ips is None else sorted(r["ip"] for r in ips))

    def check_create(self, desired):
        missing = [k for k in ("plan", "version", "flavor", "region") if not self.params[k]]
        if missing:
            self.fail("%s required to create PostgreSQL service %s" % (", ".join(missing), self.params["name"]))
        desired.setdefault("ip_restrictions", [])
        if desired["ip_restrictions"] is None:
            desired["ip_restrictions"] = []

    def body(self):
        p = self.params
        body = {"description": p["name"], "plan": p["plan"], "version": p["version"],
                "nodesPattern": {"flavor": p["flavor"], "number": p["nodes"], "region": p["region"]}}
        if p["network_id"]:
            body["networkId"] = p["network_id"]
        if p["subnet_id"]:
            body["subnetId"] = p["subnet_id"]
        if p["ip_restrictions"] is not None:
            body["ipRestrictions"] = [{"ip": r["ip"], "description": r["description"]} for r in p["ip_restrictions"]]
        return body

    def create(self, desired):
        return self.client.post(self.path(), self.body())

    def planned(self, desired):
        return dict(self.body(), status="CREATING")

    def planned_update(self, current, desired, changes):
        return dict(current, **dict((key, desired[key]) for key in changes if key != "ip_restrictions"))

    def update(self, current, desired, changes):
        resize = dict((key, self.params[key]) for key in changes if key != "ip_restrictions")
        if resize:
            self.client.put(self.path(current["id"]), resize)
            if self.params["wait"]:
                self.ready(current)
        if "ip_restrictions" in changes:
            wanted = dict((r["ip"], r["description"]) for r in self.params["ip_restrictions"])
            have = self.show(current)["ip_restrictions"]
            for ip in sorted(wanted):
                if ip not in have:
                    self.client.post(self.path(current["id"], "ipRestriction"), {"ip": ip, "description": wanted[ip]})
            for ip in have:
                if ip not in wanted:
                    self.client.delete(self.path(current["id"], "ipRestriction", ip))
        return current

    def ready(self, svc):
        path = self.path(svc["id"])
        return self.wait_until("GET %s" % path, lambda: self.client.get(path),
                               lambda s: s.get("status") == "READY",
                               lambda s: s.get("status") in ("ERROR", "ERROR_INCONSISTENT_SPEC"))

    def wait(self, resource):
        if self.params["wait"]:
            return self.ready(resource)
        return self.client.get(self.path(resource["id"]))

    def delete(self, current):
        self.client.delete(self.path(current["id"]))


def main():
    spec = cloud_argument_spec()
    spec.update(wait_argument_spec())
    spec.update(
        name=dict(type="str", required=True),
        plan=dict(type="str"),
        version=dict(type="str"),
        flavor=dict(type="str"),
        nodes=dict(type="int", default=1),
        region=dict(type="str"),
        network_id=dict(type="str"),
        subnet_id=dict(type="str"),
        ip_restrictions=dict(type="list", elements="dict", options=dict(
            ip=dict(type="str", required=True),
            description=dict(type="str", default=""),
        )),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_together=[("network_id", "subnet_id")])
    Database(module).execute()


if __name__ == "__main__":
    main()
