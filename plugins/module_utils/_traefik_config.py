# -*- coding: utf-8 -*-
# Copyright: baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structural checks of Traefik v3 static and dynamic (file provider) configuration.

Traefik has no command that tests a configuration: a wrong key is ignored or
logged at run time while the proxy keeps running without the route. These
checks follow the documented structure of the v3 configuration (required keys,
value types, and references between entry points, certificate resolvers,
routers, services and middlewares) so that a mistake stops the play before any
file is written.

Every problem is returned as a string that starts with the name of the role
variable the value came from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

STATIC_TOP_KEYS = frozenset(
    (
        "global", "serversTransport", "tcpServersTransport", "entryPoints", "providers", "api",
        "metrics", "ping", "log", "accessLog", "tracing", "hostResolver", "certificatesResolvers",
        "experimental", "core", "spiffe", "ocsp",
    )
)
PROVIDERS = frozenset(
    (
        "providersThrottleDuration", "docker", "swarm", "file", "kubernetesIngress", "kubernetesCRD",
        "kubernetesGateway", "rest", "consulCatalog", "nomad", "ecs", "consul", "etcd", "zooKeeper",
        "redis", "http", "plugin",
    )
)
LOG_LEVELS = frozenset(("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "PANIC"))
CHALLENGES = ("httpChallenge", "tlsChallenge", "dnsChallenge")
SERVICE_KINDS = ("loadBalancer", "weighted", "mirroring", "failover")
MIDDLEWARE_KINDS = frozenset(
    (
        "addPrefix", "basicAuth", "buffering", "chain", "circuitBreaker", "compress", "contentType",
        "digestAuth", "errors", "forwardAuth", "grpcWeb", "headers", "ipAllowList", "inFlightReq",
        "passTLSClientCert", "plugin", "rateLimit", "redirectRegex", "redirectScheme", "replacePath",
        "replacePathRegex", "retry", "stripPrefix", "stripPrefixRegex",
    )
)
# Matchers of the v3 rule syntax.
MATCHERS = frozenset(
    (
        "Host", "HostRegexp", "Path", "PathPrefix", "PathRegexp", "Method", "Header", "HeaderRegexp",
        "Query", "QueryRegexp", "ClientIP",
    )
)
ADDRESS_RE = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.\-]*):(\d{1,5})(/(tcp|udp))?$")
DURATION_RE = re.compile(r"^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
HASH_PREFIXES = ("$apr1$", "$2y$", "$2a$", "$2b$", "{SHA}", "$5$", "$6$")


def _is_duration(value):
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(DURATION_RE.match(value))
    )


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class _Collector:
    def __init__(self, labels):
        self.labels = labels
        self.errors = []

    def add(self, section, path, message):
        label = self.labels.get(section, section)
        self.errors.append("%s (%s): %s" % (label, path, message))


def check_rule(rule):
    """Return a list of problems with a router rule (empty when it looks right)."""
    problems = []
    if not isinstance(rule, str) or not rule.strip():
        return ["rule must be a non-empty string"]
    # Strip quoted arguments, then check what is left.
    stripped = re.sub(r"`[^`]*`|\"(?:[^\"\\]|\\.)*\"", "ARG", rule)
    if "`" in stripped or stripped.count('"') % 2:
        problems.append("unbalanced quotes in rule %r" % rule)
    depth = 0
    for char in stripped:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        problems.append("unbalanced parentheses in rule %r" % rule)
    calls = re.findall(r"([A-Za-z]+)\s*\(", stripped)
    if not calls:
        problems.append("rule %r has no matcher such as Host(`example.org`)" % rule)
    for name in calls:
        if name not in MATCHERS:
            problems.append("unknown matcher %s in rule %r (known: %s)" % (name, rule, ", ".join(sorted(MATCHERS))))
    leftover = re.sub(r"[A-Za-z]+\s*\(\s*ARG(\s*,\s*ARG)*\s*\)", "M", stripped)
    leftover = re.sub(r"\s*(&&|\|\|)\s*", " ", leftover)
    leftover = re.sub(r"[()!\s]", "", leftover).replace("M", "")
    if leftover and not problems:
        problems.append("cannot read rule %r near %r (arguments go in backticks)" % (rule, leftover))
    return problems


