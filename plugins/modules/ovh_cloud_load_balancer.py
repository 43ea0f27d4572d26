#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovh_cloud_load_balancer
short_description: Manage OVHcloud Public Cloud load balancers (Octavia)
version_added: 0.1.0
description:
  - Create, update or delete a Public Cloud load balancer with its listeners, pools, health monitors and
    members (Public Cloud API v1, C(region/{region}/loadbalancing) paths).
  - The load balancer is identified by O(name) and O(region); two with that name make the module fail.
  - Each listener gets one pool (named C(<name>-<port>)) holding every member of O(members). Listeners, members
    and health monitors are reconciled with the options; O(flavor), O(network_id), O(subnet_id) and
    O(floating_ip) only apply at creation.
  - Creation is an asynchronous operation; the module waits for it, and for the load balancer to be C(active)
    again after every change.
author:
  - baobab.webstack maintainers (@baobab)
extends_documentation_fragment:
  - baobab.webstack.ovh
  - baobab.webstack.ovh.actiongroup
  - baobab.webstack.ovh.cloud
  - baobab.webstack.ovh.wait
attributes:
  check_mode:
    support: full
    description: No write request is sent in check mode.
  diff_mode:
    support: full
    description: Shows listeners and members before and after.
seealso:
  - module: baobab.webstack.ovh_cloud_private_network
    description: The network of O(network_id) and O(subnet_id).
