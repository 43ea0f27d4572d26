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
  - baobab.webstack.ovh.cloud
  - baobab.webstack.ovh.wait
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows plan, flavor, version and IP restrictions before and after.
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
  description: The service as the API describes it, including C(endpoints) (empty when absent).
  returned: always
  type: dict
  sample:
    id: 2f1e0c9a-0000-4000-8000-00000000000a
    description: ksm-db
    engine: postgresql
    plan: essential
    version: "16"
    status: READY
    endpoints: [{"component": "postgresql", "domain": "postgresql-2f1e.database.cloud.ovh.net", "port": 20184,
                 "ssl": true, "sslMode": "require"}]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    quote_segment,
    wait_argument_spec,
)


class Database(OvhModule):
    resource_name = "database"

    def path(self, *rest):
        return "/".join(["%s/database/postgresql" % self.project] + [quote_segment(r) for r in rest])

    def find(self):
        found = []
        for cid in self.client.get(self.path()) or []:
            svc = self.client.get(self.path(cid), absent_ok=True)
            if svc and svc.get("description") == self.params["name"]:
                found.append(svc)
        return self.one_match(found, "PostgreSQL services named %r" % self.params["name"])

    @staticmethod
    def view(svc):
        if not svc:
            return {}
        return {"name": svc.get("description"), "plan": svc.get("plan"), "flavor": svc.get("flavor"),
                "version": str(svc.get("version")),
                "ip_restrictions": sorted(r.get("ip") for r in svc.get("ipRestrictions") or [])}

    def wait_ready(self, cid):
        return self.wait_until("GET %s" % self.path(cid), lambda: self.client.get(self.path(cid)),
                               lambda s: s.get("status") == "READY",
                               lambda s: s.get("status") in ("ERROR", "ERROR_INCONSISTENT_SPEC"))

    def check_input(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["nodes"] is not None and p["nodes"] < 1:
            self.fail("nodes must be at least 1, got %s" % p["nodes"])
        for key in ("plan", "version", "flavor", "region", "network_id", "subnet_id"):
            if p[key] is not None and not str(p[key]).strip():
                self.fail("%s must not be empty" % key)

    def still_there(self, cid):
        svc = self.client.get(self.path(cid), absent_ok=True)
        return svc if svc and svc.get("status") != "DELETING" else None

    def run(self):
        p = self.params
        self.check_input()
        current = self.find()
        if p["state"] == "absent":
            self.set_diff(self.view(current), {})
            if current and self.will_write():
                self.delete_or_confirm(lambda: self.client.delete(self.path(current["id"])),
                                       lambda: self.still_there(current["id"]), "PostgreSQL service %s" % p["name"])
                if p["wait"]:
                    self.wait_until("GET %s" % self.path(current["id"]),
                                    lambda: self.client.get(self.path(current["id"]), absent_ok=True),
                                    lambda s: s is None)
            self.set_resource({})
            return
        if current is None:
            self.create()
        else:
            self.update(current)

    def create(self):
        p = self.params
        missing = [k for k in ("plan", "version", "flavor", "region") if not p[k]]
        if missing:
            self.fail("%s required to create PostgreSQL service %s" % (", ".join(missing), p["name"]))
        body = {"description": p["name"], "plan": p["plan"], "version": p["version"],
                "nodesPattern": {"flavor": p["flavor"], "number": p["nodes"], "region": p["region"]}}
        if p["network_id"]:
            body["networkId"] = p["network_id"]
        if p["subnet_id"]:
            body["subnetId"] = p["subnet_id"]
        if p["ip_restrictions"] is not None:
            body["ipRestrictions"] = [{"ip": r["ip"], "description": r["description"]} for r in p["ip_restrictions"]]
        wanted = {"name": p["name"], "plan": p["plan"], "flavor": p["flavor"], "version": p["version"],
                  "ip_restrictions": sorted(r["ip"] for r in p["ip_restrictions"] or [])}
        self.set_diff({}, wanted)
        if not self.will_write():
            self.set_resource(dict(body, status="CREATING"))
            return
        created = self.create_or_adopt(lambda: self.client.post(self.path(), body), self.find,
                                       "PostgreSQL service %s" % p["name"])
        result = self.wait_ready(created["id"]) if p["wait"] else created
        self.set_resource(result)

    def update(self, current):
        p = self.params
        before = self.view(current)
        after = dict(before)
        changes = {}
        for key in ("plan", "flavor", "version"):
            if p[key] is not None and str(p[key]) != before[key]:
                changes[key] = p[key]
                after[key] = str(p[key])
        add, remove = [], []
        if p["ip_restrictions"] is not None:
            wanted = dict((r["ip"], r["description"]) for r in p["ip_restrictions"])
            have = set(before["ip_restrictions"])
            add = [ip for ip in sorted(wanted) if ip not in have]
            remove = [ip for ip in sorted(have) if ip not in wanted]
            after["ip_restrictions"] = sorted(wanted)
        self.set_diff(before, after)
        if not changes and not add and not remove:
            self.set_resource(current)
            return
        if not self.will_write():
            self.set_resource(dict(current, **changes))
            return
        if changes:
            self.client.put(self.path(current["id"]), changes)
            if p["wait"]:
                self.wait_ready(current["id"])
        for ip in add:
            self.client.post(self.path(current["id"], "ipRestriction"), {"ip": ip, "description": wanted[ip]})
        for ip in remove:
            self.client.delete(self.path(current["id"], "ipRestriction", ip))
        result = self.wait_ready(current["id"]) if p["wait"] else self.client.get(self.path(current["id"]))
        self.set_resource(result)


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
