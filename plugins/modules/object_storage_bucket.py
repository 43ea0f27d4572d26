#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: object_storage_bucket
short_description: Manage a bucket on any S3-compatible object storage
description:
  - Creates or deletes a bucket and keeps its versioning, an expiration lifecycle rule and its canned ACL in the
    wanted state, on any S3-compatible service (DigitalOcean Spaces, OVHcloud Object Storage, MinIO, AWS S3).
  - Buckets are private unless asked otherwise.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
requirements:
  - boto3
options:
  state:
    description: Whether the bucket must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Bucket name.
    type: str
    required: true
  endpoint_url:
    description:
      - S3 endpoint, for example C(https://fra1.digitaloceanspaces.com) (Spaces) or
        C(https://s3.gra.io.cloud.ovh.net) (OVHcloud). Leave out for AWS S3.
    type: str
  region:
    description:
      - Region name used for request signing and as the bucket's location constraint
        (C(fra1) for Spaces, C(gra) for OVHcloud). C(us-east-1) sends no location constraint.
    type: str
    default: us-east-1
  access_key:
    description: Access key id. Falls back to E(S3_ACCESS_KEY_ID), then E(AWS_ACCESS_KEY_ID).
    type: str
  secret_key:
    description: Secret key. Falls back to E(S3_SECRET_ACCESS_KEY), then E(AWS_SECRET_ACCESS_KEY).
    type: str
  addressing_style:
    description: How the bucket is put in URLs. C(path) suits local test servers.
    type: str
    choices: [auto, path, virtual]
    default: auto
  versioning:
    description:
      - Keep old versions of objects. V(false) suspends versioning of a bucket that had it (S3 cannot turn it off).
      - Left unchanged when not given.
    type: bool
  expiration_days:
    description:
      - Delete objects this many days after their creation (a lifecycle rule managed by this module).
      - V(0) removes that rule. Other lifecycle rules are kept. Left unchanged when not given.
    type: int
  acl:
    description: Canned ACL of the bucket.
    type: str
    choices: [private, public-read]
    default: private
  force:
    description: With O(state=absent), delete every object (and object version) first.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Check mode reports what would change and never sends a write request.
  diff_mode:
    support: full
    description: Returns the bucket settings before and after the change.
"""

EXAMPLES = r"""
- name: Uploads bucket on DigitalOcean Spaces
  baobab.webstack.object_storage_bucket:
    name: shop-uploads
    endpoint_url: https://fra1.digitaloceanspaces.com
    region: fra1
    access_key: "{{ vault_spaces_key }}"
    secret_key: "{{ vault_spaces_secret }}"
    versioning: true
  no_log: true

- name: Backups bucket on OVHcloud, objects expire after 30 days
  baobab.webstack.object_storage_bucket:
    name: shop-backups
    endpoint_url: https://s3.gra.io.cloud.ovh.net
    region: gra
    expiration_days: 30
"""

RETURN = r"""
bucket:
  description: The bucket settings after the run (empty after deletion).
  returned: always
  type: dict
  sample: {"name": "shop-uploads", "versioning": true, "expiration_days": 30, "acl": "private"}
"""

import traceback  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib  # noqa: E402

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    HAS_BOTO3 = False
    BOTO3_ERROR = traceback.format_exc()
else:
    HAS_BOTO3 = True
    BOTO3_ERROR = None

RULE_ID = "baobab-webstack-expiration"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def error_code(error):
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code", "")


class Bucket:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.changed = False
        config = Config(s3={"addressing_style": self.p["addressing_style"]},
                        retries={"max_attempts": 5, "mode": "standard"})
        self.s3 = boto3.client(
            "s3",
            endpoint_url=self.p["endpoint_url"],
            region_name=self.p["region"],
            aws_access_key_id=self.p["access_key"],
            aws_secret_access_key=self.p["secret_key"],
            config=config,
        )

    def call(self, name, **kwargs):
        try:
            return getattr(self.s3, name)(**kwargs)
        except (ClientError, BotoCoreError) as error:
            self.module.fail_json(msg="S3 %s on bucket %s failed: %s" % (name, self.p["name"], error),
                                  code=error_code(error))

    def exists(self):
        try:
            self.s3.head_bucket(Bucket=self.p["name"])
            return True
        except ClientError as error:
            if error_code(error) in ("404", "NoSuchBucket", "NotFound"):
                return False
            self.module.fail_json(msg="S3 head_bucket on bucket %s failed: %s" % (self.p["name"], error),
                                  code=error_code(error))
        except BotoCoreError as error:
            self.module.fail_json(msg="S3 head_bucket on bucket %s failed: %s" % (self.p["name"], error))

    def state(self):
        name = self.p["name"]
        versioning = self.call("get_bucket_versioning", Bucket=name).get("Status")
        try:
            rules = self.s3.get_bucket_lifecycle_configuration(Bucket=name).get("Rules", [])
        except ClientError as error:
            if error_code(error) != "NoSuchLifecycleConfiguration":
                self.module.fail_json(msg="S3 get_bucket_lifecycle_configuration on bucket %s failed: %s"
                                      % (name, error))
            rules = []
        days = 0
        for rule in rules:
            if rule.get("ID") == RULE_ID:
                days = (rule.get("Expiration") or {}).get("Days") or 0
        grants = self.call("get_bucket_acl", Bucket=name).get("Grants", [])
        public = any((g.get("Grantee") or {}).get("URI") == ALL_USERS for g in grants)
        return {
            "name": name,
            "versioning": versioning == "Enabled",
            "versioning_status": versioning or "Disabled",
            "expiration_days": days,
            "acl": "public-read" if public else "private",
        }, rules

    def write(self):
        self.changed = True
        return not self.module.check_mode

    def present(self):
        p = self.p
        created = False
        if not self.exists():
            created = True
            if self.write():
                kwargs = {"Bucket": p["name"]}
                if p["region"] and p["region"] != "us-east-1":
                    kwargs["CreateBucketConfiguration"] = {"LocationConstraint": p["region"]}
                self.call("create_bucket", **kwargs)
        if created and self.module.check_mode:
            before = {}
            current = {"name": p["name"], "versioning": False, "versioning_status": "Disabled",
                       "expiration_days": 0, "acl": "private"}
            rules = []
        else:
            current, rules = self.state()
            before = {} if created else dict(current)
        after = dict(current)
        if p["versioning"] is not None and p["versioning"] != current["versioning"] and (
                p["versioning"] or current["versioning_status"] == "Enabled"):
            after["versioning"] = p["versioning"]
            after["versioning_status"] = "Enabled" if p["versioning"] else "Suspended"
            if self.write():
                self.call("put_bucket_versioning", Bucket=p["name"],
                          VersioningConfiguration={"Status": after["versioning_status"]})
        if p["expiration_days"] is not None and p["expiration_days"] != current["expiration_days"]:
            after["expiration_days"] = p["expiration_days"]
            others = [r for r in rules if r.get("ID") != RULE_ID]
            if p["expiration_days"] > 0:
                others.append({"ID": RULE_ID, "Status": "Enabled", "Filter": {"Prefix": ""},
                               "Expiration": {"Days": p["expiration_days"]}})
            if self.write():
                if others:
                    self.call("put_bucket_lifecycle_configuration", Bucket=p["name"],
                              LifecycleConfiguration={"Rules": others})
                else:
                    self.call("delete_bucket_lifecycle", Bucket=p["name"])
        if p["acl"] != current["acl"] or (created and p["acl"] != "private"):
            after["acl"] = p["acl"]
            if self.write():
                self.call("put_bucket_acl", Bucket=p["name"], ACL=p["acl"])
        return before, after

    def absent(self):
        p = self.p
        if not self.exists():
            return {}, {}
        before, _rules = self.state()
        if not self.write():
            return before, {}
        if p["force"]:
            paginator = self.s3.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=p["name"]):
                doomed = [{"Key": o["Key"], "VersionId": o["VersionId"]}
                          for o in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
                if doomed:
                    self.call("delete_objects", Bucket=p["name"], Delete={"Objects": doomed, "Quiet": True})
        try:
            self.s3.delete_bucket(Bucket=p["name"])
        except ClientError as error:
            if error_code(error) == "BucketNotEmpty":
                self.module.fail_json(msg="bucket %s is not empty: empty it first or set force=true" % p["name"])
            self.module.fail_json(msg="S3 delete_bucket on bucket %s failed: %s" % (p["name"], error))
        return before, {}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            name=dict(type="str", required=True),
            endpoint_url=dict(type="str"),
            region=dict(type="str", default="us-east-1"),
            access_key=dict(type="str", no_log=True,
                            fallback=(env_fallback, ["S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"])),
            secret_key=dict(type="str", no_log=True,
                            fallback=(env_fallback, ["S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"])),
            addressing_style=dict(type="str", default="auto", choices=["auto", "path", "virtual"]),
            versioning=dict(type="bool"),
            expiration_days=dict(type="int"),
            acl=dict(type="str", default="private", choices=["private", "public-read"]),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_ERROR)
    if module.params["expiration_days"] is not None and module.params["expiration_days"] < 0:
        module.fail_json(msg="expiration_days must be 0 (no expiration) or more")
    bucket = Bucket(module)
    if module.params["state"] == "present":
        before, after = bucket.present()
    else:
        before, after = bucket.absent()
    result = {"changed": bucket.changed, "bucket": after}
    if module._diff and bucket.changed:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
