#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_instance
short_description: Manage OVHcloud Public Cloud instances
version_added: 0.1.0
description:
  - Create, resize or delete a Public Cloud instance (Public Cloud API v1).
  - The instance is identified by O(name) and O(region); two instances with that name in that region make the
    module fail instead of guessing.
  - O(flavor) and O(image) are names (V(b2-7), V(Debian 12)) or IDs, resolved through the API in O(region).
  - A different O(flavor) resizes the instance. O(image), O(ssh_key), O(networks), O(user_data) and
    O(monthly_billing) only apply at creation; a different value on an existing instance is reported as a warning.
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.cloud
  - baobab.webstack.ovh.wait
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows name, region, flavor and image before and after.
notes:
  - Before a creation the module checks that O(region) is one of the project's regions, so an unknown region is
    reported as such rather than as a missing flavor.
options:
  name:
    description: Name of the instance, unique in its region.
    type: str
    required: true
  region:
    description: Region of the instance, for example V(GRA11).
    type: str
    required: true
  flavor:
    description: Flavor name or ID. Required to create the instance.
    type: str
  image:
    description: Image name or ID. Required to create the instance.
    type: str
  ssh_key:
    description: Name of an SSH key of the project (see M(baobab.webstack.ovh_cloud_ssh_key)).
    type: str
  networks:
    description:
      - Private networks (names or IDs) to attach, in addition to the public interface.
    type: list
    elements: str
    default: []
  user_data:
    description: Cloud-init user data passed at creation.
    type: str
  monthly_billing:
    description: Bill the instance monthly instead of hourly.
    type: bool
    default: false
  state:
    description: Whether the instance should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Application server
  baobab.webstack.ovh_cloud_instance:
    service_name: "{{ ovh_project }}"
    name: ksm-app-1
    region: GRA11
    flavor: b2-7
    image: Debian 12
    ssh_key: deploy
    networks: [ksm-private]
  register: app

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ app.instance.addresses.public_ipv4 }}"

- name: Delete it
  baobab.webstack.ovh_cloud_instance:
    service_name: "{{ ovh_project }}"
    name: ksm-app-1
    region: GRA11
    state: absent
"""

RETURN = r"""
instance:
  description:
    - The instance as the API describes it, plus C(addresses) (C(public_ipv4), C(public_ipv6), C(private)).
    - Empty when absent.
  returned: always
  type: dict
  sample:
    id: 4c2a1f34-0000-4000-8000-000000000001
    name: ksm-app-1
    region: GRA11
    status: ACTIVE
    addresses: {"public_ipv4": "51.0.0.10", "public_ipv6": null, "private": ["10.0.0.10"]}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    find_instance,
    instance_addresses,
    quote_segment,
    resolve_network,
    wait_argument_spec,
)


