#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_database_db
short_description: Manage a database inside a DigitalOcean managed database cluster
description:
  - Creates or drops one database (schema namespace) of a managed cluster.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the database must exist.
    type: str
    choices: [present, absent]
    default: present
  cluster_id:
    description: Id (UUID) of the cluster.
    type: str
    required: true
  name:
    description: Database name.
    type: str
    required: true
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Application database
  baobab.webstack.do_database_db:
    cluster_id: "{{ pg.database.id }}"
    name: shop
"""

RETURN = r"""
db:
  description: The database (empty after deletion).
  returned: always
  type: dict
  sample: {"name": "shop"}
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
)


class Db(DigitalOceanModule):
    resource_name = "db"

    def path(self):
        return "databases/%s/dbs" % self.params["cluster_id"]

    def lookup(self):
        found = self.client.get_or_none("%s/%s" % (self.path(), self.params["name"]))
        return found.get("db") if found else None

    def run(self):
        p = self.params
        path = self.path()
        what = "database %s" % p["name"]
        current = self.lookup()
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff(current, {})
                if self.will_write():
                    self.delete_or_confirm(lambda: self.client.delete("%s/%s" % (path, p["name"])), self.lookup,
                                           what)
            return
        if current:
            self.set_resource(current)
            return
        self.set_diff({}, {"name": p["name"]})
        result = {"name": p["name"]}
        if self.will_write():
            result = self.create_or_adopt(lambda: self.client.post(path, {"name": p["name"]})["db"], self.lookup,
                                          what)
        self.set_resource(result)


def main():
    module = build_module(dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        cluster_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
    ))
    Db(module).execute()


if __name__ == "__main__":
    main()
