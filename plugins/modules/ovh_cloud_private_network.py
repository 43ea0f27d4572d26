#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_private_network
short_description: Manage OVHcloud Public Cloud private networks and their subnets
version_added: 0.1.0
description:
  - Create or delete a private network (vRack) of a Public Cloud project, and create its subnets.
  - The network is identified by O(name); two networks with that name make the module fail.
  - Subnets are identified by their CIDR and region. Subnets that exist but are not listed are left alone.
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
    description: Shows name, regions and subnets before and after.
options:
  name:
    description: Name of the network, unique in the project.
    type: str
    required: true
  regions:
    description: Regions the network spans. Required to create it.
    type: list
    elements: str
  vlan_id:
    description: VLAN ID in the vRack (0 to 4000). The API picks one when left out.
    type: int
  subnets:
    description: Subnets the network must have.
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: Region of the subnet.
        type: str
        required: true
      cidr:
        description: Network address of the subnet, for example V(10.0.0.0/16).
        type: str
        required: true
      start:
        description: First address handed out.
        type: str
        required: true
      end:
        description: Last address handed out.
        type: str
        required: true
      dhcp:
        description: Hand out addresses with DHCP.
        type: bool
        default: true
      no_gateway:
        description: Create the subnet without a gateway.
        type: bool
        default: true
  state:
    description: Whether the network should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Private network for the application tier
  baobab.webstack.ovh_cloud_private_network:
    service_name: "{{ ovh_project }}"
    name: ksm-private
    regions: [GRA11]
    vlan_id: 42
    subnets:
      - region: GRA11
        cidr: 10.42.0.0/16
        start: 10.42.0.10
        end: 10.42.255.250
  register: net

- name: The OpenStack ID to hand to the managed database
  ansible.builtin.debug:
    msg: "{{ net.network.openstack_ids.GRA11 }}"
"""

RETURN = r"""
network:
  description:
    - The network as the API describes it, plus C(subnets) (list) and C(openstack_ids) (region to OpenStack ID).
    - Empty when absent.
  returned: always
  type: dict
  sample:
    id: pn-1234_42
    name: ksm-private
    vlanId: 42
    status: ACTIVE
    regions: [{"region": "GRA11", "status": "ACTIVE", "openstackId": "6f0c..."}]
    openstack_ids: {"GRA11": "6f0c..."}
    subnets: [{"id": "b1c2...", "cidr": "10.42.0.0/16", "dhcpEnabled": true}]
