"""Validation of recorded exchanges against DigitalOcean's official OpenAPI description.

The description lives outside the repository, in the reference directory
beside the checkout (``<repository>/../shared/reference``); the
``BAOBAB_REFERENCE_DIR`` environment variable names another directory and
``DIGITALOCEAN_OPENAPI_SPEC`` the file itself. When it cannot be found the
validating tests are skipped with the path they looked at, never silently
passed; under ``CI=true`` a missing reference fails the run instead, unless
no ``shared`` directory was laid beside the checkout at all (and no variable
names one): then there is nothing to check against, and the skip says so.
"""

import functools
import json
import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SPEC_NAME = "digitalocean-openapi-v2.yaml"
HOST = "https://api.digitalocean.com"


def reference_dir():
    """The directory of the providers' reference files."""
    return Path(os.environ.get("BAOBAB_REFERENCE_DIR") or ROOT.parent / "shared" / "reference")


def spec_path():
    return Path(os.environ.get("DIGITALOCEAN_OPENAPI_SPEC") or reference_dir() / SPEC_NAME)


def reference_required():
    """Under ``CI=true`` the reference must be there, wherever a variable
    points or whenever ``shared/`` is beside the checkout."""
    if os.environ.get("CI", "").lower() != "true":
        return False
    named = os.environ.get("BAOBAB_REFERENCE_DIR") or os.environ.get("DIGITALOCEAN_OPENAPI_SPEC")
    return bool(named) or (ROOT.parent / "shared").exists()


def missing_reference(what):
    """Skip (fail under ``CI=true``) a test whose reference file is missing."""
    if reference_required():
        pytest.fail("%s (CI=true: the reference is required)" % what, pytrace=False)
    if os.environ.get("CI", "").lower() == "true":
        what += " (CI=true, but no shared/ directory is beside the checkout: nothing to check against)"
    pytest.skip(what)


@functools.lru_cache(maxsize=1)
def load_document():
    path = spec_path()
    if not path.is_file():
        missing_reference("DigitalOcean OpenAPI description not found at %s (set BAOBAB_REFERENCE_DIR or "
                          "DIGITALOCEAN_OPENAPI_SPEC)" % path)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open() as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


@functools.lru_cache(maxsize=1)
def load_spec():
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(load_document())


def deref(node, document, depth=0):
    """``node`` with every local ``$ref`` replaced by its target (schemas used here have no cycles)."""
    if depth > 30:
        raise ValueError("schema nesting too deep")
    if isinstance(node, dict):
        if "$ref" in node:
            target = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return deref(target, document, depth + 1)
        return dict((k, deref(v, document, depth + 1)) for k, v in node.items())
    if isinstance(node, list):
        return [deref(v, document, depth + 1) for v in node]
    return node


# Requests openapi-core cannot validate, checked by hand instead (responses
# are still validated by openapi-core):
#
# * POST /v2/domains/{domain}/records: the body is a ``oneOf`` of record
#   schemas told apart by a ``discriminator`` on ``type``, which openapi-core
#   does not apply, so several branches match at once and the ``oneOf`` fails.
#   The body is validated against the schema the discriminator names
#   (components/schemas/domain_record_<type>). One deliberate deviation: the
#   description's ``domain_record_txt`` requires ``flags`` and ``tag`` (a copy
#   of the CAA schema; the documented TXT example and the live API take a TXT
#   record without them), so TXT bodies are checked against ``domain_record``
#   with ``type``, ``name`` and ``data`` required.
# * /v2/account/keys/{ssh_key_identifier}: the parameter is an ``anyOf`` of
#   two ``readOnly`` schemas (id, fingerprint), and openapi-core refuses
#   read-only values in a request, so no value can ever pass. The identifier
#   is checked by hand (an integer or an MD5 fingerprint) and the PUT body
#   against the operation's request schema.
FINGERPRINT = re.compile(r"([0-9a-f]{2}:){15}[0-9a-f]{2}")


def hand_validate_key(ex):
    problems = []
    ident = ex["path"].rsplit("/", 1)[1]
    if not (ident.isdigit() or FINGERPRINT.fullmatch(ident)):
        problems.append("ssh_key_identifier %r is neither an id nor a fingerprint" % ident)
    if ex["method"] == "PUT":
        from openapi_schema_validator import OAS30Validator

        document = load_document()
        operation = document["paths"]["/v2/account/keys/{ssh_key_identifier}"]["put"]
        schema = deref(operation["requestBody"]["content"]["application/json"]["schema"], document)
        problems += [e.message for e in OAS30Validator(schema).iter_errors(json.loads(ex["body"] or b"{}"))]
    return problems


HAND_VALIDATED = [
    ("POST", re.compile(r"/v2/domains/[^/]+/records"), lambda ex: hand_validate_record(json.loads(ex["body"]))),
    ("GET|PUT|DELETE", re.compile(r"/v2/account/keys/[^/]+"), hand_validate_key),
]


def hand_validate_record(body):
    from openapi_schema_validator import OAS30Validator

    document = load_document()
    name = "domain_record_%s" % str(body.get("type", "")).lower()
    schemas = document["components"]["schemas"]
    if name not in schemas:
        return ["unknown record type %r" % body.get("type")]
    schema = deref(schemas[name], document)
    if name == "domain_record_txt":
        schema = {"allOf": [deref(schemas["domain_record"], document), {"required": ["type", "name", "data"]}]}
    return [e.message for e in OAS30Validator(schema).iter_errors(body)]


def _errors(exc):
    """Flatten an openapi-core validation error into readable lines."""
    out = [repr(exc)]
    for attr in ("schema_errors", "errors"):
        for sub in getattr(exc, attr, None) or []:
            out.append("  - %s" % getattr(sub, "message", sub))
    cause = exc.__cause__
    while cause is not None:
        out.append("  caused by %r" % cause)
        for sub in getattr(cause, "schema_errors", None) or []:
            out.append("    - %s at %s" % (sub.message, list(sub.absolute_path)))
        cause = cause.__cause__
    return "\n".join(out)


def validate_exchanges(spec, exchanges):
    """Validate every request and response; return a list of problems (empty when all conform)."""
    from openapi_core.testing import MockRequest, MockResponse

    problems = []
    for ex in exchanges:
        headers = dict(ex["headers"])
        has_body = bool(ex["body"])
        request = MockRequest(
            HOST, ex["method"].lower(), ex["path"], args=dict(ex["query"]), headers=headers,
            data=ex["body"] if has_body else None,
            content_type="application/json" if has_body else None,
        )
        label = "%s %s -> %s" % (ex["method"], ex["path"], ex["status"])
        hand = [check for m, p, check in HAND_VALIDATED if re.fullmatch(m, ex["method"]) and p.fullmatch(ex["path"])]
        if hand:
            errors = hand[0](ex)
            if errors:
                problems.append("request %s: %s" % (label, errors))
        try:
            if not hand:
                spec.validate_request(request)
        except Exception as exc:
            problems.append("request %s (%s): %s" % (label, ex["body"][:300], _errors(exc)))
        response = MockResponse(
            ex["response"], status_code=ex["status"], headers=dict(ex["response_headers"]),
            content_type="application/json" if ex["response"] else None,
        )
        try:
            spec.validate_response(request, response)
        except Exception as exc:
            body = json.loads(ex["response"]) if ex["response"] else None
            problems.append("response %s: %s\n%s" % (label, _errors(exc), json.dumps(body)[:600]))
    return problems