def validate_static(config, labels=None):
    """Check a static configuration (the content of traefik.yml).

    ``labels`` maps top-level keys (entryPoints, certificatesResolvers, ...)
    to the role variable they come from.
    """
    out = _Collector(labels or {})
    if not isinstance(config, dict):
        return ["static configuration must be a mapping"]
    for key in config:
        if key not in STATIC_TOP_KEYS:
            out.add(key, key, "unknown static configuration key (known: %s)" % ", ".join(sorted(STATIC_TOP_KEYS)))

    entrypoints = config.get("entryPoints")
    resolvers = config.get("certificatesResolvers") or {}
    if not isinstance(entrypoints, dict) or not entrypoints:
        out.add("entryPoints", "entryPoints", "at least one entry point is required")
        entrypoints = {}
    if not isinstance(resolvers, dict):
        out.add("certificatesResolvers", "certificatesResolvers", "must be a mapping of resolver names")
        resolvers = {}

    ports = {}
    for name, entry in entrypoints.items():
        path = "entryPoints.%s" % name
        if not isinstance(name, str) or not NAME_RE.match(name):
            out.add("entryPoints", path, "entry point names use letters, digits, - and _")
        if not isinstance(entry, dict):
            out.add("entryPoints", path, "must be a mapping with an address")
            continue
        address = entry.get("address")
        match = ADDRESS_RE.match(address) if isinstance(address, str) else None
        if not match or not 0 < int(match.group(2)) < 65536:
            out.add("entryPoints", path + ".address",
                    "address must look like ':443' or '127.0.0.1:8082', got %r" % (address,))
        else:
            key = (match.group(1), match.group(2), match.group(4) or "tcp")
            if key in ports:
                out.add("entryPoints", path + ".address", "same address as entry point %s" % ports[key])
            ports[key] = name
        http = entry.get("http") or {}
        if not isinstance(http, dict):
            out.add("entryPoints", path + ".http", "must be a mapping")
            continue
        redirect = (http.get("redirections") or {}).get("entryPoint")
        if redirect is not None:
            if not isinstance(redirect, dict) or "to" not in redirect:
                out.add("entryPoints", path + ".http.redirections.entryPoint", "needs a 'to' entry point")
            elif str(redirect["to"]) not in entrypoints and not re.match(r"^:?\d+$", str(redirect["to"])):
                out.add("entryPoints", path + ".http.redirections.entryPoint.to",
                        "redirects to unknown entry point %r" % redirect["to"])
            if isinstance(redirect, dict) and redirect.get("scheme", "https") not in ("http", "https"):
                out.add("entryPoints", path + ".http.redirections.entryPoint.scheme", "scheme is http or https")
        tls = http.get("tls")
        if isinstance(tls, dict) and tls.get("certResolver") and tls["certResolver"] not in resolvers:
            out.add("entryPoints", path + ".http.tls.certResolver",
                    "unknown certificate resolver %r" % tls["certResolver"])

    for name, resolver in resolvers.items():
        path = "certificatesResolvers.%s" % name
        acme = resolver.get("acme") if isinstance(resolver, dict) else None
        if not isinstance(acme, dict):
            out.add("certificatesResolvers", path, "needs an acme section")
            continue
        if not isinstance(acme.get("email"), str) or "@" not in acme.get("email", ""):
            out.add("certificatesResolvers", path + ".acme.email", "an e-mail address is required")
        if not isinstance(acme.get("storage"), str) or not acme["storage"].startswith("/"):
            out.add("certificatesResolvers", path + ".acme.storage", "an absolute path to acme.json is required")
        if "caServer" in acme and not re.match(r"^https://\S+$", str(acme["caServer"])):
            out.add("certificatesResolvers", path + ".acme.caServer", "must be an https:// URL")
        chosen = [c for c in CHALLENGES if c in acme]
        if len(chosen) != 1:
            out.add("certificatesResolvers", path + ".acme", "exactly one of %s is required" % ", ".join(CHALLENGES))
        elif chosen[0] == "httpChallenge":
            entry = (acme["httpChallenge"] or {}).get("entryPoint")
            if entry not in entrypoints:
                out.add("certificatesResolvers", path + ".acme.httpChallenge.entryPoint",
                        "unknown entry point %r" % (entry,))

    providers = config.get("providers") or {}
    if not isinstance(providers, dict):
        out.add("providers", "providers", "must be a mapping")
        providers = {}
    for name in providers:
        if name not in PROVIDERS:
            out.add("providers", "providers." + name, "unknown provider")
    file_provider = providers.get("file")
    if file_provider is not None:
        chosen = [k for k in ("filename", "directory") if (file_provider or {}).get(k)]
        if len(chosen) != 1:
            out.add("providers", "providers.file", "exactly one of filename or directory is required")
    docker = providers.get("docker")
    if isinstance(docker, dict) and not isinstance(docker.get("exposedByDefault", False), bool):
        out.add("providers", "providers.docker.exposedByDefault", "must be a boolean")

    for section, path in (("metrics", ("prometheus", "entryPoint")), ("ping", ("entryPoint",))):
        node = config.get(section)
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and node not in entrypoints:
            out.add(section, "%s.%s" % (section, ".".join(path)), "unknown entry point %r" % node)

    api = config.get("api")
    if isinstance(api, dict):
        if api.get("insecure"):
            out.add("api", "api.insecure",
                    "the unauthenticated dashboard port is refused; route api@internal with auth")
        if "dashboard" in api and not isinstance(api["dashboard"], bool):
            out.add("api", "api.dashboard", "must be a boolean")

    level = (config.get("log") or {}).get("level")
    if level is not None and str(level).upper() not in LOG_LEVELS:
        out.add("log", "log.level", "unknown level %r (known: %s)" % (level, ", ".join(sorted(LOG_LEVELS))))
    access = config.get("accessLog")
    if isinstance(access, dict) and access.get("format", "common") not in ("common", "json"):
        out.add("accessLog", "accessLog.format", "format is common or json")
    return out.errors


