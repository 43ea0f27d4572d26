#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_droplet
short_description: Manage a DigitalOcean droplet
description:
  - Creates or deletes a droplet, keeps its tags and backups in the wanted state.
  - A droplet is identified by its name and region (the idempotence key). When two droplets match, the module
    fails instead of guessing.
  - O(size), O(image), O(vpc_uuid), O(ssh_keys) and O(user_data) are only used at creation; a different O(size) or
    O(vpc_uuid) on an existing droplet is reported as a warning (rebuilding a server is not something to do
    implicitly).
  - Returns the droplet with its addresses in RV(droplet.public_ipv4) and RV(droplet.private_ipv4).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the droplet must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Host name of the droplet.
    type: str
    required: true
  region:
    description:
      - Region slug (V(fra1), V(ams3)...). Required with O(state=present).
      - With O(state=absent) and no region, the name alone identifies the droplet.
    type: str
  size:
    description: Size slug (V(s-2vcpu-4gb)). Required to create.
    type: str
  image:
    description: Image slug (V(debian-12-x64)) or numeric image id. Required to create.
    type: str
  ssh_keys:
    description: SSH keys (ids or fingerprints) installed for root at creation.
    type: list
    elements: str
  tags:
    description:
      - Tags of the droplet. When given, the droplet ends up with exactly these tags.
    type: list
    elements: str
  user_data:
    description: Cloud-init user data, used at creation.
    type: str
  vpc_uuid:
    description: VPC to place the droplet in. The region's default VPC when left out.
    type: str
  monitoring:
    description: Install the metrics agent at creation.
    type: bool
    default: false
  backups:
    description: Weekly backups. Enabled or disabled on an existing droplet with a droplet action.
    type: bool
  ipv6:
    description: Enable IPv6 at creation.
    type: bool
    default: false
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
seealso:
  - module: baobab.webstack.do_droplet_info
    description: Lists droplets by name, tag or region without changing anything.
"""

EXAMPLES = r"""
- name: Application server
  baobab.webstack.do_droplet:
    name: shop-app-1
    region: fra1
    size: s-2vcpu-4gb
    image: debian-12-x64
    ssh_keys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"]
    vpc_uuid: "{{ vpc.vpc.id }}"
    tags: [shop, app]
    monitoring: true
    backups: true
  register: app

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ app.droplet.public_ipv4 }} / {{ app.droplet.private_ipv4 }}"

- name: Remove it
  baobab.webstack.do_droplet:
    name: shop-app-1
    region: fra1
    state: absent
"""

RETURN = r"""
droplet:
  description:
    - The droplet, with the collection's names for what playbooks need (empty after deletion).
    - In check mode, what would be created (no id, no address yet).
  returned: always
  type: dict
  contains:
    id:
      description: Droplet id.
      type: int
      returned: success
      sample: 3164444
    name:
      description: Host name.
      type: str
      returned: success
      sample: shop-app-1
    region:
      description: Region slug.
      type: str
      returned: success
      sample: fra1
    status:
      description: C(new), C(active), C(off) or C(archive).
      type: str
      returned: success
      sample: active
    public_ipv4:
      description: Public IPv4 address, V(null) until the droplet has one.
      type: str
      returned: success
      sample: 203.0.113.10
    public_ipv6:
      description: Public IPv6 address, V(null) without O(ipv6=true).
      type: str
      returned: success
      sample: "2001:db8::10"
    private_ipv4:
      description: Private (VPC) IPv4 address.
      type: str
      returned: success
      sample: 10.20.0.2
    tags:
      description: Tags of the droplet.
      type: list
      elements: str
      returned: success
      sample: [shop, app]
    size:
      description: Size slug.
      type: str
      returned: success
      sample: s-2vcpu-4gb
    image:
      description: Image slug (or id when the image has no slug).
      type: str
      returned: success
      sample: debian-12-x64
    vpc_uuid:
      description: VPC the droplet is in.
      type: str
      returned: success
      sample: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    backups:
      description: Whether weekly backups are enabled.
      type: bool
      returned: success
      sample: true
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
public_ipv4:
  description:
    - Public IPv4 address (once the droplet is active).
    - Deprecated, use RV(droplet.public_ipv4); kept so that existing playbooks keep working.
  returned: when the droplet exists
  type: str
  sample: 203.0.113.10
private_ipv4:
  description:
    - Private (VPC) IPv4 address.
    - Deprecated, use RV(droplet.private_ipv4); kept so that existing playbooks keep working.
  returned: when the droplet exists
  type: str
  sample: 10.20.0.2
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import state_argument_spec  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    curated_droplet,
    droplet_addresses,
)


def _scalar(value):
    return int(value) if str(value).isdigit() else value


