"""Unit tests of plugins/module_utils/_traefik_config.py and the filters built on it."""

import copy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))

from ansible_collections.baobab.webstack.plugins.filter.traefik_config import FilterModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._traefik_config import (  # noqa: E402
    check_rule,
    validate_dynamic,
    validate_static,
)

STATIC = {
    "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
    "entryPoints": {
        "web": {
            "address": ":80",
            "http": {"redirections": {"entryPoint": {"to": "websecure", "scheme": "https", "permanent": True}}},
        },
        "websecure": {"address": ":443", "http": {"tls": {"certResolver": "letsencrypt"}}},
        "metrics": {"address": "127.0.0.1:8082"},
    },
    "certificatesResolvers": {
        "letsencrypt": {
            "acme": {
                "email": "ops@example.org",
                "storage": "/var/lib/traefik/acme.json",
                "caServer": "https://acme-staging-v02.api.letsencrypt.org/directory",
                "httpChallenge": {"entryPoint": "web"},
            }
        }
    },
    "providers": {"file": {"directory": "/etc/traefik/dynamic", "watch": True}},
    "metrics": {"prometheus": {"entryPoint": "metrics"}},
    "ping": {"entryPoint": "metrics"},
    "log": {"level": "INFO"},
    "accessLog": {"filePath": "/var/log/traefik/access.log", "format": "json"},
}

DYNAMIC = {
    "http": {
        "routers": {
            "api": {
                "rule": "Host(`api.example.org`) && PathPrefix(`/api`)",
                "entryPoints": ["websecure"],
                "service": "backend",
                "middlewares": ["secure-headers", "limit", "gzip"],
                "tls": {"certResolver": "letsencrypt"},
            },
            "dashboard": {
                "rule": "Host(`traefik.example.org`)",
                "service": "api@internal",
                "middlewares": ["admins", "office"],
            },
        },
        "services": {
            "backend": {
                "loadBalancer": {
                    "servers": [{"url": "http://127.0.0.1:8080"}],
                    "healthCheck": {"path": "/health", "interval": "10s", "timeout": "3s"},
                }
            }
        },
        "middlewares": {
            "secure-headers": {"headers": {"stsSeconds": 31536000, "frameDeny": True}},
            "limit": {"rateLimit": {"average": 100, "burst": 50, "period": "1s"}},
            "gzip": {"compress": {}},
            "admins": {"basicAuth": {"users": ["admin:$2y$05$abcdefghijklmnopqrstuv"]}},
            "office": {"ipAllowList": {"sourceRange": ["192.0.2.0/24", "2001:db8::1"]}},
        },
    }
}


def test_good_static_and_dynamic_pass():
    assert validate_static(STATIC) == []
    assert validate_dynamic(DYNAMIC, STATIC) == []


def test_filters_are_exported():
    filters = FilterModule().filters()
    assert filters["traefik_static_errors"](STATIC) == []
    assert filters["traefik_dynamic_errors"](DYNAMIC, STATIC) == []


def test_router_to_missing_service_names_the_variable():
    bad = copy.deepcopy(DYNAMIC)
    bad["http"]["routers"]["api"]["service"] = "nowhere"
    errors = validate_dynamic(bad, STATIC, {"routers": "traefik_routers"})
    assert errors == ["traefik_routers (http.routers.api.service): refers to service 'nowhere', which is not defined"]


def test_router_to_missing_middleware_and_entrypoint():
    bad = copy.deepcopy(DYNAMIC)
    bad["http"]["routers"]["api"]["middlewares"].append("ghost")
    bad["http"]["routers"]["api"]["entryPoints"] = ["websecure", "other"]
    errors = validate_dynamic(bad, STATIC)
    assert any("middleware 'ghost'" in e for e in errors)
    assert any("unknown entry point 'other'" in e for e in errors)


def test_router_with_unknown_resolver():
    bad = copy.deepcopy(DYNAMIC)
    bad["http"]["routers"]["api"]["tls"]["certResolver"] = "zerossl"
    assert any("certificate resolver 'zerossl'" in e for e in validate_dynamic(bad, STATIC))


def test_other_provider_references_are_accepted():
    assert validate_dynamic(DYNAMIC, STATIC) == []
    bad = copy.deepcopy(DYNAMIC)
    bad["http"]["routers"]["api"]["service"] = "backend2@file"
    assert validate_dynamic(bad, STATIC) != []


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("", "non-empty"),
        ("Host(`a.example.org`", "parentheses"),
        ("Host(`a.example.org)", "quotes"),
        ("Hots(`a.example.org`)", "unknown matcher Hots"),
        ("api.example.org", "no matcher"),
        ("Host(a.example.org)", "cannot read rule"),
    ],
)
def test_bad_rules(rule, fragment):
    problems = check_rule(rule)
    assert problems and any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    "rule",
    [
        "Host(`a.example.org`)",
        "Host(`a.example.org`) || Host(`b.example.org`)",
        "(Host(`a.example.org`) && !PathPrefix(`/admin`)) || ClientIP(`10.0.0.0/8`)",
        'PathRegexp(`^/api/v[0-9]+`) && Method(`GET`)',
        'Header(`X-Test`, `1`)',
    ],
)
def test_good_rules(rule):
    assert check_rule(rule) == []


