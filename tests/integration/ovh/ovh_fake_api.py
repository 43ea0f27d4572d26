"""A stateful local stand-in for the parts of the OVHcloud API the collection uses.

It listens on 127.0.0.1 (a free port), answers ``GET /1.0/auth/time``, checks
every other request's signed headers by recomputing the signature
("$1$" + sha1(AS+CK+METHOD+URL+BODY+TIMESTAMP joined by "+")), validates body
fields against the lists declared on each route (tests compare those lists
with the published API reference), keeps state in memory, moves asynchronous
resources through their states (BUILD -> ACTIVE, CREATING -> READY, ...) after
a configurable number of reads, and records every request so tests can prove
that check mode never writes.
"""

import hashlib
import itertools
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

PREFIX = "/1.0"
ROUTES = []


def route(method, template, fields=None, required=()):
    """Register a handler for ``method template`` (reference path syntax)."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def deco(func):
        ROUTES.append({"method": method, "template": template, "pattern": pattern, "func": func,
                       "fields": None if fields is None else set(fields), "required": set(required)})
        return func
    return deco


class HttpError(Exception):
    def __init__(self, status, message, code=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def sign(secret, consumer, method, url, body, timestamp):
    raw = "+".join([secret, consumer, method, url, body, str(timestamp)])
    return "$1$" + hashlib.sha1(raw.encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's hash


FLAVORS = [("b2-7", 2, 7000, 50), ("b2-15", 4, 15000, 100), ("d2-4", 2, 4000, 50), ("d2-8", 4, 8000, 50)]
IMAGES = ["Debian 12", "Debian 13", "Ubuntu 24.04"]
REGIONS = ["GRA11", "SBG5", "BHS5"]


class FakeOvh:
    def __init__(self, application_key="ak-test", application_secret="as-test", consumer_key="ck-test",  # noqa: S107
                 project="p-test", zones=("example.com",)):
        self.ak, self.as_, self.ck = application_key, application_secret, consumer_key
        self.project = project
        self.ready_after = 1        # reads before an async resource reaches its next state
        self.requests = []
        self.injected = []          # [method, path regex, status, remaining]
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.flavors = [{"id": "%s-%s" % (region.lower(), name), "name": name, "region": region, "vcpus": cpu,
                         "ram": ram, "disk": disk, "available": True, "osType": "linux", "type": "ovh.ssd.eg",
                         "quota": 20, "capabilities": [],
                         "planCodes": {"hourly": name + ".consumption", "monthly": name + ".monthly"}}
                        for region in REGIONS for name, cpu, ram, disk in FLAVORS]
        self.images = [{"id": "img-%s-%s" % (region.lower(), name.lower().replace(" ", "-")), "name": name,
                        "region": region, "type": "linux", "status": "active", "visibility": "public",
                        "minDisk": 0, "minRam": 0, "size": 2.5, "user": name.split()[0].lower(),
                        "creationDate": "2026-01-01T00:00:00Z"}
                       for region in REGIONS for name in IMAGES]
        self.instances, self.sshkeys, self.networks, self.subnets = {}, {}, {}, {}
        self.databases, self.users, self.operations = {}, {}, {}
        self.lbs, self.listeners, self.pools, self.monitors = {}, {}, {}, {}
        self.lb_flavors = [{"id": "lbf-%s-%s" % (region.lower(), size), "name": size, "region": region}
                           for region in REGIONS for size in ("small", "medium", "large")]
        self.zones = dict((z, {}) for z in zones)
        self.refreshes = dict((z, 0) for z in zones)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = None

    # -- lifecycle -------------------------------------------------------------
    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], PREFIX)

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests -----------------------------------------------------
    def writes(self, since=0):
        return [r for r in self.requests[since:] if r["method"] != "GET"]

    def inject(self, method, path_regex, status, times=1):
        self.injected.append([method, re.compile(path_regex), status, times])

    def new_id(self, prefix):
        return "%s-%04d" % (prefix, next(self.ids))

    def pending(self, obj, key, final):
        obj["_pending"] = (key, final, self.ready_after)

    def advance(self, obj):
        pend = obj.get("_pending")
        if not pend:
            return obj
        key, final, left = pend
        if left <= 0:
            obj[key] = final
            obj.pop("_pending")
            for region in obj.get("regions") or []:
                if isinstance(region, dict) and "status" in region:
                    region["status"] = final
        else:
            obj["_pending"] = (key, final, left - 1)
        return obj

    @staticmethod
    def public(obj):
        return dict((k, v) for k, v in obj.items() if not k.startswith("_"))

    # -- HTTP plumbing ---------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # answer in one segment: no Nagle / delayed-ACK stalls on loopback
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def _answer(self, status, payload):
                data = json.dumps(payload).encode() if payload is not None else b"null"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                try:
                    status, payload = fake.dispatch(method, self.path, raw, self.headers)
                except HttpError as err:
                    status, payload = err.status, {"message": err.message}
                    if err.code:
                        payload["errorCode"] = err.code
                self._answer(status, payload)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PUT(self):
                self._serve("PUT")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler

    def check_signature(self, method, raw_path, body, headers):
        if headers.get("X-Ovh-Application") != self.ak:
            raise HttpError(403, "This application key is invalid", "INVALID_KEY")
        if headers.get("X-Ovh-Consumer") != self.ck:
            raise HttpError(403, "This credential does not exist", "INVALID_CREDENTIAL")
        stamp = headers.get("X-Ovh-Timestamp") or ""
        if not stamp.isdigit() or abs(int(stamp) - int(time.time())) > 300:
            raise HttpError(400, "Invalid timestamp", "QUERY_TIME_OUT")
        url = "http://%s%s" % (headers.get("Host"), raw_path)
        if headers.get("X-Ovh-Signature") != sign(self.as_, self.ck, method, url, body, stamp):
            raise HttpError(400, "Invalid signature", "INVALID_SIGNATURE")

    def dispatch(self, method, raw_path, raw_body, headers):
        parts = urlsplit(raw_path)
        if not parts.path.startswith(PREFIX):
            raise HttpError(404, "Got an invalid (or empty) URL")
        path = parts.path[len(PREFIX):]
        if method == "GET" and path == "/auth/time":
            return 200, int(time.time())
        self.check_signature(method, raw_path, raw_body, headers)
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            raise HttpError(400, "Invalid JSON body") from None
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            self.requests.append({"method": method, "path": path, "query": query, "body": body})
            for item in self.injected:
                if item[3] > 0 and item[0] == method and item[1].search(path):
                    item[3] -= 1
                    raise HttpError(item[2], "Injected failure %d" % item[2])
            for r in ROUTES:
                if r["method"] != method:
                    continue
                match = r["pattern"].match(path)
                if not match:
                    continue
                args = dict((k, unquote(v)) for k, v in match.groupdict().items())
                if "serviceName" in args and args.pop("serviceName") != self.project:
                    raise HttpError(404, "This service does not exist")
                if r["fields"] is not None:
                    given = set((body or {}).keys())
                    unknown = given - r["fields"]
                    if unknown:
                        raise HttpError(400, "Invalid parameter(s): %s" % ", ".join(sorted(unknown)))
                    missing = r["required"] - given
                    if missing:
                        raise HttpError(400, "Missing parameter(s): %s" % ", ".join(sorted(missing)))
                result = r["func"](self, body or {}, query, **args)
                return 200, result
            raise HttpError(404, "Got an invalid (or empty) URL")

    # -- lookups ---------------------------------------------------------------
    @staticmethod
    def get_or_404(table, key, what):
        if key not in table:
            raise HttpError(404, "%s %s does not exist" % (what, key))
        return table[key]

    def instance_detail(self, inst):
        self.advance(inst)
        return self.public(inst)

    def instance_summary(self, inst):
        self.advance(inst)
        out = self.public(inst)
        for key, idkey in (("flavor", "flavorId"), ("image", "imageId"), ("sshKey", "sshKeyId")):
            value = out.pop(key, None)
            out[idkey] = value["id"] if value else None
        return out


# ----------------------------------------------------------------------------- instances
P = "/cloud/project/{serviceName}"


@route("GET", P + "/region")
def list_regions(fake, body, query):
    return list(REGIONS)


@route("GET", P + "/flavor")
def list_flavors(fake, body, query):
    return [f for f in fake.flavors if not query.get("region") or f["region"] == query["region"]]


@route("GET", P + "/image")
def list_images(fake, body, query):
    return [i for i in fake.images if not query.get("region") or i["region"] == query["region"]]


@route("GET", P + "/instance")
def list_instances(fake, body, query):
    return [fake.instance_summary(i) for i in fake.instances.values()
            if not query.get("region") or i["region"] == query["region"]]


@route("POST", P + "/instance", fields=["autobackup", "flavorId", "groupId", "imageId", "monthlyBilling", "name",
                                        "networks", "region", "sshKeyId", "userData", "volumeId"],
       required=["flavorId", "name", "region"])
def create_instance(fake, body, query):
    region = body["region"]
    flavor = next((f for f in fake.flavors if f["id"] == body["flavorId"] and f["region"] == region), None)
    if flavor is None:
        raise HttpError(400, "Flavor %s is not available in %s" % (body["flavorId"], region))
    image = next((i for i in fake.images if i["id"] == body.get("imageId") and i["region"] == region), None)
    if image is None:
        raise HttpError(400, "Image %s is not available in %s" % (body.get("imageId"), region))
    key = None
    if body.get("sshKeyId"):
        key = fake.get_or_404(fake.sshkeys, body["sshKeyId"], "SSH key")
    n = next(fake.ids)
    addresses = [{"ip": "51.68.%d.%d" % (n // 250, n % 250 + 1), "type": "public", "version": 4,
                  "networkId": "ext-net", "gatewayIp": "51.68.0.254"},
                 {"ip": "2001:41d0:304::%x" % n, "type": "public", "version": 6, "networkId": "ext-net",
                  "gatewayIp": "2001:41d0:304::1"}]
    for net in body.get("networks") or []:
        found = None
        for pn in fake.networks.values():
            for reg in pn["regions"]:
                if reg["openstackId"] == net.get("networkId") and reg["region"] == region:
                    found = pn
        if found is None:
            raise HttpError(400, "Network %s is not available in %s" % (net.get("networkId"), region))
        subnets = [s for s in fake.subnets.values() if s["_network"] == found["id"]]
        if not subnets:
            raise HttpError(400, "Network %s has no subnet in %s" % (found["id"], region))
        base = subnets[0]["ipPools"][0]["start"].rsplit(".", 1)[0]
        addresses.append({"ip": "%s.%d" % (base, 100 + n % 150), "type": "private", "version": 4,
                          "networkId": net["networkId"], "gatewayIp": None})
    inst = {"id": "%08x-0000-4000-8000-%012x" % (n, n), "name": body["name"], "region": region,
            "status": "BUILD", "created": "2026-01-01T00:00:00Z", "planCode": flavor["planCodes"]["hourly"],
            "flavor": {k: flavor[k] for k in ("id", "name", "region", "vcpus", "ram", "disk", "type", "osType")},
            "image": {k: image[k] for k in ("id", "name", "region", "type", "user")},
            "sshKey": {"id": key["id"], "name": key["name"], "publicKey": key["publicKey"]} if key else None,
            "ipAddresses": addresses, "operationIds": [],
            "monthlyBilling": {"since": "2026-01-01T00:00:00Z", "status": "ok"} if body.get("monthlyBilling") else None,
            "_userData": body.get("userData")}
    fake.pending(inst, "status", "ACTIVE")
    fake.instances[inst["id"]] = inst
    return fake.public(inst)


@route("GET", P + "/instance/{instanceId}")
def get_instance(fake, body, query, instanceId):
    return fake.instance_detail(fake.get_or_404(fake.instances, instanceId, "Instance"))


@route("DELETE", P + "/instance/{instanceId}")
def delete_instance(fake, body, query, instanceId):
    fake.get_or_404(fake.instances, instanceId, "Instance")
    del fake.instances[instanceId]


@route("POST", P + "/instance/{instanceId}/resize", fields=["flavorId"], required=["flavorId"])
def resize_instance(fake, body, query, instanceId):
    inst = fake.get_or_404(fake.instances, instanceId, "Instance")
    flavor = next((f for f in fake.flavors if f["id"] == body["flavorId"] and f["region"] == inst["region"]), None)
    if flavor is None:
        raise HttpError(400, "Flavor %s is not available" % body["flavorId"])
    if inst["status"] != "ACTIVE":
        raise HttpError(409, "Instance is not ACTIVE")
    inst["flavor"] = {k: flavor[k] for k in ("id", "name", "region", "vcpus", "ram", "disk", "type", "osType")}
    inst["status"] = "RESIZE"
    fake.pending(inst, "status", "ACTIVE")
    return fake.public(inst)


# ----------------------------------------------------------------------------- SSH keys
@route("GET", P + "/sshkey")
def list_keys(fake, body, query):
    return [dict(k) for k in fake.sshkeys.values()]


@route("POST", P + "/sshkey", fields=["name", "publicKey", "region"], required=["name", "publicKey"])
def create_key(fake, body, query):
    if not body["publicKey"].startswith(("ssh-", "ecdsa-")):
        raise HttpError(400, "Invalid public key")
    key = {"id": fake.new_id("key"), "name": body["name"], "publicKey": body["publicKey"],
           "regions": [body["region"]] if body.get("region") else REGIONS[:]}
    fake.sshkeys[key["id"]] = key
    return dict(key)


@route("GET", P + "/sshkey/{keyId}")
def get_key(fake, body, query, keyId):
    return dict(fake.get_or_404(fake.sshkeys, keyId, "SSH key"))


@route("DELETE", P + "/sshkey/{keyId}")
def delete_key(fake, body, query, keyId):
    fake.get_or_404(fake.sshkeys, keyId, "SSH key")
    del fake.sshkeys[keyId]


# ----------------------------------------------------------------------------- private networks
@route("GET", P + "/network/private")
def list_networks(fake, body, query):
    return [fake.public(fake.advance(n)) for n in fake.networks.values()]


@route("POST", P + "/network/private", fields=["name", "regions", "vlanId"], required=["name"])
def create_network(fake, body, query):
    vlan = body.get("vlanId")
    if vlan is None:
        vlan = max([n["vlanId"] for n in fake.networks.values()] + [0]) + 1
    if any(n["vlanId"] == vlan for n in fake.networks.values()):
        raise HttpError(409, "VLAN %s is already used" % vlan)
    net = {"id": "pn-1234_%d" % vlan, "name": body["name"], "vlanId": vlan, "status": "BUILDING", "type": "private",
           "regions": [{"region": r, "status": "BUILDING", "openstackId": "os-net-%s-%d" % (r.lower(), vlan)}
                       for r in body.get("regions") or REGIONS]}
    fake.pending(net, "status", "ACTIVE")
    fake.networks[net["id"]] = net
    return fake.public(net)


@route("GET", P + "/network/private/{networkId}")
def get_network(fake, body, query, networkId):
    return fake.public(fake.advance(fake.get_or_404(fake.networks, networkId, "Network")))


@route("DELETE", P + "/network/private/{networkId}")
def delete_network(fake, body, query, networkId):
    fake.get_or_404(fake.networks, networkId, "Network")
    if any(s["_network"] == networkId for s in fake.subnets.values()):
        raise HttpError(400, "Network %s still has subnets" % networkId)
    del fake.networks[networkId]


@route("GET", P + "/network/private/{networkId}/subnet")
def list_subnets(fake, body, query, networkId):
    fake.get_or_404(fake.networks, networkId, "Network")
    return [fake.public(s) for s in fake.subnets.values() if s["_network"] == networkId]


@route("POST", P + "/network/private/{networkId}/subnet",
       fields=["dhcp", "end", "network", "noGateway", "region", "start"],
       required=["dhcp", "end", "network", "noGateway", "region", "start"])
def create_subnet(fake, body, query, networkId):
    net = fake.get_or_404(fake.networks, networkId, "Network")
    if net["status"] != "ACTIVE":
        raise HttpError(400, "Network %s is not active yet" % networkId)
    if body["region"] not in [r["region"] for r in net["regions"]]:
        raise HttpError(400, "Network %s is not in region %s" % (networkId, body["region"]))
    sub = {"id": fake.new_id("subnet"), "cidr": body["network"], "dhcpEnabled": body["dhcp"],
           "gatewayIp": None if body["noGateway"] else body["start"],
           "ipPools": [{"region": body["region"], "network": body["network"], "start": body["start"],
                        "end": body["end"], "dhcp": body["dhcp"]}], "_network": networkId}
    fake.subnets[sub["id"]] = sub
    return fake.public(sub)


@route("DELETE", P + "/network/private/{networkId}/subnet/{subnetId}")
def delete_subnet(fake, body, query, networkId, subnetId):
    fake.get_or_404(fake.subnets, subnetId, "Subnet")
    del fake.subnets[subnetId]


# ----------------------------------------------------------------------------- managed PostgreSQL
DB = P + "/database/postgresql"
PLAN_NODES = {"essential": (1, 1), "business": (2, 3), "enterprise": (3, 3)}


@route("GET", DB)
def list_dbs(fake, body, query):
    return list(fake.databases)


@route("POST", DB, fields=["backup", "backupTime", "backups", "description", "disk", "forkFrom", "ipRestrictions",
                           "maintenanceTime", "networkId", "nodesList", "nodesPattern", "plan", "subnetId",
                           "version"])
def create_db(fake, body, query):
    pattern = body.get("nodesPattern") or {}
    plan = body.get("plan")
    if plan not in PLAN_NODES:
        raise HttpError(400, "Invalid plan %r" % plan)
    low, high = PLAN_NODES[plan]
    if not low <= int(pattern.get("number") or 0) <= high:
        raise HttpError(400, "Plan %s needs between %d and %d nodes" % (plan, low, high))
    if not pattern.get("flavor") or not pattern.get("region"):
        raise HttpError(400, "nodesPattern needs flavor, number and region")
    if bool(body.get("networkId")) != bool(body.get("subnetId")):
        raise HttpError(400, "networkId and subnetId go together")
    cid = "%08x-0000-4000-8000-00000000db%02d" % (next(fake.ids), len(fake.databases))
    svc = {"id": cid, "description": body.get("description") or "", "engine": "postgresql",
           "plan": plan, "version": str(body.get("version")), "flavor": pattern["flavor"],
           "nodeNumber": pattern["number"], "region": pattern["region"], "status": "CREATING",
           "category": "operational", "createdAt": "2026-01-01T00:00:00Z", "backupTime": "03:00:00",
           "maintenanceTime": "04:00:00", "capabilities": {}, "disk": {"size": 80, "type": "high-speed"},
           "networkType": "private" if body.get("networkId") else "public",
           "networkId": body.get("networkId"), "subnetId": body.get("subnetId"),
           "ipRestrictions": [{"ip": r["ip"], "description": r.get("description", ""), "status": "READY"}
                              for r in body.get("ipRestrictions") or []],
           "endpoints": [{"component": "postgresql", "domain": "postgresql-%s.database.cloud.ovh.net" % cid[:8],
                          "port": 20184, "scheme": "postgresql", "ssl": True, "sslMode": "require",
                          "uri": "postgresql://<username>:<password>@postgresql-%s.database.cloud.ovh.net:20184/"
                                 "defaultdb?sslmode=require" % cid[:8]}],
           "nodes": [], "_users": {}, "_dbs": {}, "_pools": {}}
    fake.pending(svc, "status", "READY")
    fake.databases[cid] = svc
    return fake.public(svc)


@route("GET", DB + "/{clusterId}")
def get_db(fake, body, query, clusterId):
    return fake.public(fake.advance(fake.get_or_404(fake.databases, clusterId, "Cluster")))


@route("PUT", DB + "/{clusterId}",
       fields=["backupTime", "backups", "capabilities", "category", "createdAt", "description", "disk", "endpoints",
               "engine", "flavor", "id", "ipRestrictions", "maintenanceTime", "networkId", "networkType",
               "nodeNumber", "nodes", "plan", "region", "status", "storage", "subnetId", "version"])
def update_db(fake, body, query, clusterId):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    if svc["status"] != "READY":
        raise HttpError(409, "Cluster is not READY (%s)" % svc["status"])
    if "plan" in body and body["plan"] not in PLAN_NODES:
        raise HttpError(400, "Invalid plan %r" % body["plan"])
    for key in ("plan", "flavor", "version", "description"):
        if key in body:
            svc[key] = str(body[key])
    svc["status"] = "UPDATING"
    fake.pending(svc, "status", "READY")
    return fake.public(svc)


@route("DELETE", DB + "/{clusterId}")
def delete_db(fake, body, query, clusterId):
    fake.get_or_404(fake.databases, clusterId, "Cluster")
    del fake.databases[clusterId]


@route("GET", DB + "/{clusterId}/ipRestriction")
def list_iprs(fake, body, query, clusterId):
    return [r["ip"] for r in fake.get_or_404(fake.databases, clusterId, "Cluster")["ipRestrictions"]]


@route("POST", DB + "/{clusterId}/ipRestriction", fields=["description", "ip"], required=["ip"])
def add_ipr(fake, body, query, clusterId):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    if any(r["ip"] == body["ip"] for r in svc["ipRestrictions"]):
        raise HttpError(409, "IP block %s already allowed" % body["ip"])
    entry = {"ip": body["ip"], "description": body.get("description", ""), "status": "READY"}
    svc["ipRestrictions"].append(entry)
    return dict(entry)


@route("DELETE", DB + "/{clusterId}/ipRestriction/{ipBlock}")
def delete_ipr(fake, body, query, clusterId, ipBlock):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    if not any(r["ip"] == ipBlock for r in svc["ipRestrictions"]):
        raise HttpError(404, "IP block %s does not exist" % ipBlock)
    svc["ipRestrictions"] = [r for r in svc["ipRestrictions"] if r["ip"] != ipBlock]


@route("GET", DB + "/{clusterId}/user")
def list_db_users(fake, body, query, clusterId):
    return list(fake.get_or_404(fake.databases, clusterId, "Cluster")["_users"])


@route("POST", DB + "/{clusterId}/user", fields=["name", "roles"], required=["name"])
def create_db_user(fake, body, query, clusterId):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    if svc["status"] != "READY":
        raise HttpError(409, "Cluster is not READY")
    if any(u["username"] == body["name"] for u in svc["_users"].values()):
        raise HttpError(409, "User %s already exists" % body["name"])
    user = {"id": fake.new_id("dbuser"), "username": body["name"], "roles": body.get("roles") or [],
            "status": "READY", "createdAt": "2026-01-01T00:00:00Z"}
    svc["_users"][user["id"]] = user
    return dict(user, password="pw-%s-generated" % user["id"])


@route("GET", DB + "/{clusterId}/user/{userId}")
def get_db_user(fake, body, query, clusterId, userId):
    return dict(fake.get_or_404(fake.get_or_404(fake.databases, clusterId, "Cluster")["_users"], userId, "User"))


@route("DELETE", DB + "/{clusterId}/user/{userId}")
def delete_db_user(fake, body, query, clusterId, userId):
    users = fake.get_or_404(fake.databases, clusterId, "Cluster")["_users"]
    fake.get_or_404(users, userId, "User")
    del users[userId]


@route("GET", DB + "/{clusterId}/database")
def list_db_dbs(fake, body, query, clusterId):
    return list(fake.get_or_404(fake.databases, clusterId, "Cluster")["_dbs"])


@route("POST", DB + "/{clusterId}/database", fields=["default", "id", "name"], required=["name"])
def create_db_db(fake, body, query, clusterId):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    if any(d["name"] == body["name"] for d in svc["_dbs"].values()):
        raise HttpError(409, "Database %s already exists" % body["name"])
    db = {"id": fake.new_id("db"), "name": body["name"], "default": False}
    svc["_dbs"][db["id"]] = db
    return dict(db)


@route("GET", DB + "/{clusterId}/database/{databaseId}")
def get_db_db(fake, body, query, clusterId, databaseId):
    return dict(fake.get_or_404(fake.get_or_404(fake.databases, clusterId, "Cluster")["_dbs"], databaseId, "DB"))


@route("DELETE", DB + "/{clusterId}/database/{databaseId}")
def delete_db_db(fake, body, query, clusterId, databaseId):
    dbs = fake.get_or_404(fake.databases, clusterId, "Cluster")["_dbs"]
    fake.get_or_404(dbs, databaseId, "DB")
    del dbs[databaseId]


# ----------------------------------------------------------------------------- connection pools (PgBouncer)
# These paths are not in the v1 extract under shared/reference. Their fields
# follow public sources instead (ovh_pool_source.py records them, and
# test_ovh_pool_source.py checks these routes against it):
# - the POST body is cloud.project.database.postgresql.ConnectionPoolCreation
#   (databaseId, mode, name, size required; userId optional): repository
#   ovh/manager, packages/manager/apps/pci-databases-analytics/src/types/cloud/
#   project/database/postgresql/ConnectionPoolCreation.ts;
# - answers and the PUT body are cloud.project.database.postgresql.ConnectionPool
#   (databaseId, mode, size required; id, name, port, sslMode, uri, userId
#   optional): ConnectionPool.ts beside it, with connectionpool/ModeEnum.ts
#   (session, statement, transaction) and connectionpool/SslModeEnum.ts (require);
# - GET on the collection lists IDs, and name, port and uri are not changed by
#   a PUT: ovh/terraform-provider-ovh, ovh/data_cloud_project_database_postgresql_
#   connection_pool.go (lists IDs, then reads each) and ovh/resource_cloud_project_
#   database_postgresql_connection_pool.go (a new name forces a new pool), and
#   ovh/manager's src/data/api/database/connectionPool.api.ts (its PUT body leaves
#   out name, port and uri).
POOL_MODES = ("session", "statement", "transaction")


def _pool_settings(svc, body):
    """Check the settings of a create or update against the service's databases and users."""
    if svc["status"] != "READY":
        raise HttpError(409, "Cluster is not READY (%s)" % svc["status"])
    if body.get("mode") not in POOL_MODES:
        raise HttpError(400, "Invalid value for mode: %r" % body.get("mode"))
    if not isinstance(body.get("size"), int) or isinstance(body.get("size"), bool) or body["size"] < 1:
        raise HttpError(400, "Invalid value for size: %r" % body.get("size"))
    if body.get("databaseId") not in svc["_dbs"]:
        raise HttpError(400, "Database %s does not exist" % body.get("databaseId"))
    if body.get("userId") is not None and body["userId"] not in svc["_users"]:
        raise HttpError(400, "User %s does not exist" % body["userId"])


