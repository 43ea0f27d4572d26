"""A stateful, local fake of the DigitalOcean v2 API.

It serves the subset of the public API that the collection's modules and
inventory plugin use, behaving like the real service where it matters for
them: status codes (201/202/204, 401, 404, 422, 429), response envelopes
(``{"droplet": {...}}``), ``links.pages`` and ``meta.total`` on lists,
asynchronous resources and actions that become ready after a few polls,
and rate limiting when a burst limit is exceeded.

Every exchange is recorded (``fake.exchanges``) so tests can assert that
check mode sent no write and validate requests and responses against the
official OpenAPI description.

Only ever binds 127.0.0.1.
"""

import base64
import hashlib
import ipaddress
import itertools
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN = "fake-do-token"
NOW = "2026-01-01T00:00:00Z"

REGIONS = ["ams3", "blr1", "fra1", "lon1", "nyc1", "nyc3", "sfo3", "sgp1", "syd1", "tor1"]
SIZES = {
    "s-1vcpu-1gb": (1, 1024, 25, 6.0),
    "s-1vcpu-2gb": (1, 2048, 50, 12.0),
    "s-2vcpu-2gb": (2, 2048, 60, 18.0),
    "s-2vcpu-4gb": (2, 4096, 80, 24.0),
    "s-4vcpu-8gb": (4, 8192, 160, 48.0),
}
DB_SIZES = ["db-s-1vcpu-1gb", "db-s-1vcpu-2gb", "db-s-2vcpu-4gb", "db-s-4vcpu-8gb"]


class FakeError(Exception):
    def __init__(self, status, ident, message):
        super().__init__(message)
        self.status = status
        self.ident = ident
        self.message = message


def not_found():
    return FakeError(404, "not_found", "The resource you were accessing could not be found.")


def invalid(message):
    return FakeError(422, "unprocessable_entity", message)