class Instance(OvhModule):
    resource_name = "instance"

    def resolve(self, kind, value):
        items = self.client.get("%s/%s" % (self.project, kind), query={"region": self.params["region"]}) or []
        by_id = [i for i in items if i.get("id") == value]
        if by_id:
            return by_id[0]
        found = self.one_match([i for i in items if i.get("name") == value and i.get("region", self.params["region"])
                                == self.params["region"]], "%ss named %r in %s" % (kind, value, self.params["region"]))
        if found is None:
            self.fail("%s %r not found in region %s" % (kind, value, self.params["region"]))
        return found

    def view(self, resource, flavor_name=None, image_name=None):
        if not resource:
            return {}
        return {
            "name": resource.get("name"),
            "region": resource.get("region"),
            "flavor": flavor_name or (resource.get("flavor") or {}).get("name") or resource.get("flavorId"),
            "image": image_name or (resource.get("image") or {}).get("name") or resource.get("imageId"),
        }

    def path(self, inst_id=None):
        base = "%s/instance" % self.project
        return base if inst_id is None else "%s/%s" % (base, quote_segment(inst_id))

    def detail(self, inst_id):
        inst = self.client.get(self.path(inst_id))
        inst["addresses"] = instance_addresses(inst)
        return inst

    def wait_active(self, inst_id):
        return self.wait_until(
            "GET %s" % self.path(inst_id), lambda: self.client.get(self.path(inst_id)),
            lambda i: i.get("status") == "ACTIVE", lambda i: i.get("status") == "ERROR")

    def check_input(self):
        p = self.params
        for key in ("name", "region"):
            if not p[key].strip():
                self.fail("%s must not be empty" % key)
        for key in ("flavor", "image", "ssh_key"):
            if p[key] is not None and not p[key].strip():
                self.fail("%s must not be empty" % key)
        if any(not n.strip() for n in p["networks"] or []):
            self.fail("networks must not hold an empty name")

    def still_there(self, inst_id):
        inst = self.client.get(self.path(inst_id), absent_ok=True)
        return inst if inst and inst.get("status") not in ("DELETING", "DELETED") else None

    def check_region(self):
        """Fail naming the option when the region is not one of the project's."""
        regions = self.client.get("%s/region" % self.project) or []
        if self.params["region"] not in regions:
            self.fail("region %r is not a region of project %s (known: %s)"
                      % (self.params["region"], self.params["service_name"], ", ".join(sorted(regions)) or "none"))

    def run(self):
        p = self.params
        self.check_input()
        current = find_instance(self.client, p["service_name"], p["name"], p["region"])
        if p["state"] == "absent":
            self.set_diff(self.view(current), {})
            if current and self.will_write():
                self.delete_or_confirm(lambda: self.client.delete(self.path(current["id"])),
                                       lambda: self.still_there(current["id"]), "instance %s" % p["name"])
                if p["wait"]:
                    self.wait_until("GET %s" % self.path(current["id"]),
                                    lambda: self.client.get(self.path(current["id"]), absent_ok=True),
                                    lambda i: i is None or i.get("status") == "DELETED")
            self.set_resource({})
            return
        if current is None:
            self.create()
        else:
            self.update(self.detail(current["id"]))

    def create(self):
        p = self.params
        if not p["flavor"] or not p["image"]:
            self.fail("flavor and image are required to create instance %s" % p["name"])
        # an unknown region lists no flavor: name the region, not the flavor
        self.check_region()
        flavor = self.resolve("flavor", p["flavor"])
        image = self.resolve("image", p["image"])
        body = {"name": p["name"], "region": p["region"], "flavorId": flavor["id"], "imageId": image["id"],
                "monthlyBilling": p["monthly_billing"]}
        if p["ssh_key"]:
            keys = self.client.get("%s/sshkey" % self.project) or []
            key = self.one_match([k for k in keys if k.get("name") == p["ssh_key"] or k.get("id") == p["ssh_key"]],
                                 "SSH keys named %r" % p["ssh_key"])
            if key is None and not self.check_mode:
                self.fail("SSH key %r not found in the project" % p["ssh_key"])
            # in check mode the key may be one an earlier task would have created
            body["sshKeyId"] = key["id"] if key else None
        if p["networks"]:
            body["networks"] = []
            for name in p["networks"]:
                try:
                    body["networks"].append({"networkId": resolve_network(self.client, p["service_name"], name,
                                                                          p["region"])})
                except ApiError:
                    # same for a network an earlier task would have created
                    if not self.check_mode:
                        raise
        if p["user_data"]:
            body["userData"] = p["user_data"]
        wanted = self.view({"name": p["name"], "region": p["region"]}, flavor["name"], image["name"])
        self.set_diff({}, wanted)
        if not self.will_write():
            self.set_resource(dict(wanted, status="BUILD", addresses={}))
            return
        created = self.create_or_adopt(
            lambda: self.client.post(self.path(), body),
            lambda: find_instance(self.client, p["service_name"], p["name"], p["region"]),
            "instance %s in %s" % (p["name"], p["region"]))
        if self.params["wait"]:
            self.wait_active(created["id"])
        self.set_resource(self.detail(created["id"]))

    def update(self, current):
        p = self.params
        before = self.view(current)
        after = dict(before)
        if p["image"] and p["image"] not in (before["image"], current.get("imageId")):
            self.module.warn("instance %s runs image %s; image only applies at creation" % (p["name"], before["image"]))
        if p["monthly_billing"] and not current.get("monthlyBilling"):
            self.module.warn("instance %s is billed hourly; monthly billing only applies at creation" % p["name"])
        resize = None
        if p["flavor"] and p["flavor"] not in (before["flavor"], (current.get("flavor") or {}).get("id")):
            resize = self.resolve("flavor", p["flavor"])
            after["flavor"] = resize["name"]
        self.set_diff(before, after)
        if resize is None:
            self.set_resource(current)
            return
        if not self.will_write():
            self.set_resource(dict(current, flavor=resize))
            return
        self.client.post("%s/resize" % self.path(current["id"]), {"flavorId": resize["id"]})
        if p["wait"]:
            self.wait_active(current["id"])
        self.set_resource(self.detail(current["id"]))


def main():
    spec = cloud_argument_spec()
    spec.update(wait_argument_spec())
    spec.update(
        name=dict(type="str", required=True),
        region=dict(type="str", required=True),
        flavor=dict(type="str"),
        image=dict(type="str"),
        ssh_key=dict(type="str", no_log=False),
        networks=dict(type="list", elements="str", default=[]),
        user_data=dict(type="str"),
        monthly_billing=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    Instance(module).execute()


if __name__ == "__main__":
    main()