@route("GET", DB + "/{clusterId}/connectionPool")
def list_connection_pools(fake, body, query, clusterId):
    return list(fake.get_or_404(fake.databases, clusterId, "Cluster")["_pools"])


@route("POST", DB + "/{clusterId}/connectionPool", fields=["databaseId", "mode", "name", "size", "userId"],
       required=["databaseId", "mode", "name", "size"])
def create_connection_pool(fake, body, query, clusterId):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    _pool_settings(svc, body)
    if any(p["name"] == body["name"] for p in svc["_pools"].values()):
        raise HttpError(409, "Connection pool %s already exists" % body["name"])
    domain = svc["endpoints"][0]["domain"]
    port = 20185 + len(svc["_pools"])
    pool = {"id": fake.new_id("pool"), "name": body["name"], "databaseId": body["databaseId"],
            "mode": body["mode"], "size": body["size"], "port": port, "sslMode": "require",
            "uri": "postgresql://<username>:<password>@%s:%d/%s?sslmode=require" % (domain, port, body["name"])}
    if body.get("userId"):
        pool["userId"] = body["userId"]
    svc["_pools"][pool["id"]] = pool
    return dict(pool)


def _connection_pool(fake, clusterId, connectionPoolId):
    svc = fake.get_or_404(fake.databases, clusterId, "Cluster")
    return svc, fake.get_or_404(svc["_pools"], connectionPoolId, "Connection pool")


