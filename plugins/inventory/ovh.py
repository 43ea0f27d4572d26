# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ovh
short_description: OVHcloud Public Cloud instances as inventory hosts
version_added: 0.1.0
description:
  - Reads the instances of a Public Cloud project (API v1) and adds them as hosts.
  - Filters by region and name pattern; groups by region, by name prefix and by name patterns; sets
    C(ansible_host) to the public or private address; supports C(compose), C(groups), C(keyed_groups) and caching.
  - The configuration file name must end with C(ovh.yml) or C(ovh.yaml).
author:
  - baobab.webstack maintainers (@baobab)
requirements:
  - ovh (Python library)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks the file as a configuration of this plugin.
    type: str
    required: true
    choices: [baobab.webstack.ovh]
  service_name:
    description: ID of the Public Cloud project.
    type: str
    required: true
    env:
      - name: OVH_CLOUD_PROJECT_SERVICE
  endpoint:
    description: OVHcloud API endpoint.
    type: str
    default: ovh-eu
    choices: [ovh-eu, ovh-ca, ovh-us]
    env:
      - name: OVH_ENDPOINT
  application_key:
    description: Application key.
    type: str
    env:
      - name: OVH_APPLICATION_KEY
  application_secret:
    description: Application secret.
    type: str
    env:
      - name: OVH_APPLICATION_SECRET
  consumer_key:
    description: Consumer key.
    type: str
    env:
      - name: OVH_CONSUMER_KEY
  api_url:
    description: Base URL of the API; overrides the URL that O(endpoint) selects.
    type: str
    env:
      - name: OVH_API_URL
  regions:
    description: Only instances of these regions (all regions when empty).
    type: list
    elements: str
    default: []
  name_pattern:
    description: Only instances whose name matches this regular expression (searched, not anchored).
    type: str
  ansible_host_source:
    description: Which address becomes C(ansible_host).
    type: str
    default: public_ipv4
    choices: [public_ipv4, public_ipv6, private]
  group_by_prefix:
    description:
      - Put each host in a group named after its name without the trailing C(-<number>)
        (C(ksm-app-2) goes to C(ksm_app)).
    type: bool
    default: true
  name_groups:
    description:
      - Groups from names, a mapping of group name to regular expression (searched in the instance name).
      - 'Example: C({app: "-app-", worker: "-worker-", db: "-db-"}).'
    type: dict
    default: {}
"""

EXAMPLES = r"""
# inventories/ovh/ovh.yml
plugin: baobab.webstack.ovh
service_name: 0123456789abcdef0123456789abcdef
regions: [GRA11]
name_pattern: "^ksm-"
name_groups:
  app: "-app-|^ksm-1$"
  worker: "-worker-|^ksm-1$"
  cache: "-redis-|^ksm-1$"
compose:
  ansible_user: "'debian'"
keyed_groups:
  - key: ovh_flavor_id
    prefix: flavor
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: .cache/inventory
"""

import re  # noqa: E402

from ansible.errors import AnsibleError  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    HAS_OVH,
    OvhApi,
    instance_addresses,
    project_path,
)
from ansible_collections.baobab.webstack.plugins.plugin_utils._inventory_cache import cached_fetch  # noqa: E402


def safe_group(name):
    """Group names are identifiers: anything else becomes an underscore."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "baobab.webstack.ovh"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("ovh.yml", "ovh.yaml"))

    def _fetch(self):
        if not HAS_OVH:
            raise AnsibleError("the baobab.webstack.ovh inventory plugin needs the ovh Python library")
        try:
            api = OvhApi(endpoint=self.get_option("endpoint"), application_key=self.get_option("application_key"),
                         application_secret=self.get_option("application_secret"),
                         consumer_key=self.get_option("consumer_key"), api_url=self.get_option("api_url"))
            return api.get("%s/instance" % project_path(self.get_option("service_name"))) or []
        except (ApiError, ValueError) as error:
            raise AnsibleError("OVHcloud inventory: %s" % to_native(error)) from None

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        instances = cached_fetch(self, path, cache, self._fetch)
        self._populate(instances)

    def _populate(self, instances):
        regions = self.get_option("regions") or []
        pattern = self.get_option("name_pattern")
        name_re = re.compile(pattern) if pattern else None
        name_groups = dict((g, re.compile(rx)) for g, rx in (self.get_option("name_groups") or {}).items())
        strict = self.get_option("strict")
        for inst in sorted(instances, key=lambda i: i.get("name") or ""):
            name = inst.get("name")
            if not name or (regions and inst.get("region") not in regions):
                continue
            if name_re and not name_re.search(name):
                continue
            host = self.inventory.add_host(name)
            addresses = instance_addresses(inst)
            hostvars = {
                "ovh_id": inst.get("id"),
                "ovh_region": inst.get("region"),
                "ovh_status": inst.get("status"),
                "ovh_flavor_id": inst.get("flavorId"),
                "ovh_image_id": inst.get("imageId"),
                "ovh_public_ipv4": addresses["public_ipv4"],
                "ovh_public_ipv6": addresses["public_ipv6"],
                "ovh_private_ips": addresses["private"],
            }
            source = self.get_option("ansible_host_source")
            target = addresses["private"][0] if source == "private" and addresses["private"] else addresses.get(source)
            if target:
                hostvars["ansible_host"] = target
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if inst.get("region"):
                self.inventory.add_child(self.inventory.add_group(safe_group(
                    "ovh_region_%s" % inst["region"].lower())), host)
            if self.get_option("group_by_prefix"):
                prefix = re.sub(r"-\d+$", "", name)
                if prefix != name:
                    self.inventory.add_child(self.inventory.add_group(safe_group(prefix)), host)
            for group, rx in name_groups.items():
                if rx.search(name):
                    self.inventory.add_child(self.inventory.add_group(group), host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
