# -*- coding: utf-8 -*-
# Copyright: baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that list the problems of role variables before a role changes a host.

Each filter returns a list of messages (empty when the value is good) and
never raises: a value of the wrong shape is reported as a message too, so a
role can compute every problem in one call and fail once, naming them all.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pg_hba_errors
short_description: Problems of pg_hba.conf entries, and of other role inputs
description:
  - Checks a list of C(pg_hba.conf) entries (C(type), C(database), C(user), C(address), C(method))
    and returns one message per problem, empty when there is none. An address must be an IPv4
    or IPv6 network in CIDR notation or one of the keywords C(all), C(samehost), C(samenet).
    The C(trust) method on a line that is not local (a C(local) socket line, a loopback
    network or C(samehost)) is refused unless O(allow_trust) is true; the C(password)
    method (clear text) on a line that does not require TLS is refused the same way
    unless O(allow_cleartext) is true.
  - The filter C(ssh_allow_users_errors) checks an SSH C(AllowUsers) list, given the user
    names that must keep their access (for example the user Ansible connects as), with
    the keyword arguments C(required) (user name to the variable that names it),
    C(allow_lockout), C(variable) and C(opt_in).
  - The filter C(user_name_errors) checks user names (lower-case letters, digits, C(_)
    and C(-), starting with a letter or C(_), at most 32 characters), with the keyword
    argument C(variable).
  - The filter C(domain_name_errors) checks the C(domains) of a list of certificates
    (RFC 1123 host names; a leading C(*.) wildcard only when C(wildcards) is true), with
    the keyword arguments C(wildcards), C(wildcard_reason) and C(variable).
  - The filter C(value_errors) checks scalar role variables against rules. Its input is a
    dict from the variable's name to a rule, a dict with the C(value) and any of C(min),
    C(max) (integers), C(port) (an integer 1-65535), C(size) (an amount of bytes such as
    C(64m), C(4096K) or C(1G)), C(duration) (such as C(60s), C(5m), C(1h30m), C(15d)),
    C(address) (an IP address), C(listen) (C(host:port), C(:port) or C([v6]:port)),
    C(network) (CIDR), C(unit_name) (a systemd unit name), C(choices), C(nonempty),
    C(absolute_path) and C(url) (http or https). An address, or the host of a listen
    address, that is public (or unspecified, which listens everywhere) is refused unless
    the rule's C(public_ok) is true; C(opt_in) names the variable that allows it. With
    C(each), the value is a list and every element is checked, named by its index. A
    value that is V(null) or an empty string is skipped unless C(nonempty) is set. With
    C(each) and C(field), the value is a list of dicts and the rule applies to that key of
    every entry that has it; the name C(php_fpm_pools.max_children) then gives messages
    such as C(php_fpm_pools[1].max_children).
  - Every filter returns messages that name the variable and the entry, such as
    C(postgis_hba_entries[2].address), and never raises.
options:
  _input:
    description: The value to check (for this filter, the list of C(pg_hba.conf) entries).
    type: raw
    required: true
  allow_trust:
    description: Accept the C(trust) method on lines that are not local.
    type: bool
    default: false
  allow_cleartext:
    description: Accept the C(password) method on lines that do not require TLS.
    type: bool
    default: false
  variable:
    description: Name of the variable, used in the messages.
    type: str
    default: postgis_hba_entries
author: baobab.webstack contributors
"""

EXAMPLES = r"""
- name: Stop on a bad pg_hba.conf entry
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ postgis_hba_entries | baobab.webstack.pg_hba_errors(allow_trust=postgis_hba_allow_trust) }}"

- name: Stop on an AllowUsers list that would lock the deploy user out
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: >-
      {{ base_ssh_allow_users | baobab.webstack.ssh_allow_users_errors(required={'deploy': 'base_deploy_user'}) }}

- name: Stop on a certificate domain that is not a host name
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ certbot_certificates | baobab.webstack.domain_name_errors }}"

- name: Stop on a port out of range or a public bind address
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: >-
      {{ {'redis_port': {'value': redis_port, 'port': true},
          'redis_bind': {'value': redis_bind, 'each': true, 'address': true,
                         'public_ok': redis_allow_public_bind, 'opt_in': 'redis_allow_public_bind'}}
         | baobab.webstack.value_errors }}
"""

RETURN = r"""
_value:
  description: One message per problem, each naming the variable and the entry; empty when the input is good.
  type: list
  elements: str
