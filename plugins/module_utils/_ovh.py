# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""OVHcloud API access for the collection's ``ovh_*`` modules and the
``baobab.webstack.ovh`` inventory plugin.

Request signing, endpoints and the error classes come from the official
``ovh`` Python client.  This file adds what the modules need on top of it:

* credentials from options or ``OVH_*`` environment variables,
* a custom base URL (``api_url``) for private gateways and local test servers,
* retries with exponential backoff on HTTP 429 and on a connection refused
  before sending, for every method, and on 500/502/503/504 and other network
  errors for reads and idempotent writes (``GET``, ``PUT``) only: a ``POST``
  or ``DELETE`` whose outcome is unknown is never sent again, it raises
  :class:`UncertainWrite` and the module looks the resource up instead,
* ``404`` turned into "absent" where the caller asks for it,
* every other failure raised as :class:`ApiError` naming the call and status,
  with the provider's message or, for an answer that is not JSON (an HTML page
  from a gateway), a short excerpt of it,
* polling of asynchronous resources and of cloud operations.

Internal module_utils (leading underscore): not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible_collections.baobab.webstack.plugins.module_utils._base import (
    ApiError,
    ClusterChild,
    ResourceModule,
    UncertainWrite,
    WaitTimeout,
    changed_keys,
    never_sent,
)

OVH_IMPORT_ERROR = None
try:
    import ovh
    import ovh.exceptions as ovh_exceptions
    import requests
except ImportError:  # pragma: no cover - depends on the controller
    ovh = None
    ovh_exceptions = None
    requests = None
    OVH_IMPORT_ERROR = traceback.format_exc()

HAS_OVH = ovh is not None

ENDPOINT_CHOICES = ["ovh-eu", "ovh-ca", "ovh-us"]
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: methods sent again after a 5xx or a network failure
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT")
#: length of the excerpt of an answer that is not JSON
EXCERPT = 200


def common_argument_spec():
    """Options shared by every OVHcloud module (see the ``ovh`` doc fragment)."""
    return dict(
        endpoint=dict(type="str", choices=ENDPOINT_CHOICES, default="ovh-eu",
                      fallback=(env_fallback, ["OVH_ENDPOINT"])),
        application_key=dict(type="str", no_log=True, fallback=(env_fallback, ["OVH_APPLICATION_KEY"])),
        application_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["OVH_APPLICATION_SECRET"])),
        consumer_key=dict(type="str", no_log=True, fallback=(env_fallback, ["OVH_CONSUMER_KEY"])),
        api_url=dict(type="str", fallback=(env_fallback, ["OVH_API_URL"])),
        api_timeout=dict(type="int", default=60),
        api_retries=dict(type="int", default=5),
    )


def cloud_argument_spec():
    spec = common_argument_spec()
    spec["service_name"] = dict(type="str", required=True, fallback=(env_fallback, ["OVH_CLOUD_PROJECT_SERVICE"]))
    return spec


def wait_argument_spec():
    return dict(
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900, fallback=(env_fallback, ["OVH_WAIT_TIMEOUT"])),
        poll_interval=dict(type="float", default=5.0, fallback=(env_fallback, ["OVH_POLL_INTERVAL"])),
    )


def quote_segment(value):
    """Quote one path segment (``10.0.0.0/16`` becomes ``10.0.0.0%2F16``)."""
    return quote(str(value), safe="")


class NoAnswer(Exception):
    """No HTTP answer came back; ``not_sent`` when the request provably never
    left (connection refused, host name not resolved)."""

    def __init__(self, text, not_sent=False):
        super(NoAnswer, self).__init__(text)
        self.text = text
        self.not_sent = not_sent