class Droplet(DigitalOceanModule):
    resource_name = "droplet"
    api_path = "droplets"
    noun = "droplet"
    ready_status = "active"
    wait_unchanged = True

    def label(self):
        p = self.params
        return "droplet %s%s" % (p["name"], " in %s" % p["region"] if p["region"] else "")

    def validate(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        for key in ("region", "size", "image", "vpc_uuid"):
            if p[key] is not None and not p[key].strip():
                self.fail("%s must not be empty" % key)
        for tag in p["tags"] or []:
            if not tag.strip():
                self.fail("tags must not hold an empty tag")
        if p["state"] == "present" and not p["region"]:
            self.fail("region is required with state=present")

    def lookup(self):
        p = self.params
        found = [d for d in self.client.paginate("droplets", "droplets", query={"name": p["name"]})
                 if d.get("name") == p["name"]
                 and (not p["region"] or (d.get("region") or {}).get("slug") == p["region"])]
        where = " in %s" % p["region"] if p["region"] else ""
        return self.one_match(found, "droplets named %s%s" % (p["name"], where))

    def desired(self):
        p = self.params
        body = {
            "name": p["name"],
            "region": p["region"],
            "size": p["size"],
            "image": _scalar(p["image"]) if p["image"] else None,
            "monitoring": p["monitoring"],
            "ipv6": p["ipv6"],
            "backups": p["backups"],
        }
        for key in ("ssh_keys", "tags", "user_data", "vpc_uuid"):
            if p[key]:
                body[key] = [_scalar(k) for k in p[key]] if key == "ssh_keys" else p[key]
        return body

    def view(self, resource):
        shown = curated_droplet(resource)
        keys = ("name", "region", "size", "image", "vpc_uuid", "tags", "backups")
        return dict((key, shown.get(key)) for key in keys)

    def check_create(self, desired):
        missing = [k for k in ("size", "image") if not desired[k]]
        if missing:
            self.fail("%s required to create droplet %s" % (" and ".join(missing), desired["name"]))

    def creation(self, desired):
        return dict(desired, backups=bool(desired["backups"]))

    def planned(self, desired):
        return dict(desired, status="new")

    def differences(self, current, desired):
        """Tags and backups are kept in the wanted state; size and VPC are
        only reported (a server is not rebuilt implicitly)."""
        p = self.params
        for key, value in (("size", current.get("size_slug")), ("vpc_uuid", current.get("vpc_uuid"))):
            if p[key] and p[key] != value:
                self.module.warn("droplet %s has %s=%s, not %s: it is not changed in place (recreate it to change it)"
                                 % (p["name"], key, value, p[key]))
        changes = []
        if p["tags"] is not None and set(p["tags"]) != set(current.get("tags") or []):
            changes.append("tags")
        if p["backups"] is not None and p["backups"] != ("backups" in (current.get("features") or [])):
            changes.append("backups")
        return changes

    def planned_update(self, current, desired, changes):
        planned = dict(current)
        if "tags" in changes:
            planned["tags"] = list(self.params["tags"])
        if "backups" in changes:
            features = [f for f in current.get("features") or [] if f != "backups"]
            planned["features"] = [*features, "backups"] if self.params["backups"] else features
        return planned

    def update(self, current, desired, changes):
        p = self.params
        if "tags" in changes:
            have = list(current.get("tags") or [])
            resources = {"resources": [{"resource_id": str(current["id"]), "resource_type": "droplet"}]}
            for tag in [t for t in p["tags"] if t not in have]:
                # creating a tag that exists and tagging twice change nothing: safe to repeat
                self.client.post("tags", {"name": tag}, idempotent=True)
                self.client.post("tags/%s/resources" % tag, resources, idempotent=True)
            for tag in [t for t in have if t not in p["tags"]]:
                self.client.delete("tags/%s/resources" % tag, resources, idempotent=True)
        if "backups" in changes:
            action = self.client.post(
                "droplets/%s/actions" % current["id"],
                {"type": "enable_backups" if p["backups"] else "disable_backups"},
            )["action"]
            if p["wait"]:
                self.wait_action(action["id"])
        return self.fetch(current)

    def curate(self, resource):
        return curated_droplet(resource)

    def set_resource(self, resource):
        super(Droplet, self).set_resource(resource)
        if self.params["state"] == "present":
            # deprecated top-level copies of droplet.public_ipv4 and droplet.private_ipv4
            addresses = droplet_addresses(resource)
            self.result["public_ipv4"] = addresses["public_ipv4"]
            self.result["private_ipv4"] = addresses["private_ipv4"]


def main():
    Droplet.run_module(dict(
        state_argument_spec(),
        name=dict(type="str", required=True),
        region=dict(type="str"),
        size=dict(type="str"),
        image=dict(type="str"),
        ssh_keys=dict(type="list", elements="str", no_log=False),
        tags=dict(type="list", elements="str"),
        user_data=dict(type="str"),
        vpc_uuid=dict(type="str"),
        monitoring=dict(type="bool", default=False),
        backups=dict(type="bool"),
        ipv6=dict(type="bool", default=False),
    ))


if __name__ == "__main__":
    main()