"""

import ipaddress  # noqa: E402
import re  # noqa: E402

HBA_TYPES = ("local", "host", "hostssl", "hostnossl")
HBA_METHODS = (
    "trust",
    "reject",
    "scram-sha-256",
    "md5",
    "password",
    "gss",
    "sspi",
    "ident",
    "peer",
    "ldap",
    "radius",
    "cert",
    "pam",
    "bsd",
)
HBA_KEYWORDS = ("all", "samehost", "samenet")
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]*$")
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _fmt(value):
    return repr(value) if not isinstance(value, str) else "'" + value + "'"


def _guard(name, function, *args, **kwargs):
    """Run a check; any unexpected failure becomes a message, never an exception."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:  # pylint: disable=broad-except
        return ["%s could not be checked: %s" % (name, exc)]


def _is_local_network(network):
    return any(network.version == loop.version and network.subnet_of(loop) for loop in LOOPBACK)


def _word_errors(where, value):
    if not isinstance(value, str) or value == "":
        return ["%s: %s must be a non-empty string" % (where, _fmt(value))]
    if re.search(r"[\s#]", value):
        return ["%s: %s must not contain spaces or '#'" % (where, _fmt(value))]
    return []


def _pg_hba_errors(entries, allow_trust, allow_cleartext, variable):
    if entries is None:
        return []
    if not isinstance(entries, (list, tuple)):
        return ["%s must be a list of entries, got %s" % (variable, type(entries).__name__)]
    errors = []
    for index, entry in enumerate(entries):
        where = "%s[%d]" % (variable, index)
        if not isinstance(entry, dict):
            errors.append("%s must be a mapping, got %s" % (where, _fmt(entry)))
            continue
        unknown = sorted(str(key) for key in entry if key not in ("type", "database", "user", "address", "method"))
        if unknown:
            errors.append("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
        kind = entry.get("type", "hostssl")
        method = entry.get("method", "scram-sha-256")
        if kind not in HBA_TYPES:
            errors.append("%s.type: %s is not one of %s" % (where, _fmt(kind), ", ".join(HBA_TYPES)))
        if method not in HBA_METHODS:
            errors.append("%s.method: %s is not one of %s" % (where, _fmt(method), ", ".join(HBA_METHODS)))
        for key in ("database", "user"):
            errors.extend(_word_errors("%s.%s" % (where, key), entry.get(key)))
        address = entry.get("address")
        local = True
        if kind == "local":
            if address not in (None, ""):
                errors.append(
                    "%s.address: a local (Unix socket) line takes no address, got %s" % (where, _fmt(address))
                )
        elif address in (None, ""):
            errors.append("%s.address: a %s line needs an address (CIDR such as 10.0.0.5/32)" % (where, kind))
        elif not isinstance(address, str):
            errors.append("%s.address: %s is not an IP network" % (where, _fmt(address)))
        elif address in HBA_KEYWORDS:
            local = address == "samehost"
        else:
            try:
                if "/" not in address:
                    raise ValueError("no prefix length")
                network = ipaddress.ip_network(address, strict=False)
            except ValueError:
                errors.append(
                    "%s.address: %s is not an IP network (an IPv4 or IPv6 network in CIDR notation such as"
                    " 10.0.0.5/32, or one of %s)" % (where, _fmt(address), ", ".join(HBA_KEYWORDS))
                )
            else:
                local = _is_local_network(network)
        if method == "trust" and not local and not allow_trust:
            errors.append(
                "%s.method: 'trust' lets anyone from %s log in as %s without a password; use scram-sha-256,"
                " or set postgis_hba_allow_trust: true if this is really wanted"
                % (where, _fmt(address), _fmt(entry.get("user")))
            )
        if method == "password" and kind != "hostssl" and not local and not allow_cleartext:
            errors.append(
                "%s.method: 'password' sends the password in clear text on a %s line from %s; use scram-sha-256"
                " (or type hostssl), or set postgis_hba_allow_cleartext_password: true if this is really wanted"
                % (where, kind, _fmt(address))
            )
    return errors


def pg_hba_errors(entries, allow_trust=False, allow_cleartext=False, variable="postgis_hba_entries"):
    return _guard(variable, _pg_hba_errors, entries, bool(allow_trust), bool(allow_cleartext), variable)


def _user_name_problem(name):
    if not isinstance(name, str) or name == "":
        return "is not a user name"
    if len(name) > 32:
        return "is longer than 32 characters"
    if not USER_NAME.match(name):
        return "is not a valid user name (lower-case letters, digits, '_' and '-', starting with a letter or '_')"
    return ""


def _user_name_errors(names, variable):
    if names is None:
        return []
    single = isinstance(names, str)
    errors = []
    for index, name in enumerate([names] if single else names):
        where = variable if single else "%s[%d]" % (variable, index)
        problem = _user_name_problem(name)
        if problem:
            errors.append("%s: %s %s" % (where, _fmt(name), problem))
    return errors


def user_name_errors(names, variable="user names"):
    return _guard(variable, _user_name_errors, names, variable)


def _ssh_allow_users_errors(users, required, allow_lockout, variable, opt_in):
    if users is None:
        users = []
    if not isinstance(users, (list, tuple)):
        return ["%s must be a list of user names, got %s" % (variable, type(users).__name__)]
    errors = []
    allowed = set()
    for index, entry in enumerate(users):
        where = "%s[%d]" % (variable, index)
        if not isinstance(entry, str):
            errors.append("%s: %s is not a user name" % (where, _fmt(entry)))
            continue
        name, _sep, host = entry.partition("@")
        problem = _user_name_problem(name)
        if problem:
            errors.append("%s: %s %s" % (where, _fmt(name), problem))
        elif _sep and (host == "" or re.search(r"[\s@]", host)):
            errors.append("%s: %s has an empty or invalid host part after '@'" % (where, _fmt(entry)))
        else:
            allowed.add(name)
    if allowed and not allow_lockout and isinstance(required, dict):
        for name in sorted(required):
            if name not in allowed:
                errors.append(
                    "%s does not include %s (%s): sshd would refuse that user and lock the operator out;"
                    " add it to %s, or set %s: true if this is really wanted"
                    % (variable, _fmt(name), required[name], variable, opt_in)
                )
    return errors


def ssh_allow_users_errors(
    users,
    required=None,
    allow_lockout=False,
    variable="base_ssh_allow_users",
    opt_in="base_ssh_allow_operator_lockout",
):
    return _guard(variable, _ssh_allow_users_errors, users, required or {}, bool(allow_lockout), variable, opt_in)


def _domain_problem(domain, wildcards, wildcard_reason):
    if not isinstance(domain, str) or domain == "":
        return "is not a domain name"
    name = domain
    if name.startswith("*."):
        if not wildcards:
            return "is a wildcard, %s" % wildcard_reason
        name = name[2:]
    if len(name) > 253:
        return "is longer than 253 characters"
    for label in name.split("."):
        if label == "":
            return "has an empty label"
        if len(label) > 63:
            return "has a label longer than 63 characters"
        if not LABEL.match(label):
            return (
                "is not a host name (RFC 1123: labels of lower-case letters, digits and '-',"
                " not starting or ending with '-')"
            )
    return ""


def _domain_name_errors(certificates, wildcards, wildcard_reason, variable):
    if certificates is None:
        return []
    if not isinstance(certificates, (list, tuple)):
        return ["%s must be a list of certificates, got %s" % (variable, type(certificates).__name__)]
    errors = []
    for index, certificate in enumerate(certificates):
        where = "%s[%d].domains" % (variable, index)
        domains = certificate.get("domains") if isinstance(certificate, dict) else None
        if not isinstance(domains, (list, tuple)) or len(domains) == 0:
            errors.append("%s: needs a list of at least one domain" % where)
            continue
        for position, domain in enumerate(domains):
            problem = _domain_problem(domain, wildcards, wildcard_reason)
            if problem:
                errors.append("%s[%d]: %s %s" % (where, position, _fmt(domain), problem))
    return errors


def domain_name_errors(
    certificates,
    wildcards=False,
    wildcard_reason="which needs the DNS-01 challenge",
    variable="certbot_certificates",
):
    return _guard(variable, _domain_name_errors, certificates, bool(wildcards), wildcard_reason, variable)


SIZE = re.compile(r"^([0-9]+)\s*([kKmMgGtT]?)[bB]?$")
DURATION = re.compile(r"^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$")
UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.\\@-]+$")
UNIT_SUFFIXES = (".service", ".socket", ".timer", ".target", ".mount", ".path", ".slice", ".scope")
RULE_KEYS = frozenset(
    (
        "value",
        "min",
        "max",
        "port",
        "size",
        "duration",
        "address",
        "listen",
        "network",
        "unit_name",
        "choices",
        "nonempty",
        "absolute_path",
        "url",
        "public_ok",
        "opt_in",
        "each",
        "field",
    )
)