def _ref_exists(ref, names):
    """A reference to this provider's object, or to another provider's (name@provider)."""
    if not isinstance(ref, str) or not ref:
        return False
    if "@" in ref:
        name, provider = ref.rsplit("@", 1)
        return name in names if provider == "file" else bool(name and provider)
    return ref in names


def _check_service(out, name, service, services):
    path = "http.services.%s" % name
    if not isinstance(service, dict):
        out.add("services", path, "must be a mapping")
        return
    kinds = [k for k in SERVICE_KINDS if k in service]
    extra = sorted(set(service) - set(SERVICE_KINDS))
    if len(kinds) != 1 or extra:
        out.add("services", path, "exactly one of %s is required" % ", ".join(SERVICE_KINDS))
        return
    body = service[kinds[0]]
    if not isinstance(body, dict):
        out.add("services", path + "." + kinds[0], "must be a mapping")
        return
    if kinds[0] == "loadBalancer":
        servers = body.get("servers")
        if not isinstance(servers, list) or not servers:
            out.add("services", path + ".loadBalancer.servers", "at least one server is required")
            servers = []
        for index, server in enumerate(servers):
            url = server.get("url") if isinstance(server, dict) else None
            if not isinstance(url, str) or not re.match(r"^(https?|h2c)://[^/\s]+", url):
                out.add("services", "%s.loadBalancer.servers[%d].url" % (path, index),
                        "an http:// or https:// URL is required, got %r" % (url,))
            if isinstance(server, dict) and "weight" in server and not _is_int(server["weight"]):
                out.add("services", "%s.loadBalancer.servers[%d].weight" % (path, index), "must be an integer")
        check = body.get("healthCheck")
        if check is not None:
            if not isinstance(check, dict):
                out.add("services", path + ".loadBalancer.healthCheck", "must be a mapping")
            else:
                if not str(check.get("path", "")).startswith("/"):
                    out.add("services", path + ".loadBalancer.healthCheck.path", "a path starting with / is required")
                for key in ("interval", "timeout"):
                    if key in check and not _is_duration(check[key]):
                        out.add("services", path + ".loadBalancer.healthCheck." + key,
                                "must be a duration such as 10s, got %r" % (check[key],))
                if "port" in check and not _is_int(check["port"]):
                    out.add("services", path + ".loadBalancer.healthCheck.port", "must be an integer")
    elif kinds[0] == "weighted":
        for index, item in enumerate(body.get("services") or []):
            ref = item.get("name") if isinstance(item, dict) else None
            if not _ref_exists(ref, services) or ref == name:
                out.add("services", "%s.weighted.services[%d].name" % (path, index), "unknown service %r" % (ref,))
    elif kinds[0] == "mirroring":
        refs = [body.get("service")] + [m.get("name") for m in body.get("mirrors") or [] if isinstance(m, dict)]
        for ref in refs:
            if not _ref_exists(ref, services) or ref == name:
                out.add("services", path + ".mirroring", "unknown service %r" % (ref,))
    elif kinds[0] == "failover":
        for key in ("service", "fallback"):
            if not _ref_exists(body.get(key), services) or body.get(key) == name:
                out.add("services", "%s.failover.%s" % (path, key), "unknown service %r" % (body.get(key),))


