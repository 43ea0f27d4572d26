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
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
  - baobab.webstack.ovh.wait
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows name, regions and subnets before and after.
seealso:
  - module: baobab.webstack.ovh_cloud_instance
    description: Instances attached to the network.
  - module: baobab.webstack.ovh_cloud_load_balancer
    description: A load balancer on the network.
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
    - The private network in the collection's shared vocabulary. Empty when absent.
    - In check mode, a network that would be created has no RV(network.id) yet.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the network in the project.
      type: str
      sample: pn-1234_42
    name:
      description: Name of the network.
      type: str
      sample: ksm-private
    status:
      description: Status as the API reports it.
      type: str
      sample: ACTIVE
    regions:
      description: Regions the network spans.
      type: list
      elements: str
      sample: [GRA11]
    vlan_id:
      description: VLAN of the network.
      type: int
      sample: 42
    openstack_ids:
      description:
        - OpenStack ID of the network in each region, the O(baobab.webstack.ovh_cloud_load_balancer#module:network_id)
          of a load balancer and the O(baobab.webstack.ovh_cloud_database#module:network_id) of a database.
      type: dict
      sample: {"GRA11": "6f0c0000-0000-4000-8000-000000000001"}
    subnets:
      description: Subnets of the network, each with C(id), C(cidr), C(dhcp), C(gateway_ip) and C(regions).
      type: list
      elements: dict
      sample: [{"id": "b1c2...", "cidr": "10.42.0.0/16", "dhcp": true, "gateway_ip": null, "regions": ["GRA11"]}]
    raw:
      description:
        - The network as the OVHcloud API returns it, with its C(subnets). Provider-specific, not meant for
          playbooks.
      type: dict
      sample: {"id": "pn-1234_42", "vlanId": 42, "regions": [{"region": "GRA11", "openstackId": "6f0c..."}]}
"""

import ipaddress  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    Desired,
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

    def resource_path(self, resource_id):
        return self.path(resource_id)

    def label(self):
        return "private network %s" % self.params["name"]

    def show(self, resource):
        net = resource
        return {
            "name": net.get("name"),
            "regions": sorted(r.get("region") for r in net.get("regions") or []),
            "vlan_id": net.get("vlanId"),
            "subnets": sorted("%s@%s" % key for s in net.get("subnets") or [] for key in subnet_key(s)),
        }

    def curate(self, resource):
        net = resource
        regions = [r for r in net.get("regions") or [] if isinstance(r, dict)]
        return {
            "id": net.get("id"),
            "name": net.get("name"),
            "status": net.get("status"),
            "regions": sorted(r.get("region") for r in regions) or sorted(self.params["regions"] or []),
            "vlan_id": net.get("vlanId"),
            "openstack_ids": dict((r.get("region"), r.get("openstackId")) for r in regions),
            "subnets": [{"id": s.get("id"), "cidr": s.get("cidr"), "dhcp": s.get("dhcpEnabled"),
                         "gateway_ip": s.get("gatewayIp"),
                         "regions": sorted(set(pool.get("region") for pool in s.get("ipPools") or []))}
                        for s in net.get("subnets") or []],
            "raw": net,
        }

    def subnets(self, net_id):
        return self.client.get(self.path(net_id, "subnet")) or []

    def describe(self, net_id):
        return dict(self.client.get(self.path(net_id)), subnets=self.subnets(net_id))

    def validate(self):
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

    def lookup(self):
        net = find_private_network(self.client, self.params["service_name"], self.params["name"])
        return dict(net, subnets=self.subnets(net["id"])) if net else None

    def missing_subnets(self, net):
        existing = set(key for s in net.get("subnets") or [] for key in subnet_key(s))
        return [s for s in self.params["subnets"] if (s["cidr"], s["region"]) not in existing]

    def desired(self):
        p = self.params
        return Desired(name=p["name"], regions=sorted(p["regions"] or []), vlan_id=p["vlan_id"],
                       subnets=sorted("%s@%s" % (s["cidr"], s["region"]) for s in p["subnets"]))

    def check_create(self, desired):
        if not self.params["regions"]:
            self.fail("regions is required to create private network %s" % self.params["name"])

    def create(self, desired):
        body = {"name": self.params["name"], "regions": self.params["regions"]}
        if self.params["vlan_id"] is not None:
            body["vlanId"] = self.params["vlan_id"]
        return self.client.post(self.path(), body)

    def planned(self, desired):
        return {"name": self.params["name"], "vlanId": self.params["vlan_id"]}

    def differences(self, current, desired):
        p = self.params
        shown = self.show(current)
        missing_regions = sorted(set(p["regions"] or []) - set(shown["regions"]))
        if missing_regions:
            self.module.warn("private network %s does not span %s; regions only apply at creation"
                             % (p["name"], ", ".join(missing_regions)))
        if p["vlan_id"] is not None and p["vlan_id"] != current.get("vlanId"):
            self.fail("private network %s has VLAN %s, not %s; the VLAN cannot change"
                      % (p["name"], current.get("vlanId"), p["vlan_id"]))
        todo = self.missing_subnets(current)
        # subnets are only ever added: the diff shows the existing ones too
        desired["subnets"] = sorted(shown["subnets"] + ["%s@%s" % (s["cidr"], s["region"]) for s in todo])
        return ["subnets"] if todo else []

    def planned_update(self, current, desired, changes):
        return current

    def update(self, current, desired, changes):
        return current

    def wait(self, resource):
        """Subnets can only be added to an active network: wait, then add the missing ones."""
        net_id = resource["id"]
        self.wait_until("GET %s" % self.path(net_id), lambda: self.client.get(self.path(net_id)),
                        lambda n: n.get("status") == "ACTIVE"
                        and all(r.get("status") == "ACTIVE" for r in n.get("regions") or []),
                        lambda n: n.get("status") == "ERROR")
        for s in self.missing_subnets({"subnets": self.subnets(net_id)}):
            body = {"network": s["cidr"], "region": s["region"], "start": s["start"], "end": s["end"],
                    "dhcp": s["dhcp"], "noGateway": s["no_gateway"]}
            self.create_or_adopt(
                lambda body=body: self.client.post(self.path(net_id, "subnet"), body),
                lambda s=s: next((x for x in self.subnets(net_id) if (s["cidr"], s["region"]) in subnet_key(x)),
                                 None),
                "subnet %s in %s" % (s["cidr"], s["region"]))
        return self.describe(net_id)

    def delete(self, current):
        net_id = current["id"]
        for subnet in current.get("subnets") or []:
            self.delete_or_confirm(
                lambda subnet=subnet: self.client.delete(self.path(net_id, "subnet", quote_segment(subnet["id"]))),
                lambda subnet=subnet: next((x for x in self.subnets(net_id) if x.get("id") == subnet["id"]), None),
                "subnet %s" % subnet["id"])
        self.client.delete(self.path(net_id))


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
