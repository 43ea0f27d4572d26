#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_database_db
short_description: Manage databases of an OVHcloud managed PostgreSQL service
version_added: 0.1.0
description:
  - Create or delete a database inside a managed PostgreSQL service, identified by its O(name).
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.cloud
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows the database name before and after.
options:
  cluster_id:
    description: ID of the PostgreSQL service (C(database.id) returned by M(baobab.webstack.ovh_cloud_database)).
    type: str
    required: true
  name:
    description: Database name.
    type: str
    required: true
  state:
    description: Whether the database should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Application database
  baobab.webstack.ovh_cloud_database_db:
    service_name: "{{ ovh_project }}"
    cluster_id: "{{ db.database.id }}"
    name: ksm
"""

RETURN = r"""
db:
  description: The database (empty when absent).
  returned: always
  type: dict
  sample: {"id": "a1b2...", "name": "ksm", "default": false}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    OvhModule,
    cloud_argument_spec,
    quote_segment,
    single,
)


class DatabaseDb(OvhModule):
    resource_name = "db"

    def path(self, *rest):
        base = "%s/database/postgresql/%s/database" % (self.project, quote_segment(self.params["cluster_id"]))
        return "/".join([base] + [quote_segment(r) for r in rest])

    def find(self):
        name = self.params["name"]
        found = []
        for did in self.api.get(self.path()) or []:
            db = self.api.get(self.path(did), absent_ok=True)
            if db and db.get("name") == name:
                found.append(db)
        return single(found, "databases named %r" % name)

    def run(self):
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if not p["cluster_id"].strip():
            self.fail("cluster_id must not be empty")
        current = self.find()
        what = "database %s" % p["name"]
        before = {"name": current["name"]} if current else {}
        if p["state"] == "absent":
            self.set_diff(before, {})
            if current and self.will_write():
                self.delete_or_confirm(lambda: self.api.delete(self.path(current["id"])),
                                       lambda: self.api.get(self.path(current["id"]), absent_ok=True), what)
            self.set_resource({})
            return
        self.set_diff(before, {"name": p["name"]})
        if current:
            self.set_resource(current)
            return
        if not self.will_write():
            self.set_resource({"name": p["name"]})
            return
        self.set_resource(self.create_or_adopt(lambda: self.api.post(self.path(), {"name": p["name"]}), self.find,
                                               what))


def main():
    spec = cloud_argument_spec()
    spec.update(
        cluster_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    DatabaseDb(module).execute()


if __name__ == "__main__":
    main()
