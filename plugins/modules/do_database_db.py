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
  description:
    - The database (empty after deletion).
  returned: always
  type: dict
  contains:
    name:
      description: Database name.
      type: str
      returned: success
      sample: shop
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DatabaseChild,
)


class Db(DatabaseChild):
    resource_name = "db"
    collection = "dbs"
    noun = "database"


def main():
    Db.main()


if __name__ == "__main__":
    main()
