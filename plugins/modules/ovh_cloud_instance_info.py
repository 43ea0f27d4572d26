#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_instance_info
short_description: List OVHcloud Public Cloud instances
version_added: 0.1.0
description:
  - List the instances of a Public Cloud project, optionally filtered by region and name.
  - Never changes anything.
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
seealso:
  - module: baobab.webstack.ovh_cloud_instance
    description: Create, resize or delete an instance.
options:
  name:
    description: Only the instances with this exact name.
    type: str
  region:
    description: Only the instances of this region.
    type: str
"""

EXAMPLES = r"""
- name: Instances in GRA11
  baobab.webstack.ovh_cloud_instance_info:
    service_name: "{{ ovh_project }}"
    region: GRA11
  register: found

- name: Their public addresses
  ansible.builtin.debug:
    msg: "{{ found.instances | map(attribute='addresses.public_ipv4') | list }}"
"""

RETURN = r"""
instances:
  description:
    - The matching instances, each in the shape RV(baobab.webstack.ovh_cloud_instance#module:instance) returns
      (C(id), C(name), C(region), C(status), C(flavor), C(image), C(public_ipv4), C(public_ipv6),
      C(private_ipv4), the deprecated C(addresses), and C(raw)).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "4c2a1f34", "name": "ksm-app-1", "region": "GRA11", "status": "ACTIVE", "flavor": "b2-7",
            "image": "Debian 12", "public_ipv4": "51.0.0.10", "public_ipv6": null, "private_ipv4": null,
            "addresses": {"public_ipv4": "51.0.0.10", "public_ipv6": null, "private": []}, "raw": {}}]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    curated_instance,
)


class InstanceInfo(OvhModule):
    resource_name = "instances"

    def run(self):
        query = {"region": self.params["region"]} if self.params["region"] else None
        items = self.client.get("%s/instance" % self.project, query=query) or []
        out = []
        for item in items:
            if self.params["name"] and item.get("name") != self.params["name"]:
                continue
            if self.params["region"] and item.get("region") != self.params["region"]:
                continue
            out.append(curated_instance(item))
        self.set_resource(sorted(out, key=lambda i: (i.get("name") or "", i.get("region") or "")))


def main():
    spec = cloud_argument_spec()
    spec.update(name=dict(type="str"), region=dict(type="str"))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    InstanceInfo(module).execute()


if __name__ == "__main__":
    main()