@route("GET", DB + "/{clusterId}/connectionPool/{connectionPoolId}")
def get_connection_pool(fake, body, query, clusterId, connectionPoolId):
    return dict(_connection_pool(fake, clusterId, connectionPoolId)[1])


@route("PUT", DB + "/{clusterId}/connectionPool/{connectionPoolId}",
       fields=["databaseId", "id", "mode", "name", "port", "size", "sslMode", "uri", "userId"],
       required=["databaseId", "mode", "size"])
def update_connection_pool(fake, body, query, clusterId, connectionPoolId):
    svc, pool = _connection_pool(fake, clusterId, connectionPoolId)
    for key in ("id", "name", "port", "sslMode", "uri"):
        if key in body and body[key] != pool.get(key):
            raise HttpError(400, "%s of a connection pool cannot be changed" % key)
    _pool_settings(svc, body)
    pool.update((key, body[key]) for key in ("databaseId", "mode", "size"))
    if body.get("userId"):
        pool["userId"] = body["userId"]
    return dict(pool)


@route("DELETE", DB + "/{clusterId}/connectionPool/{connectionPoolId}")
def delete_connection_pool(fake, body, query, clusterId, connectionPoolId):
    svc, pool = _connection_pool(fake, clusterId, connectionPoolId)
    del svc["_pools"][pool["id"]]