def _as_int(value):
    """The integer a value stands for, or None (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
        return int(value.strip())
    return None


def _public_problem(address, rule):
    """A message when ``address`` is public and the rule does not allow it."""
    if rule.get("public_ok"):
        return ""
    opt_in = rule.get("opt_in")
    hint = "; set %s: true if this is really wanted" % opt_in if opt_in else ""
    if address.is_unspecified:
        return "listens on every address, including public ones" + hint
    if address.is_global:
        return "is a public address" + hint
    return ""


def _listen_problem(value, rule):
    text = str(value).strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep:
        return "is not a listen address (host:port, :port or [v6]:port)"
    number = _as_int(port)
    if number is None or not 1 <= number <= 65535:
        return "has a port out of range (1-65535)"
    if host in ("", "*"):
        return _public_problem(ipaddress.ip_address("0.0.0.0"), rule)  # noqa: S104 (a wildcard host listens everywhere)
    if host == "localhost":
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "has a host that is not an IP address"
    return _public_problem(address, rule)


def _rule_problem(value, rule):
    """The first problem of one value under one rule, or ''."""
    if rule.get("choices") is not None and value not in rule["choices"]:
        return "is not one of: %s" % ", ".join(str(choice) for choice in rule["choices"])
    if rule.get("port") or rule.get("min") is not None or rule.get("max") is not None:
        number = _as_int(value)
        if number is None:
            return "is not an integer"
        low, high = (1, 65535) if rule.get("port") else (rule.get("min"), rule.get("max"))
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                return "is out of range (%s-%s)" % (low, high)
            return "must be at least %s" % low if low is not None else "must be at most %s" % high
    if rule.get("size") and not ((_as_int(value) is not None and _as_int(value) >= 0) or SIZE.match(str(value))):
        return "is not a size (a number with an optional unit k, m or g, such as 64m)"
    if rule.get("duration") and not DURATION.match(str(value)):
        return "is not a duration (such as 30s, 5m, 1h30m or 15d)"
    if rule.get("address"):
        try:
            address = ipaddress.ip_address(str(value))
        except ValueError:
            return "is not an IP address"
        problem = _public_problem(address, rule)
        if problem:
            return problem
    if rule.get("listen"):
        problem = _listen_problem(value, rule)
        if problem:
            return problem
    if rule.get("network"):
        try:
            ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            return "is not an IP network"
    if rule.get("unit_name"):
        text = str(value)
        if not UNIT_NAME.match(text) or len(text) > 255 or text.startswith("-"):
            return "is not a systemd unit name"
    if rule.get("absolute_path"):
        text = str(value)
        if not text.startswith("/") or "/../" in text + "/" or "\n" in text:
            return "is not an absolute path"
    if rule.get("url") and not re.match(r"^https?://[^/\s]+(/\S*)?$", str(value)):
        return "is not an http or https URL"
    return ""


def _value_errors(rules):
    if not isinstance(rules, dict):
        return ["value_errors needs a dict of rules, got %s" % type(rules).__name__]
    errors = []
    for variable, rule in rules.items():
        if not isinstance(rule, dict) or "value" not in rule:
            errors.append("%s: the rule needs a value" % variable)
            continue
        unknown = sorted(set(rule) - RULE_KEYS)
        if unknown:
            errors.append("%s: unknown rule keys %s" % (variable, ", ".join(unknown)))
            continue
        value = rule["value"]
        if rule.get("each"):
            if value is None:
                value = []
            if not isinstance(value, (list, tuple)):
                errors.append("%s: %s must be a list" % (variable, _fmt(value)))
                continue
            field = rule.get("field")
            if field:
                base = variable[: -len(field) - 1] if variable.endswith("." + field) else variable
                items = [
                    ("%s[%d].%s" % (base, index, field), entry[field])
                    for index, entry in enumerate(value)
                    if isinstance(entry, dict) and field in entry
                ]
            else:
                items = [("%s[%d]" % (variable, index), item) for index, item in enumerate(value)]
            if rule.get("nonempty") and not items:
                errors.append("%s must not be empty" % variable)
        else:
            items = [(variable, value)]
        for where, item in items:
            if item is None or item == "":
                if rule.get("nonempty"):
                    errors.append("%s must not be empty" % where)
                continue
            problem = _rule_problem(item, rule)
            if problem:
                # a number given as text (an extra variable on the command
                # line) is shown as the number it stands for
                numeric = rule.get("port") or rule.get("min") is not None or rule.get("max") is not None
                shown = _as_int(item) if numeric and _as_int(item) is not None else item
                errors.append("%s: %s %s" % (where, _fmt(shown), problem))
    return errors


def value_errors(rules):
    return _guard("value_errors", _value_errors, rules)


class FilterModule:
    def filters(self):
        return {
            "pg_hba_errors": pg_hba_errors,
            "ssh_allow_users_errors": ssh_allow_users_errors,
            "user_name_errors": user_name_errors,
            "domain_name_errors": domain_name_errors,
            "value_errors": value_errors,
        }