"""

import ipaddress  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    find_private_network,
    quote_segment,
    wait_argument_spec,
)


def subnet_key(subnet):
    regions = sorted(set(pool.get("region") for pool in subnet.get("ipPools") or []))
    return [(subnet.get("cidr"), region) for region in regions] or [(subnet.get("cidr"), None)]


class PrivateNetwork(OvhModule):
    resource_name = "network"

    def path(self, net_id=None, *rest):
        parts = ["%s/network/private" % self.project]
        if net_id is not None:
            parts.append(quote_segment(net_id))
        parts.extend(rest)
        return "/".join(parts)

    def view(self, net, subnets):
        if not net:
            return {}
        return {
            "name": net.get("name"),
            "regions": sorted(r.get("region") for r in net.get("regions") or []),
            "vlan_id": net.get("vlanId"),
            "subnets": sorted("%s@%s" % key for s in subnets for key in subnet_key(s)),
        }

    def subnets(self, net_id):
        return self.client.get(self.path(net_id, "subnet")) or []

    def describe(self, net_id):
        net = self.client.get(self.path(net_id))
        net["openstack_ids"] = dict((r.get("region"), r.get("openstackId")) for r in net.get("regions") or [])
        net["subnets"] = self.subnets(net_id)
        return net

    def wait_active(self, net_id):
        self.wait_until("GET %s" % self.path(net_id), lambda: self.client.get(self.path(net_id)),
                        lambda n: n.get("status") == "ACTIVE"
                        and all(r.get("status") == "ACTIVE" for r in n.get("regions") or []),
                        lambda n: n.get("status") == "ERROR")

    def check_input(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["vlan_id"] is not None and not 0 <= p["vlan_id"] <= 4000:
            self.fail("vlan_id must be between 0 and 4000, got %s" % p["vlan_id"])
        if any(not r.strip() for r in p["regions"] or []):
            self.fail("regions must not hold an empty region")
        for index, subnet in enumerate(p["subnets"]):
            try:
                network = ipaddress.ip_network(subnet["cidr"], strict=False)
            except ValueError:
                self.fail("subnets[%d].cidr %r is not a network in CIDR notation" % (index, subnet["cidr"]))
            for key in ("start", "end"):
                try:
                    address = ipaddress.ip_address(subnet[key])
                except ValueError:
                    self.fail("subnets[%d].%s %r is not an IP address" % (index, key, subnet[key]))
                if address not in network:
                    self.fail("subnets[%d].%s %s is outside subnets[%d].cidr %s"
                              % (index, key, subnet[key], index, subnet["cidr"]))
            if ipaddress.ip_address(subnet["start"]) > ipaddress.ip_address(subnet["end"]):
                self.fail("subnets[%d].start %s comes after subnets[%d].end %s"
                          % (index, subnet["start"], index, subnet["end"]))

    def find(self):
        return find_private_network(self.client, self.params["service_name"], self.params["name"])

    def run(self):
        p = self.params
        self.check_input()
        current = self.find()
        subnets = self.subnets(current["id"]) if current else []
        before = self.view(current, subnets)
        if p["state"] == "absent":
            self.set_diff(before, {})
            if current and self.will_write():
                for subnet in subnets:
                    self.delete_or_confirm(
                        lambda subnet=subnet: self.client.delete(self.path(current["id"], "subnet",
                                                                           quote_segment(subnet["id"]))),
                        lambda subnet=subnet: next((x for x in self.subnets(current["id"])
                                                    if x.get("id") == subnet["id"]), None),
                        "subnet %s" % subnet["id"])
                self.delete_or_confirm(lambda: self.client.delete(self.path(current["id"])),
                                       lambda: self.client.get(self.path(current["id"]), absent_ok=True),
                                       "private network %s" % p["name"])
                if p["wait"]:
                    self.wait_until("GET %s" % self.path(current["id"]),
                                    lambda: self.client.get(self.path(current["id"]), absent_ok=True),
                                    lambda n: n is None)
            self.set_resource({})
            return

        if current is None and not p["regions"]:
            self.fail("regions is required to create private network %s" % p["name"])
        if current is not None:
            missing_regions = sorted(set(p["regions"] or []) - set(before["regions"]))
            if missing_regions:
                self.module.warn("private network %s does not span %s; regions only apply at creation"
                                 % (p["name"], ", ".join(missing_regions)))
            if p["vlan_id"] is not None and p["vlan_id"] != current.get("vlanId"):
                self.fail("private network %s has VLAN %s, not %s; the VLAN cannot change"
                          % (p["name"], current.get("vlanId"), p["vlan_id"]))
        existing = set(key for s in subnets for key in subnet_key(s))
        todo = [s for s in p["subnets"] if (s["cidr"], s["region"]) not in existing]
        after = dict(before) if current else {"name": p["name"], "regions": sorted(p["regions"]),
                                              "vlan_id": p["vlan_id"], "subnets": []}
        after["subnets"] = sorted(after["subnets"] + ["%s@%s" % (s["cidr"], s["region"]) for s in todo])
        self.set_diff(before, after)
        if current is not None and not todo:
            self.set_resource(self.describe(current["id"]))
            return
        if not self.will_write():
            self.set_resource(dict(current or {"name": p["name"]}, subnets=subnets))
            return
        if current is None:
            body = {"name": p["name"], "regions": p["regions"]}
            if p["vlan_id"] is not None:
                body["vlanId"] = p["vlan_id"]
            current = self.create_or_adopt(lambda: self.client.post(self.path(), body), self.find,
                                           "private network %s" % p["name"])
            # subnets can only be added to an active network
            self.wait_active(current["id"])
        net_id = current["id"]
        for s in todo:
            body = {"network": s["cidr"], "region": s["region"], "start": s["start"], "end": s["end"],
                    "dhcp": s["dhcp"], "noGateway": s["no_gateway"]}
            self.create_or_adopt(
                lambda body=body: self.client.post(self.path(net_id, "subnet"), body),
                lambda s=s: next((x for x in self.subnets(net_id) if (s["cidr"], s["region"]) in subnet_key(x)),
                                 None),
                "subnet %s in %s" % (s["cidr"], s["region"]))
        self.set_resource(self.describe(current["id"]))


def main():
    spec = cloud_argument_spec()
    spec.update(wait_argument_spec())
    spec.update(
        name=dict(type="str", required=True),
        regions=dict(type="list", elements="str"),
        vlan_id=dict(type="int"),
        subnets=dict(type="list", elements="dict", default=[], options=dict(
            region=dict(type="str", required=True),
            cidr=dict(type="str", required=True),
            start=dict(type="str", required=True),
            end=dict(type="str", required=True),
            dhcp=dict(type="bool", default=True),
            no_gateway=dict(type="bool", default=True),
        )),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    PrivateNetwork(module).execute()


if __name__ == "__main__":
    main()