# ----------------------------------------------------------------------------- users and S3 credentials
@route("GET", P + "/user")
def list_users(fake, body, query):
    return [fake.public(fake.advance(u)) for u in fake.users.values()]


@route("POST", P + "/user", fields=["description", "role", "roles"])
def create_user(fake, body, query):
    n = next(fake.ids)
    user = {"id": n, "username": "user-%06d" % n, "description": body.get("description") or "",
            "status": "creating", "creationDate": "2026-01-01T00:00:00Z", "openstackId": "os-user-%d" % n,
            "roles": [{"name": body.get("role") or "admin"}], "_creds": {}}
    fake.pending(user, "status", "ok")
    fake.users[n] = user
    return dict(fake.public(user), password="os-password-%d" % n)


def _user(fake, userId):
    try:
        key = int(userId)
    except ValueError:
        raise HttpError(404, "User %s does not exist" % userId) from None
    return fake.get_or_404(fake.users, key, "User")


@route("GET", P + "/user/{userId}")
def get_user(fake, body, query, userId):
    return fake.public(fake.advance(_user(fake, userId)))


@route("DELETE", P + "/user/{userId}")
def delete_user(fake, body, query, userId):
    user = _user(fake, userId)
    del fake.users[user["id"]]


@route("GET", P + "/user/{userId}/s3Credentials")
def list_creds(fake, body, query, userId):
    user = _user(fake, userId)
    return [{"access": a, "tenantId": "tenant-1", "userId": user["openstackId"]} for a in user["_creds"]]