options:
  name:
    description: Name of the load balancer, unique in its region.
    type: str
    required: true
  region:
    description: Region, for example V(GRA11).
    type: str
    required: true
  flavor:
    description: Load balancer size (flavor name), for example V(small), V(medium) or V(large).
    type: str
    default: small
  network_id:
    description: OpenStack ID of the private network the load balancer sits on. Required to create it.
    type: str
  subnet_id:
    description: ID of the subnet of O(network_id). Required to create it.
    type: str
  floating_ip:
    description: Give the load balancer a public floating IP at creation.
    type: bool
    default: true
  listeners:
    description: Listeners, identified by their port.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: Port the load balancer listens on.
        type: int
        required: true
      protocol:
        description: Listener protocol.
        type: str
        default: http
        choices: [http, https, tcp, udp, terminated-https, prometheus, sctp]
      pool_protocol:
        description: Protocol towards the members (defaults to V(tcp) for V(https) listeners, else the listener's).
        type: str
        choices: [http, https, tcp, udp, proxy, proxyV2, sctp]
      algorithm:
        description: Balancing algorithm of the pool.
        type: str
        default: roundRobin
        choices: [roundRobin, leastConnections, sourceIP]
      member_port:
        description: Port of the members (defaults to O(listeners[].port)).
        type: int
      health_monitor:
        description: Health check of the pool members; none when left out.
        type: dict
        suboptions:
          type:
            description: Kind of check.
            type: str
            default: http
            choices: [http, https, tcp, ping, tls-hello, udp-connect, sctp]
          url_path:
            description: Path requested by V(http) and V(https) checks.
            type: str
            default: /
          delay:
            description: Seconds between checks.
            type: int
            default: 5
          timeout:
            description: Seconds before a check fails.
            type: int
            default: 3
          max_retries:
            description: Successful checks before a member is up again.
            type: int
            default: 3
  members:
    description: Backend servers of every pool, identified by address.
    type: list
    elements: dict
    default: []
    suboptions:
      address:
        description: Private address of the member.
        type: str
        required: true
      name:
        description: Name of the member (defaults to the address).
        type: str
  state:
    description: Whether the load balancer should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Load balancer in front of the application servers
  baobab.webstack.ovh_cloud_load_balancer:
    service_name: "{{ ovh_project }}"
    name: ksm-lb
    region: GRA11
    network_id: "{{ net.network.openstack_ids.GRA11 }}"
    subnet_id: "{{ net.network.subnets[0].id }}"
    listeners:
      - port: 80
        protocol: http
        health_monitor: {type: http, url_path: /health}
      - port: 443
        protocol: tcp
    members:
      - address: 10.42.0.11
      - address: 10.42.0.12
  register: lb
"""

RETURN = r"""
load_balancer:
  description:
    - The load balancer in the collection's shared vocabulary. Empty when absent.
    - In check mode, a load balancer that would be created only has RV(load_balancer.name) and
      RV(load_balancer.region).
  returned: always
  type: dict
  contains:
    id:
      description: ID of the load balancer.
      type: str
      sample: 5e6f0000-0000-4000-8000-000000000001
    name:
      description: Name of the load balancer.
      type: str
      sample: ksm-lb
    region:
      description: Region of the load balancer.
      type: str
      sample: GRA11
    status:
      description: Provisioning status (V(creating), V(active), V(error)...).
      type: str
      sample: active
    flavor:
      description: ID of the load balancer flavor.
      type: str
      sample: 2ba3b6c0-0000-4000-8000-000000000001
    floating_ipv4:
      description: Public floating IP of the load balancer, V(null) without one.
      type: str
      sample: 51.0.0.99
    public_ipv4:
      description: The address clients reach, the same as RV(load_balancer.floating_ipv4).
      type: str
      sample: 51.0.0.99
    private_ipv4:
      description: Virtual IP of the load balancer on its private network.
      type: str
      sample: 10.42.0.5
    listeners:
      description: Listeners, by port.
      type: list
      elements: dict
      sample: [{"port": 80, "protocol": "http"}, {"port": 443, "protocol": "tcp"}]
    members:
      description: Addresses of the members of its pools.
      type: list
      elements: str
      sample: ["10.42.0.11", "10.42.0.12"]
    raw:
      description:
        - The load balancer as the OVHcloud API returns it, with its C(listeners), C(pools) and C(members) (by pool
          ID). Provider-specific, not meant for playbooks.
      type: dict
      sample: {"id": "5e6f...", "provisioningStatus": "active", "floatingIp": {"id": "f1...", "ip": "51.0.0.99"}}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._ovh import (  # noqa: E402
    Desired,
    OvhModule,
    cloud_argument_spec,
    quote_segment,
    wait_argument_spec,
)


def pool_protocol(listener):
    if listener.get("pool_protocol"):
        return listener["pool_protocol"]
    if listener["protocol"] in ("https", "terminated-https"):
        return "tcp" if listener["protocol"] == "https" else "http"
    return listener["protocol"]


class LoadBalancer(OvhModule):
    resource_name = "load_balancer"
    gone_statuses = ("deleting",)

    def path(self, *rest):
        base = "%s/region/%s/loadbalancing" % (self.project, quote_segment(self.params["region"]))
        return "/".join([base] + [quote_segment(r) for r in rest])

    def resource_path(self, resource_id):
        return self.path("loadbalancer", resource_id)

    def label(self):
        return "load balancer %s in %s" % (self.params["name"], self.params["region"])

    def find(self):
        items = self.client.get(self.path("loadbalancer")) or []
        return self.one_match([i for i in items if i.get("name") == self.params["name"]],
                              "load balancers named %r in %s" % (self.params["name"], self.params["region"]))

    def wait_active(self, lb_id):
        return self.wait_until("GET %s" % self.path("loadbalancer", lb_id),
                               lambda: self.client.get(self.path("loadbalancer", lb_id)),
                               lambda lb: lb.get("provisioningStatus") == "active",
                               lambda lb: lb.get("provisioningStatus") == "error")

    def children(self, lb_id):
        listeners = self.client.get(self.path("listener"), query={"loadbalancerId": lb_id}) or []
        pools = self.client.get(self.path("pool"), query={"loadbalancerId": lb_id}) or []
        members, monitors = {}, {}
        for pool in pools:
            members[pool["id"]] = self.client.get(self.path("pool", pool["id"], "member")) or []
            monitors[pool["id"]] = self.client.get(self.path("healthMonitor"), query={"poolId": pool["id"]}) or []
        return dict(listeners=listeners, pools=pools, members=members, monitors=monitors)

    def show(self, resource):
        lb = resource
        members = lb.get("members") or {}
        return {
            "name": lb.get("name"),
            "listeners": sorted("%s/%s" % (li.get("protocol"), li.get("port")) for li in lb.get("listeners") or []),
            "members": sorted(set(m.get("address") for ms in members.values() for m in ms)),
            "algorithms": sorted(set(p.get("algorithm") for p in lb.get("pools") or [])),
        }

    def curate(self, resource):
        lb = resource
        floating = lb.get("floatingIp") or {}
        listeners = [{"port": li.get("port"), "protocol": li.get("protocol")} for li in lb.get("listeners") or []]
        return {
            "id": lb.get("id"),
            "name": lb.get("name"),
            "region": lb.get("region", self.params["region"]),
            "status": lb.get("provisioningStatus"),
            "flavor": lb.get("flavorId"),
            "public_ipv4": floating.get("ip"),
            "floating_ipv4": floating.get("ip"),
            "private_ipv4": lb.get("vipAddress"),
            "listeners": sorted(listeners, key=lambda li: li["port"] or 0),
            "members": self.show(lb)["members"],
            "raw": dict((k, v) for k, v in lb.items() if k != "monitors"),
        }

    def validate(self):
        p = self.params
        for key in ("name", "region", "flavor"):
            if not (p[key] or "").strip():
                self.fail("%s must not be empty" % key)
        ports = []
        for index, listener in enumerate(p["listeners"]):
            for key in ("port", "member_port"):
                if listener.get(key) is not None and not 1 <= listener[key] <= 65535:
                    self.fail("listeners[%d].%s must be a port between 1 and 65535, got %s"
                              % (index, key, listener[key]))
            if listener["port"] in ports:
                self.fail("listeners[%d].port %s is used by two listeners" % (index, listener["port"]))
            ports.append(listener["port"])
            monitor = listener.get("health_monitor") or {}
            for key in ("delay", "timeout", "max_retries"):
                if monitor.get(key) is not None and monitor[key] < 1:
                    self.fail("listeners[%d].health_monitor.%s must be at least 1, got %s" % (index, key, monitor[key]))
        for index, member in enumerate(p["members"]):
            if not member["address"].strip():
                self.fail("members[%d].address must not be empty" % index)

    def lookup(self):
        lb = self.find()
        return dict(lb, **self.children(lb["id"])) if lb else None

    def desired(self):
        p = self.params
        return Desired(name=p["name"],
                       listeners=sorted("%s/%s" % (li["protocol"], li["port"]) for li in p["listeners"]),
                       members=sorted(set(m["address"] for m in p["members"])) if p["listeners"] else [],
                       algorithms=sorted(set(li["algorithm"] for li in p["listeners"])))

    def planned(self, desired):
        return {"name": self.params["name"], "region": self.params["region"]}

    def differences(self, current, desired):
        self.steps = self.plan(current)
        # any step shows the whole wanted state, as a listener or member list
        return sorted(desired) if self.steps else []

    def planned_update(self, current, desired, changes):
        return current

    def update(self, current, desired, changes):
        for step in self.steps:
            step(current["id"])
            self.wait_active(current["id"])
        return current

    def wait(self, resource):
        """After a creation (or an adoption), add every missing listener; return the whole balancer."""
        self.wait_active(resource["id"])
        self.apply_missing(resource["id"])
        return self.describe(resource["id"])

    def delete(self, current):
        self.client.delete(self.path("loadbalancer", current["id"]))

    # -- creation ------------------------------------------------------------
    def create(self, desired):
        p = self.params
        if not p["network_id"] or not p["subnet_id"]:
            self.fail("network_id and subnet_id are required to create load balancer %s" % p["name"])
        flavors = self.client.get(self.path("flavor")) or []
        flavor = self.one_match([f for f in flavors if f.get("name") == p["flavor"] or f.get("id") == p["flavor"]],
                                "load balancer flavors named %r" % p["flavor"])
        if flavor is None:
            self.fail("load balancer flavor %r not found in region %s" % (p["flavor"], p["region"]))
        private = {"network": {"id": p["network_id"], "subnetId": p["subnet_id"]}}
        if p["floating_ip"]:
            private["floatingIpCreate"] = {"description": p["name"]}
        body = {"flavorId": flavor["id"], "name": p["name"], "network": {"private": private}}
        operation = self.client.wait_operation(p["service_name"], self.client.post(self.path("loadbalancer"),
                                                                                   body)["id"])
        lb_id = operation.get("resourceId")
        if not lb_id:
            # resourceId is optional in the reference: wait until the new balancer is listed
            found = self.wait_until("GET %s (load balancer %s created by operation %s)"
                                    % (self.path("loadbalancer"), p["name"], operation.get("id")),
                                    self.find, lambda x: x is not None)
            lb_id = found["id"]
        return {"id": lb_id}

    # -- reconciliation --------------------------------------------------------
    def plan(self, lb):
        """Steps (callables taking the load balancer ID) that make the children match the options.

        A new load balancer needs everything: ``apply_missing`` adds it right after the creation."""
        listeners, pools, members, monitors = lb["listeners"], lb["pools"], lb["members"], lb["monitors"]
        steps = []
        wanted_ports = dict((li["port"], li) for li in self.params["listeners"])
        for listener in listeners:
            if listener.get("port") not in wanted_ports:
                steps.append(self._delete_listener(listener, pools))
        for port, want in wanted_ports.items():
            have = [li for li in listeners if li.get("port") == port]
            if not have:
                steps.append(lambda lb_id, want=want: self.add_listener(lb_id, want))
                continue
            pool = next((pl for pl in pools if pl.get("listenerId") == have[0]["id"]), None)
            if pool is None:
                steps.append(lambda lb_id, li=have[0], want=want: self.add_pool(lb_id, li, want))
                continue
            if pool.get("algorithm") != want["algorithm"]:
                steps.append(lambda lb_id, pool=pool, want=want: self.client.put(
                    self.path("pool", pool["id"]), {"algorithm": want["algorithm"]}))
            steps.extend(self._member_steps(pool, members.get(pool["id"], []), want))
            steps.extend(self._monitor_steps(pool, monitors.get(pool["id"], []), want))
        return steps

    def _delete_listener(self, listener, pools):
        def step(lb_id):
            for pool in pools:
                if pool.get("listenerId") == listener["id"]:
                    self.client.delete(self.path("pool", pool["id"]))
                    self.wait_active(lb_id)
            self.client.delete(self.path("listener", listener["id"]))
        return step

    def _member_steps(self, pool, have, want):
        port = want["member_port"] or want["port"]
        wanted = dict((m["address"], m) for m in self.params["members"])
        present = set(m.get("address") for m in have if m.get("protocolPort") == port)
        steps = []
        stale = [m for m in have if m.get("address") not in wanted or m.get("protocolPort") != port]
        for member in stale:
            steps.append(lambda lb_id, m=member: self.client.delete(self.path("pool", pool["id"], "member", m["id"])))
        missing = [wanted[a] for a in sorted(wanted) if a not in present]
        if missing:
            steps.append(lambda lb_id: self.add_members(pool["id"], missing, port))
        return steps

    def _monitor_steps(self, pool, have, want):
        hm = want.get("health_monitor")
        steps = []
        if hm is None:
            for mon in have:
                steps.append(lambda lb_id, mon=mon: self.client.delete(self.path("healthMonitor", mon["id"])))
            return steps
        if have:
            mon = have[0]
            same = (mon.get("monitorType") == hm["type"] and mon.get("delay") == hm["delay"]
                    and mon.get("timeout") == hm["timeout"] and mon.get("maxRetries") == hm["max_retries"]
                    and (hm["type"] not in ("http", "https")
                         or (mon.get("httpConfiguration") or {}).get("urlPath") == hm["url_path"]))
            if same:
                return steps
            steps.append(lambda lb_id, mon=mon: self.client.delete(self.path("healthMonitor", mon["id"])))
        steps.append(lambda lb_id: self.add_monitor(pool["id"], hm))
        return steps

    def add_listener(self, lb_id, want):
        listener = self.client.post(self.path("listener"), {
            "loadbalancerId": lb_id, "name": "%s-%s" % (self.params["name"], want["port"]),
            "port": want["port"], "protocol": want["protocol"]})
        self.wait_active(lb_id)
        self.add_pool(lb_id, listener, want)

    def add_pool(self, lb_id, listener, want):
        pool = self.client.post(self.path("pool"), {
            "algorithm": want["algorithm"], "listenerId": listener["id"], "loadbalancerId": lb_id,
            "name": "%s-%s" % (self.params["name"], want["port"]), "protocol": pool_protocol(want)})
        self.wait_active(lb_id)
        if self.params["members"]:
            self.add_members(pool["id"], self.params["members"], want["member_port"] or want["port"])
            self.wait_active(lb_id)
        if want.get("health_monitor"):
            self.add_monitor(pool["id"], want["health_monitor"])

    def add_members(self, pool_id, members, port):
        self.client.post(self.path("pool", pool_id, "member"), {"members": [
            {"address": m["address"], "name": m.get("name") or m["address"], "protocolPort": port}
            for m in members]})

    def add_monitor(self, pool_id, hm):
        body = {"delay": hm["delay"], "maxRetries": hm["max_retries"], "monitorType": hm["type"],
                "name": "%s-%s" % (self.params["name"], pool_id[:8]), "poolId": pool_id, "timeout": hm["timeout"]}
        if hm["type"] in ("http", "https"):
            body["httpConfiguration"] = {"httpMethod": "GET", "urlPath": hm["url_path"], "expectedCodes": "200"}
        self.client.post(self.path("healthMonitor"), body)

    def apply_missing(self, lb_id):
        """After creation: add every listener (and its pool, members, monitor)."""
        listeners = self.client.get(self.path("listener"), query={"loadbalancerId": lb_id}) or []
        ports = set(li.get("port") for li in listeners)
        for want in self.params["listeners"]:
            if want["port"] not in ports:
                self.add_listener(lb_id, want)
                self.wait_active(lb_id)

    def describe(self, lb_id):
        return dict(self.client.get(self.path("loadbalancer", lb_id)), **self.children(lb_id))


def main():
    spec = cloud_argument_spec()
    spec.update(wait_argument_spec())
    spec.update(
        name=dict(type="str", required=True),
        region=dict(type="str", required=True),
        flavor=dict(type="str", default="small"),
        network_id=dict(type="str"),
        subnet_id=dict(type="str"),
        floating_ip=dict(type="bool", default=True),
        listeners=dict(type="list", elements="dict", default=[], options=dict(
            port=dict(type="int", required=True),
            protocol=dict(type="str", default="http",
                          choices=["http", "https", "tcp", "udp", "terminated-https", "prometheus", "sctp"]),
            pool_protocol=dict(type="str", choices=["http", "https", "tcp", "udp", "proxy", "proxyV2", "sctp"]),
            algorithm=dict(type="str", default="roundRobin", choices=["roundRobin", "leastConnections", "sourceIP"]),
            member_port=dict(type="int"),
            health_monitor=dict(type="dict", options=dict(
                type=dict(type="str", default="http",
                          choices=["http", "https", "tcp", "ping", "tls-hello", "udp-connect", "sctp"]),
                url_path=dict(type="str", default="/"),
                delay=dict(type="int", default=5),
                timeout=dict(type="int", default=3),
                max_retries=dict(type="int", default=3),
            )),
        )),
        members=dict(type="list", elements="dict", default=[], options=dict(
            address=dict(type="str", required=True),
            name=dict(type="str"),
        )),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    LoadBalancer(module).execute()


if __name__ == "__main__":
    main()
