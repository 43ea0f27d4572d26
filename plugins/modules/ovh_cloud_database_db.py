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
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows the database name before and after.
seealso:
  - module: baobab.webstack.ovh_cloud_database
    description: The PostgreSQL service the database lives in.
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

from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    DatabaseChild,
)


class DatabaseDb(DatabaseChild):
    resource_name = "db"
    collection = "database"
    noun = "database"


def main():
    DatabaseDb.main()


if __name__ == "__main__":
    main()
