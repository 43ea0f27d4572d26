"""Unit tests of plugins/filter/input_checks.py: each check names the variable
and the entry, accepts the good values the roles ship with, and never raises
(a value of the wrong shape becomes a message too)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / ".cache" / "collections"))

from ansible_collections.baobab.webstack.plugins.filter import input_checks  # noqa: E402
from ansible_collections.baobab.webstack.plugins.filter.input_checks import (  # noqa: E402
    FilterModule,
    domain_name_errors,
    pg_hba_errors,
    ssh_allow_users_errors,
    user_name_errors,
)


def hba(**entry):
    base = {"type": "hostssl", "database": "app", "user": "app", "address": "10.0.0.5/32"}
    base.update(entry)
    return base


# -- pg_hba_errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        hba(),
        hba(address="10.0.0.0/8", method="md5"),
        hba(address="2001:db8::/32", type="host"),
        hba(address="fe80::1/128", type="hostnossl", method="reject"),
        hba(address="samenet"),
        hba(address="all", method="cert"),
        {"type": "local", "database": "all", "user": "all", "method": "peer"},
        {"type": "local", "database": "all", "user": "all", "method": "trust"},
        hba(address="127.0.0.1/32", type="host", method="trust"),
        hba(address="::1/128", type="host", method="trust"),
        hba(address="samehost", type="host", method="trust"),
        hba(address="127.0.0.1/32", type="host", method="password"),
        hba(address="10.0.0.5/32", type="hostssl", method="password"),
        hba(address="10.0.0.5/24"),  # host bits set: PostgreSQL masks them
    ],
)
def test_good_entries_pass(entry):
    assert pg_hba_errors([entry]) == []


def test_the_message_names_the_entry_and_the_address():
    entries = [hba(), hba(), hba(address="10.0.0.300/33")]
    assert pg_hba_errors(entries) == [
        "postgis_hba_entries[2].address: '10.0.0.300/33' is not an IP network (an IPv4 or IPv6 network"
        " in CIDR notation such as 10.0.0.5/32, or one of all, samehost, samenet)"
    ]


@pytest.mark.parametrize(
    "address",
    ["10.0.0.300/32", "10.0.0.5", "10.0.0.5/33", "2001:db8::/129", "db.example.org", "10.0.0.5/32 trust", "sameuser"],
)
def test_addresses_that_are_not_networks_are_refused(address):
    errors = pg_hba_errors([hba(address=address)])
    assert len(errors) == 1 and errors[0].startswith("postgis_hba_entries[0].address: "), errors
    assert "is not an IP network" in errors[0]


def test_trust_from_a_remote_network_needs_the_opt_in():
    entry = hba(type="host", address="0.0.0.0/0", method="trust", database="all", user="all")
    errors = pg_hba_errors([entry])
    assert len(errors) == 1
    assert errors[0].startswith("postgis_hba_entries[0].method: 'trust'")
    assert "postgis_hba_allow_trust: true" in errors[0]
    assert pg_hba_errors([entry], allow_trust=True) == []
    for address in ("all", "samenet", "::/0", "10.0.0.5/32"):
        assert len(pg_hba_errors([hba(address=address, method="trust")])) == 1, address


def test_clear_text_password_without_tls_needs_the_opt_in():
    entry = hba(type="host", address="10.0.0.0/24", method="password")
    errors = pg_hba_errors([entry])
    assert len(errors) == 1 and "postgis_hba_allow_cleartext_password: true" in errors[0]
    assert pg_hba_errors([entry], allow_cleartext=True) == []
    assert len(pg_hba_errors([hba(type="hostnossl", method="password")])) == 1


def test_closed_sets_and_required_keys():
    errors = pg_hba_errors(
        [
            {"type": "hots", "database": "app", "user": "app", "address": "10.0.0.5/32", "method": "passwd"},
            {"type": "host", "database": "", "address": "10.0.0.5/32", "metod": "md5"},
            {"type": "host", "database": "app", "user": "app"},
            {"type": "local", "database": "all", "user": "all", "address": "10.0.0.5/32"},
            {"database": "my db", "user": "a#b", "address": "10.0.0.5/32"},
        ]
    )
    assert errors == [
        "postgis_hba_entries[0].type: 'hots' is not one of local, host, hostssl, hostnossl",
        "postgis_hba_entries[0].method: 'passwd' is not one of " + ", ".join(input_checks.HBA_METHODS),
        "postgis_hba_entries[1]: unknown key(s) metod",
        "postgis_hba_entries[1].database: '' must be a non-empty string",
        "postgis_hba_entries[1].user: None must be a non-empty string",
        "postgis_hba_entries[2].address: a host line needs an address (CIDR such as 10.0.0.5/32)",
        "postgis_hba_entries[3].address: a local (Unix socket) line takes no address, got '10.0.0.5/32'",
        "postgis_hba_entries[4].database: 'my db' must not contain spaces or '#'",
        "postgis_hba_entries[4].user: 'a#b' must not contain spaces or '#'",
    ]


def test_several_bad_entries_are_reported_in_one_call():
    errors = pg_hba_errors(
        [hba(address="10.0.0.300/33"), hba(), hba(type="host", address="0.0.0.0/0", method="trust")],
        variable="db_rules",
    )
    assert [e.split(":")[0] for e in errors] == ["db_rules[0].address", "db_rules[2].method"]


# -- user names and AllowUsers --------------------------------------------------


def test_user_names():
    assert user_name_errors("deploy", variable="base_deploy_user") == []
    assert user_name_errors(["_svc", "app-1", "a" * 32]) == []
    assert user_name_errors("Deploy Me", variable="base_deploy_user") == [
        "base_deploy_user: 'Deploy Me' is not a valid user name (lower-case letters, digits, '_' and '-',"
        " starting with a letter or '_')"
    ]
    errors = user_name_errors(["ok", "-dash", "a" * 33, "", 7], variable="names")
    assert [e.split(":")[0] for e in errors] == ["names[1]", "names[2]", "names[3]", "names[4]"]
    assert "longer than 32" in errors[1]


def test_allow_users_must_keep_the_operator():
    required = {"deploy": "base_deploy_user", "root": "the user Ansible connects as"}
    assert ssh_allow_users_errors([], required=required) == []  # no AllowUsers line at all
    assert ssh_allow_users_errors(["deploy", "root", "ops@10.0.0.0/8"], required=required) == []
    errors = ssh_allow_users_errors(["someone-else"], required=required)
    assert errors == [
        "base_ssh_allow_users does not include 'deploy' (base_deploy_user): sshd would refuse that user and"
        " lock the operator out; add it to base_ssh_allow_users, or set base_ssh_allow_operator_lockout: true"
        " if this is really wanted",
        "base_ssh_allow_users does not include 'root' (the user Ansible connects as): sshd would refuse that"
        " user and lock the operator out; add it to base_ssh_allow_users, or set"
        " base_ssh_allow_operator_lockout: true if this is really wanted",
    ]
    assert ssh_allow_users_errors(["someone-else"], required=required, allow_lockout=True) == []
    # a user allowed from some hosts only still counts as allowed
    assert ssh_allow_users_errors(["deploy@10.0.0.0/8", "root@192.0.2.1"], required=required) == []


def test_allow_users_names_are_checked():
    errors = ssh_allow_users_errors(["deploy", "Bad User!", "ops@", "x*"], required={"deploy": "base_deploy_user"})
    assert [e.split(":")[0] for e in errors] == [
        "base_ssh_allow_users[1]",
        "base_ssh_allow_users[2]",
        "base_ssh_allow_users[3]",
    ]
    assert "'Bad User!' is not a valid user name" in errors[0]


# -- certificate domains --------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    ["localhost", "example.org", "www.example.org", "xn--dkar-7qa.sn", "a-b.c-d.example", "a" * 63 + ".org", "1.ex"],
)
def test_good_domains_pass(domain):
    assert domain_name_errors([{"name": "c", "domains": [domain]}]) == []


@pytest.mark.parametrize(
    "domain, problem",
    [
        ("bad domain.example", "is not a host name"),
        ("-lead.example", "is not a host name"),
        ("trail-.example", "is not a host name"),
        ("under_score.example", "is not a host name"),
        ("UPPER.example", "is not a host name"),
        ("a..example", "has an empty label"),
        ("example.org.", "has an empty label"),
        ("a" * 64 + ".org", "has a label longer than 63 characters"),
        (".".join(["a" * 60] * 5), "is longer than 253 characters"),
        ("*.example.org", "is a wildcard, which needs the DNS-01 challenge"),
        ("www.*.example.org", "is not a host name"),
        ("", "is not a domain name"),
    ],
)
def test_bad_domains_are_refused(domain, problem):
    certificates = [{"name": "ok", "domains": ["ok.example"]}, {"name": "c", "domains": ["x.example", domain]}]
    errors = domain_name_errors(certificates)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"certbot_certificates[1].domains[1]: '{domain}' {problem}"), errors


def test_wildcards_only_where_allowed():
    certs = [{"name": "c", "domains": ["*.example.org", "*.bad_label.org"]}]
    assert domain_name_errors(certs, wildcards=True) == [
        "certbot_certificates[0].domains[1]: '*.bad_label.org' is not a host name (RFC 1123: labels of"
        " lower-case letters, digits and '-', not starting or ending with '-')"
    ]
    errors = domain_name_errors(certs, wildcard_reason="which only DNS-01 can validate")
    assert errors[0] == (
        "certbot_certificates[0].domains[0]: '*.example.org' is a wildcard, which only DNS-01 can validate"
    )


def test_certificates_without_domains():
    errors = domain_name_errors([{"name": "a"}, {"name": "b", "domains": []}, "c"])
    assert errors == [f"certbot_certificates[{i}].domains: needs a list of at least one domain" for i in range(3)]


# -- never raise ----------------------------------------------------------------


WRONG_SHAPES = [None, 7, "text", {"a": 1}, [None], [7, "x"], [{"address": object()}], [{"domains": [None, 3]}]]


@pytest.mark.parametrize("name", sorted(FilterModule().filters()))
@pytest.mark.parametrize("value", WRONG_SHAPES, ids=range(len(WRONG_SHAPES)))
def test_filters_never_raise(name, value):
    result = FilterModule().filters()[name](value)
    assert isinstance(result, list) and all(isinstance(e, str) for e in result)


def test_an_internal_failure_becomes_a_message(monkeypatch):
    def boom(*_args):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(input_checks, "_pg_hba_errors", boom)
    assert pg_hba_errors([hba()]) == ["postgis_hba_entries could not be checked: unexpected"]


def test_plugin_documentation_is_valid_yaml():
    doc = yaml.safe_load(input_checks.DOCUMENTATION)
    assert doc["name"] == "pg_hba_errors" and "_input" in doc["options"]
    assert isinstance(yaml.safe_load(input_checks.EXAMPLES), list)
    assert yaml.safe_load(input_checks.RETURN)["_value"]["type"] == "list"


def test_filters_inside_a_real_template_chain(tmp_path):
    """Through Ansible's own templating, after reject/select chains, as the roles call them."""
    playbook = tmp_path / "play.yml"
    checks = {
        "hba": "{{ entries | reject('none') | list | baobab.webstack.pg_hba_errors }}",
        "users": "{{ ['Bad User!', 'x'] | baobab.webstack.ssh_allow_users_errors(required={'deploy': 'v'}) }}",
        "domains": "{{ [{'name': 'a', 'domains': ['bad domain.example', '*.x.org']}]"
        " | baobab.webstack.domain_name_errors }}",
        "shape": "{{ 42 | baobab.webstack.pg_hba_errors }}",
    }
    tasks = [
        {
            "name": "Evaluate",
            "ansible.builtin.set_fact": {"result": checks},
            "vars": {"entries": [None, {"database": "app", "user": "app", "address": "10.0.0.300/33"}]},
        },
        {"name": "Show", "ansible.builtin.debug": {"msg": "RESULT={{ result | to_json }}"}},
    ]
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    line = next(ln for ln in run.stdout.splitlines() if "RESULT=" in ln)
    result = json.loads(line.split("RESULT=", 1)[1].rstrip('"').encode().decode("unicode_escape"))
    assert result["hba"] == [pg_hba_errors([{"database": "app", "user": "app", "address": "10.0.0.300/33"}])[0]]
    assert result["users"][0].startswith("base_ssh_allow_users[0]: 'Bad User!'")
    assert len(result["users"]) == 2  # the bad name, and 'deploy' left out
    assert [e.split(":")[0] for e in result["domains"]] == [
        "certbot_certificates[0].domains[0]",
        "certbot_certificates[0].domains[1]",
    ]
    assert result["shape"] == ["postgis_hba_entries must be a list of entries, got int"]


