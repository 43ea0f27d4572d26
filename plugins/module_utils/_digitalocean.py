# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP client for the DigitalOcean v2 API, shared by the do_* modules and
the digitalocean inventory plugin.

Everything that is the same for every call lives here: bearer-token
authentication, JSON encoding, error mapping to :class:`ApiError` (the
message names the call and the HTTP status), retries with backoff on 429
(honouring ``Retry-After`` and ``ratelimit-reset``) and on 5xx, pagination
through ``links.pages.next`` and polling of actions and resources.

Internal module_utils (leading underscore): not a public API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode, urlsplit
from ansible.module_utils.urls import fetch_url, open_url
from ansible_collections.baobab.webstack.plugins.module_utils._base import (
    ApiError,
    ClusterChild,
    ResourceModule,
    UncertainWrite,
    WaitTimeout,
    curated,
    never_sent,
)

DEFAULT_API_URL = "https://api.digitalocean.com/v2"
MAX_PER_PAGE = 200
#: never sleep longer than this for one rate-limit pause (seconds)
MAX_RETRY_SLEEP = 60
#: methods sent again after a 5xx or a timeout (the modules send PATCH bodies
#: of absolute values only, so a repeat leaves the same state)
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "PATCH")


def common_argument_spec():
    """Options shared by every DigitalOcean module (see the doc fragment)."""
    return dict(
        api_token=dict(
            type="str",
            no_log=True,
            aliases=["oauth_token"],
            fallback=(env_fallback, ["DIGITALOCEAN_TOKEN", "DO_API_TOKEN"]),
        ),
        api_url=dict(
            type="str",
            default=DEFAULT_API_URL,
            fallback=(env_fallback, ["DIGITALOCEAN_API_URL"]),
        ),
        request_timeout=dict(type="int", default=30),
        max_retries=dict(type="int", default=5),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=5.0),
    )


class Response:
    """What a transport returns: status, headers (lower-case names), body."""

    def __init__(self, status, headers=None, body=b"", error=None, not_sent=None):
        self.status = status
        self.headers = dict((k.lower(), v) for k, v in (headers or {}).items())
        self.body = body or b""
        self.error = error
        #: the request provably never reached the server (connection refused)
        self.not_sent = never_sent(error) if not_sent is None and status <= 0 else bool(not_sent)


def module_transport(module):
    """A transport that sends requests with ``fetch_url`` (modules)."""

    def send(method, url, body, headers, timeout):
        resp, info = fetch_url(module, url, data=body, headers=headers, method=method, timeout=timeout)
        status = info.get("status", -1)
        content = b""
        if resp is not None:
            try:
                content = resp.read()
            except Exception:
                content = b""
        if not content and info.get("body"):
            content = info["body"]
        headers_out = dict((k, v) for k, v in info.items() if isinstance(v, str))
        error = None
        if status == -1:
            error = info.get("msg", "no response")
        return Response(status, headers_out, content, error)

    return send


def open_url_transport(validate_certs=True):
    """A transport that sends requests with ``open_url`` (controller side: inventory plugin)."""

    def send(method, url, body, headers, timeout):
        try:
            resp = open_url(url, data=body, headers=headers, method=method, timeout=timeout,
                            validate_certs=validate_certs)
            return Response(resp.getcode(), dict(resp.headers.items()), resp.read())
        except HTTPError as error:
            content = error.read() if hasattr(error, "read") else b""
            return Response(error.code, dict(error.headers.items()) if error.headers else {}, content)
        except URLError as error:
            # urllib wraps errors raised while connecting and sending
            return Response(-1, {}, b"", error=to_native(error),
                            not_sent=isinstance(getattr(error, "reason", None), ConnectionRefusedError)
                            or never_sent(error))
        except (OSError, ValueError) as error:
            return Response(-1, {}, b"", error=to_native(error))

    return send


def _json_or_none(body):
    if not body:
        return None
    try:
        return json.loads(to_text(body, errors="surrogate_or_strict"))
    except ValueError:
        return None


def _error_message(payload, body):
    """The provider's explanation: its JSON ``message`` or a short excerpt."""
    if isinstance(payload, dict):
        message = payload.get("message")
        if payload.get("id") and message:
            message = "%s (%s)" % (message, payload.get("id"))
        return message
    if body:
        return to_text(body, errors="surrogate_or_replace")[:200]
    return None


