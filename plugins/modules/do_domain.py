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
    description: Domain name (V(example.com)).
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
  description:
    - The domain, with the collection's names for what playbooks need (empty after deletion).
  returned: always
  type: dict
  contains:
    name:
      description: The domain name.
      type: str
      returned: success
      sample: shop.example.com
    ttl:
      description: Default time to live of its records, in seconds.
      type: int
      returned: success
      sample: 1800
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


class Domain(DigitalOceanModule):
    resource_name = "domain"
    api_path = "domains"

    def domain(self):
        return self.params["name"].lower().rstrip(".")

    def label(self):
        return "domain %s" % self.domain()

    def validate(self):
        if not self.domain():
            self.fail("name must not be empty")

    def item_path(self, resource):
        # a domain is addressed by its name
        return "domains/%s" % self.domain()

    def lookup(self):
        found = self.client.get_or_none(self.item_path(None))
        return self.unwrap(found) if found else None

    def desired(self):
        body = {"name": self.domain()}
        if self.params["ip_address"]:
            body["ip_address"] = self.params["ip_address"]
        return body

    def view(self, resource):
        return dict((key, resource[key]) for key in ("name", "ip_address") if key in resource)

    def curate(self, resource):
        return curated(resource, name=resource.get("name"), ttl=resource.get("ttl"))


def main():
    Domain.run_module(dict(
        state_argument_spec(),
        name=dict(type="str", required=True),
        ip_address=dict(type="str"),
    ))


if __name__ == "__main__":
    main()
