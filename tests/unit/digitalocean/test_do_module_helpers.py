"""Unit tests of the pure helpers of the DigitalOcean modules (no network)."""

import base64
import hashlib

from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import droplet_ips
from ansible_collections.baobab.webstack.plugins.modules.do_domain_record import canonical_data
from ansible_collections.baobab.webstack.plugins.modules.do_firewall import normalise_rules
from ansible_collections.baobab.webstack.plugins.modules.do_load_balancer import rule_key, sticky_key
from ansible_collections.baobab.webstack.plugins.modules.do_ssh_key import fingerprint_of

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa0dYxTDU0b5cFA6Nbm+UFoaGMzxpUY5M84AdcGDvEH me@host"


def test_fingerprint_is_md5_of_the_key_blob():
    digest = hashlib.md5(base64.b64decode(KEY.split()[1])).hexdigest()  # noqa: S324
    assert fingerprint_of(KEY) == ":".join(digest[i:i + 2] for i in range(0, 32, 2))
    assert fingerprint_of("  %s\n" % KEY) == fingerprint_of(KEY)
    assert fingerprint_of("not a key") is None
    assert fingerprint_of("ssh-ed25519 !!!notbase64") is None


def test_firewall_rules_normalise_order_ports_and_empty_targets():
    user = [
        {"protocol": "tcp", "ports": "all", "sources": {"addresses": ["::/0", "0.0.0.0/0"], "tags": []}},
        {"protocol": "icmp", "ports": None, "sources": {"droplet_ids": [3, 1]}},
    ]
    api = [
        {"protocol": "icmp", "ports": "0", "sources": {"droplet_ids": [1, 3]}},
        {"protocol": "tcp", "ports": "0", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
    ]
    assert normalise_rules(user, "sources") == normalise_rules(api, "sources")
    other = [dict(api[1], ports="22")]
    assert normalise_rules(other, "sources") != normalise_rules(api[1:], "sources")


def test_record_data_comparison():
    assert canonical_data("CNAME", "www.Example.com.") == canonical_data("CNAME", "www.example.com")
    assert canonical_data("MX", "@") == "@"
    assert canonical_data("TXT", '"v=spf1 -all"') == "v=spf1 -all"
    assert canonical_data("AAAA", "2001:DB8::1") == "2001:db8::1"
    assert canonical_data("A", "192.0.2.1") == "192.0.2.1"


def test_load_balancer_rule_and_sticky_defaults():
    assert rule_key({"entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80}) == {
        "entry_protocol": "http", "entry_port": 80, "target_protocol": "http", "target_port": 80,
        "tls_passthrough": False, "certificate_id": "",
    }
    assert sticky_key(None) == {"type": "none"}
    assert sticky_key({"type": "none", "cookie_name": None}) == {"type": "none"}
    assert sticky_key({"type": "cookies", "cookie_name": "lb", "cookie_ttl_seconds": None}) == {
        "type": "cookies", "cookie_name": "lb"}


def test_droplet_ips():
    droplet = {"networks": {"v4": [{"type": "private", "ip_address": "10.0.0.2"},
                                   {"type": "public", "ip_address": "203.0.113.7"}]}}
    assert droplet_ips(droplet) == ("203.0.113.7", "10.0.0.2")
    assert droplet_ips({}) == (None, None)