# -- value_errors: scalar role variables --------------------------------------

from ansible_collections.baobab.webstack.plugins.filter.input_checks import value_errors  # noqa: E402


@pytest.mark.parametrize(
    "rule",
    [
        {"value": 6379, "port": True},
        {"value": "443", "port": True},
        {"value": 0, "min": 0},
        {"value": "64m", "size": True},
        {"value": "4096K", "size": True},
        {"value": 1024, "size": True},
        {"value": "1h30m", "duration": True},
        {"value": "127.0.0.1", "address": True},
        {"value": "10.1.2.3", "address": True},
        {"value": "::1", "address": True},
        {"value": "203.0.113.9", "address": True, "public_ok": True},
        {"value": "127.0.0.1:8082", "listen": True},
        {"value": "[::1]:9090", "listen": True},
        {"value": ":80", "listen": True, "public_ok": True},
        {"value": "localhost:9000", "listen": True},
        {"value": "10.0.0.0/8", "network": True},
        {"value": "laravel-worker@default.service", "unit_name": True},
        {"value": "/srv/app", "absolute_path": True},
        {"value": "https://hooks.example.org/x?y=1", "url": True},
        {"value": "aof", "choices": ["aof", "rdb"]},
        {"value": None, "port": True},
        {"value": "", "address": True},
    ],
)
def test_good_values_pass(rule):
    assert value_errors({"v": rule}) == []


