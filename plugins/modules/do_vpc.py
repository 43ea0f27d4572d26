#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_vpc
short_description: Manage a DigitalOcean VPC
description:
  - Creates, updates (description) or deletes a VPC network. VPC names are unique in an account,
    so the name identifies the VPC.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the VPC must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the VPC (unique in the account).
    type: str
    required: true
  region:
    description: Region slug (C(fra1), C(ams3)...). Required to create.
    type: str
  ip_range:
    description:
      - Private range in CIDR notation. DigitalOcean picks one when left out. It cannot be changed later.
    type: str
  description:
    description: Free text description.
    type: str
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Private network of the scalable topology
  baobab.webstack.do_vpc:
    name: shop-prod
    region: fra1
    ip_range: 10.20.0.0/20
    description: shop production
"""

RETURN = r"""
vpc:
  description: The VPC as the API returns it (empty after deletion).
  returned: always
  type: dict
  sample: {"id": "5a4981aa-9653-4bd1-bef5-d6bff52042e4", "name": "shop-prod", "region": "fra1",
           "ip_range": "10.20.0.0/20", "description": "shop production", "default": false}
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
)


class Vpc(DigitalOceanModule):
    resource_name = "vpc"

    def lookup(self):
        name = self.params["name"]
        vpcs = self.client.paginate("vpcs", "vpcs")
        return self.one_match([v for v in vpcs if v.get("name") == name], "VPCs named %s" % name)

    def run(self):
        p = self.params
        current = self.lookup()
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff(current, {})
                if self.will_write():
                    self.delete_or_confirm(lambda: self.client.delete("vpcs/%s" % current["id"]), self.lookup,
                                           "VPC %s" % p["name"])
            return
        if current is None:
            if not p["region"]:
                self.fail("region is required to create a VPC")
            wanted = {"name": p["name"], "region": p["region"]}
            if p["ip_range"]:
                wanted["ip_range"] = p["ip_range"]
            if p["description"] is not None:
                wanted["description"] = p["description"]
            self.set_diff({}, wanted)
            created = wanted
            if self.will_write():
                created = self.create_or_adopt(lambda: self.client.post("vpcs", wanted)["vpc"], self.lookup,
                                               "VPC %s" % p["name"])
            self.set_resource(created)
            return
        for key in ("region", "ip_range"):
            if p[key] and p[key] != current.get(key):
                self.fail("the %s of VPC %s is %s and cannot be changed to %s"
                          % (key, p["name"], current.get(key), p[key]))
        after = dict(current)
        if p["description"] is not None and p["description"] != current.get("description"):
            after["description"] = p["description"]
            if self.will_write():
                after = self.client.patch("vpcs/%s" % current["id"], {"description": p["description"]})["vpc"]
        self.set_diff(current, after)
        self.set_resource(after)


def main():
    module = build_module(dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        region=dict(type="str"),
        ip_range=dict(type="str"),
        description=dict(type="str"),
    ))
    Vpc(module).execute()


if __name__ == "__main__":
    main()