def excerpt(text):
    """A short one-line excerpt of an answer body."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."


class OvhApi:
    """Thin wrapper around :class:`ovh.Client` with retries and error mapping."""

    #: first backoff delay in seconds (doubled at each attempt)
    backoff = 1.0
    #: longest single backoff delay in seconds
    backoff_max = 30.0

    def __init__(self, endpoint="ovh-eu", application_key=None, application_secret=None,
                 consumer_key=None, api_url=None, timeout=60, retries=5, sleep=time.sleep):
        if not HAS_OVH:
            raise ImportError("the ovh Python library is required")
        given = (("application_key", application_key), ("application_secret", application_secret),
                 ("consumer_key", consumer_key))
        missing = [name for name, value in given if not value]
        if missing:
            raise ValueError("missing OVHcloud credentials: %s (options or OVH_* environment variables)"
                             % ", ".join(missing))
        self.client = ovh.Client(endpoint=endpoint or "ovh-eu", application_key=application_key,
                                 application_secret=application_secret, consumer_key=consumer_key,
                                 timeout=timeout, config_file="/dev/null")
        if api_url:
            # the client builds every URL from this base; the signature covers
            # the full URL, so a custom base signs exactly like a stock one
            self.client._endpoint = api_url.rstrip("/")
        self.retries = retries
        self.sleep = sleep

    @classmethod
    def from_params(cls, params):
        return cls(endpoint=params.get("endpoint"), application_key=params.get("application_key"),
                   application_secret=params.get("application_secret"), consumer_key=params.get("consumer_key"),
                   api_url=params.get("api_url"), timeout=params.get("api_timeout") or 60,
                   retries=params.get("api_retries") if params.get("api_retries") is not None else 5)

    # -- requests ------------------------------------------------------------
    def _send(self, method, target, body):
        """One signed request: ``(status, payload, text, headers)``; ``payload``
        is the decoded JSON body, or ``None`` when the body is empty or not
        JSON.  Raises :class:`NoAnswer` when nothing came back."""
        try:
            response = self.client.raw_call(method=method, path=target, data=body, need_auth=True)
        except requests.exceptions.RequestException as error:
            not_sent = isinstance(error, requests.exceptions.ConnectTimeout) or never_sent(error)
            raise NoAnswer(str(error), not_sent) from None
        except ovh_exceptions.APIError as error:
            # raised by the client's clock synchronisation (GET /auth/time),
            # which runs before the request itself: that one was never sent
            text = " ".join(str(a) for a in error.args) or type(error).__name__
            raise NoAnswer("clock synchronisation failed: %s" % text, True) from None
        text = response.text or ""
        payload = None
        if text.strip():
            try:
                payload = response.json()
            except ValueError:
                payload = None
        return response.status_code, payload, text, response.headers or {}

    def call(self, method, path, body=None, query=None, absent_ok=False, idempotent=None):
        """Send one signed request; return the decoded JSON answer.

        ``absent_ok``: a 404 returns ``None`` instead of raising.
        ``idempotent=True`` marks a ``POST`` or ``DELETE`` that may safely be
        sent again (a zone refresh, for instance).
        """
        target = path
        if query:
            query = dict((k, v) for k, v in query.items() if v is not None)
            if query:
                target = "%s?%s" % (path, urlencode(sorted(query.items())))
        name = "%s %s" % (method, path)
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            try:
                status, payload, text, headers = self._send(method, target, body)
            except NoAnswer as error:
                if not (error.not_sent or idempotent):
                    raise UncertainWrite(name, None, "no response: %s" % error.text) from None
                if attempt < self.retries:
                    self.sleep(self._delay(attempt, None))
                    attempt += 1
                    continue
                raise ApiError(name, None, "no response: %s (gave up after %d attempts)"
                               % (error.text, attempt + 1)) from None
            query_id = headers.get("X-Ovh-QueryID") or headers.get("x-ovh-queryid")
            if 200 <= status < 300:
                if text.strip() and payload is None and text.strip() != "null":
                    raise ApiError(name, status, "the answer is not JSON: %s" % excerpt(text), request_id=query_id)
                return payload
            if status == 404 and absent_ok:
                return None
            if isinstance(payload, dict) and payload.get("message"):
                message = payload["message"]
            else:
                message = excerpt(text) or "no explanation in the answer"
            if status == 429 or (idempotent and status in RETRY_STATUSES):
                if attempt < self.retries:
                    self.sleep(self._delay(attempt, headers))
                    attempt += 1
                    continue
                raise ApiError(name, status, "%s (gave up after %d attempts)" % (message, attempt + 1),
                               body=payload, request_id=query_id)
            if status >= 500 and not idempotent:
                raise UncertainWrite(name, status, message, body=payload, request_id=query_id)
            raise ApiError(name, status, message, body=payload, request_id=query_id)

    def _delay(self, attempt, headers):
        if headers:
            after = headers.get("Retry-After") or headers.get("retry-after")
            if after:
                try:
                    return min(float(after), self.backoff_max)
                except ValueError:
                    pass
        return min(self.backoff * (2 ** attempt), self.backoff_max)

    def get(self, path, query=None, absent_ok=False):
        return self.call("GET", path, query=query, absent_ok=absent_ok)

    def post(self, path, body=None, idempotent=False):
        return self.call("POST", path, body=body, idempotent=idempotent)

    def put(self, path, body=None):
        return self.call("PUT", path, body=body)

    def delete(self, path, absent_ok=True, idempotent=False):
        return self.call("DELETE", path, absent_ok=absent_ok, idempotent=idempotent)

    # -- polling -------------------------------------------------------------
    def poll(self, what, fetch, done, failed=None, timeout=900, interval=5.0, clock=time.monotonic):
        """Call ``fetch`` until ``done(value)``; raise on ``failed(value)`` or
        when ``timeout`` seconds pass.  Returns the last value."""
        deadline = clock() + timeout
        while True:
            value = fetch()
            if done(value):
                return value
            if failed is not None and failed(value):
                raise ApiError(what, None, "the resource went into a failed state: %s" % _describe_state(value))
            if clock() >= deadline:
                raise WaitTimeout(what, None, "timed out after %ss waiting; last state: %s"
                                  % (timeout, _describe_state(value)))
            self.sleep(interval)

    def wait_operation(self, service_name, operation_id, timeout=900, interval=5.0):
        """Wait for a cloud ``operation`` to complete; return it."""
        path = "/cloud/project/%s/operation/%s" % (quote_segment(service_name), quote_segment(operation_id))
        return self.poll(
            "GET %s" % path,
            lambda: self.get(path),
            lambda op: op.get("status") == "completed",
            lambda op: op.get("status") in ("in-error", "unknown"),
            timeout=timeout, interval=interval)


def _describe_state(value):
    if isinstance(value, dict):
        for key in ("status", "provisioningStatus"):
            if key in value:
                return "%s=%s" % (key, value[key])
    if value is None:
        return "absent"
    return repr(value)[:200]


def single(items, what):
    """Return the only item of ``items``, ``None`` when empty; two or more
    matches are an error: the caller never guesses."""
    items = list(items)
    if not items:
        return None
    if len(items) > 1:
        ids = ", ".join(str(item.get("id")) for item in items)
        raise ApiError("lookup", None, "found %d %s (ids: %s); the match must be unique, rename or remove "
                       "the duplicates" % (len(items), what, ids))
    return items[0]


class OvhModule(ResourceModule):
    """ResourceModule with an :class:`OvhApi` client built from the options."""

    def __init__(self, module):
        super(OvhModule, self).__init__(module)
        if not HAS_OVH:
            module.fail_json(msg=missing_required_lib("ovh"), exception=OVH_IMPORT_ERROR)
        try:
            self.client = OvhApi.from_params(module.params)
        except ValueError as error:
            module.fail_json(msg=str(error))

    @property
    def project(self):
        return "/cloud/project/%s" % quote_segment(self.params["service_name"])

    def wait_until(self, what, fetch, ready, failed=None):
        return self.client.poll(what, fetch, ready, failed, **self.wait_settings())

    def one_match(self, items, what):
        return single(items, what)

    # -- hooks shared by the OVHcloud resource modules --------------------------
    # ``desired()`` returns a :class:`Desired` already in the shape of
    # ``show()`` (the diff view of a resource the API returned), so ``view``
    # and ``differences`` work on both.

    #: statuses meaning "on its way out" (a delete in progress counts as done)
    gone_statuses = ()

    def resource_path(self, resource_id):
        """API path of one resource (used to confirm deletes and wait for them)."""
        raise NotImplementedError

    def show(self, resource):
        """The diff view of a resource as the API returns it."""
        return resource

    def view(self, resource):
        if not resource:
            return {}
        if isinstance(resource, Desired):
            return dict(resource)
        return self.show(resource)

    def differences(self, current, desired):
        return changed_keys(desired, self.show(current), self.updatable)

    def curate(self, resource):
        """The returned resource: the documented keys plus ``raw``."""
        return resource

    def set_resource(self, resource):
        # an empty resource (absent, an empty list) is returned as it is
        self.result[self.resource_name] = self.curate(resource) if resource else resource

    def fetch(self, resource_id):
        """The resource, ``None`` once it is gone or being deleted."""
        found = self.client.get(self.resource_path(resource_id), absent_ok=True)
        if found and self.gone_statuses and status_of(found) in self.gone_statuses:
            return None
        return found

    def lookup_deleted(self, current):
        return self.fetch(current["id"])

    def ensure_absent(self, current):
        super(OvhModule, self).ensure_absent(current)
        if current is not None and not self.check_mode and self.params.get("wait"):
            path = self.resource_path(current["id"])
            self.wait_until("GET %s" % path, lambda: self.client.get(path, absent_ok=True),
                            lambda found: found is None or status_of(found) == "DELETED")


class Desired(dict):
    """The wanted state of a resource, in the shape of its diff view."""


def status_of(resource):
    for key in ("status", "provisioningStatus"):
        if key in (resource or {}):
            return resource[key]
    return None


def first(items):
    items = list(items or [])
    return items[0] if items else None


class DatabaseChild(ClusterChild, OvhModule):
    """A database or a user of a managed PostgreSQL service: the shared
    :class:`ClusterChild` flow; OVHcloud addresses children by an ID below
    ``database/postgresql/{cluster_id}/{collection}``."""

    key_field = "id"

    @classmethod
    def argument_spec(cls):
        spec = cloud_argument_spec()
        spec.update(cls.child_argument_spec())
        return spec

    @classmethod
    def main(cls):
        cls(AnsibleModule(argument_spec=cls.argument_spec(), supports_check_mode=True)).execute()

    def path(self, *rest):
        base = "%s/database/postgresql/%s/%s" % (self.project, quote_segment(self.params["cluster_id"]),
                                                 self.collection)
        return "/".join([base, *(quote_segment(r) for r in rest)])

    def fetch_child(self, key):
        return self.client.get(self.path(key), absent_ok=True)

    def list_children(self):
        return [self.fetch_child(child_id) for child_id in self.client.get(self.path()) or []]


# -- Public Cloud helpers shared by modules and the inventory plugin ----------
def project_path(service_name):
    return "/cloud/project/%s" % quote_segment(service_name)


def instance_addresses(instance):
    """Public IPv4/IPv6 and private addresses of an instance."""
    out = {"public_ipv4": None, "public_ipv6": None, "private": []}
    for addr in (instance or {}).get("ipAddresses") or []:
        if addr.get("type") == "public":
            key = "public_ipv6" if addr.get("version") == 6 else "public_ipv4"
            if out[key] is None:
                out[key] = addr.get("ip")
        elif addr.get("ip"):
            out["private"].append(addr["ip"])
    return out


def curated_instance(instance):
    """An instance in the collection's shared vocabulary (``raw``: the API's object)."""
    instance = instance or {}
    addresses = instance_addresses(instance)
    flavor = instance.get("flavor")
    image = instance.get("image")
    return {
        "id": instance.get("id"),
        "name": instance.get("name"),
        "region": instance.get("region"),
        "status": instance.get("status"),
        "flavor": flavor.get("name") if isinstance(flavor, dict) else flavor or instance.get("flavorId"),
        "image": image.get("name") if isinstance(image, dict) else image or instance.get("imageId"),
        "public_ipv4": addresses["public_ipv4"],
        "public_ipv6": addresses["public_ipv6"],
        "private_ipv4": first(a.get("ip") for a in instance.get("ipAddresses") or []
                              if a.get("type") != "public" and a.get("version", 4) == 4 and a.get("ip")),
        "addresses": addresses,
        "raw": dict((k, v) for k, v in instance.items() if k != "addresses"),
    }


def find_instance(api, service_name, name, region):
    """The instance named ``name`` in ``region``; ``None`` when absent."""
    items = api.get("%s/instance" % project_path(service_name), query={"region": region}) or []
    return single([i for i in items if i.get("name") == name and i.get("region") == region],
                  "instances named %r in region %s" % (name, region))


def find_private_network(api, service_name, name_or_id):
    networks = api.get("%s/network/private" % project_path(service_name)) or []
    by_id = [n for n in networks if n.get("id") == name_or_id]
    if by_id:
        return by_id[0]
    return single([n for n in networks if n.get("name") == name_or_id],
                  "private networks named %r" % name_or_id)


def resolve_network(api, service_name, name_or_id, region):
    """OpenStack ID of private network ``name_or_id`` in ``region``."""
    network = find_private_network(api, service_name, name_or_id)
    if network is None:
        raise ApiError("lookup", None, "private network %r not found" % name_or_id)
    for regional in network.get("regions") or []:
        if regional.get("region") == region and regional.get("openstackId"):
            return regional["openstackId"]
    raise ApiError("lookup", None, "private network %r is not available in region %s" % (name_or_id, region))