def ssh_fingerprint(public_key):
    parts = public_key.strip().split()
    if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
        raise invalid("Key invalid type, we support 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp' and 'ssh-ed25519'")
    try:
        raw = base64.b64decode(parts[1].encode(), validate=True)
    except ValueError as exc:
        raise invalid("Key invalid, not a valid base64 key") from exc
    digest = hashlib.md5(raw).hexdigest()  # noqa: S324 - the API's own fingerprint format
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class FakeDigitalOcean:
    """The fake API: state, behaviour knobs and the HTTP server."""

    def __init__(self, ready_after=2, per_page_default=20):
        self.lock = threading.RLock()
        self.ready_after = ready_after
        self.per_page_default = per_page_default
        #: resources whose wait never ends (timeouts): set of names
        self.never_ready = set()
        #: at most this many requests per ``burst_window`` seconds, then 429
        self.burst_limit = None
        self.burst_window = 1.0
        self._recent = []
        #: forced responses: list of (path regex, status, retry_after)
        self.injected = []
        self.exchanges = []
        self._ids = itertools.count(3000001)
        self.reset()
        self.server = None
        self.thread = None

    # -- state ---------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.ssh_keys = {}
            self.droplets = {}
            self.actions = {}
            self.tags = {}
            self.vpcs = {}
            self.firewalls = {}
            self.domains = {}
            self.records = {}
            self.databases = {}
            self.load_balancers = {}
            self.polls = {}
            self.exchanges = []
            self.injected = []
            self.never_ready = set()
            self.burst_limit = None

    def next_id(self):
        return next(self._ids)

    def writes(self, since=0):
        return [e for e in self.exchanges[since:] if e["method"] != "GET"]

    # -- server --------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(RequestHandler):
            api = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    @property
    def url(self):
        return self.base + "/v2"

    # -- helpers -------------------------------------------------------------
    def poll_ready(self, key, name):
        """Count one poll of ``key``; True once it has been polled enough."""
        if name in self.never_ready:
            return False
        self.polls[key] = self.polls.get(key, 0) + 1
        return self.polls[key] >= self.ready_after

    def new_action(self, kind, resource_id, resource_type="droplet", region="nyc3"):
        action_id = self.next_id()
        self.actions[action_id] = {
            "id": action_id,
            "status": "in-progress",
            "type": kind,
            "started_at": NOW,
            "completed_at": None,
            "resource_id": resource_id,
            "resource_type": resource_type,
            "region": region_obj(region),
            "region_slug": region,
        }
        return self.actions[action_id]

    def paged(self, items, key, query, path):
        try:
            per_page = int(query.get("per_page", self.per_page_default))
            page = int(query.get("page", 1))
        except ValueError as exc:
            raise invalid("page and per_page must be integers") from exc
        per_page = max(1, min(per_page, 200))
        page = max(page, 1)
        total = len(items)
        last = max(1, (total + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]
        pages = {}
        extra = dict((k, v) for k, v in query.items() if k not in ("page", "per_page"))

        def link(n):
            q = dict(extra, page=n, per_page=per_page)
            return "%s%s?%s" % (self.base, path, urlencode(sorted(q.items())))

        if page > 1:
            pages["first"] = link(1)
            pages["prev"] = link(page - 1)
        if page < last:
            pages["next"] = link(page + 1)
            pages["last"] = link(last)
        return {key: chunk, "links": {"pages": pages} if pages else {}, "meta": {"total": total}}

    # -- routing -------------------------------------------------------------
    def routes(self):
        return [
            ("GET", r"/v2/account/keys", self.list_keys),
            ("POST", r"/v2/account/keys", self.create_key),
            ("GET", r"/v2/account/keys/([^/]+)", self.get_key),
            ("PUT", r"/v2/account/keys/([^/]+)", self.update_key),
            ("DELETE", r"/v2/account/keys/([^/]+)", self.delete_key),
            ("GET", r"/v2/droplets", self.list_droplets),
            ("POST", r"/v2/droplets", self.create_droplet),
            ("GET", r"/v2/droplets/(\d+)", self.get_droplet),
            ("DELETE", r"/v2/droplets/(\d+)", self.delete_droplet),
            ("POST", r"/v2/droplets/(\d+)/actions", self.droplet_action),
            ("GET", r"/v2/actions/(\d+)", self.get_action),
            ("POST", r"/v2/tags", self.create_tag),
            ("POST", r"/v2/tags/([^/]+)/resources", self.tag_resources),
            ("DELETE", r"/v2/tags/([^/]+)/resources", self.untag_resources),
            ("GET", r"/v2/vpcs", self.list_vpcs),
            ("POST", r"/v2/vpcs", self.create_vpc),
            ("GET", r"/v2/vpcs/([^/]+)", self.get_vpc),
            ("PATCH", r"/v2/vpcs/([^/]+)", self.update_vpc),
            ("PUT", r"/v2/vpcs/([^/]+)", self.update_vpc),
            ("DELETE", r"/v2/vpcs/([^/]+)", self.delete_vpc),
            ("GET", r"/v2/firewalls", self.list_firewalls),
            ("POST", r"/v2/firewalls", self.create_firewall),
            ("GET", r"/v2/firewalls/([^/]+)", self.get_firewall),
            ("PUT", r"/v2/firewalls/([^/]+)", self.update_firewall),
            ("DELETE", r"/v2/firewalls/([^/]+)", self.delete_firewall),
            ("GET", r"/v2/domains", self.list_domains),
            ("POST", r"/v2/domains", self.create_domain),
            ("GET", r"/v2/domains/([^/]+)", self.get_domain),
            ("DELETE", r"/v2/domains/([^/]+)", self.delete_domain),
            ("GET", r"/v2/domains/([^/]+)/records", self.list_records),
            ("POST", r"/v2/domains/([^/]+)/records", self.create_record),
            ("GET", r"/v2/domains/([^/]+)/records/(\d+)", self.get_record),
            ("PUT", r"/v2/domains/([^/]+)/records/(\d+)", self.update_record),
            ("PATCH", r"/v2/domains/([^/]+)/records/(\d+)", self.update_record),
            ("DELETE", r"/v2/domains/([^/]+)/records/(\d+)", self.delete_record),
            ("GET", r"/v2/databases", self.list_databases),
            ("POST", r"/v2/databases", self.create_database),
            ("GET", r"/v2/databases/([^/]+)", self.get_database),
            ("DELETE", r"/v2/databases/([^/]+)", self.delete_database),
            ("PUT", r"/v2/databases/([^/]+)/resize", self.resize_database),
            ("GET", r"/v2/databases/([^/]+)/dbs", self.list_dbs),
            ("POST", r"/v2/databases/([^/]+)/dbs", self.create_db),
            ("GET", r"/v2/databases/([^/]+)/dbs/([^/]+)", self.get_db),
            ("DELETE", r"/v2/databases/([^/]+)/dbs/([^/]+)", self.delete_db),
            ("GET", r"/v2/databases/([^/]+)/users", self.list_users),
            ("POST", r"/v2/databases/([^/]+)/users", self.create_user),
            ("GET", r"/v2/databases/([^/]+)/users/([^/]+)", self.get_user),
            ("DELETE", r"/v2/databases/([^/]+)/users/([^/]+)", self.delete_user),
            ("GET", r"/v2/databases/([^/]+)/pools", self.list_pools),
            ("POST", r"/v2/databases/([^/]+)/pools", self.create_pool),
            ("GET", r"/v2/databases/([^/]+)/pools/([^/]+)", self.get_pool),
            ("PUT", r"/v2/databases/([^/]+)/pools/([^/]+)", self.update_pool),
            ("DELETE", r"/v2/databases/([^/]+)/pools/([^/]+)", self.delete_pool),
            ("GET", r"/v2/databases/([^/]+)/firewall", self.get_db_firewall),
            ("PUT", r"/v2/databases/([^/]+)/firewall", self.put_db_firewall),
            ("GET", r"/v2/load_balancers", self.list_lbs),
            ("POST", r"/v2/load_balancers", self.create_lb),
            ("GET", r"/v2/load_balancers/([^/]+)", self.get_lb),
            ("PUT", r"/v2/load_balancers/([^/]+)", self.update_lb),
            ("DELETE", r"/v2/load_balancers/([^/]+)", self.delete_lb),
        ]

    def dispatch(self, method, path, query, body):
        with self.lock:
            now = time.monotonic()
            if self.burst_limit is not None:
                self._recent = [t for t in self._recent if now - t < self.burst_window]
                if len(self._recent) >= self.burst_limit:
                    return 429, {"id": "too_many_requests", "message": "API Rate limit exceeded."}, {"Retry-After": "1"}
                self._recent.append(now)
            for i, (pattern, status, retry_after) in enumerate(self.injected):
                if re.fullmatch(pattern, path):
                    del self.injected[i]
                    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                    ident = "too_many_requests" if status == 429 else "server_error"
                    return status, {"id": ident, "message": "Injected failure."}, headers
            allowed = False
            for verb, pattern, handler in self.routes():
                match = re.fullmatch(pattern, path)
                if not match:
                    continue
                allowed = True
                if verb != method:
                    continue
                try:
                    result = handler(*match.groups(), query=query, body=body)
                except FakeError as err:
                    return err.status, {"id": err.ident, "message": err.message}, {}
                if isinstance(result, tuple):
                    return result[0], result[1], {}
                return 200, result, {}
            if allowed:
                return 405, {"id": "method_not_allowed", "message": "Method not allowed."}, {}
            raise not_found()

    # -- ssh keys ------------------------------------------------------------
    def find_key(self, ident):
        for key in self.ssh_keys.values():
            if str(key["id"]) == ident or key["fingerprint"] == ident:
                return key
        raise not_found()

    def list_keys(self, query, body):
        return self.paged(sorted(self.ssh_keys.values(), key=lambda k: k["id"]), "ssh_keys", query, "/v2/account/keys")

    def create_key(self, query, body):
        name, public_key = body.get("name"), body.get("public_key")
        if not name or not public_key:
            raise invalid("name and public_key are required")
        fingerprint = ssh_fingerprint(public_key)
        if any(k["fingerprint"] == fingerprint for k in self.ssh_keys.values()):
            raise invalid("SSH Key is already in use on your account")
        key = {"id": self.next_id(), "fingerprint": fingerprint, "public_key": public_key.strip(), "name": name}
        self.ssh_keys[key["id"]] = key
        return 201, {"ssh_key": key}

    def get_key(self, ident, query, body):
        return {"ssh_key": self.find_key(ident)}

    def update_key(self, ident, query, body):
        key = self.find_key(ident)
        if body.get("name"):
            key["name"] = body["name"]
        return {"ssh_key": key}

    def delete_key(self, ident, query, body):
        key = self.find_key(ident)
        del self.ssh_keys[key["id"]]
        return 204, None

    # -- droplets ------------------------------------------------------------
    def droplet_view(self, droplet):
        return droplet

    def list_droplets(self, query, body):
        items = sorted(self.droplets.values(), key=lambda d: d["id"])
        if query.get("tag_name"):
            items = [d for d in items if query["tag_name"] in d["tags"]]
        if query.get("name"):
            items = [d for d in items if d["name"] == query["name"]]
        for d in items:
            self._settle_droplet(d)
        return self.paged(items, "droplets", query, "/v2/droplets")

    def create_droplet(self, query, body):
        for field in ("name", "region", "size", "image"):
            if not body.get(field):
                raise invalid("You specified invalid %s for Droplet creation." % field)
        if body["region"] not in REGIONS:
            raise invalid("You specified an invalid region for Droplet creation.")
        if body["size"] not in SIZES:
            raise invalid("You specified an invalid size for Droplet creation.")
        if not re.fullmatch(r"[A-Za-z0-9.-]+", body["name"]):
            raise invalid("Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)")
        vpc_uuid = body.get("vpc_uuid")
        if vpc_uuid:
            vpc = self.vpcs.get(vpc_uuid)
            if not vpc:
                raise invalid("The VPC specified does not exist.")
            if vpc["region"] != body["region"]:
                raise invalid("The VPC must be in the same region as the Droplet.")
        keys = []
        for ident in body.get("ssh_keys") or []:
            try:
                keys.append(self.find_key(str(ident))["id"])
            except FakeError as exc:
                raise invalid("The SSH key %s was not found." % ident) from exc
        vcpus, memory, disk, price = SIZES[body["size"]]
        droplet_id = self.next_id()
        tags = list(dict.fromkeys(body.get("tags") or []))
        for tag in tags:
            self.tags.setdefault(tag, {"name": tag})
        features = ["droplet_agent", "private_networking"]
        if body.get("monitoring"):
            features.append("monitoring")
        if body.get("backups"):
            features.append("backups")
        if body.get("ipv6"):
            features.append("ipv6")
        droplet = {
            "id": droplet_id,
            "name": body["name"],
            "memory": memory,
            "vcpus": vcpus,
            "disk": disk,
            "locked": False,
            "status": "new",
            "kernel": None,
            "created_at": NOW,
            "features": features,
            "backup_ids": [],
            "next_backup_window": None,
            "snapshot_ids": [],
            "image": {
                "id": 1000, "name": body["image"], "distribution": "Debian", "slug": str(body["image"]),
                "public": True, "regions": REGIONS, "created_at": NOW, "type": "base",
                "min_disk_size": 10, "size_gigabytes": 1.0, "description": "", "tags": [], "status": "available",
            },
            "volume_ids": [],
            "size": {
                "slug": body["size"], "memory": memory, "vcpus": vcpus, "disk": disk, "transfer": 1.0,
                "price_monthly": price, "price_hourly": round(price / 730, 5), "regions": REGIONS,
                "available": True, "description": "Basic",
            },
            "size_slug": body["size"],
            "networks": {"v4": [], "v6": []},
            "region": region_obj(body["region"]),
            "tags": tags,
            "vpc_uuid": vpc_uuid or self.default_vpc(body["region"]),
            "_ssh_keys": keys,
            "_user_data": body.get("user_data"),
        }
        self.droplets[droplet_id] = droplet
        action = self.new_action("create", droplet_id, region=body["region"])
        href = "%s/v2/actions/%d" % (self.base, action["id"])
        links = {"actions": [{"id": action["id"], "rel": "create", "href": href}]}
        return 202, {"droplet": public(droplet), "links": links}

    def default_vpc(self, region):
        for vpc in self.vpcs.values():
            if vpc["region"] == region and vpc["default"]:
                return vpc["id"]
        vpc = self._make_vpc("default-" + region, region, None, "", default=True)
        return vpc["id"]

    def _settle_droplet(self, droplet):
        if droplet["status"] == "new" and self.poll_ready(("droplet", droplet["id"]), droplet["name"]):
            n = droplet["id"] % 250
            droplet["status"] = "active"
            droplet["networks"]["v4"] = [
                {"ip_address": "203.0.113.%d" % (n + 1), "netmask": "255.255.255.0", "gateway": "203.0.113.254",
                 "type": "public"},
                {"ip_address": self._private_ip(droplet, n), "netmask": "255.255.240.0", "gateway": "<nil>",
                 "type": "private"},
            ]
            for action in self.actions.values():
                if action["resource_id"] == droplet["id"] and action["type"] == "create":
                    action["status"] = "completed"
                    action["completed_at"] = NOW

    def _private_ip(self, droplet, n):
        vpc = self.vpcs.get(droplet["vpc_uuid"])
        network = ipaddress.ip_network(vpc["ip_range"]) if vpc else ipaddress.ip_network("10.10.0.0/16")
        return str(network.network_address + 2 + n)

    def get_droplet(self, droplet_id, query, body):
        droplet = self.droplets.get(int(droplet_id))
        if not droplet:
            raise not_found()
        self._settle_droplet(droplet)
        return {"droplet": public(droplet)}

    def delete_droplet(self, droplet_id, query, body):
        if int(droplet_id) not in self.droplets:
            raise not_found()
        del self.droplets[int(droplet_id)]
        return 204, None

    def droplet_action(self, droplet_id, query, body):
        droplet = self.droplets.get(int(droplet_id))
        if not droplet:
            raise not_found()
        kind = body.get("type")
        features = droplet["features"]
        if kind == "enable_backups":
            if "backups" not in features:
                features.append("backups")
        elif kind == "disable_backups":
            if "backups" in features:
                features.remove("backups")
        elif kind not in ("reboot", "power_cycle", "shutdown", "power_off", "power_on"):
            raise invalid("The action type %r is not supported." % kind)
        action = self.new_action(kind, droplet["id"], region=droplet["region"]["slug"])
        return 201, {"action": action}

    def get_action(self, action_id, query, body):
        action = self.actions.get(int(action_id))
        if not action:
            raise not_found()
        key = ("action", action["id"])
        if action["status"] == "in-progress" and self.poll_ready(key, "action-%s" % action["type"]):
            action["status"] = "completed"
            action["completed_at"] = NOW
        return {"action": action}

    # -- tags ----------------------------------------------------------------
    def create_tag(self, query, body):
        name = body.get("name") or ""
        if not re.fullmatch(r"[A-Za-z0-9_:\-]{1,255}", name):
            raise FakeError(400, "bad_request", "tag name is invalid")
        self.tags.setdefault(name, {"name": name})
        return 201, {"tag": {"name": name, "resources": {"count": 0, "droplets": {"count": 0}}}}

    def _tag_targets(self, tag, body):
        if tag not in self.tags:
            raise not_found()
        out = []
        for res in body.get("resources") or []:
            if res.get("resource_type") != "droplet":
                raise invalid("only droplets can be tagged here")
            droplet = self.droplets.get(int(res.get("resource_id", 0)))
            if not droplet:
                raise not_found()
            out.append(droplet)
        return out

    def tag_resources(self, tag, query, body):
        for droplet in self._tag_targets(tag, body):
            if tag not in droplet["tags"]:
                droplet["tags"].append(tag)
        return 204, None

    def untag_resources(self, tag, query, body):
        for droplet in self._tag_targets(tag, body):
            if tag in droplet["tags"]:
                droplet["tags"].remove(tag)
        return 204, None

    # -- vpcs ----------------------------------------------------------------
    def _make_vpc(self, name, region, ip_range, description, default=False):
        if ip_range is None:
            ip_range = "10.%d.0.0/20" % (100 + len(self.vpcs))
        vpc = {
            "id": str(uuid.uuid4()),
            "urn": "",
            "name": name,
            "description": description or "",
            "region": region,
            "ip_range": ip_range,
            "default": default,
            "created_at": NOW,
        }
        vpc["urn"] = "do:vpc:" + vpc["id"]
        self.vpcs[vpc["id"]] = vpc
        return vpc

    def list_vpcs(self, query, body):
        return self.paged(sorted(self.vpcs.values(), key=lambda v: v["name"]), "vpcs", query, "/v2/vpcs")

    def create_vpc(self, query, body):
        name, region = body.get("name"), body.get("region")
        if not name or not region:
            raise invalid("name and region are required")
        if region not in REGIONS:
            raise invalid("invalid region")
        if any(v["name"] == name for v in self.vpcs.values()):
            raise invalid("A VPC with this name already exists.")
        ip_range = body.get("ip_range")
        if ip_range:
            try:
                ipaddress.ip_network(ip_range)
            except ValueError as exc:
                raise invalid("ip_range is not a valid CIDR block") from exc
        return 201, {"vpc": self._make_vpc(name, region, ip_range, body.get("description"))}

    def get_vpc(self, vpc_id, query, body):
        if vpc_id not in self.vpcs:
            raise not_found()
        return {"vpc": self.vpcs[vpc_id]}

    def update_vpc(self, vpc_id, query, body):
        if vpc_id not in self.vpcs:
            raise not_found()
        vpc = self.vpcs[vpc_id]
        for field in ("name", "description"):
            if field in body:
                vpc[field] = body[field]
        return {"vpc": vpc}

    def delete_vpc(self, vpc_id, query, body):
        if vpc_id not in self.vpcs:
            raise not_found()
        if any(d["vpc_uuid"] == vpc_id for d in self.droplets.values()):
            raise FakeError(403, "forbidden", "Can not delete VPC with members")
        del self.vpcs[vpc_id]
        return 204, None

    # -- firewalls -----------------------------------------------------------
    def _check_rules(self, rules, side):
        for rule in rules or []:
            if rule.get("protocol") not in ("tcp", "udp", "icmp"):
                raise invalid("protocol must be tcp, udp or icmp")
            if rule["protocol"] != "icmp" and not rule.get("ports"):
                raise invalid("ports is required for tcp and udp rules")
            if side not in rule:
                raise invalid("%s is required" % side)

    def _firewall_from(self, body, fw_id=None):
        if not body.get("name"):
            raise invalid("name is required")
        self._check_rules(body.get("inbound_rules"), "sources")
        self._check_rules(body.get("outbound_rules"), "destinations")
        if not body.get("inbound_rules") and not body.get("outbound_rules"):
            raise invalid("At least one rule must be specified")

        def clean(rules, side):
            out = []
            for rule in rules or []:
                target = dict((k, list(v)) for k, v in (rule.get(side) or {}).items() if v)
                item = {"protocol": rule["protocol"], "ports": str(rule.get("ports") or "0"), side: target}
                if rule["protocol"] == "icmp":
                    item["ports"] = "0"
                out.append(item)
            return out

        return {
            "id": fw_id or str(uuid.uuid4()),
            "status": "succeeded",
            "created_at": NOW,
            "pending_changes": [],
            "name": body["name"],
            "inbound_rules": clean(body.get("inbound_rules"), "sources"),
            "outbound_rules": clean(body.get("outbound_rules"), "destinations"),
            "droplet_ids": list(body.get("droplet_ids") or []),
            "tags": list(body.get("tags") or []),
        }

    def list_firewalls(self, query, body):
        items = sorted(self.firewalls.values(), key=lambda f: f["name"])
        return self.paged(items, "firewalls", query, "/v2/firewalls")

    def create_firewall(self, query, body):
        if any(f["name"] == body.get("name") for f in self.firewalls.values()):
            raise FakeError(409, "conflict", "A firewall with this name already exists.")
        fw = self._firewall_from(body)
        fw["status"] = "waiting"
        self.firewalls[fw["id"]] = fw
        return 202, {"firewall": fw}

    def get_firewall(self, fw_id, query, body):
        fw = self.firewalls.get(fw_id)
        if not fw:
            raise not_found()
        fw["status"] = "succeeded"
        return {"firewall": fw}

    def update_firewall(self, fw_id, query, body):
        if fw_id not in self.firewalls:
            raise not_found()
        fw = self._firewall_from(body, fw_id)
        self.firewalls[fw_id] = fw
        return {"firewall": fw}

    def delete_firewall(self, fw_id, query, body):
        if fw_id not in self.firewalls:
            raise not_found()
        del self.firewalls[fw_id]
        return 204, None

    # -- domains and records -------------------------------------------------
    def list_domains(self, query, body):
        items = [self.domain_view(d) for d in sorted(self.domains)]
        return self.paged(items, "domains", query, "/v2/domains")

    def domain_view(self, name):
        lines = ["$ORIGIN %s." % name, "$TTL 1800"]
        for rec in self.records.get(name, []):
            lines.append("%s 1800 IN %s %s" % (rec["name"], rec["type"], rec["data"]))
        return {"name": name, "ttl": 1800, "zone_file": "\n".join(lines) + "\n"}

    def create_domain(self, query, body):
        name = (body.get("name") or "").lower().rstrip(".")
        if not re.fullmatch(r"([a-z0-9-]+\.)+[a-z]{2,}", name):
            raise invalid("Name Invalid Domain")
        if name in self.domains:
            raise invalid("Name already exists")
        self.domains[name] = {"name": name}
        recs = self.records[name] = []
        recs.append(self._record("SOA", "@", "1800", ttl=1800))
        for ns in ("ns1", "ns2", "ns3"):
            recs.append(self._record("NS", "@", "%s.digitalocean.com" % ns, ttl=1800))
        if body.get("ip_address"):
            recs.append(self._record("A", "@", body["ip_address"], ttl=1800))
        return 201, {"domain": {"name": name, "ttl": 1800, "zone_file": None}}

    def get_domain(self, name, query, body):
        if name not in self.domains:
            raise not_found()
        return {"domain": self.domain_view(name)}

    def delete_domain(self, name, query, body):
        if name not in self.domains:
            raise not_found()
        del self.domains[name]
        del self.records[name]
        return 204, None

    def _record(self, rtype, name, data, ttl=1800, priority=None, port=None, weight=None, flags=None, tag=None):
        return {
            "id": self.next_id(), "type": rtype, "name": name, "data": data, "priority": priority,
            "port": port, "ttl": ttl, "weight": weight, "flags": flags, "tag": tag,
        }

    def list_records(self, domain, query, body):
        if domain not in self.domains:
            raise not_found()
        items = list(self.records[domain])
        if query.get("type"):
            items = [r for r in items if r["type"] == query["type"]]
        if query.get("name"):
            fqdn = query["name"]
            items = [r for r in items if (domain if r["name"] == "@" else "%s.%s" % (r["name"], domain)) == fqdn]
        return self.paged(items, "domain_records", query, "/v2/domains/%s/records" % domain)

    def _validate_record(self, rec):
        rtype, data = rec.get("type"), rec.get("data")
        if rtype not in ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT"):
            raise invalid("Type is not a valid record type")
        if not data:
            raise invalid("Data needs to be a valid value")
        if rtype == "A":
            try:
                ipaddress.IPv4Address(data)
            except ValueError as exc:
                raise invalid("Data needs to be a valid IPv4 address") from exc
        if rtype == "AAAA":
            try:
                ipaddress.IPv6Address(data)
            except ValueError as exc:
                raise invalid("Data needs to be a valid IPv6 address") from exc
        if rtype in ("MX", "SRV") and rec.get("priority") is None:
            raise invalid("Priority is required for MX and SRV records")
        if rtype == "CAA" and (rec.get("flags") is None or rec.get("tag") not in ("issue", "issuewild", "iodef")):
            raise invalid("Flags and tag (issue, issuewild or iodef) are required for CAA records")
        if rec.get("ttl") is not None and int(rec["ttl"]) < 30:
            raise invalid("TTL must be at least 30")

    def create_record(self, domain, query, body):
        if domain not in self.domains:
            raise not_found()
        self._validate_record(body)
        data = body["data"]
        if body["type"] in ("CNAME", "MX", "NS") and data != "@":
            data = data.rstrip(".")
        rec = self._record(
            body["type"], body.get("name") or "@", data, ttl=body.get("ttl") or 1800,
            priority=body.get("priority"), port=body.get("port"), weight=body.get("weight"),
            flags=body.get("flags"), tag=body.get("tag"),
        )
        self.records[domain].append(rec)
        return 201, {"domain_record": rec}

    def _find_record(self, domain, rec_id):
        if domain not in self.domains:
            raise not_found()
        for rec in self.records[domain]:
            if rec["id"] == int(rec_id):
                return rec
        raise not_found()

    def get_record(self, domain, rec_id, query, body):
        return {"domain_record": self._find_record(domain, rec_id)}

    def update_record(self, domain, rec_id, query, body):
        rec = self._find_record(domain, rec_id)
        merged = dict(rec)
        merged.update(dict((k, v) for k, v in body.items() if k in rec and k != "id"))
        self._validate_record(merged)
        rec.update(merged)
        return {"domain_record": rec}

    def delete_record(self, domain, rec_id, query, body):
        rec = self._find_record(domain, rec_id)
        self.records[domain].remove(rec)
        return 204, None

    # -- managed databases ---------------------------------------------------
    def _db(self, db_id):
        db = self.databases.get(db_id)
        if not db:
            raise not_found()
        return db

    def _settle_db(self, db):
        if db["status"] in ("creating", "resizing") and self.poll_ready(("db", db["id"], db["status"]), db["name"]):
            db["status"] = "online"

    def list_databases(self, query, body):
        items = sorted(self.databases.values(), key=lambda d: d["name"])
        for db in items:
            self._settle_db(db)
        return {"databases": [public(d) for d in items]}

    def create_database(self, query, body):
        for field in ("name", "engine", "num_nodes", "size", "region"):
            if not body.get(field):
                raise invalid("%s is required" % field)
        if body["engine"] not in ("pg", "mysql", "valkey", "redis", "mongodb", "kafka", "opensearch"):
            raise invalid("engine is not supported")
        if body["size"] not in DB_SIZES:
            raise invalid("invalid size")
        if not 1 <= int(body["num_nodes"]) <= 3:
            raise invalid("num_nodes must be between 1 and 3")
        if any(d["name"] == body["name"] for d in self.databases.values()):
            raise invalid("a cluster with this name already exists")
        vpc = body.get("private_network_uuid")
        if vpc and vpc not in self.vpcs:
            raise invalid("private network not found")
        db_id = str(uuid.uuid4())
        password = "fake-pass-" + db_id[:8]
        host = "%s-do-user-0.db.ondigitalocean.com" % body["name"]

        def conn(hostname):
            return {
                "protocol": "postgresql", "uri": "postgresql://doadmin:%s@%s:25060/defaultdb?sslmode=require" % (
                    password, hostname), "database": "defaultdb", "host": hostname, "port": 25060,
                "user": "doadmin", "password": password, "ssl": True,
            }

        db = {
            "id": db_id, "name": body["name"], "engine": body["engine"], "version": str(body.get("version") or "16"),
            "semantic_version": "%s.4" % (body.get("version") or "16"),
            "num_nodes": int(body["num_nodes"]), "size": body["size"], "region": body["region"],
            "status": "creating", "created_at": NOW, "private_network_uuid": vpc or self.default_vpc(body["region"]),
            "tags": list(body.get("tags") or []), "db_names": ["defaultdb"],
            "connection": conn(host), "private_connection": conn("private-" + host),
            "users": [{"name": "doadmin", "role": "primary", "password": password}],
            "maintenance_window": {"day": "tuesday", "hour": "01:00:00", "pending": False, "description": []},
            "project_id": "00000000-0000-4000-8000-000000000000",
            "storage_size_mib": 10240,
            "_dbs": [{"name": "defaultdb"}],
            "_firewall": [],
            "_pools": [],
        }
        self.databases[db_id] = db
        return 201, {"database": public(db)}

    def get_database(self, db_id, query, body):
        db = self._db(db_id)
        self._settle_db(db)
        return {"database": public(db)}

    def delete_database(self, db_id, query, body):
        self._db(db_id)
        del self.databases[db_id]
        return 204, None

    def resize_database(self, db_id, query, body):
        db = self._db(db_id)
        if body.get("size") not in DB_SIZES or not body.get("num_nodes"):
            raise invalid("size and num_nodes are required")
        db["size"], db["num_nodes"], db["status"] = body["size"], int(body["num_nodes"]), "resizing"
        return 202, None

    def list_dbs(self, db_id, query, body):
        return {"dbs": self._db(db_id)["_dbs"]}

    def create_db(self, db_id, query, body):
        db = self._db(db_id)
        name = body.get("name")
        if not name or not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", name):
            raise invalid("name is invalid")
        if any(d["name"] == name for d in db["_dbs"]):
            raise invalid("database already exists")
        db["_dbs"].append({"name": name})
        db["db_names"].append(name)
        return 201, {"db": {"name": name}}

    def get_db(self, db_id, name, query, body):
        for item in self._db(db_id)["_dbs"]:
            if item["name"] == name:
                return {"db": item}
        raise not_found()

    def delete_db(self, db_id, name, query, body):
        db = self._db(db_id)
        for item in db["_dbs"]:
            if item["name"] == name:
                self._refuse_if_pooled(db, "db", name)
                db["_dbs"].remove(item)
                db["db_names"].remove(name)
                return 204, None
        raise not_found()

    def list_users(self, db_id, query, body):
        return {"users": self._db(db_id)["users"]}

    def create_user(self, db_id, query, body):
        db = self._db(db_id)
        name = body.get("name")
        if not name or not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", name):
            raise invalid("name is invalid")
        if any(u["name"] == name for u in db["users"]):
            raise invalid("user already exists")
        user = {"name": name, "role": "normal", "password": "fake-user-pass-" + name}
        db["users"].append(user)
        return 201, {"user": user}

    def get_user(self, db_id, name, query, body):
        for user in self._db(db_id)["users"]:
            if user["name"] == name:
                return {"user": user}
        raise not_found()

    def delete_user(self, db_id, name, query, body):
        db = self._db(db_id)
        for user in db["users"]:
            if user["name"] == name:
                if user["role"] == "primary":
                    raise FakeError(403, "forbidden", "the primary user cannot be deleted")
                self._refuse_if_pooled(db, "user", name)
                db["users"].remove(user)
                return 204, None
        raise not_found()

    # connection pools (PgBouncer, PostgreSQL only): the pool is a database
    # clients connect to on port 25061; the sizes of all pools share the
    # backend connections of the primary node (25 per GiB of memory, 3 kept
    # for maintenance)
    def _pool_room(self, db, ignore=None):
        gib = int(re.search(r"(\d+)gb$", db["size"]).group(1))
        used = sum(p["size"] for p in db["_pools"] if p["name"] != ignore)
        return 25 * gib - 3 - used

    def _pool_settings(self, db, body, name=None):
        for field in ("mode", "size", "db"):
            if body.get(field) in (None, ""):
                raise invalid("%s is required" % field)
        if body["mode"] not in ("transaction", "session", "statement"):
            raise invalid("mode must be one of transaction, session or statement")
        if not isinstance(body["size"], int) or isinstance(body["size"], bool) or body["size"] < 1:
            raise invalid("size must be a positive integer")
        if body["size"] > self._pool_room(db, ignore=name):
            raise invalid("pool size exceeds the connections available on this cluster (%d left)"
                          % self._pool_room(db, ignore=name))
        if not any(d["name"] == body["db"] for d in db["_dbs"]):
            raise invalid("database %s does not exist" % body["db"])
        user = body.get("user") or ""
        if user and not any(u["name"] == user for u in db["users"]):
            raise invalid("user %s does not exist" % user)
        return {"mode": body["mode"], "size": body["size"], "db": body["db"], "user": user}

    def _refuse_if_pooled(self, db, field, name):
        users = [p["name"] for p in db["_pools"] if p[field] == name]
        if users:
            raise invalid("%s %s is used by the connection pool %s" % (field, name, users[0]))

    def _pool_view(self, db, pool):
        login = pool["user"] or "doadmin"
        password = next(u["password"] for u in db["users"] if u["name"] == login)

        def conn(key):
            host = db[key]["host"]
            return {"uri": "postgresql://%s:%s@%s:25061/%s?sslmode=require" % (login, password, host, pool["name"]),
                    "database": pool["name"], "host": host, "port": 25061, "user": login, "password": password,
                    "ssl": True}

        return dict(pool, connection=conn("connection"), private_connection=conn("private_connection"))

    def _pool(self, db, name):
        for pool in db["_pools"]:
            if pool["name"] == name:
                return pool
        raise not_found()

    def list_pools(self, db_id, query, body):
        db = self._db(db_id)
        return {"pools": [self._pool_view(db, p) for p in db["_pools"]]}

    def create_pool(self, db_id, query, body):
        db = self._db(db_id)
        if db["engine"] != "pg":
            raise invalid("connection pools are only available for PostgreSQL clusters")
        name = body.get("name")
        if not isinstance(name, str) or not 3 <= len(name) <= 60:
            raise invalid("name must be between 3 and 60 characters")
        if any(p["name"] == name for p in db["_pools"]):
            raise invalid("a connection pool named %s already exists" % name)
        pool = dict(self._pool_settings(db, body), name=name)
        db["_pools"].append(pool)
        return 201, {"pool": self._pool_view(db, pool)}

    def get_pool(self, db_id, name, query, body):
        db = self._db(db_id)
        return {"pool": self._pool_view(db, self._pool(db, name))}

    def update_pool(self, db_id, name, query, body):
        db = self._db(db_id)
        pool = self._pool(db, name)
        pool.update(self._pool_settings(db, body, name=name))
        return 204, None

    def delete_pool(self, db_id, name, query, body):
        db = self._db(db_id)
        db["_pools"].remove(self._pool(db, name))
        return 204, None

    def get_db_firewall(self, db_id, query, body):
        return {"rules": self._db(db_id)["_firewall"]}

    def put_db_firewall(self, db_id, query, body):
        db = self._db(db_id)
        rules = []
        for rule in body.get("rules") or []:
            if rule.get("type") not in ("droplet", "k8s", "ip_addr", "tag", "app") or not rule.get("value"):
                raise invalid("rule type must be droplet, k8s, ip_addr, tag or app, with a value")
            rules.append({"uuid": str(uuid.uuid4()), "cluster_uuid": db_id, "type": rule["type"],
                          "value": rule["value"], "created_at": NOW})
        db["_firewall"] = rules
        return 204, None

    # -- load balancers ------------------------------------------------------
    def _lb_from(self, body, lb_id=None, old=None):
        if not body.get("name"):
            raise invalid("name is required")
        if not body.get("forwarding_rules"):
            raise invalid("forwarding_rules is required")
        if not body.get("region") and not old:
            raise invalid("region is required")
        if body.get("tag") and body.get("droplet_ids"):
            raise invalid("droplet_ids and tag are mutually exclusive")
        for rule in body["forwarding_rules"]:
            for field in ("entry_protocol", "entry_port", "target_protocol", "target_port"):
                if rule.get(field) in (None, ""):
                    raise invalid("forwarding rule needs %s" % field)
        region = body.get("region") or old["region"]["slug"]
        health = {"protocol": "http", "port": 80, "path": "/", "check_interval_seconds": 10,
                  "response_timeout_seconds": 5, "healthy_threshold": 3, "unhealthy_threshold": 5}
        health.update(body.get("health_check") or {})
        lb = {
            "id": lb_id or str(uuid.uuid4()),
            "name": body["name"],
            "ip": old["ip"] if old else "",
            "size_unit": int(body.get("size_unit") or 1),
            "size": body.get("size") or "lb-small",
            "algorithm": "round_robin",
            "status": old["status"] if old else "new",
            "created_at": NOW,
            "forwarding_rules": [dict({"tls_passthrough": False, "certificate_id": ""}, **r)
                                 for r in body["forwarding_rules"]],
            "health_check": health,
            "sticky_sessions": body.get("sticky_sessions") or {"type": "none"},
            "redirect_http_to_https": bool(body.get("redirect_http_to_https")),
            "enable_proxy_protocol": bool(body.get("enable_proxy_protocol")),
            "enable_backend_keepalive": bool(body.get("enable_backend_keepalive")),
            "http_idle_timeout_seconds": 60,
            "vpc_uuid": body.get("vpc_uuid") or (old["vpc_uuid"] if old else self.default_vpc(region)),
            "disable_lets_encrypt_dns_records": False,
            "project_id": "00000000-0000-4000-8000-000000000000",
            "droplet_ids": list(body.get("droplet_ids") or []),
            "tag": body.get("tag") or "",
            "region": region_obj(region),
        }
        return lb

    def _settle_lb(self, lb):
        if lb["status"] == "new" and self.poll_ready(("lb", lb["id"]), lb["name"]):
            lb["status"] = "active"
            lb["ip"] = "198.51.100.%d" % (10 + len(self.load_balancers))

    def list_lbs(self, query, body):
        items = sorted(self.load_balancers.values(), key=lambda x: x["name"])
        for lb in items:
            self._settle_lb(lb)
        return self.paged(items, "load_balancers", query, "/v2/load_balancers")

    def create_lb(self, query, body):
        lb = self._lb_from(body)
        self.load_balancers[lb["id"]] = lb
        return 202, {"load_balancer": lb}

    def get_lb(self, lb_id, query, body):
        lb = self.load_balancers.get(lb_id)
        if not lb:
            raise not_found()
        self._settle_lb(lb)
        return {"load_balancer": lb}

    def update_lb(self, lb_id, query, body):
        old = self.load_balancers.get(lb_id)
        if not old:
            raise not_found()
        lb = self._lb_from(body, lb_id, old)
        self.load_balancers[lb_id] = lb
        return {"load_balancer": lb}

    def delete_lb(self, lb_id, query, body):
        if lb_id not in self.load_balancers:
            raise not_found()
        del self.load_balancers[lb_id]
        return 204, None


def region_obj(slug):
    return {"slug": slug, "name": slug.upper(), "sizes": list(SIZES), "available": True,
            "features": ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]}