def _check_middleware(out, name, middleware, middlewares):
    path = "http.middlewares.%s" % name
    if not isinstance(middleware, dict) or len(middleware) != 1:
        out.add("middlewares", path, "exactly one middleware type is required")
        return
    kind, body = next(iter(middleware.items()))
    if kind not in MIDDLEWARE_KINDS:
        out.add("middlewares", path, "unknown middleware type %r" % kind)
        return
    if body is None:
        body = {}
    if not isinstance(body, dict):
        out.add("middlewares", path + "." + kind, "must be a mapping")
        return
    here = path + "." + kind
    if kind == "rateLimit":
        if not _is_int(body.get("average")) or body["average"] <= 0:
            out.add("middlewares", here + ".average", "a positive integer (requests per period) is required")
        if "burst" in body and (not _is_int(body["burst"]) or body["burst"] < 0):
            out.add("middlewares", here + ".burst", "must be a non-negative integer")
        if "period" in body and not _is_duration(body["period"]):
            out.add("middlewares", here + ".period", "must be a duration such as 1s")
    elif kind == "basicAuth":
        users = body.get("users")
        if body.get("usersFile"):
            pass
        elif not isinstance(users, list) or not users:
            out.add("middlewares", here + ".users", "at least one user:hash entry is required")
        else:
            for index, entry in enumerate(users):
                user, _sep, digest = str(entry).partition(":")
                if not user or not digest.startswith(HASH_PREFIXES):
                    # never echo the value: it holds a password hash
                    out.add("middlewares", "%s.users[%d]" % (here, index),
                            "must be user:hash with an htpasswd hash (bcrypt $2y$, $apr1$, {SHA}, $5$/$6$)")
    elif kind == "ipAllowList":
        ranges = body.get("sourceRange")
        if not isinstance(ranges, list) or not ranges:
            out.add("middlewares", here + ".sourceRange", "at least one address or CIDR is required")
        else:
            for item in ranges:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError:
                    out.add("middlewares", here + ".sourceRange", "%r is not an address or CIDR" % (item,))
    elif kind == "headers":
        for key, value in body.items():
            if key.startswith(("custom", "access")) and key.endswith("Headers") and isinstance(value, dict):
                continue
            if key in ("stsSeconds",) and not _is_int(value):
                out.add("middlewares", here + "." + key, "must be an integer")
    elif kind == "chain":
        for ref in body.get("middlewares") or []:
            if not _ref_exists(ref, middlewares) or ref == name:
                out.add("middlewares", here + ".middlewares", "unknown middleware %r" % (ref,))
    elif kind == "stripPrefix":
        if not isinstance(body.get("prefixes"), list) or not body["prefixes"]:
            out.add("middlewares", here + ".prefixes", "a list of prefixes is required")
    elif kind == "redirectScheme":
        if body.get("scheme") not in ("http", "https"):
            out.add("middlewares", here + ".scheme", "scheme is http or https")
    elif kind == "compress" and not _is_int(body.get("minResponseBodyBytes", 0)):
        out.add("middlewares", here + ".minResponseBodyBytes", "must be an integer")


