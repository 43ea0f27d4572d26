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
  - Size, image, VPC, SSH keys and user data are only used at creation; a difference on an existing droplet is
    reported as a warning (rebuilding a server is not something to do implicitly).
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
      - Region slug (C(fra1), C(ams3)...). Required with O(state=present).
      - With O(state=absent) and no region, the name alone identifies the droplet.
    type: str
  size:
    description: Size slug (C(s-2vcpu-4gb)). Required to create.
    type: str
  image:
    description: Image slug (C(debian-12-x64)) or numeric image id. Required to create.
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
    msg: "{{ app.public_ipv4 }} / {{ app.private_ipv4 }}"

- name: Remove it
  baobab.webstack.do_droplet:
    name: shop-app-1
    region: fra1
    state: absent
"""

RETURN = r"""
droplet:
  description: The droplet as the API returns it (empty after deletion).
  returned: always
  type: dict
  sample: {"id": 3164444, "name": "shop-app-1", "status": "active", "tags": ["shop", "app"]}
public_ipv4:
  description: Public IPv4 address (once the droplet is active).
  returned: when the droplet exists
  type: str
  sample: 203.0.113.10
private_ipv4:
  description: Private (VPC) IPv4 address.
  returned: when the droplet exists
  type: str
  sample: 10.20.0.2
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
    droplet_ips,
)


def _scalar(value):
    return int(value) if str(value).isdigit() else value


class Droplet(DigitalOceanModule):
    resource_name = "droplet"

    def lookup(self):
        p = self.params
        found = [d for d in self.client.paginate("droplets", "droplets", query={"name": p["name"]})
                 if d.get("name") == p["name"]
                 and (not p["region"] or (d.get("region") or {}).get("slug") == p["region"])]
        where = " in %s" % p["region"] if p["region"] else ""
        return self.one_match(found, "droplets named %s%s" % (p["name"], where))

    def wait_active(self, droplet):
        if droplet.get("status") == "active" or not self.params["wait"]:
            return droplet
        path = "droplets/%s" % droplet["id"]
        return self.wait_until(
            "GET /v2/%s (droplet %s becoming active)" % (path, droplet["name"]),
            lambda: self.client.get(path)["droplet"],
            lambda d: d.get("status") == "active",
        )

    def check_input(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        for key in ("region", "size", "image", "vpc_uuid"):
            if p[key] is not None and not p[key].strip():
                self.fail("%s must not be empty" % key)
        for tag in p["tags"] or []:
            if not tag.strip():
                self.fail("tags must not hold an empty tag")

    def run(self):
        p = self.params
        self.check_input()
        current = self.lookup()
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff(current, {})
                if self.will_write():
                    self.delete_or_confirm(lambda: self.client.delete("droplets/%s" % current["id"]), self.lookup,
                                           "droplet %s" % p["name"])
            return
        if not p["region"]:
            self.fail("region is required with state=present")
        droplet = self.create() if current is None else self.update(current)
        self.set_resource(droplet)
        public, private = droplet_ips(droplet)
        self.result["public_ipv4"] = public
        self.result["private_ipv4"] = private

    def create(self):
        p = self.params
        missing = [k for k in ("size", "image") if not p[k]]
        if missing:
            self.fail("%s required to create droplet %s" % (" and ".join(missing), p["name"]))
        body = {
            "name": p["name"],
            "region": p["region"],
            "size": p["size"],
            "image": _scalar(p["image"]),
            "monitoring": p["monitoring"],
            "ipv6": p["ipv6"],
            "backups": bool(p["backups"]),
        }
        if p["ssh_keys"]:
            body["ssh_keys"] = [_scalar(k) for k in p["ssh_keys"]]
        if p["tags"]:
            body["tags"] = p["tags"]
        if p["user_data"]:
            body["user_data"] = p["user_data"]
        if p["vpc_uuid"]:
            body["vpc_uuid"] = p["vpc_uuid"]
        self.set_diff({}, dict((k, v) for k, v in body.items() if k != "user_data"))
        if not self.will_write():
            return dict(body, status="new")
        created = self.create_or_adopt(lambda: self.client.post("droplets", body)["droplet"], self.lookup,
                                       "droplet %s in %s" % (p["name"], p["region"]))
        return self.wait_active(created)

    def update(self, current):
        p = self.params
        after = dict(current)
        checks = {
            "size": current.get("size_slug"),
            "vpc_uuid": current.get("vpc_uuid"),
        }
        for key, value in checks.items():
            if p[key] and p[key] != value:
                self.module.warn("droplet %s has %s=%s, not %s: it is not changed in place (recreate it to change it)"
                                 % (p["name"], key, value, p[key]))
        if p["tags"] is not None:
            have = list(current.get("tags") or [])
            add = [t for t in p["tags"] if t not in have]
            remove = [t for t in have if t not in p["tags"]]
            if add or remove:
                after["tags"] = list(p["tags"])
                if self.will_write():
                    resources = {"resources": [{"resource_id": str(current["id"]), "resource_type": "droplet"}]}
                    for tag in add:
                        # creating a tag that exists and tagging twice change nothing: safe to repeat
                        self.client.post("tags", {"name": tag}, idempotent=True)
                        self.client.post("tags/%s/resources" % tag, resources, idempotent=True)
                    for tag in remove:
                        self.client.delete("tags/%s/resources" % tag, resources, idempotent=True)
        if p["backups"] is not None:
            features = list(current.get("features") or [])
            enabled = "backups" in features
            if p["backups"] != enabled:
                after["features"] = [*features, "backups"] if p["backups"] else [f for f in features if f != "backups"]
                if self.will_write():
                    action = self.client.post(
                        "droplets/%s/actions" % current["id"],
                        {"type": "enable_backups" if p["backups"] else "disable_backups"},
                    )["action"]
                    if p["wait"]:
                        self.wait_action(action["id"])
        self.set_diff(current, after)
        if self.result["changed"] and not self.check_mode:
            after = self.client.get("droplets/%s" % current["id"])["droplet"]
        return self.wait_active(after) if not self.check_mode else after


def main():
    module = build_module(dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
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
    Droplet(module).execute()


if __name__ == "__main__":
    main()