@pytest.mark.parametrize(
    "rule, needle",
    [
        ({"value": 70000, "port": True}, "v: 70000 is out of range (1-65535)"),
        ({"value": 0, "port": True}, "v: 0 is out of range (1-65535)"),
        ({"value": "http", "port": True}, "v: 'http' is not an integer"),
        ({"value": True, "min": 0}, "v: True is not an integer"),
        ({"value": -2, "min": 0}, "v: -2 must be at least 0"),
        ({"value": 99, "max": 64}, "v: 99 must be at most 64"),
        ({"value": "lots", "size": True}, "v: 'lots' is not a size"),
        ({"value": "-5m", "size": True}, "is not a size"),
        ({"value": "10 minutes", "duration": True}, "is not a duration"),
        ({"value": "10.0.0.300", "address": True}, "v: '10.0.0.300' is not an IP address"),
        (
            {"value": "0.0.0.0", "address": True, "opt_in": "redis_allow_public_bind"},
            "v: '0.0.0.0' listens on every address, including public ones; set redis_allow_public_bind: true",
        ),
        ({"value": "51.38.1.2", "address": True}, "v: '51.38.1.2' is a public address"),
        ({"value": "0.0.0.0:9100", "listen": True}, "listens on every address"),
        ({"value": ":9100", "listen": True}, "listens on every address"),
        ({"value": "127.0.0.1:99999", "listen": True}, "has a port out of range"),
        ({"value": "127.0.0.1", "listen": True}, "is not a listen address"),
        ({"value": "example.org:80", "listen": True}, "has a host that is not an IP address"),
        ({"value": "10.0.0.0/33", "network": True}, "is not an IP network"),
        ({"value": "bad unit", "unit_name": True}, "is not a systemd unit name"),
        ({"value": "srv/app", "absolute_path": True}, "is not an absolute path"),
        ({"value": "/srv/../etc", "absolute_path": True}, "is not an absolute path"),
        ({"value": "ftp://x", "url": True}, "is not an http or https URL"),
        ({"value": "lru", "choices": ["aof", "rdb"]}, "v: 'lru' is not one of: aof, rdb"),
        ({"value": "", "nonempty": True}, "v must not be empty"),
        ({"value": 5, "prot": True}, "v: unknown rule keys prot"),
    ],
)
def test_bad_values_are_named(rule, needle):
    errors = value_errors({"v": rule})
    assert len(errors) == 1 and needle in errors[0], errors