@route("POST", P + "/user/{userId}/s3Credentials", fields=[])
def create_creds(fake, body, query, userId):
    user = _user(fake, userId)
    if user["status"] != "ok":
        raise HttpError(409, "User is not ready")
    access = "AK%010d" % next(fake.ids)
    user["_creds"][access] = "secret-for-" + access
    return {"access": access, "secret": user["_creds"][access], "tenantId": "tenant-1", "userId": user["openstackId"]}


@route("DELETE", P + "/user/{userId}/s3Credentials/{access}")
def delete_creds(fake, body, query, userId, access):
    user = _user(fake, userId)
    fake.get_or_404(user["_creds"], access, "Credential")
    del user["_creds"][access]


@route("POST", P + "/user/{userId}/s3Credentials/{access}/secret", fields=[])
def show_secret(fake, body, query, userId, access):
    return {"secret": fake.get_or_404(_user(fake, userId)["_creds"], access, "Credential")}


# ----------------------------------------------------------------------------- operations
@route("GET", P + "/operation/{operationId}")
def get_operation(fake, body, query, operationId):
    return fake.public(fake.advance(fake.get_or_404(fake.operations, operationId, "Operation")))


# ----------------------------------------------------------------------------- load balancers (Octavia)
LB = P + "/region/{regionName}/loadbalancing"


