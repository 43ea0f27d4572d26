#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_domain_record
short_description: Manage a DNS record of a DigitalOcean domain
description:
  - Adds, updates or removes one DNS record.
  - By default a record is identified by its type, name and data, so several A records with the same name
    (round robin) can coexist; TTL, priority, weight, port, flags and tag are updated in place.
  - With O(unique=true) the record is identified by type and name only and its data is updated in place
    (a single C(A www) record that moves to a new address). Two records matching the key make the module fail.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the record must exist.
    type: str
    choices: [present, absent]
    default: present
  domain:
    description: The domain (zone) holding the record.
    type: str
    required: true
  type:
    description: Record type.
    type: str
    required: true
    choices: [A, AAAA, CNAME, TXT, MX, CAA, NS, SRV]
  name:
    description: Host name relative to the domain; V(@) is the apex.
    type: str
    default: "@"
  data:
    description:
      - Value of the record (address, target host, text...). Host names may be given with or without the
        final dot. Required with O(state=present) and, unless O(unique=true), with O(state=absent).
    type: str
  ttl:
    description: Time to live in seconds.
    type: int
    default: 1800
  priority:
    description: Priority (MX and SRV).
    type: int
  port:
    description: Port (SRV).
    type: int
  weight:
    description: Weight (SRV).
    type: int
  flags:
    description: Flags (CAA), usually V(0).
    type: int
  tag:
    description: Tag (CAA).
    type: str
    choices: [issue, issuewild, iodef]
  unique:
    description: Identify the record by type and name only (see the description).
    type: bool
    default: false
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Apex points at the load balancer
  baobab.webstack.do_domain_record:
    domain: shop.example.com
    type: A
    name: "@"
    data: "{{ lb.load_balancer.public_ipv4 }}"
    unique: true

- name: Mail
  baobab.webstack.do_domain_record:
    domain: shop.example.com
    type: MX
    data: mx.mail.example.net.
    priority: 10

- name: Only Let's Encrypt may issue certificates
  baobab.webstack.do_domain_record:
    domain: shop.example.com
    type: CAA
    data: letsencrypt.org
    flags: 0
    tag: issue
"""

RETURN = r"""
record:
  description:
    - The record, with the collection's names for what playbooks need (empty after deletion).
  returned: always
  type: dict
  contains:
    id:
      description: Record id; V(null) in check mode for a record that would be created.
      type: int
      returned: success
      sample: 28448433
    name:
      description: Host name relative to the domain, V(@) for the apex.
      type: str
      returned: success
      sample: www
    domain:
      description: The domain (zone).
      type: str
      returned: success
      sample: shop.example.com
    fqdn:
      description: The full name of the record.
      type: str
      returned: success
      sample: www.shop.example.com
    type:
      description: Record type.
      type: str
      returned: success
      sample: A
    data:
      description: Value of the record.
      type: str
      returned: success
      sample: 203.0.113.10
    ttl:
      description: Time to live in seconds.
      type: int
      returned: success
      sample: 1800
    priority:
      description: Priority (MX and SRV), V(null) otherwise.
      type: int
      returned: success
      sample: 10
    port:
      description: Port (SRV), V(null) otherwise.
      type: int
      returned: success
      sample: 5060
    weight:
      description: Weight (SRV), V(null) otherwise.
      type: int
      returned: success
      sample: 5
    flags:
      description: Flags (CAA), V(null) otherwise.
      type: int
      returned: success
      sample: 0
    tag:
      description: Tag (CAA), V(null) otherwise.
      type: str
      returned: success
      sample: issue
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    ApiError,
    curated,
    state_argument_spec,
)
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
)

HOST_TYPES = ("CNAME", "MX", "NS", "SRV")
EXTRA = ("ttl", "priority", "port", "weight", "flags", "tag")


def canonical_data(rtype, data):
    if data is None:
        return None
    if rtype in HOST_TYPES and data != "@":
        return data.rstrip(".").lower()
    if rtype == "AAAA":
        return data.lower()
    if rtype == "TXT" and len(data) > 1 and data.startswith('"') and data.endswith('"'):
        return data[1:-1]
    return data


