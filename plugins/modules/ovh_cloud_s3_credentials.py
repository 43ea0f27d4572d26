#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_s3_credentials
short_description: Manage an OVHcloud Object Storage user and its S3 credentials
version_added: 0.1.0
description:
  - Make sure a Public Cloud user with the C(objectstore_operator) role exists (identified by O(name), stored as
    its description) and has S3 credentials, then return the access key and its secret.
  - Existing credentials are reused on every run; O(rotate=true) creates new ones and deletes the old ones.
  - The secret is part of the result. Run the task with C(no_log).
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
    description: No write request is sent in check mode; the secret is not read in check mode either.
  diff_mode:
    support: full
    description: Shows the user and the access key before and after.
options:
  name:
    description: Description of the Object Storage user, unique in the project.
    type: str
    required: true
  rotate:
    description: Create new credentials and delete the previous ones.
    type: bool
    default: false
  state:
    description: Whether the user (and its credentials) should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: S3 credentials for the application's files
  baobab.webstack.ovh_cloud_s3_credentials:
    service_name: "{{ ovh_project }}"
    name: ksm-files
  register: s3
  no_log: true
"""

RETURN = r"""
credentials:
  description: The user and its S3 credentials (empty when absent).
  returned: always
  type: dict
  sample: {"user_id": 42, "username": "user-AbCd", "access": "5a4b...", "secret": "c0ffee...", "tenant_id": "9f..."}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    quote_segment,
    wait_argument_spec,
)

ROLE = "objectstore_operator"


class S3Credentials(OvhModule):
    resource_name = "credentials"

    def path(self, *rest):
        return "/".join(["%s/user" % self.project] + [quote_segment(r) for r in rest])

    def find(self):
        name = self.params["name"]
        users = self.client.get(self.path()) or []
        return self.one_match([u for u in users if u.get("description") == name], "users described %r" % name)

    def run(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        user = self.find()
        creds = (self.client.get(self.path(user["id"], "s3Credentials")) or []) if user else []
        before = {"name": p["name"], "access": sorted(c["access"] for c in creds)} if user else {}
        if p["state"] == "absent":
            self.set_diff(before, {})
            if user and self.will_write():
                for cred in creds:
                    # deleting credentials again finds them gone (404, absent): safe to repeat
                    self.client.delete(self.path(user["id"], "s3Credentials", cred["access"]), idempotent=True)
                self.delete_or_confirm(lambda: self.client.delete(self.path(user["id"])),
                                       lambda: self.client.get(self.path(user["id"]), absent_ok=True),
                                       "user %s" % p["name"])
            self.set_resource({})
            return
        if user and creds and not p["rotate"]:
            self.set_diff(before, before)
            cred = sorted(creds, key=lambda c: c["access"])[0]
            out = self.describe(user, cred)
            if not self.check_mode:
                # a POST that only reads the secret: safe to repeat
                shown = self.client.post(self.path(user["id"], "s3Credentials", cred["access"], "secret"),
                                         idempotent=True)
                out["secret"] = shown["secret"]
            self.set_resource(out)
            return
        self.set_diff(before, {"name": p["name"], "access": ["(new)"]})
        if not self.will_write():
            self.set_resource(self.describe(user or {}, {}))
            return
        if user is None:
            user = self.create_or_adopt(lambda: self.client.post(self.path(), {"description": p["name"], "role": ROLE}),
                                        self.find, "user %s" % p["name"])
            user = self.wait_until("GET %s" % self.path(user["id"]), lambda: self.client.get(self.path(user["id"])),
                                   lambda u: u.get("status") == "ok", lambda u: u.get("status") == "error")
        cred = self.client.post(self.path(user["id"], "s3Credentials"))
        for old in creds:
            self.client.delete(self.path(user["id"], "s3Credentials", old["access"]), idempotent=True)
        out = self.describe(user, cred)
        out["secret"] = cred.get("secret")
        self.set_resource(out)

    @staticmethod
    def describe(user, cred):
        return {"user_id": user.get("id"), "username": user.get("username"), "access": cred.get("access"),
                "tenant_id": cred.get("tenantId")}


def main():
    spec = cloud_argument_spec()
    spec.update(wait_argument_spec())
    spec.update(
        name=dict(type="str", required=True),
        rotate=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    S3Credentials(module).execute()


if __name__ == "__main__":
    main()
