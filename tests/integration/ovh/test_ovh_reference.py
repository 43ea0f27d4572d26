"""The fake API (and so every request the modules send, since the fake rejects
unknown paths and body fields) matches the published OVHcloud API reference:
paths, methods, body field names, required fields.

The reference files live outside the repository (``../shared/reference`` from
the repository root, or the directory ``BAOBAB_REFERENCE_DIR`` names); the
tests are skipped with the reason when they are absent, and fail instead under
``CI=true`` (unless no ``shared`` directory was laid beside the checkout at
all and no variable names one: the skip then says so)."""

import json
import os
import re
import sys
from pathlib import Path

import ovh_pool_source
import pytest
from ovh_fake_api import ROUTES, FakeOvh
from ovh_harness import COLLECTIONS, ROOT

sys.path.insert(0, str(COLLECTIONS))
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import OvhApi

REFERENCE = Path(os.environ.get("BAOBAB_REFERENCE_DIR") or ROOT.parent / "shared" / "reference")
CLOUD_V1 = REFERENCE / "ovh-cloud-v1-api-paths.txt"
DOMAIN = REFERENCE / "ovh-domain-openapi.json"


@pytest.fixture(autouse=True)
def reference_files():
    """Skip without the reference files; under CI=true, fail instead."""
    missing = [p.name for p in (CLOUD_V1, DOMAIN) if not p.is_file()]
    if missing:
        what = "OVHcloud API reference not found in %s (missing %s; set BAOBAB_REFERENCE_DIR)" % (
            REFERENCE, ", ".join(missing))
        if os.environ.get("CI", "").lower() == "true":
            if os.environ.get("BAOBAB_REFERENCE_DIR") or (ROOT.parent / "shared").exists():
                pytest.fail("%s (CI=true: the reference is required)" % what, pytrace=False)
            what += " (CI=true, but no shared/ directory is beside the checkout: nothing to check against)"
        pytest.skip(what)


def top_level_fields(params):
    """Field names (and which are required) of a `{ a?: T, b: { ... } }` parameter list."""
    depth, current, parts = 0, "", []
    for ch in params.strip()[1:-1]:
        if ch in "{[<(":
            depth += 1
        elif ch in "}]>)":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    fields = {}
    for part in parts:
        match = re.match(r"\s*(\w+)(\?)?\s*:", part)
        if match:
            name = match.group(1).rstrip("_")  # `default_` stands for `default`
            fields[name] = match.group(2) is None
    return fields


def cloud_reference():
    out = {}
    lines = CLOUD_V1.read_text().splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^(GET|POST|PUT|DELETE) (\S+)", line)
        if not match:
            continue
        fields = None
        sig = lines[i + 1] if i + 1 < len(lines) else ""
        body = re.search(r"\$(?:post|put)\(params\??: (\{.*\})\): Promise", sig)
        if body:
            fields = top_level_fields(body.group(1))
        elif re.search(r"\$(?:post|put)\(\)", sig):
            fields = {}
        out[(match.group(1), match.group(2))] = fields
    return out


def domain_reference():
    spec = json.loads(DOMAIN.read_text())
    schemas = spec["components"]["schemas"]
    out = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            fields = None
            if method in ("post", "put"):
                fields = {}
                content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
                if content:
                    schema = content["schema"]
                    if "$ref" in schema:
                        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
                    required = set(schema.get("required", []))
                    fields = {k: k in required for k, v in schema.get("properties", {}).items()
                              if not v.get("readOnly")}
            out[(method.upper(), path)] = fields
    return out


# Load balancer member paths are missing from the v1 extract in shared/reference;
# the fake serves them as the public API console describes them.
NOT_IN_EXTRACT = {
    ("GET", "/cloud/project/{serviceName}/region/{regionName}/loadbalancing/pool/{poolId}/member"): None,
    ("POST", "/cloud/project/{serviceName}/region/{regionName}/loadbalancing/pool/{poolId}/member"):
        {"members": True},
    ("DELETE", "/cloud/project/{serviceName}/region/{regionName}/loadbalancing/pool/{poolId}/member/{memberId}"):
        None,
}


