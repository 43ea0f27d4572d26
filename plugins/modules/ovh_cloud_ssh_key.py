#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_ssh_key
short_description: Manage SSH keys of an OVHcloud Public Cloud project
version_added: 0.1.0
description:
  - Create, replace or delete an SSH key of a Public Cloud project.
  - The key is identified by its O(name); two keys with that name make the module fail.
  - Keys cannot be edited through the API, so a different O(public_key) replaces the key. The new key is created
    first and the old one deleted after, so a failed creation leaves the old key in place.
  - A creation whose outcome is unknown (a timeout, a server error) is never sent again; the key is looked up by
    O(name) and O(public_key) and adopted when it exists.
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows the key before and after.
options:
  name:
    description: Name of the key, unique in the project.
    type: str
    required: true
  public_key:
    description:
      - The OpenSSH public key. Required when O(state=present).
    type: str
  region:
    description:
      - Region the key is created in. Keys are usable in every region when left out.
    type: str
  state:
    description: Whether the key should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Upload the deploy key
  baobab.webstack.ovh_cloud_ssh_key:
    service_name: "{{ ovh_project }}"
    name: deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/deploy.pub') }}"

- name: Remove it
  baobab.webstack.ovh_cloud_ssh_key:
    service_name: "{{ ovh_project }}"
    name: deploy
    state: absent
"""

RETURN = r"""
ssh_key:
  description: The key as the API describes it (empty when absent).
  returned: always
  type: dict
  sample: {"id": "ZGVwbG95", "name": "deploy", "publicKey": "ssh-ed25519 AAAA...", "regions": ["GRA11"]}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    quote_segment,
)


class SshKey(OvhModule):
    resource_name = "ssh_key"

    def find(self):
        keys = self.client.get("%s/sshkey" % self.project) or []
        return self.one_match([k for k in keys if k.get("name") == self.params["name"]],
                              "SSH keys named %r" % self.params["name"])

    @staticmethod
    def view(key):
        if not key:
            return {}
        return {"name": key.get("name"), "public_key": (key.get("publicKey") or "").strip()}

    def check_input(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["state"] == "present":
            if not p["public_key"] or not p["public_key"].strip():
                self.fail("public_key is required when state=present")
            if len(p["public_key"].split()) < 2:
                self.fail("public_key is not an OpenSSH public key (expected 'type base64 [comment]')")
        if p["region"] is not None and not p["region"].strip():
            self.fail("region must not be empty")

    def run(self):
        self.check_input()
        current = self.find()
        path = "%s/sshkey" % self.project
        if self.params["state"] == "absent":
            self.set_diff(self.view(current), {})
            if current and self.will_write():
                key_path = "%s/%s" % (path, quote_segment(current["id"]))
                self.delete_or_confirm(lambda: self.client.delete(key_path),
                                       lambda: self.client.get(key_path, absent_ok=True), "SSH key %s" % current["id"])
            self.set_resource({})
            return
        wanted = {"name": self.params["name"], "public_key": self.params["public_key"].strip()}
        self.set_diff(self.view(current), wanted)
        if current and self.view(current) == wanted:
            self.set_resource(current)
            return
        body = {"name": wanted["name"], "publicKey": wanted["public_key"]}
        if self.params["region"]:
            body["region"] = self.params["region"]
        if not self.will_write():
            self.set_resource(dict(current or {}, name=wanted["name"], publicKey=wanted["public_key"]))
            return
        old_id = current["id"] if current else None

        def lookup_new():
            keys = self.client.get(path) or []
            return self.one_match([k for k in keys if k.get("id") != old_id and self.view(k) == wanted],
                                  "SSH keys named %r with this public key" % wanted["name"])

        # the new key first: when its creation fails, the old key is still there
        created = self.create_or_adopt(lambda: self.client.post(path, body), lookup_new, "SSH key %s" % wanted["name"])
        if old_id is not None:
            old_path = "%s/%s" % (path, quote_segment(old_id))
            self.delete_or_confirm(lambda: self.client.delete(old_path),
                                   lambda: self.client.get(old_path, absent_ok=True),
                                   "replaced SSH key %s" % old_id)
        self.set_resource(created)


def main():
    spec = cloud_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        public_key=dict(type="str", no_log=False),
        region=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    SshKey(module).execute()


if __name__ == "__main__":
    main()
