#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: do_load_balancer
short_description: Manage a DigitalOcean load balancer
description:
  - Creates, updates or deletes a regional load balancer identified by its name, and waits until it is active.
  - Targets are droplets with a tag (recommended; new app droplets join automatically) or a list of droplet ids.
  - The load balancer ends up with exactly the given forwarding rules, health check and sticky sessions.
version_added: 0.1.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  state:
    description: Whether the load balancer must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name (unique in the account for this module).
    type: str
    required: true
  region:
    description: Region slug. Required to create.
    type: str
  size_unit:
    description:
      - Number of nodes (capacity units), 1 to 100.
      - V(1) when a load balancer is created without it.
      - Compared with the live load balancer only when set, so a balancer sized by slug (V(lb-small)), or resized
        elsewhere, is left as it is when this option is left out.
    type: int
  vpc_uuid:
    description: VPC of the load balancer and its targets. Only used at creation.
    type: str
  tag:
    description: Send traffic to the droplets with this tag. Mutually exclusive with O(droplet_ids).
    type: str
  droplet_ids:
    description: Send traffic to these droplets.
    type: list
    elements: int
  forwarding_rules:
    description: How incoming traffic is forwarded. Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      entry_protocol:
        description: Protocol of incoming traffic.
        type: str
        required: true
        choices: [http, https, http2, http3, tcp, udp]
      entry_port:
        description: Port of incoming traffic.
        type: int
        required: true
      target_protocol:
        description: Protocol to the droplets.
        type: str
        required: true
        choices: [http, https, http2, tcp, udp]
      target_port:
        description: Port on the droplets.
        type: int
        required: true
      tls_passthrough:
        description: Pass HTTPS through to the droplets, which terminate TLS themselves.
        type: bool
        default: false
      certificate_id:
        description: Certificate used to terminate TLS on the load balancer.
        type: str
  health_check:
    description: Health check of the targets; the provider's defaults fill what is left out.
    type: dict
    suboptions:
      protocol:
        description: Protocol.
        type: str
        choices: [http, https, tcp]
        default: http
      port:
        description: Port on the droplets.
        type: int
        default: 80
      path:
        description: Path requested by http and https checks.
        type: str
        default: /
      check_interval_seconds:
        description: Seconds between two checks.
        type: int
        default: 10
      response_timeout_seconds:
        description: Seconds to wait for an answer.
        type: int
        default: 5
      healthy_threshold:
        description: Successes before a droplet gets traffic again.
        type: int
        default: 3
      unhealthy_threshold:
        description: Failures before a droplet stops getting traffic.
        type: int
        default: 5
  sticky_sessions:
    description: Session affinity. Off (V(none)) by default.
    type: dict
    suboptions:
      type:
        description: V(none) or V(cookies).
        type: str
        choices: [none, cookies]
        default: none
      cookie_name:
        description: Cookie name with O(sticky_sessions.type=cookies).
        type: str
      cookie_ttl_seconds:
        description: Cookie lifetime with O(sticky_sessions.type=cookies).
        type: int
  redirect_http_to_https:
    description: Redirect HTTP on port 80 to HTTPS on port 443.
    type: bool
    default: false
  enable_proxy_protocol:
    description: Send the PROXY protocol header to the droplets.
    type: bool
    default: false
  enable_backend_keepalive:
    description: Keep connections to the droplets open.
    type: bool
    default: false
extends_documentation_fragment:
  - baobab.webstack.digitalocean
  - baobab.webstack.digitalocean.attributes
"""

EXAMPLES = r"""
- name: Load balancer in front of the app droplets, TLS passed through
  baobab.webstack.do_load_balancer:
    name: shop-lb
    region: fra1
    vpc_uuid: "{{ vpc.vpc.id }}"
    tag: app
    forwarding_rules:
      - {entry_protocol: http, entry_port: 80, target_protocol: http, target_port: 80}
      - {entry_protocol: https, entry_port: 443, target_protocol: https, target_port: 443, tls_passthrough: true}
    health_check:
      protocol: http
      port: 80
      path: /health
  register: lb
