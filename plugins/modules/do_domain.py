#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_domain
short_description: Manage a DNS zone hosted by DigitalOcean
description:
  - Adds or removes a domain (DNS zone). Records are managed with M(baobab.webstack.do_domain_record).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the domain must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Domain name (C(example.com)).
    type: str
    required: true
  ip_address:
    description:
      - When given at creation, DigitalOcean also creates an A record for the apex pointing to it.
      - Not used for an existing domain.
    type: str
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Zone of the shop
  baobab.webstack.do_domain:
    name: shop.example.com
"""

RETURN = r"""
domain:
  description: The domain as the API returns it (empty after deletion).
  returned: always
  type: dict
  sample: {"name": "shop.example.com", "ttl": 1800}
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
)


class Domain(DigitalOceanModule):
    resource_name = "domain"

    def lookup(self):
        found = self.client.get_or_none("domains/%s" % self.params["name"].lower().rstrip("."))
        return found["domain"] if found else None

    def run(self):
        p = self.params
        name = p["name"].lower().rstrip(".")
        if not name:
            self.fail("name must not be empty")
        current = self.lookup()
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff({"name": name}, {})
                if self.will_write():
                    self.delete_or_confirm(lambda: self.client.delete("domains/%s" % name), self.lookup,
                                           "domain %s" % name)
            return
        if current:
            self.set_resource(current)
            return
        body = {"name": name}
        if p["ip_address"]:
            body["ip_address"] = p["ip_address"]
        self.set_diff({}, body)
        result = body
        if self.will_write():
            result = self.create_or_adopt(lambda: self.client.post("domains", body)["domain"], self.lookup,
                                          "domain %s" % name)
        self.set_resource(result)


def main():
    module = build_module(dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        ip_address=dict(type="str"),
    ))
    Domain(module).execute()


if __name__ == "__main__":
    main()
