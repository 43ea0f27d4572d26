#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_ssh_key
short_description: Manage an SSH public key of a DigitalOcean account
description:
  - Adds, renames or removes an SSH public key of the account.
  - The key is identified by its fingerprint (MD5, as DigitalOcean shows it), so the same key is never
    uploaded twice whatever its name.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the key must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name shown in the control panel. Required to create a key; an existing key with another name is renamed.
    type: str
  public_key:
    description:
      - The public key in OpenSSH format (V(ssh-ed25519 AAAA... comment)).
      - Required with O(state=present). With O(state=absent), O(public_key) or O(fingerprint) identifies the key.
    type: str
  fingerprint:
    description:
      - MD5 fingerprint of the key (V(aa:bb:...)), an alternative to O(public_key) with O(state=absent).
    type: str
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Upload the deploy key
  baobab.webstack.do_ssh_key:
    name: deploy
    public_key: "{{ lookup('ansible.builtin.file', 'files/deploy.pub') }}"

- name: Remove it
  baobab.webstack.do_ssh_key:
    public_key: "{{ lookup('ansible.builtin.file', 'files/deploy.pub') }}"
    state: absent
"""

RETURN = r"""
ssh_key:
  description:
    - The key, with the collection's names for what playbooks need (empty after removal).
  returned: always
  type: dict
  contains:
    id:
      description: Key id; V(null) in check mode for a key that would be uploaded.
      type: int
      returned: success
      sample: 512190
    name:
      description: Name shown in the control panel.
      type: str
      returned: success
      sample: deploy
    fingerprint:
      description: MD5 fingerprint, usable in O(baobab.webstack.do_droplet#module:ssh_keys).
      type: str
      returned: success
      sample: "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"
    public_key:
      description: The public key.
      type: str
      returned: success
      sample: "ssh-ed25519 AAAA... deploy"
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

import base64  # noqa: E402
import binascii  # noqa: E402
import hashlib  # noqa: E402

from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    curated,
    state_argument_spec,
)
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
)


def fingerprint_of(public_key):
    """MD5 fingerprint of an OpenSSH public key, or None when it does not parse."""
    parts = (public_key or "").strip().split()
    if len(parts) < 2:
        return None
    try:
        raw = base64.b64decode(parts[1].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    digest = hashlib.md5(raw).hexdigest()  # noqa: S324 - the provider's fingerprint format
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class SshKey(DigitalOceanModule):
    resource_name = "ssh_key"
    api_path = "account/keys"
    updatable = ("name",)

    def label(self):
        return "SSH key %s" % self.fingerprint

    def validate(self):
        p = self.params
        self.fingerprint = p["fingerprint"]
        if p["public_key"]:
            self.fingerprint = fingerprint_of(p["public_key"])
            if self.fingerprint is None:
                self.fail("public_key is not an OpenSSH public key (expected 'type base64 [comment]')")
        if not self.fingerprint:
            self.fail("one of public_key or fingerprint is required")
        if p["state"] == "present":
            if not p["public_key"]:
                self.fail("public_key is required with state=present")
            if p["name"] is not None and not p["name"].strip():
                self.fail("name must not be empty")

    def lookup(self):
        keys = self.client.paginate("account/keys", "ssh_keys")
        return self.one_match([k for k in keys if k.get("fingerprint") == self.fingerprint], "SSH keys")

    def desired(self):
        return {"name": self.params["name"], "public_key": self.params["public_key"].strip()}

    def check_create(self, desired):
        if not desired["name"]:
            self.fail("name is required to create an SSH key")

    def planned(self, desired):
        return dict(desired, fingerprint=self.fingerprint)

    def curate(self, resource):
        return curated(resource, id=resource.get("id"), name=resource.get("name"),
                       fingerprint=resource.get("fingerprint"), public_key=resource.get("public_key"))

    def update(self, current, desired, changes):
        return self.unwrap(self.client.put(self.item_path(current), {"name": desired["name"]}))


def main():
    SshKey.run_module(
        dict(
            state_argument_spec(),
            name=dict(type="str"),
            public_key=dict(type="str"),
            fingerprint=dict(type="str"),
        ),
        mutually_exclusive=[("public_key", "fingerprint")],
    )


if __name__ == "__main__":
    main()
