#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_firewall
short_description: Manage a DigitalOcean cloud firewall
description:
  - Creates, replaces or deletes a cloud firewall identified by its name.
  - Rules are compared after normalisation (order, V(all) ports written V(0), empty targets dropped), so a
    re-run with the same rules in another order changes nothing.
  - The firewall always ends up with exactly the given O(inbound_rules), O(outbound_rules), O(droplet_ids) and
    O(tags).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the firewall must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the firewall (unique in the account for this module).
    type: str
    required: true
  inbound_rules:
    description: Allowed incoming traffic.
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: Protocol.
        type: str
        choices: [tcp, udp, icmp]
        required: true
      ports:
        description: A port, a range (V(8000-9000)) or V(all). Ignored for icmp.
        type: str
      sources:
        description: Where the traffic may come from.
        type: dict
        required: true
        suboptions: &targets
          addresses:
            description: IPv4/IPv6 addresses or CIDR blocks (V(0.0.0.0/0), V(::/0)).
            type: list
            elements: str
          droplet_ids:
            description: Droplet ids.
            type: list
            elements: int
          load_balancer_uids:
            description: Load balancer ids.
            type: list
            elements: str
          tags:
            description: Droplet tags.
            type: list
            elements: str
          kubernetes_ids:
            description: Kubernetes cluster ids.
            type: list
            elements: str
  outbound_rules:
    description: Allowed outgoing traffic.
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: Protocol.
        type: str
        choices: [tcp, udp, icmp]
        required: true
      ports:
        description: A port, a range or V(all). Ignored for icmp.
        type: str
      destinations:
        description: Where the traffic may go.
        type: dict
        required: true
        suboptions: *targets
  droplet_ids:
    description: Droplets the firewall applies to.
    type: list
    elements: int
    default: []
  tags:
    description: Droplet tags the firewall applies to.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Web tier firewall
  baobab.webstack.do_firewall:
    name: shop-web
    tags: [app]
    inbound_rules:
      - protocol: tcp
        ports: "22"
        sources: {addresses: ["0.0.0.0/0", "::/0"]}
      - protocol: tcp
        ports: "80"
        sources: {load_balancer_uids: ["{{ lb.load_balancer.id }}"]}
    outbound_rules:
      - protocol: tcp
        ports: all
        destinations: {addresses: ["0.0.0.0/0", "::/0"]}
"""

RETURN = r"""
firewall:
  description:
    - The firewall, with the collection's names for what playbooks need (empty after deletion).
  returned: always
  type: dict
  contains:
    id:
      description: Firewall id (UUID).
      type: str
      returned: success
      sample: bb4b2611-3d72-467b-8602-280330ecd65c
    name:
      description: Name.
      type: str
      returned: success
      sample: shop-web
    status:
      description: C(waiting), C(succeeded) or C(failed); V(null) in check mode.
      type: str
      returned: success
      sample: succeeded
    tags:
      description: Droplet tags the firewall applies to.
      type: list
      elements: str
      returned: success
      sample: [app]
    droplet_ids:
      description: Droplets the firewall applies to.
      type: list
      elements: int
      returned: success
      sample: [3164444]
    inbound_rules:
      description: Inbound rules, normalised (sorted, C(ports) as text, V(0) for all ports).
      type: list
      elements: dict
      returned: success
      sample: [{"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}}]
    outbound_rules:
      description: Outbound rules, normalised the same way.
      type: list
      elements: dict
      returned: success
      sample: [{"protocol": "tcp", "ports": "0", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}]
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    curated,
    normalise,
    state_argument_spec,
)
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
)

TARGET_KEYS = ("addresses", "droplet_ids", "load_balancer_uids", "tags", "kubernetes_ids")


def normalise_rules(rules, side):
    """Rules in the form the API returns them, sorted, so that two equivalent lists compare equal."""
    out = []
    for rule in rules or []:
        protocol = (rule.get("protocol") or "").lower()
        ports = str(rule.get("ports") or "0")
        if protocol == "icmp" or ports.lower() == "all":
            ports = "0"
        target = {}
        for key in TARGET_KEYS:
            values = (rule.get(side) or {}).get(key)
            if values:
                cast = int if key == "droplet_ids" else str
                target[key] = sorted(set(cast(v) for v in values))
        out.append({"protocol": protocol, "ports": ports, side: target})
    return normalise(out)


def comparable(fw):
    return {
        "inbound_rules": normalise_rules(fw.get("inbound_rules"), "sources"),
        "outbound_rules": normalise_rules(fw.get("outbound_rules"), "destinations"),
        "droplet_ids": sorted(fw.get("droplet_ids") or []),
        "tags": sorted(fw.get("tags") or []),
    }


class Firewall(DigitalOceanModule):
    resource_name = "firewall"
    api_path = "firewalls"
    noun = "firewall"

    def validate(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["state"] == "present" and not p["inbound_rules"] and not p["outbound_rules"]:
            self.fail("a firewall needs at least one rule in inbound_rules or outbound_rules")

    def lookup(self):
        return self.named(self.client.paginate("firewalls", "firewalls"))

    def desired(self):
        p = self.params
        return {
            "name": p["name"],
            "inbound_rules": normalise_rules(p["inbound_rules"], "sources"),
            "outbound_rules": normalise_rules(p["outbound_rules"], "destinations"),
            "droplet_ids": sorted(p["droplet_ids"]),
            "tags": sorted(p["tags"]),
        }

    def view(self, resource):
        return dict(comparable(resource), name=resource.get("name"))

    def differences(self, current, desired):
        have, want = comparable(current), comparable(desired)
        return sorted(key for key in want if have[key] != want[key])

    def update(self, current, desired, changes):
        return self.unwrap(self.client.put(self.item_path(current), desired))

    def curate(self, resource):
        return curated(
            resource,
            id=resource.get("id"),
            name=resource.get("name"),
            status=resource.get("status"),
            tags=list(resource.get("tags") or []),
            droplet_ids=list(resource.get("droplet_ids") or []),
            inbound_rules=normalise_rules(resource.get("inbound_rules"), "sources"),
            outbound_rules=normalise_rules(resource.get("outbound_rules"), "destinations"),
        )


def main():
    targets = dict(
        addresses=dict(type="list", elements="str"),
        droplet_ids=dict(type="list", elements="int"),
        load_balancer_uids=dict(type="list", elements="str"),
        tags=dict(type="list", elements="str"),
        kubernetes_ids=dict(type="list", elements="str"),
    )
    rule = dict(
        protocol=dict(type="str", required=True, choices=["tcp", "udp", "icmp"]),
        ports=dict(type="str"),
    )
    Firewall.run_module(dict(
        state_argument_spec(),
        name=dict(type="str", required=True),
        inbound_rules=dict(type="list", elements="dict", default=[],
                           options=dict(rule, sources=dict(type="dict", required=True, options=targets))),
        outbound_rules=dict(type="list", elements="dict", default=[],
                            options=dict(rule, destinations=dict(type="dict", required=True, options=targets))),
        droplet_ids=dict(type="list", elements="int", default=[]),
        tags=dict(type="list", elements="str", default=[]),
    ))


if __name__ == "__main__":
    main()
