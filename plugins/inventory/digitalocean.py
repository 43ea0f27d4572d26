# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: digitalocean
short_description: DigitalOcean droplets as inventory hosts
description:
  - Lists the droplets of a DigitalOcean account through the v2 API and adds them as hosts.
  - Each droplet is put in one group per tag (a droplet tagged C(app) lands in group C(app)), so the
    topology groups of the collection's playbooks (C(app), C(worker), C(db), C(cache), C(lb)) come from tags.
  - Supports C(compose), C(groups) and C(keyed_groups) (constructed) and caching of the API answer.
  - The configuration file name must end with C(digitalocean.yml) or C(digitalocean.yaml).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [baobab.webstack.digitalocean]
  api_token:
    description: DigitalOcean API token.
    type: str
    env:
      - name: DIGITALOCEAN_TOKEN
      - name: DO_API_TOKEN
  api_url:
    description: Base URL of the API, including the version.
    type: str
    default: https://api.digitalocean.com/v2
    env:
      - name: DIGITALOCEAN_API_URL
  request_timeout:
    description: Seconds to wait for one HTTP response.
    type: int
    default: 30
  max_retries:
    description: Retries of a call answered with HTTP 429 or 5xx.
    type: int
    default: 5
  validate_certs:
    description: Verify the API's TLS certificate.
    type: bool
    default: true
  filter_tags:
    description: Only droplets that carry all of these tags.
    type: list
    elements: str
    default: []
  regions:
    description: Only droplets in these regions.
    type: list
    elements: str
    default: []
  vpc_uuids:
    description: Only droplets in these VPCs.
    type: list
    elements: str
    default: []
  ansible_host_interface:
    description: Which address becomes C(ansible_host).
    type: str
    choices: [public, private]
    default: public
  tag_groups:
    description: Put each droplet in one group per tag (names made safe for Ansible).
    type: bool
    default: true
"""

EXAMPLES = r"""
# inventories/prod/digitalocean.yml
plugin: baobab.webstack.digitalocean
filter_tags: [shop]
regions: [fra1]
ansible_host_interface: public
keyed_groups:
  - key: do_region
    prefix: region
compose:
  ansible_user: "'root'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-digitalocean
"""

from ansible.errors import AnsibleError  # noqa: E402
from ansible.inventory.group import to_safe_group_name  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanClient,
    droplet_ips,
    open_url_transport,
)
from ansible_collections.baobab.webstack.plugins.plugin_utils._inventory_cache import cached_fetch  # noqa: E402


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "baobab.webstack.digitalocean"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(
            ("digitalocean.yml", "digitalocean.yaml"))

    def fetch(self):
        try:
            client = DigitalOceanClient(
                open_url_transport(self.get_option("validate_certs")),
                self.get_option("api_token"),
                api_url=self.get_option("api_url"),
                timeout=self.get_option("request_timeout"),
                max_retries=self.get_option("max_retries"),
            )
            query = {}
            wanted = self.get_option("filter_tags")
            if len(wanted) == 1:
                query["tag_name"] = wanted[0]
            return client.paginate("droplets", "droplets", query=query)
        except ApiError as error:
            raise AnsibleError("DigitalOcean inventory: %s" % error.describe()) from None

    def keep(self, droplet):
        tags = droplet.get("tags") or []
        if any(t not in tags for t in self.get_option("filter_tags")):
            return False
        regions = self.get_option("regions")
        if regions and (droplet.get("region") or {}).get("slug") not in regions:
            return False
        vpcs = self.get_option("vpc_uuids")
        return not vpcs or droplet.get("vpc_uuid") in vpcs

    def populate(self, droplets):
        strict = self.get_option("strict")
        use_private = self.get_option("ansible_host_interface") == "private"
        for droplet in droplets:
            if not self.keep(droplet):
                continue
            name = droplet["name"]
            public, private = droplet_ips(droplet)
            hostvars = {
                "do_id": droplet.get("id"),
                "do_name": name,
                "do_status": droplet.get("status"),
                "do_region": (droplet.get("region") or {}).get("slug"),
                "do_size": droplet.get("size_slug"),
                "do_image": (droplet.get("image") or {}).get("slug"),
                "do_tags": list(droplet.get("tags") or []),
                "do_features": list(droplet.get("features") or []),
                "do_vpc_uuid": droplet.get("vpc_uuid"),
                "do_public_ipv4": public,
                "do_private_ipv4": private,
            }
            self.inventory.add_host(name)
            address = private if use_private else public
            if address:
                self.inventory.set_variable(name, "ansible_host", address)
            for key, value in hostvars.items():
                self.inventory.set_variable(name, key, value)
            if self.get_option("tag_groups"):
                for tag in hostvars["do_tags"]:
                    group = self.inventory.add_group(to_safe_group_name(tag))
                    self.inventory.add_child(group, name)
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        droplets = cached_fetch(self, path, cache, self.fetch)
        self.populate(droplets)