class Record(DigitalOceanModule):
    resource_name = "record"
    api_key = "domain_record"

    def label(self):
        return "%s record %s" % (self.params["type"], self.fqdn)

    def validate(self):
        """Everything that can be checked without the API, before the first request."""
        p = self.params
        if not p["domain"].strip().rstrip("."):
            self.fail("domain must not be empty")
        if p["ttl"] is not None and p["ttl"] < 1:
            self.fail("ttl must be a positive number of seconds, got %s" % p["ttl"])
        for key in ("priority", "port", "weight"):
            if p[key] is not None and not 0 <= p[key] <= 65535:
                self.fail("%s must be between 0 and 65535, got %s" % (key, p[key]))
        if p["flags"] is not None and not 0 <= p["flags"] <= 255:
            self.fail("flags must be between 0 and 255, got %s" % p["flags"])
        if p["state"] == "present":
            if p["type"] in ("MX", "SRV") and p["priority"] is None:
                self.fail("priority is required for %s records" % p["type"])
            if p["type"] == "SRV" and (p["port"] is None or p["weight"] is None):
                self.fail("port and weight are required for SRV records")
            if p["type"] == "CAA" and (p["flags"] is None or p["tag"] is None):
                self.fail("flags and tag are required for CAA records")
        self.domain = domain = p["domain"].lower().rstrip(".")
        self.api_path = "domains/%s/records" % domain
        name = p["name"]
        if name.endswith("." + domain) or name.endswith("." + domain + "."):
            name = name.rstrip(".")[: -len(domain) - 1]
        elif name.rstrip(".") == domain or name == "":
            name = "@"
        self.record_name = name
        self.fqdn = domain if name == "@" else "%s.%s" % (name, domain)
        self.data = canonical_data(p["type"], p["data"])
        if self.data is None and (p["state"] == "present" or not p["unique"]):
            self.fail("data is required unless state=absent with unique=true")

    def lookup(self):
        """The record this task manages (``None`` when absent).  A domain
        that does not exist holds no record with state=absent, and in check
        mode (an earlier task would create it); otherwise its 404 fails."""
        p = self.params
        try:
            records = self.client.paginate(self.api_path, "domain_records",
                                           query={"type": p["type"], "name": self.fqdn})
        except ApiError as error:
            if error.status == 404 and (p["state"] == "absent" or self.check_mode):
                return None
            raise
        same = [r for r in records if r.get("type") == p["type"] and r.get("name") == self.record_name]
        candidates = same
        if not p["unique"] or (p["state"] == "absent" and self.data is not None):
            candidates = [r for r in same if canonical_data(p["type"], r.get("data")) == self.data]
        return self.one_match(candidates, "%s records named %s%s" % (
            p["type"], self.fqdn, "" if p["unique"] else " with data %s" % self.data))

    def desired(self):
        p = self.params
        wanted = {"type": p["type"], "name": self.record_name, "data": p["data"], "ttl": p["ttl"]}
        for key in EXTRA[1:]:
            if p[key] is not None:
                wanted[key] = p[key]
        return wanted

    def view(self, resource):
        keys = ("type", "name", "data", *EXTRA)
        return dict((key, resource[key]) for key in keys if resource.get(key) is not None)

    def differences(self, current, desired):
        changes = [k for k in EXTRA if k in desired and desired[k] != current.get(k)]
        if canonical_data(desired["type"], current.get("data")) != self.data:
            changes.append("data")
        return sorted(changes)

    def update(self, current, desired, changes):
        body = dict((key, desired[key]) for key in changes)
        return self.unwrap(self.client.put(self.item_path(current), dict(body, type=desired["type"])))

    def curate(self, resource):
        return curated(
            resource,
            id=resource.get("id"),
            name=resource.get("name"),
            domain=self.domain,
            fqdn=self.fqdn,
            type=resource.get("type"),
            data=resource.get("data"),
            ttl=resource.get("ttl"),
            priority=resource.get("priority"),
            port=resource.get("port"),
            weight=resource.get("weight"),
            flags=resource.get("flags"),
            tag=resource.get("tag"),
        )


def main():
    Record.run_module(
        dict(
            state_argument_spec(),
            domain=dict(type="str", required=True),
            type=dict(type="str", required=True, choices=["A", "AAAA", "CNAME", "TXT", "MX", "CAA", "NS", "SRV"]),
            name=dict(type="str", default="@"),
            data=dict(type="str"),
            ttl=dict(type="int", default=1800),
            priority=dict(type="int"),
            port=dict(type="int"),
            weight=dict(type="int"),
            flags=dict(type="int"),
            tag=dict(type="str", choices=["issue", "issuewild", "iodef"], no_log=False),
            unique=dict(type="bool", default=False),
        ),
    )


if __name__ == "__main__":
    main()
