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
    description: Host name relative to the domain; C(@) is the apex.
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
    description: Flags (CAA), usually C(0).
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
    data: "{{ lb.load_balancer.ip }}"
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
  description: The record as the API returns it (empty after deletion).
  returned: always
  type: dict
  sample: {"id": 28448433, "type": "A", "name": "www", "data": "203.0.113.10", "ttl": 1800}
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import ApiError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    build_module,
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

    def check_input(self):
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

    def lookup(self, domain, name, fqdn, data):
        """The record this task manages (``None`` when absent); raises the
        API's 404 when the domain does not exist."""
        p = self.params
        records = self.client.paginate("domains/%s/records" % domain, "domain_records",
                                       query={"type": p["type"], "name": fqdn})
        same = [r for r in records if r.get("type") == p["type"] and r.get("name") == name]
        candidates = same
        if not p["unique"] or (p["state"] == "absent" and data is not None):
            candidates = [r for r in same if canonical_data(p["type"], r.get("data")) == data]
        return self.one_match(candidates, "%s records named %s%s" % (
            p["type"], fqdn, "" if p["unique"] else " with data %s" % data))

    def run(self):
        p = self.params
        self.check_input()
        domain = p["domain"].lower().rstrip(".")
        name = p["name"]
        if name.endswith("." + domain) or name.endswith("." + domain + "."):
            name = name.rstrip(".")[: -len(domain) - 1]
        elif name.rstrip(".") == domain or name == "":
            name = "@"
        fqdn = domain if name == "@" else "%s.%s" % (name, domain)
        data = canonical_data(p["type"], p["data"])
        if data is None and (p["state"] == "present" or not p["unique"]):
            self.fail("data is required unless state=absent with unique=true")

        def lookup():
            return self.lookup(domain, name, fqdn, data)

        try:
            current = lookup()
        except ApiError as error:
            if error.status != 404:
                raise
            if p["state"] == "absent":
                # no such domain: the record is absent too
                self.set_resource({})
                return
            if not self.check_mode:
                raise
            # check mode: the domain itself would only be created by an earlier task
            current = None
        path = "domains/%s/records" % domain
        what = "%s record %s" % (p["type"], fqdn)
        if p["state"] == "absent":
            self.set_resource({})
            if current:
                self.set_diff(current, {})
                if self.will_write():
                    self.delete_or_confirm(lambda: self.client.delete("%s/%s" % (path, current["id"])), lookup, what)
            return
        wanted = {"type": p["type"], "name": name, "data": p["data"], "ttl": p["ttl"]}
        for key in EXTRA[1:]:
            if p[key] is not None:
                wanted[key] = p[key]
        if current is None:
            self.set_diff({}, wanted)
            result = wanted
            if self.will_write():
                result = self.create_or_adopt(lambda: self.client.post(path, wanted)["domain_record"], lookup, what)
            self.set_resource(result)
            return
        update = dict((k, wanted[k]) for k in EXTRA if k in wanted and wanted[k] != current.get(k))
        if canonical_data(p["type"], current.get("data")) != data:
            update["data"] = p["data"]
        if not update:
            self.set_resource(current)
            return
        after = dict(current, **update)
        self.set_diff(current, after)
        if self.will_write():
            after = self.client.put("%s/%s" % (path, current["id"]), dict(update, type=p["type"]))["domain_record"]
        self.set_resource(after)


def main():
    module = build_module(
        dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
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
    Record(module).execute()


if __name__ == "__main__":
    main()