def test_every_fake_route_is_in_the_reference():
    reference = cloud_reference()
    reference.update(domain_reference())
    for key in NOT_IN_EXTRACT:
        assert key not in reference, "%s %s is now in the reference: drop it from NOT_IN_EXTRACT" % key
    # The connection pool paths are not in the extract either: they are checked
    # against the public sources recorded in ovh_pool_source.py (see
    # test_ovh_pool_source.py), not against these reference files.
    for key in ovh_pool_source.ROUTES:
        assert key not in reference, "%s %s is now in the reference: check the pool routes against it" % key
    reference.update(NOT_IN_EXTRACT)
    reference.update(ovh_pool_source.ROUTES)
    checked = 0
    for r in ROUTES:
        key = (r["method"], r["template"])
        assert key in reference, "%s %s is not in the published API" % key
        ref_fields = reference[key]
        if r["fields"] is not None:
            assert ref_fields is not None, "%s %s takes no body" % key
            assert r["fields"] <= set(ref_fields), "%s %s: unknown fields %s" % (
                (*key, sorted(r["fields"] - set(ref_fields))))
            ref_required = set(k for k, req in ref_fields.items() if req)
            assert ref_required <= r["required"], "%s %s: fake must require %s" % (
                (*key, sorted(ref_required - r["required"])))
        elif r["method"] in ("POST", "PUT"):
            pytest.fail("%s %s: the fake must declare its body fields" % key)
        checked += 1
    assert checked >= 40


def test_reference_parser_sees_known_shapes():
    reference = cloud_reference()
    create = reference[("POST", "/cloud/project/{serviceName}/instance")]
    assert create["flavorId"] and create["name"] and create["region"] and not create["sshKeyId"]
    assert reference[("POST", "/cloud/project/{serviceName}/user/{userId}/s3Credentials")] == {}
    assert domain_reference()[("POST", "/domain/zone/{zoneName}/record")] == {
        "fieldType": True, "subDomain": False, "target": True, "ttl": False}


TYPES = REFERENCE / "ovh-cloud-v1-types.txt"


def interfaces():
    """{type name: {field: required}} from the reference's TypeScript extract."""
    out, current = {}, None
    for line in TYPES.read_text().splitlines():
        head = re.match(r"^## (\S+)", line)
        if head:
            current = out.setdefault(head.group(1), {})
            continue
        field = re.match(r"^\s+(\w+)(\?)?: ", line)
        if field and current is not None:
            current[field.group(1)] = field.group(2) is None
    return out


def test_fake_responses_have_the_reference_shapes():
    fake = FakeOvh().start()
    try:
        fake.ready_after = 0
        api = OvhApi(application_key=fake.ak, application_secret=fake.as_, consumer_key=fake.ck, api_url=fake.url)
        p = "/cloud/project/%s" % fake.project
        net = api.post(p + "/network/private", {"name": "n", "regions": ["GRA11"], "vlanId": 7})
        api.get(p + "/network/private/" + net["id"])
        subnet = api.post(p + "/network/private/%s/subnet" % net["id"], {
            "dhcp": True, "end": "10.0.0.200", "network": "10.0.0.0/24", "noGateway": True, "region": "GRA11",
            "start": "10.0.0.10"})
        db = api.post(p + "/database/postgresql", {"description": "d", "plan": "essential", "version": "16",
                                                   "nodesPattern": {"flavor": "db1-4", "number": 1,
                                                                    "region": "GRA"}})
        db = api.get(p + "/database/postgresql/" + db["id"])
        db_user = api.post(p + "/database/postgresql/%s/user" % db["id"], {"name": "u"})
        db_db = api.post(p + "/database/postgresql/%s/database" % db["id"], {"name": "u"})
        user = api.post(p + "/user", {"description": "files", "role": "objectstore_operator"})
        api.get(p + "/user/%s" % user["id"])
        creds = api.post(p + "/user/%s/s3Credentials" % user["id"])
        listed = api.get(p + "/user/%s/s3Credentials" % user["id"])[0]
        samples = {
            "cloud.network.Network": api.get(p + "/network/private/" + net["id"]),
            "cloud.network.Subnet": subnet,
            "cloud.project.database.Service": db,
            "cloud.project.database.service.UserWithPasswordAndRoles": db_user,
            "cloud.project.database.service.Database": db_db,
            "cloud.user.UserDetail": user,
            "cloud.user.User": api.get(p + "/user/%s" % user["id"]),
            "cloud.user.S3CredentialsWithSecret": creds,
            "cloud.user.S3Credentials": listed,
            "cloud.flavor.Flavor": api.get(p + "/flavor", query={"region": "GRA11"})[0],
            "cloud.image.Image": api.get(p + "/image", query={"region": "GRA11"})[0],
        }
    finally:
        fake.stop()
    types = interfaces()
    for name, sample in samples.items():
        fields = types[name]
        assert set(sample) <= set(fields), "%s: fields not in the reference: %s" % (
            name, sorted(set(sample) - set(fields)))
        missing = [f for f, required in fields.items() if required and f not in sample]
        assert missing == [], "%s: required fields missing: %s" % (name, missing)