def public(resource):
    """The resource without the fake's private bookkeeping keys."""
    return dict((k, v) for k, v in resource.items() if not k.startswith("_"))


class RequestHandler(BaseHTTPRequestHandler):
    api = None  # set by FakeDigitalOcean.start
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _handle(self):
        parts = urlsplit(self.path)
        query = dict((k, v[-1]) for k, v in parse_qs(parts.query).items())
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        record = {
            "method": self.command, "path": parts.path, "query": query,
            "headers": dict(self.headers.items()), "body": raw,
        }
        body = {}
        status, payload, headers = None, None, {}
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer %s" % TOKEN:
            status, payload = 401, {"id": "unauthorized", "message": "Unable to authenticate you"}
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError:
                status, payload = 400, {"id": "bad_request", "message": "The request body is not valid JSON."}
            if status is None and not isinstance(body, dict):
                status, payload = 400, {"id": "bad_request", "message": "The request body must be an object."}
        if status is None:
            try:
                status, payload, headers = self.api.dispatch(self.command, parts.path, query, body)
            except FakeError as err:
                status, payload = err.status, {"id": err.ident, "message": err.message}
        if status >= 400 and isinstance(payload, dict):
            payload.setdefault("request_id", str(uuid.uuid4()))
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        reset = int(time.time()) + 60
        out_headers = {"ratelimit-limit": "5000", "ratelimit-remaining": "4999", "ratelimit-reset": str(reset)}
        out_headers.update(headers)
        if data:
            out_headers["Content-Type"] = "application/json; charset=utf-8"
        out_headers["Content-Length"] = str(len(data))
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)
        record.update({"status": status, "response_headers": out_headers, "response": data})
        with self.api.lock:
            self.api.exchanges.append(record)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


if __name__ == "__main__":  # manual exploration: python fake_api.py
    server = FakeDigitalOcean().start()
    print("fake DigitalOcean API on %s (token %s)" % (server.url, TOKEN))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