class DigitalOceanClient:
    """Thin client: ``request`` plus pagination and polling helpers."""

    def __init__(self, transport, token, api_url=DEFAULT_API_URL, timeout=30, max_retries=5,
                 backoff=1.0, sleep=time.sleep, clock=time.time, user_agent="baobab.webstack"):
        if not token:
            raise ApiError(
                "authentication",
                message="no API token: set the api_token option or the DIGITALOCEAN_TOKEN environment variable",
            )
        self.transport = transport
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.user_agent = user_agent
        #: number of requests sent (tests and debugging)
        self.calls = 0

    # -- low level -----------------------------------------------------------
    def url(self, path, query=None):
        if path.startswith("http://") or path.startswith("https://"):
            url = path
        else:
            url = self.api_url + "/" + path.lstrip("/")
        if query:
            items = [(k, v) for k, v in sorted(query.items()) if v is not None]
            if items:
                url += ("&" if "?" in url else "?") + urlencode(items)
        return url

    @staticmethod
    def call_name(method, url):
        parts = urlsplit(url)
        return "%s %s" % (method, parts.path)

    def _retry_delay(self, response, attempt):
        """Seconds to wait before retrying ``response``."""
        delay = None
        headers = response.headers if response is not None else {}
        retry_after = headers.get("retry-after")
        if retry_after:
            try:
                delay = float(retry_after)
            except ValueError:
                delay = None
        if delay is None and response is not None and response.status == 429:
            reset = headers.get("ratelimit-reset")
            if reset:
                try:
                    delay = float(reset) - self.clock()
                except ValueError:
                    delay = None
        if delay is None:
            delay = self.backoff * (2 ** attempt)
        return min(max(delay, 0), MAX_RETRY_SLEEP)

    def request(self, method, path, body=None, query=None, ok=None, idempotent=None):
        """Send one call; return the decoded JSON body (``{}`` when empty).

        Retries up to ``max_retries`` times: 429 (the request was refused
        before being handled) and a connection refused before sending, for
        every method; 5xx answers and other network failures (timeouts,
        resets) only for the methods in :data:`IDEMPOTENT_METHODS`.  A
        ``POST`` or ``DELETE`` that got a 5xx or no answer is never sent
        again: :class:`UncertainWrite` is raised instead.  Every other
        failure raises :class:`ApiError` naming the call and the status.
        ``idempotent=True`` marks a ``POST`` or ``DELETE`` that may safely be
        repeated (adding a tag to a resource, for instance).
        """
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        url = self.url(path, query)
        call = self.call_name(method, url)
        headers = {
            "Authorization": "Bearer %s" % self.token,
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            self.calls += 1
            response = self.transport(method, url, data, headers, self.timeout)
            status = response.status
            uncertain = (status >= 500 or (status <= 0 and not response.not_sent))
            if uncertain and not idempotent:
                payload = _json_or_none(response.body)
                if status <= 0:
                    message = "no response: %s" % to_native(response.error or "connection failed")
                    raise UncertainWrite(call, message=message)
                raise UncertainWrite(call, status=status, message=_error_message(payload, response.body),
                                     body=payload, request_id=(payload or {}).get("request_id")
                                     if isinstance(payload, dict) else None)
            retryable = status == 429 or status >= 500 or status <= 0
            if retryable and attempt < self.max_retries:
                self.sleep(self._retry_delay(response, attempt))
                attempt += 1
                continue
            break
        payload = _json_or_none(response.body)
        if status <= 0:
            raise ApiError(call, message="no response: %s" % to_native(response.error or "connection failed"))
        if ok is None:
            ok = range(200, 300)
        if status not in ok:
            message = _error_message(payload, response.body)
            request_id = payload.get("request_id") if isinstance(payload, dict) else None
            if retryable and attempt:
                message = "%s (gave up after %d retries)" % (message or "server error", attempt)
            raise ApiError(call, status=status, message=message, body=payload, request_id=request_id)
        return payload if payload is not None else {}

    def get(self, path, query=None):
        return self.request("GET", path, query=query)

    def post(self, path, body=None, idempotent=False):
        return self.request("POST", path, body=body if body is not None else {}, idempotent=idempotent)

    def put(self, path, body):
        return self.request("PUT", path, body=body)

    def patch(self, path, body):
        return self.request("PATCH", path, body=body)

    def delete(self, path, body=None, idempotent=False):
        return self.request("DELETE", path, body=body, idempotent=idempotent)

    def get_or_none(self, path, query=None):
        """GET that returns ``None`` on 404 instead of raising."""
        try:
            return self.get(path, query=query)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def paginate(self, path, key, query=None, per_page=MAX_PER_PAGE):
        """All items of a list endpoint, following ``links.pages.next``."""
        query = dict(query or {})
        query["per_page"] = min(int(per_page), MAX_PER_PAGE)
        items = []
        next_url = self.url(path, query)
        seen = set()
        while next_url:
            if next_url in seen:
                raise ApiError(self.call_name("GET", next_url), message="pagination loops on %s" % next_url)
            seen.add(next_url)
            page = self.request("GET", next_url)
            items.extend(page.get(key) or [])
            next_url = ((page.get("links") or {}).get("pages") or {}).get("next")
        return items

    # -- polling -------------------------------------------------------------
    def poll(self, what, fetch, ready, failed=None, timeout=600, interval=5.0):
        """Call ``fetch()`` until ``ready(value)``; return the last value.

        ``failed(value)`` may return an error text to stop early.
        Raises :class:`WaitTimeout` after ``timeout`` seconds.
        """
        deadline = self.clock() + timeout
        while True:
            value = fetch()
            if ready(value):
                return value
            if failed is not None:
                problem = failed(value)
                if problem:
                    raise ApiError(what, message=problem)
            if self.clock() >= deadline:
                raise WaitTimeout(what, message="timed out after %s seconds waiting" % timeout)
            self.sleep(interval)

    def wait_action(self, action_id, timeout, interval):
        """Poll ``/actions/{id}`` until it is completed (or errored)."""
        path = "actions/%s" % action_id

        def fetch():
            return self.get(path).get("action") or {}

        def failed(action):
            if action.get("status") == "errored":
                return "action %s (%s) errored" % (action_id, action.get("type"))
            return None

        return self.poll(
            self.call_name("GET", self.url(path)),
            fetch,
            lambda a: a.get("status") == "completed",
            failed,
            timeout=timeout,
            interval=interval,
        )


def client_from_params(module):
    p = module.params
    return DigitalOceanClient(
        module_transport(module),
        p.get("api_token"),
        api_url=p.get("api_url") or DEFAULT_API_URL,
        timeout=p.get("request_timeout") or 30,
        max_retries=p.get("max_retries") if p.get("max_retries") is not None else 5,
    )


def build_module(argument_spec, **kwargs):
    spec = common_argument_spec()
    spec.update(argument_spec)
    kwargs.setdefault("supports_check_mode", True)
    return AnsibleModule(argument_spec=spec, **kwargs)


class DigitalOceanModule(ResourceModule):
    """ResourceModule with a DigitalOcean client and wait settings.

    A resource kept in one collection of the API (``droplets``, ``vpcs``...)
    and answered under :attr:`resource_name` only names its collection in
    :attr:`api_path`: create, delete and the wait for :attr:`ready_status`
    then need no code of their own."""

    #: the collection of the resource in the API (``droplets``)
    api_path = None
    #: how messages name one (``droplet``, ``load balancer``)
    noun = None
    #: the status a created or updated resource is waited for (``active``);
    #: ``None``: the resource is ready as soon as the API answered
    ready_status = None
    #: a status that stops the wait with an error (``errored``)
    failed_status = None
    #: the key of the resource in the API's answers, when it is not :attr:`resource_name`
    api_key = None

    def __init__(self, module):
        super(DigitalOceanModule, self).__init__(module)
        try:
            self.client = client_from_params(module)
        except ApiError as error:
            module.fail_json(msg=error.describe())

    @classmethod
    def run_module(cls, argument_spec, **kwargs):
        """Build the AnsibleModule with the common options and run."""
        cls(build_module(argument_spec, **kwargs)).execute()

    def wait_action(self, action_id):
        return self.client.wait_action(action_id, **self.wait_settings())

    def wait_until(self, what, fetch, ready, failed=None):
        return self.client.poll(what, fetch, ready, failed, **self.wait_settings())

    def one_match(self, items, what):
        if len(items) > 1:
            ids = ", ".join(to_native(i.get("id", i.get("uuid", i.get("name")))) for i in items)
            self.fail("%d %s match, refusing to guess which one to manage (ids: %s)" % (len(items), what, ids))
        return items[0] if items else None

    # -- a resource of one collection, found by its name ----------------------
    def label(self):
        if self.noun and self.params.get("name"):
            return "%s %s" % (self.noun, self.params["name"])
        return super(DigitalOceanModule, self).label()

    def named(self, items):
        """The only item of ``items`` named like the ``name`` option."""
        name = self.params["name"]
        return self.one_match([i for i in items if i.get("name") == name], "%ss named %s" % (self.noun, name))

    def item_path(self, resource):
        return "%s/%s" % (self.api_path, resource["id"])

    def unwrap(self, answer):
        """The resource in an answer of the API."""
        return answer[self.api_key or self.resource_name]

    def fetch(self, resource):
        return self.unwrap(self.client.get(self.item_path(resource)))

    def create(self, desired):
        return self.unwrap(self.client.post(self.api_path, desired))

    def delete(self, current):
        self.client.delete(self.item_path(current))

    def wait(self, resource):
        ready = self.ready_status
        if ready is None or resource.get("status") == ready or not self.params["wait"]:
            return resource
        name = resource["name"]

        def failed(value):
            if self.failed_status and value.get("status") == self.failed_status:
                return "%s %s %s" % (self.noun, name, self.failed_status)
            return None

        return self.wait_until(
            "GET /v2/%s (%s %s becoming %s)" % (self.item_path(resource), self.noun, name, ready),
            lambda: self.fetch(resource),
            lambda value: value.get("status") == ready,
            failed,
        )


class DatabaseChild(ClusterChild, DigitalOceanModule):
    """A database or a user of a managed cluster, addressed by its name
    below ``databases/{cluster_id}/{collection}``."""

    @classmethod
    def argument_spec(cls):
        return cls.child_argument_spec()

    @classmethod
    def main(cls):
        cls.run_module(cls.argument_spec())

    def path(self, *rest):
        return "/".join(["databases/%s/%s" % (self.params["cluster_id"], self.collection), *rest])

    def fetch_child(self, key):
        found = self.client.get_or_none(self.path(key))
        return found.get(self.resource_name) if found else None

    def unwrap(self, answer):
        return answer[self.resource_name]

    #: keys of the child returned besides its name (``role``, ``password``)
    curated_keys = ()

    def curate(self, resource):
        return curated(resource, name=resource.get("name"),
                       **dict((key, resource.get(key)) for key in self.curated_keys))


def droplet_ips(droplet):
    """(public IPv4, private IPv4) of a droplet dict."""
    public = private = None
    for net in ((droplet or {}).get("networks") or {}).get("v4") or []:
        if net.get("type") == "public" and public is None:
            public = net.get("ip_address")
        elif net.get("type") == "private" and private is None:
            private = net.get("ip_address")
    return public, private


def droplet_addresses(droplet):
    """``public_ipv4``, ``public_ipv6`` and ``private_ipv4`` of a droplet dict
    (``None`` when it has none yet)."""
    public, private = droplet_ips(droplet)
    ipv6 = None
    for net in ((droplet or {}).get("networks") or {}).get("v6") or []:
        if net.get("type") == "public":
            ipv6 = net.get("ip_address")
            break
    return {"public_ipv4": public, "public_ipv6": ipv6, "private_ipv4": private}


def region_slug(resource):
    """The region of a resource: the API nests it (``{"slug": "fra1"}``) in
    droplets and load balancers, a create request names it."""
    region = (resource or {}).get("region")
    return region.get("slug") if isinstance(region, dict) else region


def curated_droplet(droplet):
    """The returned form of a droplet (or of the create request in check mode)."""
    features = droplet.get("features")
    image = droplet.get("image")
    return curated(
        droplet,
        id=droplet.get("id"),
        name=droplet.get("name"),
        region=region_slug(droplet),
        status=droplet.get("status"),
        tags=list(droplet.get("tags") or []),
        size=droplet.get("size_slug") or droplet.get("size"),
        image=(image.get("slug") or image.get("id")) if isinstance(image, dict) else image,
        vpc_uuid=droplet.get("vpc_uuid"),
        backups="backups" in features if features is not None else bool(droplet.get("backups")),
        **droplet_addresses(droplet)
    )
