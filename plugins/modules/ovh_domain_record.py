#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_domain_record
short_description: Manage DNS records of an OVHcloud DNS zone
version_added: 0.1.0
description:
  - Create, update or delete a record of a DNS zone hosted by OVHcloud.
  - A record is identified by O(sub_domain), O(type) and O(target). With O(unique=true) the module owns every
    record of that name and type, so a new O(target) replaces the old one instead of adding a second record.
  - After any change the zone is refreshed (C(POST /domain/zone/{zone}/refresh)) so the change is published.
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.actiongroup
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows the records of that name and type before and after.
options:
  zone:
    description: The DNS zone, for example V(example.com).
    type: str
    required: true
  sub_domain:
    description:
      - Name inside the zone; the empty string is the zone apex.
      - Apex records are listed without a C(subDomain) filter (the API takes no empty value) and created without
        C(subDomain).
    type: str
    default: ""
  type:
    description: Record type.
    type: str
    required: true
    choices: [A, AAAA, CAA, CNAME, DKIM, DMARC, DNAME, LOC, MX, NAPTR, NS, PTR, SPF, SRV, SSHFP, TLSA, TXT]
  target:
    description: Value of the record. Required unless O(state=absent) with O(unique=true).
    type: str
  ttl:
    description: TTL in seconds; V(0) uses the zone default. A negative value fails before any request.
    type: int
    default: 0
  unique:
    description:
      - Keep exactly one record of this O(sub_domain) and O(type). Other targets are updated or removed.
      - With O(state=absent) and no O(target), every record of that name and type is removed.
    type: bool
    default: false
  refresh:
    description: Refresh the zone after a change.
    type: bool
    default: true
  state:
    description: Whether the record should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Point the API name at the load balancer
  baobab.webstack.ovh_domain_record:
    zone: example.com
    sub_domain: api
    type: A
    target: 51.0.0.10
    ttl: 300
    unique: true

- name: Remove it
  baobab.webstack.ovh_domain_record:
    zone: example.com
    sub_domain: api
    type: A
    unique: true
    state: absent
"""

RETURN = r"""
record:
  description:
    - The record in the collection's shared vocabulary (empty when absent).
    - In check mode, a record that would be created has no RV(record.id) yet.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the record in the zone.
      type: int
      sample: 5123
    name:
      description: Full name of the record (the zone itself for the apex).
      type: str
      sample: api.example.com
    zone:
      description: DNS zone.
      type: str
      sample: example.com
    sub_domain:
      description: Sub-domain, empty for the apex.
      type: str
      sample: api
    type:
      description: Record type.
      type: str
      sample: A
    target:
      description: Value of the record.
      type: str
      sample: 51.0.0.10
    ttl:
      description: TTL in seconds, V(0) for the zone's default.
      type: int
      sample: 300
    raw:
      description: The record as the OVHcloud API returns it. Provider-specific, not meant for playbooks.
      type: dict
      sample: {"id": 5123, "zone": "example.com", "subDomain": "api", "fieldType": "A", "target": "51.0.0.10"}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    Desired,
    OvhModule,
    common_argument_spec,
    first,
    quote_segment,
)

TYPES = ["A", "AAAA", "CAA", "CNAME", "DKIM", "DMARC", "DNAME", "LOC", "MX", "NAPTR", "NS", "PTR", "SPF", "SRV",
         "SSHFP", "TLSA", "TXT"]


def norm_target(value):
    return (value or "").strip()