def _lb_busy(fake, lb_id):
    """Octavia refuses changes while the load balancer is not active; every change makes it busy again."""
    lb = fake.advance(fake.get_or_404(fake.lbs, lb_id, "Load balancer"))
    if lb["provisioningStatus"] != "active":
        raise HttpError(409, "Load balancer %s is %s" % (lb_id, lb["provisioningStatus"]))
    lb["provisioningStatus"] = "updating"
    fake.pending(lb, "provisioningStatus", "active")
    return lb


@route("GET", LB + "/flavor")
def list_lb_flavors(fake, body, query, regionName):
    return [f for f in fake.lb_flavors if f["region"] == regionName]


@route("GET", LB + "/loadbalancer")
def list_lbs(fake, body, query, regionName):
    return [fake.public(fake.advance(lb)) for lb in fake.lbs.values() if lb["region"] == regionName]


@route("POST", LB + "/loadbalancer", fields=["flavorId", "listeners", "name", "network"],
       required=["flavorId", "network"])
def create_lb(fake, body, query, regionName):
    if not any(f["id"] == body["flavorId"] and f["region"] == regionName for f in fake.lb_flavors):
        raise HttpError(400, "Flavor %s is not available in %s" % (body["flavorId"], regionName))
    private = (body["network"] or {}).get("private") or {}
    unknown = set(private) - {"floatingIp", "floatingIpCreate", "gateway", "gatewayCreate", "network"}
    if unknown or set(private.get("network") or {}) != {"id", "subnetId"}:
        raise HttpError(400, "Invalid network parameter")
    net = private["network"]
    subnet = fake.subnets.get(net["subnetId"])
    owner = fake.networks.get(subnet["_network"]) if subnet else None
    if not owner or not any(r["openstackId"] == net["id"] and r["region"] == regionName for r in owner["regions"]):
        raise HttpError(400, "Subnet %s is not in network %s in %s" % (net["subnetId"], net["id"], regionName))
    n = next(fake.ids)
    lb = {"id": "lb-%04d" % n, "name": body.get("name") or "", "region": regionName, "flavorId": body["flavorId"],
          "provisioningStatus": "creating", "operatingStatus": "online", "createdAt": "2026-01-01T00:00:00Z",
          "updatedAt": "2026-01-01T00:00:00Z", "vipAddress": subnet["ipPools"][0]["start"].rsplit(".", 1)[0] + ".5",
          "vipNetworkId": net["id"], "vipSubnetId": net["subnetId"]}
    if "floatingIpCreate" in private:
        lb["floatingIp"] = {"id": "fip-%04d" % n, "ip": "57.128.0.%d" % (n % 250 + 1)}
    fake.pending(lb, "provisioningStatus", "active")
    fake.lbs[lb["id"]] = lb
    op = {"id": "op-%04d" % n, "action": "loadbalancing#loadbalancer#create", "status": "in-progress",
          "progress": 0, "createdAt": "2026-01-01T00:00:00Z", "regions": [regionName], "resourceId": lb["id"]}
    fake.pending(op, "status", "completed")
    fake.operations[op["id"]] = op
    return fake.public(op)