def test_service_problems():
    bad = copy.deepcopy(DYNAMIC)
    lb = bad["http"]["services"]["backend"]["loadBalancer"]
    lb["servers"] = [{"url": "127.0.0.1:8080"}]
    lb["healthCheck"] = {"path": "health", "interval": "often"}
    errors = validate_dynamic(bad, STATIC, {"services": "traefik_services"})
    assert any("servers[0].url" in e and e.startswith("traefik_services") for e in errors)
    assert any("healthCheck.path" in e for e in errors)
    assert any("healthCheck.interval" in e for e in errors)
    bad["http"]["services"]["backend"] = {"loadBalancer": {"servers": []}, "weighted": {}}
    assert any("exactly one of" in e for e in validate_dynamic(bad, STATIC))


def test_middleware_problems_never_echo_secrets():
    bad = copy.deepcopy(DYNAMIC)
    bad["http"]["middlewares"]["admins"]["basicAuth"]["users"] = ["admin:plaintextsecret"]
    bad["http"]["middlewares"]["limit"]["rateLimit"]["average"] = "many"
    bad["http"]["middlewares"]["office"]["ipAllowList"]["sourceRange"] = ["10.0.0.0/33"]
    bad["http"]["middlewares"]["weird"] = {"teleport": {}}
    errors = validate_dynamic(bad, STATIC, {"middlewares": "traefik_middlewares"})
    joined = "\n".join(errors)
    assert "plaintextsecret" not in joined
    assert "basicAuth.users[0]" in joined
    assert "rateLimit.average" in joined
    assert "10.0.0.0/33" in joined
    assert "unknown middleware type 'teleport'" in joined
    assert all(e.startswith("traefik_middlewares") for e in errors)


def test_chain_references():
    bad = copy.deepcopy(DYNAMIC)
    bad["http"]["middlewares"]["all"] = {"chain": {"middlewares": ["gzip", "missing"]}}
    errors = validate_dynamic(bad, STATIC)
    assert errors == ["middlewares (http.middlewares.all.chain.middlewares): unknown middleware 'missing'"]


def test_static_problems():
    bad = copy.deepcopy(STATIC)
    bad["entryPoints"]["web"]["address"] = "80"
    bad["entryPoints"]["web"]["http"]["redirections"]["entryPoint"]["to"] = "secure"
    bad["entryPoints"]["metrics"]["address"] = ":443"
    bad["certificatesResolvers"]["letsencrypt"]["acme"]["caServer"] = "http://pebble:14000/dir"
    bad["certificatesResolvers"]["letsencrypt"]["acme"]["tlsChallenge"] = {}
    bad["log"]["level"] = "LOUD"
    bad["api"] = {"insecure": True}
    bad["entrypoints"] = {}
    labels = {"entryPoints": "traefik_entrypoints", "certificatesResolvers": "traefik_acme_resolvers"}
    errors = validate_static(bad, labels)
    joined = "\n".join(errors)
    assert "traefik_entrypoints (entryPoints.web.address)" in joined
    assert "unknown entry point 'secure'" in joined
    assert "same address as entry point websecure" in joined
    assert "traefik_acme_resolvers (certificatesResolvers.letsencrypt.acme.caServer)" in joined
    assert "exactly one of httpChallenge" in joined
    assert "log.level" in joined
    assert "api.insecure" in joined
    assert "entrypoints (entrypoints): unknown static configuration key" in joined


def test_static_references():
    bad = copy.deepcopy(STATIC)
    bad["entryPoints"]["websecure"]["http"]["tls"]["certResolver"] = "other"
    bad["metrics"]["prometheus"]["entryPoint"] = "private"
    bad["certificatesResolvers"]["letsencrypt"]["acme"]["httpChallenge"]["entryPoint"] = "plain"
    bad["providers"]["file"] = {"directory": "/etc/traefik/dynamic", "filename": "/etc/traefik/x.yml"}
    joined = "\n".join(validate_static(bad))
    assert "unknown certificate resolver 'other'" in joined
    assert "metrics.prometheus.entryPoint" in joined
    assert "httpChallenge.entryPoint" in joined
    assert "exactly one of filename or directory" in joined


def test_not_a_mapping():
    assert validate_static([]) == ["static configuration must be a mapping"]
    assert validate_dynamic("x") == ["dynamic configuration must be a mapping"]
    assert validate_static({}) != []
