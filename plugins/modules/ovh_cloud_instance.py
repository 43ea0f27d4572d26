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
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
  - baobab.webstack.ovh.wait
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows name, region, flavor and image before and after.
seealso:
  - module: baobab.webstack.ovh_cloud_instance_info
    description: List the project's instances without changing anything.
  - module: baobab.webstack.ovh_cloud_private_network
    description: The private networks of O(networks).
  - module: baobab.webstack.ovh_cloud_ssh_key
    description: The SSH key of O(ssh_key).
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
    msg: "{{ app.instance.public_ipv4 }}"

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
    - The instance in the collection's shared vocabulary (the same keys as M(baobab.webstack.do_droplet) where
      they apply). Empty when absent.
    - In check mode, what would be created, with the keys known before creation.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the instance.
      type: str
      sample: 4c2a1f34-0000-4000-8000-000000000001
    name:
      description: Name of the instance.
      type: str
      sample: ksm-app-1
    region:
      description: Region of the instance.
      type: str
      sample: GRA11
    status:
      description: Status as the API reports it (V(BUILD), V(ACTIVE)...).
      type: str
      sample: ACTIVE
    flavor:
      description: Flavor name.
      type: str
      sample: b2-7
    image:
      description: Image name.
      type: str
      sample: Debian 12
    public_ipv4:
      description: Public IPv4 address; V(null) until one is assigned.
      type: str
      sample: 51.0.0.10
    public_ipv6:
      description: Public IPv6 address, V(null) when there is none.
      type: str
      sample: "2001:db8::10"
    private_ipv4:
      description: First IPv4 address on a private network, V(null) when the instance has none.
      type: str
      sample: 10.0.0.10
    addresses:
      description:
        - Deprecated, use RV(instance.public_ipv4), RV(instance.public_ipv6) and RV(instance.private_ipv4).
        - C(public_ipv4), C(public_ipv6) and C(private) (every private address).
      type: dict
      sample: {"public_ipv4": "51.0.0.10", "public_ipv6": null, "private": ["10.0.0.10"]}
    raw:
      description: The instance as the OVHcloud API returns it. Provider-specific, not meant for playbooks.
      type: dict
      sample: {"id": "4c2a1f34-0000-4000-8000-000000000001", "flavorId": "gra11-b2-7", "ipAddresses": []}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    Desired,
    OvhModule,
    cloud_argument_spec,
    curated_instance,
    find_instance,
    quote_segment,
    resolve_network,
    wait_argument_spec,
)


class Instance(OvhModule):
    resource_name = "instance"
    gone_statuses = ("DELETING", "DELETED")
    updatable = ("flavor",)

    def label(self):
        return "instance %s in %s" % (self.params["name"], self.params["region"])

    def resource_path(self, resource_id=None):
        base = "%s/instance" % self.project
        return base if resource_id is None else "%s/%s" % (base, quote_segment(resource_id))

    def resolve(self, kind, value):
        region = self.params["region"]
        items = self.client.get("%s/%s" % (self.project, kind), query={"region": region}) or []
        by_id = [i for i in items if i.get("id") == value]
        if by_id:
            return by_id[0]
        found = self.one_match([i for i in items if i.get("name") == value and i.get("region", region) == region],
                               "%ss named %r in %s" % (kind, value, region))
        if found is None:
            self.fail("%s %r not found in region %s" % (kind, value, region))
        return found

    def show(self, resource):
        curated = curated_instance(resource)
        return dict((key, curated[key]) for key in ("name", "region", "flavor", "image"))

    def curate(self, resource):
        return curated_instance(resource)

    def validate(self):
        p = self.params
        for key in ("name", "region"):
            if not p[key].strip():
                self.fail("%s must not be empty" % key)
        for key in ("flavor", "image", "ssh_key"):
            if p[key] is not None and not p[key].strip():
                self.fail("%s must not be empty" % key)
        if any(not n.strip() for n in p["networks"] or []):
            self.fail("networks must not hold an empty name")

    def lookup(self):
        p = self.params
        found = find_instance(self.client, p["service_name"], p["name"], p["region"])
        return self.client.get(self.resource_path(found["id"])) if found else None

    def desired(self):
        p = self.params
        return Desired(name=p["name"], region=p["region"], flavor=p["flavor"], image=p["image"])

    def check_region(self):
        """Fail naming the option when the region is not one of the project's."""
        regions = self.client.get("%s/region" % self.project) or []
        if self.params["region"] not in regions:
            self.fail("region %r is not a region of project %s (known: %s)"
                      % (self.params["region"], self.params["service_name"], ", ".join(sorted(regions)) or "none"))

    def check_create(self, desired):
        """Resolve names to IDs; an unknown region is named before any flavor."""
        p = self.params
        if not p["flavor"] or not p["image"]:
            self.fail("flavor and image are required to create instance %s" % p["name"])
        # an unknown region lists no flavor: name the region, not the flavor
        self.check_region()
        flavor = self.resolve("flavor", p["flavor"])
        image = self.resolve("image", p["image"])
        desired.update(flavor=flavor["name"], image=image["name"])
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
        self.body = body

    def create(self, desired):
        return self.client.post(self.resource_path(), self.body)

    def planned(self, desired):
        return dict(desired, status="BUILD")

    def differences(self, current, desired):
        p = self.params
        shown = self.show(current)
        if p["image"] and p["image"] not in (shown["image"], current.get("imageId")):
            self.module.warn("instance %s runs image %s; image only applies at creation" % (p["name"], shown["image"]))
        if p["monthly_billing"] and not current.get("monthlyBilling"):
            self.module.warn("instance %s is billed hourly; monthly billing only applies at creation" % p["name"])
        desired.update(image=shown["image"])
        if not p["flavor"] or p["flavor"] in (shown["flavor"], (current.get("flavor") or {}).get("id")):
            desired.update(flavor=shown["flavor"])
            return []
        self.resize = self.resolve("flavor", p["flavor"])
        desired.update(flavor=self.resize["name"])
        return ["flavor"]

    def planned_update(self, current, desired, changes):
        return dict(current, flavor=self.resize)

    def update(self, current, desired, changes):
        self.client.post("%s/resize" % self.resource_path(current["id"]), {"flavorId": self.resize["id"]})
        return current

    def wait(self, resource):
        path = self.resource_path(resource["id"])
        if self.params["wait"]:
            self.wait_until("GET %s" % path, lambda: self.client.get(path),
                            lambda i: i.get("status") == "ACTIVE", lambda i: i.get("status") == "ERROR")
        return self.client.get(path)

    def delete(self, current):
        self.client.delete(self.resource_path(current["id"]))


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