@route("GET", LB + "/loadbalancer/{loadBalancerId}")
def get_lb(fake, body, query, regionName, loadBalancerId):
    return fake.public(fake.advance(fake.get_or_404(fake.lbs, loadBalancerId, "Load balancer")))


@route("DELETE", LB + "/loadbalancer/{loadBalancerId}")
def delete_lb(fake, body, query, regionName, loadBalancerId):
    fake.get_or_404(fake.lbs, loadBalancerId, "Load balancer")
    del fake.lbs[loadBalancerId]
    for table in (fake.listeners, fake.pools):
        for key in [k for k, v in table.items() if v["_lb"] == loadBalancerId]:
            del table[key]
    for key in [k for k, v in fake.monitors.items() if v["poolId"] not in fake.pools]:
        del fake.monitors[key]


@route("GET", LB + "/listener")
def list_listeners(fake, body, query, regionName):
    return [fake.public(li) for li in fake.listeners.values()
            if not query.get("loadbalancerId") or li["_lb"] == query["loadbalancerId"]]


@route("POST", LB + "/listener", fields=["allowedCidrs", "certificateId", "defaultPoolId", "description",
                                         "loadbalancerId", "name", "port", "protocol", "timeoutClientData",
                                         "timeoutMemberData", "tlsVersions"],
       required=["loadbalancerId", "name", "port", "protocol"])
def create_listener(fake, body, query, regionName):
    _lb_busy(fake, body["loadbalancerId"])
    if any(li["port"] == body["port"] and li["_lb"] == body["loadbalancerId"] for li in fake.listeners.values()):
        raise HttpError(409, "Port %s is already used" % body["port"])
    li = {"id": fake.new_id("listener"), "name": body["name"], "port": body["port"], "protocol": body["protocol"],
          "loadBalancerIds": [body["loadbalancerId"]], "provisioningStatus": "active", "operatingStatus": "online",
          "_lb": body["loadbalancerId"]}
    fake.listeners[li["id"]] = li
    return fake.public(li)


@route("DELETE", LB + "/listener/{listenerId}")
def delete_listener(fake, body, query, regionName, listenerId):
    li = fake.get_or_404(fake.listeners, listenerId, "Listener")
    if any(pl.get("listenerId") == listenerId for pl in fake.pools.values()):
        raise HttpError(409, "Listener %s still has a pool" % listenerId)
    _lb_busy(fake, li["_lb"])
    del fake.listeners[listenerId]


@route("GET", LB + "/pool")
def list_pools(fake, body, query, regionName):
    return [fake.public(pl) for pl in fake.pools.values()
            if not query.get("loadbalancerId") or pl["loadbalancerId"] == query["loadbalancerId"]]


@route("POST", LB + "/pool", fields=["algorithm", "listenerId", "loadbalancerId", "name", "protocol",
                                     "sessionPersistence"], required=["algorithm", "protocol"])
def create_pool(fake, body, query, regionName):
    lb_id = body.get("loadbalancerId")
    if body.get("listenerId"):
        lb_id = fake.get_or_404(fake.listeners, body["listenerId"], "Listener")["_lb"]
    _lb_busy(fake, lb_id)
    pl = {"id": fake.new_id("pool"), "name": body.get("name") or "", "algorithm": body["algorithm"],
          "protocol": body["protocol"], "listenerId": body.get("listenerId"), "loadbalancerId": lb_id,
          "provisioningStatus": "active", "operatingStatus": "online", "_lb": lb_id, "_members": {}}
    fake.pools[pl["id"]] = pl
    if body.get("listenerId"):
        fake.listeners[body["listenerId"]]["defaultPoolId"] = pl["id"]
    return fake.public(pl)


@route("PUT", LB + "/pool/{poolId}", fields=["algorithm", "name", "sessionPersistence"])
def update_pool(fake, body, query, regionName, poolId):
    pl = fake.get_or_404(fake.pools, poolId, "Pool")
    _lb_busy(fake, pl["_lb"])
    pl.update(body)
    return fake.public(pl)


