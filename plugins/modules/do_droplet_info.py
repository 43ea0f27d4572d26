#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_droplet_info
short_description: List DigitalOcean droplets
description:
  - Returns the droplets of the account, optionally filtered by name, region, tag or VPC. Never changes anything.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  name:
    description: Only droplets with this name.
    type: str
  region:
    description: Only droplets in this region.
    type: str
  tag:
    description: Only droplets with this tag (filtered by the API).
    type: str
  vpc_uuid:
    description: Only droplets in this VPC.
    type: str
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.info_attributes
seealso:
  - module: baobab.webstack.do_droplet
    description: Creates, updates and deletes a droplet.
"""

EXAMPLES = r"""
- name: Application servers
  baobab.webstack.do_droplet_info:
    tag: app
    region: fra1
  register: apps
"""

RETURN = r"""
droplets:
  description: Matching droplets, each with C(public_ipv4) and C(private_ipv4) added.
  returned: always
  type: list
  elements: dict
  sample: [{"id": 3164444, "name": "shop-app-1", "public_ipv4": "203.0.113.10", "private_ipv4": "10.20.0.2"}]
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    build_module,
    client_from_params,
    droplet_ips,
)


def main():
    module = build_module(dict(
        name=dict(type="str"),
        region=dict(type="str"),
        tag=dict(type="str"),
        vpc_uuid=dict(type="str"),
    ))
    p = module.params
    try:
        client = client_from_params(module)
        query = {}
        if p["tag"]:
            query["tag_name"] = p["tag"]
        elif p["name"]:
            query["name"] = p["name"]
        droplets = client.paginate("droplets", "droplets", query=query)
    except ApiError as error:
        module.fail_json(msg=error.describe(), call=error.call, status=error.status)
    out = []
    for droplet in droplets:
        if p["name"] and droplet.get("name") != p["name"]:
            continue
        if p["region"] and (droplet.get("region") or {}).get("slug") != p["region"]:
            continue
        if p["vpc_uuid"] and droplet.get("vpc_uuid") != p["vpc_uuid"]:
            continue
        public, private = droplet_ips(droplet)
        out.append(dict(droplet, public_ipv4=public, private_ipv4=private))
    module.exit_json(changed=False, droplets=out)


if __name__ == "__main__":
    main()
