#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_database_user
short_description: Manage a user of a DigitalOcean managed database cluster
description:
  - Creates or drops one database user of a managed cluster.
  - The generated password is returned at creation and on every run; register the result with C(no_log=true).
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the user must exist.
    type: str
    choices: [present, absent]
    default: present
  cluster_id:
    description: Id (UUID) of the cluster.
    type: str
    required: true
  name:
    description: User name.
    type: str
    required: true
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Application user
  baobab.webstack.do_database_user:
    cluster_id: "{{ pg.database.id }}"
    name: shop
  register: shop_user
  no_log: true
"""

RETURN = r"""
user:
  description:
    - The user with its role and password (empty after deletion).
    - Sensitive, holds RV(user.password).
  returned: always
  type: dict
  contains:
    name:
      description: User name.
      type: str
      returned: success
      sample: shop
    role:
      description: C(primary) for the cluster's admin, C(normal) otherwise; V(null) in check mode.
      type: str
      returned: success
      sample: normal
    password:
      description: The user's password. Sensitive; V(null) in check mode.
      type: str
      returned: success
      sample: "..."
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


class User(DatabaseChild):
    resource_name = "user"
    collection = "users"
    noun = "database user"
    curated_keys = ("role", "password")


def main():
    User.main()


if __name__ == "__main__":
    main()