"""

RETURN = r"""
load_balancer:
  description:
    - The load balancer, with the collection's names for what playbooks need (empty after deletion).
    - In check mode, what would be created (no id, no address yet).
  returned: always
  type: dict
  contains:
    id:
      description:
        - Load balancer id (UUID).
        - A source in O(baobab.webstack.do_firewall#module:inbound_rules[].sources.load_balancer_uids).
      type: str
      returned: success
      sample: 4de7ac8b-495b-4884-9a69-1050c6793cd6
    name:
      description: Name.
      type: str
      returned: success
      sample: shop-lb
    region:
      description: Region slug.
      type: str
      returned: success
      sample: fra1
    status:
      description: C(new), C(active) or C(errored).
      type: str
      returned: success
      sample: active
    public_ipv4:
      description: Public IPv4 address, the one DNS records point at; V(null) until it has one.
      type: str
      returned: success
      sample: 198.51.100.10
    public_ipv6:
      description: Public IPv6 address, V(null) when it has none.
      type: str
      returned: success
      sample: "2001:db8::20"
    tag:
      description: Droplets with this tag get the traffic (V(null) with O(droplet_ids)).
      type: str
      returned: success
      sample: app
    droplet_ids:
      description: Droplets that get the traffic.
      type: list
      elements: int
      returned: success
      sample: [3164444]
    size_unit:
      description: Number of nodes.
      type: int
      returned: success
      sample: 1
    size:
      description: Size slug of a balancer sized by slug (older balancers).
      type: str
      returned: success
      sample: lb-small
    vpc_uuid:
      description: VPC of the load balancer.
      type: str
      returned: success
      sample: 5a4981aa-9653-4bd1-bef5-d6bff52042e4
    raw:
      description:
        - The provider's full object, as the DigitalOcean API returns it (the create request in check mode).
        - Provider-specific and may change with the API; playbooks should read the keys above.
      type: dict
      returned: success
"""

from ansible_collections.baobab.webstack.plugins.module_utils._base import (  # noqa: E402
    curated,
    normalise,
    state_argument_spec,
)
from ansible_collections.baobab.webstack.plugins.module_utils._digitalocean import (  # noqa: E402
    DigitalOceanModule,
    region_slug,
)

HEALTH_DEFAULTS = {"protocol": "http", "port": 80, "path": "/", "check_interval_seconds": 10,
                   "response_timeout_seconds": 5, "healthy_threshold": 3, "unhealthy_threshold": 5}


def rule_key(rule):
    out = dict((k, rule.get(k)) for k in ("entry_protocol", "entry_port", "target_protocol", "target_port"))
    out["tls_passthrough"] = bool(rule.get("tls_passthrough"))
    out["certificate_id"] = rule.get("certificate_id") or ""
    return out


def sticky_key(sticky):
    sticky = sticky or {"type": "none"}
    if sticky.get("type", "none") == "none":
        return {"type": "none"}
    return dict((k, v) for k, v in sticky.items() if v is not None)


class LoadBalancer(DigitalOceanModule):
    resource_name = "load_balancer"
    api_path = "load_balancers"
    noun = "load balancer"
    ready_status = "active"
    failed_status = "errored"
    wait_unchanged = True

    def validate(self):
        """Checks that need no API call, done before the first request."""
        p = self.params
        if not p["name"].strip():
            self.fail("name must not be empty")
        if p["size_unit"] is not None and not 1 <= p["size_unit"] <= 100:
            self.fail("size_unit must be between 1 and 100, got %s" % p["size_unit"])
        for index, rule in enumerate(p["forwarding_rules"] or []):
            for key in ("entry_port", "target_port"):
                if not 1 <= rule[key] <= 65535:
                    self.fail("forwarding_rules[%d].%s must be a port between 1 and 65535, got %s"
                              % (index, key, rule[key]))
        health = p["health_check"] or {}
        if health.get("port") is not None and not 1 <= health["port"] <= 65535:
            self.fail("health_check.port must be a port between 1 and 65535, got %s" % health["port"])
        for key in ("check_interval_seconds", "response_timeout_seconds", "healthy_threshold", "unhealthy_threshold"):
            if health.get(key) is not None and health[key] < 1:
                self.fail("health_check.%s must be at least 1, got %s" % (key, health[key]))

    def lookup(self):
        return self.named(self.client.paginate("load_balancers", "load_balancers"))

    def desired(self):
        p = self.params
        health = dict(HEALTH_DEFAULTS)
        health.update(dict((k, v) for k, v in (p["health_check"] or {}).items() if v is not None))
        if health["protocol"] == "tcp":
            health.pop("path", None)
        body = {
            "name": p["name"],
            "forwarding_rules": [rule_key(r) for r in p["forwarding_rules"] or []],
            "health_check": health,
            "sticky_sessions": sticky_key(p["sticky_sessions"]),
            "redirect_http_to_https": p["redirect_http_to_https"],
            "enable_proxy_protocol": p["enable_proxy_protocol"],
            "enable_backend_keepalive": p["enable_backend_keepalive"],
        }
        if p["size_unit"] is not None:
            body["size_unit"] = p["size_unit"]
        if p["tag"]:
            body["tag"] = p["tag"]
        else:
            body["droplet_ids"] = sorted(p["droplet_ids"] or [])
        return body

    @staticmethod
    def comparable(lb, wanted):
        have = {
            "name": lb.get("name"),
            "forwarding_rules": normalise([rule_key(r) for r in lb.get("forwarding_rules") or []]),
            "health_check": dict((k, (lb.get("health_check") or {}).get(k)) for k in wanted["health_check"]),
            "sticky_sessions": sticky_key(lb.get("sticky_sessions")),
            "redirect_http_to_https": bool(lb.get("redirect_http_to_https")),
            "enable_proxy_protocol": bool(lb.get("enable_proxy_protocol")),
            "enable_backend_keepalive": bool(lb.get("enable_backend_keepalive")),
        }
        if "size_unit" in wanted:
            have["size_unit"] = lb.get("size_unit")
        if "tag" in wanted:
            have["tag"] = lb.get("tag") or ""
        else:
            have["droplet_ids"] = sorted(lb.get("droplet_ids") or [])
        return have

    def view(self, resource):
        return dict(self.comparable(resource, self.desired()), region=region_slug(resource))

    def check_create(self, desired):
        if not self.params["region"]:
            self.fail("region is required to create load balancer %s" % self.params["name"])

    def creation(self, desired):
        body = dict(desired, region=self.params["region"])
        body.setdefault("size_unit", 1)
        if self.params["vpc_uuid"]:
            body["vpc_uuid"] = self.params["vpc_uuid"]
        return body

    def planned(self, desired):
        return dict(desired, status="new")

    def differences(self, current, desired):
        p = self.params
        region = region_slug(current)
        if p["region"] and p["region"] != region:
            self.fail("load balancer %s is in %s; it cannot move to %s" % (p["name"], region, p["region"]))
        have = self.comparable(current, desired)
        want = self.comparable(desired, desired)
        return sorted(key for key in want if have[key] != want[key])

    def planned_update(self, current, desired, changes):
        return dict(current, **desired)

    def update(self, current, desired, changes):
        body = self.update_body(current, desired)
        return self.unwrap(self.client.put(self.item_path(current), body))

    @staticmethod
    def update_body(current, wanted):
        """The PUT body: the wanted settings, and what the update must carry
        over from the live balancer (region, VPC and sizing when not set)."""
        body = dict(wanted, region=current["region"]["slug"])
        if current.get("vpc_uuid"):
            body["vpc_uuid"] = current["vpc_uuid"]
        if "size_unit" not in body:
            if current.get("size_unit") is not None:
                body["size_unit"] = current["size_unit"]
            elif current.get("size"):
                body["size"] = current["size"]
        return body

    def curate(self, resource):
        return curated(
            resource,
            id=resource.get("id"),
            name=resource.get("name"),
            region=region_slug(resource),
            status=resource.get("status"),
            public_ipv4=resource.get("ip") or None,
            public_ipv6=resource.get("ipv6") or None,
            tag=resource.get("tag") or None,
            droplet_ids=list(resource.get("droplet_ids") or []),
            size_unit=resource.get("size_unit"),
            size=resource.get("size"),
            vpc_uuid=resource.get("vpc_uuid"),
        )


def main():
    LoadBalancer.run_module(
        dict(
            state_argument_spec(),
            name=dict(type="str", required=True),
            region=dict(type="str"),
            size_unit=dict(type="int"),
            vpc_uuid=dict(type="str"),
            tag=dict(type="str"),
            droplet_ids=dict(type="list", elements="int"),
            forwarding_rules=dict(type="list", elements="dict", options=dict(
                entry_protocol=dict(type="str", required=True,
                                    choices=["http", "https", "http2", "http3", "tcp", "udp"]),
                entry_port=dict(type="int", required=True),
                target_protocol=dict(type="str", required=True, choices=["http", "https", "http2", "tcp", "udp"]),
                target_port=dict(type="int", required=True),
                tls_passthrough=dict(type="bool", default=False),
                certificate_id=dict(type="str"),
            )),
            health_check=dict(type="dict", options=dict(
                protocol=dict(type="str", default="http", choices=["http", "https", "tcp"]),
                port=dict(type="int", default=80),
                path=dict(type="str", default="/"),
                check_interval_seconds=dict(type="int", default=10),
                response_timeout_seconds=dict(type="int", default=5),
                healthy_threshold=dict(type="int", default=3),
                unhealthy_threshold=dict(type="int", default=5),
            )),
            sticky_sessions=dict(type="dict", options=dict(
                type=dict(type="str", default="none", choices=["none", "cookies"]),
                cookie_name=dict(type="str"),
                cookie_ttl_seconds=dict(type="int"),
            )),
            redirect_http_to_https=dict(type="bool", default=False),
            enable_proxy_protocol=dict(type="bool", default=False),
            enable_backend_keepalive=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("tag", "droplet_ids")],
        required_if=[("state", "present", ("forwarding_rules",))],
    )


if __name__ == "__main__":
    main()