def test_each_names_the_element_and_reports_all():
    errors = value_errors(
        {
            "redis_bind": {"value": ["127.0.0.1", "0.0.0.0", "nope"], "each": True, "address": True},
            "redis_port": {"value": 0, "port": True},
            "x": {"value": "a", "each": True},
        }
    )
    assert errors == [
        "redis_bind[1]: '0.0.0.0' listens on every address, including public ones",
        "redis_bind[2]: 'nope' is not an IP address",
        "redis_port: 0 is out of range (1-65535)",
        "x: 'a' must be a list",
    ]


def test_value_errors_never_raises():
    assert value_errors("nope") == ["value_errors needs a dict of rules, got str"]
    assert value_errors({"v": "x"}) == ["v: the rule needs a value"]


def test_each_field_names_the_entry_and_its_key():
    pools = [{"name": "app", "max_children": 8}, {"name": "api", "max_children": 0}, {"name": "x"}]
    assert value_errors(
        {"php_fpm_pools.max_children": {"value": pools, "each": True, "field": "max_children", "min": 1}}
    ) == ["php_fpm_pools[1].max_children: 0 must be at least 1"]


def test_numbers_given_as_text_are_shown_as_numbers():
    assert value_errors({"laravel_worker_start_limit_burst": {"value": "0", "min": 1, "max": 1000}}) == [
        "laravel_worker_start_limit_burst: 0 is out of range (1-1000)"
    ]
    assert value_errors({"v": {"value": "http", "port": True}}) == ["v: 'http' is not an integer"]
