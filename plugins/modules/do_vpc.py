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
    description: Region slug (V(fra1), V(ams3)...). Required to create.
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
  description:
    - The VPC, with the collection's names for what playbooks need (empty after deletion).
  returned: always
  type: dict
  contains:
    id:
      description: VPC id (UUID), the O(baobab.webstack.do_droplet#module:vpc_uuid) of droplets.
      type: str
      returned: success
      sample: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    name:
      description: Name.
      type: str
      returned: success
      sample: shop-prod
    region:
      description: Region slug.
      type: str
      returned: success
      sample: fra1
    ip_range:
      description: Private range in CIDR notation.
      type: str
      returned: success
      sample: 10.20.0.0/20
    description:
      description: Free text description.
      type: str
      returned: success
      sample: shop production
    default:
      description: Whether it is the region's default VPC.
      type: bool
      returned: success
      sample: false
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    curated,
    state_argument_spec,
)
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
)


class Vpc(DigitalOceanModule):
    resource_name = "vpc"
    api_path = "vpcs"
    noun = "VPC"
    updatable = ("description",)

    def lookup(self):
        return self.named(self.client.paginate("vpcs", "vpcs"))

    def desired(self):
        p = self.params
        wanted = {"name": p["name"], "region": p["region"]}
        if p["ip_range"]:
            wanted["ip_range"] = p["ip_range"]
        if p["description"] is not None:
            wanted["description"] = p["description"]
        return wanted

    def check_create(self, desired):
        if not desired["region"]:
            self.fail("region is required to create a VPC")

    def differences(self, current, desired):
        for key in ("region", "ip_range"):
            if desired.get(key) and desired[key] != current.get(key):
                self.fail("the %s of VPC %s is %s and cannot be changed to %s"
                          % (key, desired["name"], current.get(key), desired[key]))
        return super(Vpc, self).differences(current, desired)

    def curate(self, resource):
        return curated(resource, id=resource.get("id"), name=resource.get("name"), region=resource.get("region"),
                       ip_range=resource.get("ip_range"), description=resource.get("description"),
                       default=bool(resource.get("default")))

    def update(self, current, desired, changes):
        return self.unwrap(self.client.patch(self.item_path(current), {"description": desired["description"]}))


def main():
    Vpc.run_module(dict(
        state_argument_spec(),
        name=dict(type="str", required=True),
        region=dict(type="str"),
        ip_range=dict(type="str"),
        description=dict(type="str"),
    ))


if __name__ == "__main__":
    main()