class Record(OvhModule):
    resource_name = "record"

    def path(self, *rest):
        return "/".join(["/domain/zone/%s" % quote_segment(self.params["zone"])] + [str(r) for r in rest])

    def label(self):
        p = self.params
        return "%s record %s.%s -> %s" % (p["type"], p["sub_domain"], p["zone"], norm_target(p["target"]))

    @staticmethod
    def lines(records):
        return {"records": sorted("%s %s" % (r.get("ttl") or 0, r.get("target")) for r in records)}

    def curate(self, resource):
        rec = resource
        sub = rec.get("subDomain") or ""
        zone = rec.get("zone") or self.params["zone"]
        return {
            "id": rec.get("id"),
            "name": "%s.%s" % (sub, zone) if sub else zone,
            "zone": zone,
            "sub_domain": sub,
            "type": rec.get("fieldType"),
            "target": rec.get("target"),
            "ttl": rec.get("ttl"),
            "raw": rec,
        }

    def records(self):
        """The records of this type and sub-domain (exact matches)."""
        p = self.params
        # the apex has no sub-domain: the reference rejects an empty subDomain
        # filter, so apex lookups list the type and keep the apex records below
        query = {"fieldType": p["type"], "subDomain": p["sub_domain"] or None}
        ids = self.client.get(self.path("record"), query=query) or []
        records = []
        for rid in ids:
            rec = self.client.get(self.path("record", rid), absent_ok=True)
            # the API filters with LIKE/ILIKE: keep exact matches only
            if rec and (rec.get("subDomain") or "") == p["sub_domain"] and rec.get("fieldType") == p["type"]:
                records.append(rec)
        return records

    def validate(self):
        p = self.params
        if not p["zone"].strip().strip("."):
            self.fail("zone must not be empty")
        if p["sub_domain"] is None:
            p["sub_domain"] = ""
        if p["sub_domain"] != p["sub_domain"].strip() or " " in p["sub_domain"]:
            self.fail("sub_domain must not contain spaces, got %r" % p["sub_domain"])
        if p["ttl"] < 0:
            self.fail("ttl must be 0 (the zone default) or a positive number of seconds, got %s" % p["ttl"])
        if p["state"] == "present" and p["target"] is not None and not p["target"].strip():
            self.fail("target must not be empty")
        if p["state"] == "absent" and p["target"] is None and not p["unique"]:
            self.fail("target is required with state=absent unless unique=true")
        if p["state"] == "present" and p["target"] is None:
            self.fail("target is required with state=present")

    def lookup(self):
        """The record to keep (or the first to delete); plans the other writes.

        With O(unique), any record of this name and type is updated to the
        target, and the others are deleted."""
        p = self.params
        target = norm_target(p["target"])
        self.found = self.records()
        same = [r for r in self.found if norm_target(r.get("target")) == target] if p["target"] else []
        others = [r for r in self.found if r not in same]
        if p["state"] == "absent":
            self.doomed = self.found if p["unique"] else same
            self.final = [r for r in self.found if r not in self.doomed]
            return first(self.doomed)
        keep = first(same)
        self.put = keep is not None and (keep.get("ttl") or 0) != p["ttl"]
        if keep is None and p["unique"] and others:
            keep, others, self.put = others[0], others[1:], True
        self.doomed = others + same[1:] if p["unique"] else []
        self.final = [r for r in self.found if r is not keep and r not in self.doomed]
        self.final.append(self.desired_record(keep))
        return keep

    def desired_record(self, keep):
        p = self.params
        base = keep or {"zone": p["zone"], "subDomain": p["sub_domain"], "fieldType": p["type"]}
        return dict(base, target=norm_target(p["target"]), ttl=p["ttl"])

    def set_diff(self, before, after):
        # every record of this name and type, the untouched ones included
        super(Record, self).set_diff(self.lines(self.found), self.lines(self.final))

    def desired(self):
        return Desired(target=norm_target(self.params["target"]), ttl=self.params["ttl"])

    def planned(self, desired):
        return self.desired_record(None)

    def differences(self, current, desired):
        return ["records"] if self.put or self.doomed else []

    def planned_update(self, current, desired, changes):
        return self.desired_record(current)

    def body(self):
        p = self.params
        body = {"target": norm_target(p["target"]), "ttl": p["ttl"]}
        # the apex has no sub-domain: an empty subDomain is never sent
        if p["sub_domain"]:
            body["subDomain"] = p["sub_domain"]
        return body

    def create(self, desired):
        return self.client.post(self.path("record"), dict(self.body(), fieldType=self.params["type"]))

    def update(self, current, desired, changes):
        if self.put:
            self.client.put(self.path("record", current["id"]), self.body())
        self.delete_records(self.doomed)
        return self.client.get(self.path("record", current["id"]))

    def delete_records(self, records):
        for rec in records:
            record_path = self.path("record", rec["id"])
            self.delete_or_confirm(lambda record_path=record_path: self.client.delete(record_path),
                                   lambda record_path=record_path: self.client.get(record_path, absent_ok=True),
                                   "record %s" % rec["id"])

    def refresh(self):
        if self.params["refresh"]:
            # applying the zone again changes nothing: safe to repeat
            self.client.post(self.path("refresh"), idempotent=True)

    def wait(self, resource):
        self.refresh()
        return resource

    def delete(self, current):
        self.delete_records(self.doomed)
        self.refresh()

    def lookup_deleted(self, current):
        return None


def main():
    spec = common_argument_spec()
    spec.update(
        zone=dict(type="str", required=True),
        sub_domain=dict(type="str", default=""),
        type=dict(type="str", required=True, choices=TYPES),
        target=dict(type="str"),
        ttl=dict(type="int", default=0),
        unique=dict(type="bool", default=False),
        refresh=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    Record(module).execute()


if __name__ == "__main__":
    main()
