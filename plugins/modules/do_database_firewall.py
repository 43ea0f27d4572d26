#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_database_firewall
short_description: Manage the trusted sources of a DigitalOcean managed database cluster
description:
  - Sets the exact list of trusted sources allowed to connect to a managed database cluster.
  - Rules are compared as a set of (type, value) pairs; their order does not matter.
  - An empty list removes every restriction (the cluster then accepts connections from anywhere, with credentials).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  cluster_id:
    description: Id (UUID) of the cluster.
    type: str
    required: true
  rules:
    description: Trusted sources.
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description: Kind of source.
        type: str
        required: true
        choices: [droplet, k8s, ip_addr, tag, app]
      value:
        description: Droplet id, Kubernetes cluster id, address or CIDR block, tag name or app id.
        type: str
        required: true
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Only the application VPC and the app droplets may connect
  baobab.webstack.do_database_firewall:
    cluster_id: "{{ pg.database.id }}"
    rules:
      - type: ip_addr
        value: 10.20.0.0/20
      - type: tag
        value: app
"""

RETURN = r"""
rules:
  description: The trusted sources after the run.
  returned: always
  type: list
  elements: dict
  sample: [{"type": "ip_addr", "value": "10.20.0.0/20"}]
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
)


def pairs(rules):
    return sorted(set((r["type"], str(r["value"])) for r in rules or []))


class DbFirewall(DigitalOceanModule):
    resource_name = "rules"

    def run(self):
        p = self.params
        path = "databases/%s/firewall" % p["cluster_id"]
        current = self.client.get(path).get("rules") or []
        have, want = pairs(current), pairs(p["rules"])
        before = [{"type": t, "value": v} for t, v in have]
        after = [{"type": t, "value": v} for t, v in want]
        if have == want:
            self.set_resource(before)
            return
        self.set_diff({"rules": before}, {"rules": after})
        if self.will_write():
            self.client.put(path, {"rules": after})
        self.set_resource(after)


def main():
    module = build_module(dict(
        cluster_id=dict(type="str", required=True),
        rules=dict(type="list", elements="dict", required=True, options=dict(
            type=dict(type="str", required=True, choices=["droplet", "k8s", "ip_addr", "tag", "app"]),
            value=dict(type="str", required=True),
        )),
    ))
    DbFirewall(module).execute()


if __name__ == "__main__":
    main()