@route("DELETE", LB + "/pool/{poolId}")
def delete_pool(fake, body, query, regionName, poolId):
    pl = fake.get_or_404(fake.pools, poolId, "Pool")
    _lb_busy(fake, pl["_lb"])
    del fake.pools[poolId]
    for key in [k for k, v in fake.monitors.items() if v["poolId"] == poolId]:
        del fake.monitors[key]
    for li in fake.listeners.values():
        if li.get("defaultPoolId") == poolId:
            li.pop("defaultPoolId")


# Member paths are not in the v1 extract under shared/reference; their shape
# follows the public API console (a list body: {"members": [MemberCreate]}).
@route("GET", LB + "/pool/{poolId}/member")
def list_members(fake, body, query, regionName, poolId):
    return [dict(m) for m in fake.get_or_404(fake.pools, poolId, "Pool")["_members"].values()]


@route("POST", LB + "/pool/{poolId}/member", fields=["members"], required=["members"])
def create_members(fake, body, query, regionName, poolId):
    pl = fake.get_or_404(fake.pools, poolId, "Pool")
    _lb_busy(fake, pl["_lb"])
    out = []
    for m in body["members"]:
        if set(m) - {"address", "name", "protocolPort", "weight"} or not m.get("address") or not m.get("protocolPort"):
            raise HttpError(400, "Invalid member %r" % (m,))
        member = {"id": fake.new_id("member"), "address": m["address"], "name": m.get("name") or "",
                  "protocolPort": m["protocolPort"], "weight": m.get("weight", 1),
                  "provisioningStatus": "active", "operatingStatus": "online"}
        pl["_members"][member["id"]] = member
        out.append(dict(member))
    return out


@route("DELETE", LB + "/pool/{poolId}/member/{memberId}")
def delete_member(fake, body, query, regionName, poolId, memberId):
    pl = fake.get_or_404(fake.pools, poolId, "Pool")
    fake.get_or_404(pl["_members"], memberId, "Member")
    _lb_busy(fake, pl["_lb"])
    del pl["_members"][memberId]


@route("GET", LB + "/healthMonitor")
def list_monitors(fake, body, query, regionName):
    return [dict(m) for m in fake.monitors.values() if not query.get("poolId") or m["poolId"] == query["poolId"]]


@route("POST", LB + "/healthMonitor", fields=["delay", "httpConfiguration", "id", "maxRetries", "maxRetriesDown",
                                              "monitorType", "name", "operatingStatus", "poolId",
                                              "provisioningStatus", "timeout"],
       required=["delay", "maxRetries", "monitorType", "name", "poolId", "timeout"])
def create_monitor(fake, body, query, regionName):
    pl = fake.get_or_404(fake.pools, body["poolId"], "Pool")
    if any(m["poolId"] == pl["id"] for m in fake.monitors.values()):
        raise HttpError(409, "Pool %s already has a health monitor" % pl["id"])
    _lb_busy(fake, pl["_lb"])
    mon = dict(body, id=fake.new_id("monitor"), provisioningStatus="active", operatingStatus="online")
    fake.monitors[mon["id"]] = mon
    return dict(mon)


@route("DELETE", LB + "/healthMonitor/{healthMonitorId}")
def delete_monitor(fake, body, query, regionName, healthMonitorId):
    mon = fake.get_or_404(fake.monitors, healthMonitorId, "Health monitor")
    _lb_busy(fake, fake.pools[mon["poolId"]]["_lb"])
    del fake.monitors[healthMonitorId]


# ----------------------------------------------------------------------------- DNS zones
Z = "/domain/zone/{zoneName}"


def _zone(fake, zoneName):
    return fake.get_or_404(fake.zones, zoneName, "Zone")


@route("GET", Z + "/record")
def list_records(fake, body, query, zoneName):
    zone = _zone(fake, zoneName)
    if query.get("subDomain") == "":
        # the domain API reference gives subDomain no empty value: the apex is listed without the filter
        raise HttpError(400, "Invalid parameter subDomain: empty value")
    out = []
    for rec in zone.values():
        if "fieldType" in query and rec["fieldType"] != query["fieldType"]:
            continue
        if "subDomain" in query and (rec["subDomain"] or "").lower() != query["subDomain"].lower():
            continue
        out.append(rec["id"])
    return out


@route("POST", Z + "/record", fields=["fieldType", "subDomain", "target", "ttl"], required=["fieldType", "target"])
def create_record(fake, body, query, zoneName):
    zone = _zone(fake, zoneName)
    rid = 5000 + next(fake.ids)
    rec = {"id": rid, "zone": zoneName, "fieldType": body["fieldType"], "subDomain": body.get("subDomain") or "",
           "target": body["target"], "ttl": body.get("ttl") or 0}
    zone[rid] = rec
    return dict(rec)


def _record(fake, zoneName, rid):
    zone = _zone(fake, zoneName)
    if not rid.isdigit() or int(rid) not in zone:
        raise HttpError(404, "Record %s does not exist" % rid)
    return zone, int(rid)


@route("GET", Z + "/record/{id}")
def get_record(fake, body, query, zoneName, id):
    zone, rid = _record(fake, zoneName, id)
    return dict(zone[rid])


@route("PUT", Z + "/record/{id}", fields=["subDomain", "target", "ttl"])
def update_record(fake, body, query, zoneName, id):
    zone, rid = _record(fake, zoneName, id)
    zone[rid].update(body)


@route("DELETE", Z + "/record/{id}")
def delete_record(fake, body, query, zoneName, id):
    zone, rid = _record(fake, zoneName, id)
    del zone[rid]


@route("POST", Z + "/refresh", fields=[])
def refresh_zone(fake, body, query, zoneName):
    _zone(fake, zoneName)
    fake.refreshes[zoneName] += 1


if __name__ == "__main__":  # pragma: no cover - manual use
    server = FakeOvh().start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