def validate_dynamic(config, static=None, labels=None):
    """Check a dynamic configuration ({'http': {routers, services, middlewares}}).

    ``static`` (the static configuration) lets routers be checked against the
    entry points and certificate resolvers that exist.
    """
    out = _Collector(labels or {})
    if not isinstance(config, dict):
        return ["dynamic configuration must be a mapping"]
    for key in config:
        if key not in ("http", "tcp", "udp", "tls"):
            out.add(key, key, "unknown dynamic configuration section")
    http = config.get("http") or {}
    if not isinstance(http, dict):
        return ["dynamic configuration: http must be a mapping"]
    sections = {}
    for key in ("routers", "services", "middlewares"):
        sections[key] = http.get(key) or {}
        if not isinstance(sections[key], dict):
            out.add(key, "http." + key, "must be a mapping of names")
            sections[key] = {}
        for name in sections[key]:
            if not isinstance(name, str) or not NAME_RE.match(name):
                out.add(key, "http.%s.%s" % (key, name), "names use letters, digits, - and _")
    for key in http:
        if key not in ("routers", "services", "middlewares", "serversTransports"):
            out.add(key, "http." + key, "unknown http section")
    routers, services, middlewares = sections["routers"], sections["services"], sections["middlewares"]
    static = static or {}
    entrypoints = static.get("entryPoints") or {}
    resolvers = static.get("certificatesResolvers") or {}

    for name, router in routers.items():
        path = "http.routers.%s" % name
        if not isinstance(router, dict):
            out.add("routers", path, "must be a mapping")
            continue
        for problem in check_rule(router.get("rule")):
            out.add("routers", path + ".rule", problem)
        service = router.get("service")
        if not isinstance(service, str) or not service:
            out.add("routers", path + ".service", "a service is required")
        elif not _ref_exists(service, services):
            out.add("routers", path + ".service", "refers to service %r, which is not defined" % service)
        eps = router.get("entryPoints")
        if eps is not None:
            if not isinstance(eps, list) or not eps:
                out.add("routers", path + ".entryPoints", "must be a non-empty list")
            elif static:
                for entry in eps:
                    if entry not in entrypoints:
                        out.add("routers", path + ".entryPoints", "unknown entry point %r" % (entry,))
        refs = router.get("middlewares") or []
        if not isinstance(refs, list):
            out.add("routers", path + ".middlewares", "must be a list")
            refs = []
        for ref in refs:
            if not _ref_exists(ref, middlewares):
                out.add("routers", path + ".middlewares", "refers to middleware %r, which is not defined" % (ref,))
        if "priority" in router and not _is_int(router["priority"]):
            out.add("routers", path + ".priority", "must be an integer")
        tls = router.get("tls")
        if tls is not None:
            if not isinstance(tls, dict):
                out.add("routers", path + ".tls", "must be a mapping ({} for the default certificate)")
            elif tls.get("certResolver") and static and tls["certResolver"] not in resolvers:
                out.add("routers", path + ".tls.certResolver", "unknown certificate resolver %r" % tls["certResolver"])

    for name, service in services.items():
        _check_service(out, name, service, services)
    for name, middleware in middlewares.items():
        _check_middleware(out, name, middleware, middlewares)
    return out.errors
