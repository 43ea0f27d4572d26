#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nginx_drain
short_description: Take upstream servers of nginx out of rotation, or put them back, in one call
description:
  - Marks O(servers) C(down) in the upstreams file the C(baobab.webstack.nginx) role writes
    (O(state=drained)) or removes the mark (O(state=active)), and reloads nginx gracefully;
    new requests stop going to a drained server at once while the requests in flight finish on it.
  - The change is made in a full staging copy of the configuration, tested there with C(nginx -t),
    and only then installed; a configuration nginx rejects never replaces the live one.
  - The drained servers are kept in a state file, so that a later converge of the role keeps a
    drained server drained until it is put back.
  - A rolling deployment drains and restores every batch on every load balancer; this is one
    round trip each time instead of a dozen tasks.
  - Calls on the same load balancer are serialised (a lock on O(config_dir)), so that two
    deployments draining different servers at once both keep their change.
  - When the reload fails, the previous upstreams file and list of drained servers are put back
    before the module fails, so that a retry makes the change and reloads again.
  - O(state=recorded) changes no list, it marks in the upstreams file exactly the servers the state
    file lists. The role runs it after installing a new upstreams file, so that a drain made while
    the role's converge was running is not undone by it.
version_added: 0.3.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  servers:
    description:
      - Upstream server addresses as written in the upstreams, e.g. C(10.0.0.11:80).
      - Required with O(state=drained) and O(state=active).
    type: list
    elements: str
  state:
    description:
      - C(drained) takes them out of rotation, C(active) puts them back.
      - C(recorded) brings the upstreams file in line with the list of drained servers.
    type: str
    choices: [drained, active, recorded]
    required: true
  upstreams_file:
    description: The upstreams file, relative to O(config_dir).
    type: str
    default: conf.d/baobab-upstreams.conf
  state_file:
    description: The file that lists the drained servers, one a line.
    type: path
    default: /etc/nginx/baobab-drained-servers
  config_dir:
    description: The live configuration.
    type: path
    default: /etc/nginx
  staging_dir:
    description:
      - Where the configuration is copied and tested before it is installed.
      - It is removed and made again on each change; keep it apart from the staging directory
        the role's converge uses (C(nginx_staging_dir)).
    type: path
    default: /var/lib/baobab-webstack/nginx-drain-staging
  nginx:
    description: The nginx binary that tests the staged configuration.
    type: path
    default: /usr/sbin/nginx
  reload:
    description: Reload nginx (C(systemctl reload nginx)) once the tested file is installed.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reports whether the list of drained servers would change, writes nothing.
    support: full
  diff_mode:
    description: Shows the list of drained servers before and after.
    support: full
"""

EXAMPLES = r"""
- name: Take app1 out of rotation on the load balancer
  baobab.webstack.nginx_drain:
    servers: [10.0.0.11:80]
    state: drained
  delegate_to: lb1

- name: Put it back
  baobab.webstack.nginx_drain:
    servers: [10.0.0.11:80]
    state: active
  delegate_to: lb1
"""

RETURN = r"""
drained:
  description: The drained servers after the call, sorted.
  returned: always
  type: list
  elements: str
  sample: [10.0.0.11:80]
"""

import fcntl  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._files import read_text, write_atomically  # noqa: E402

SERVER_RE = re.compile(r"^[A-Za-z0-9.:\[\]_-]+$")
SERVER_NAME_RE = re.compile(r"^\s*server ([A-Za-z0-9.:\[\]_-]+) [^;]*;$", re.MULTILINE)


def server_line(server):
    return re.compile(r"^(\s*server " + re.escape(server) + r" [^;]*?)(?: down)?;$")


def mark(text, drained, servers):
    """The upstreams text with each of ``servers`` marked down when it is in
    ``drained``, unmarked otherwise; and the servers no upstream names."""
    lines = text.splitlines(True)
    missing = []
    for server in servers:
        pattern = server_line(server)
        found = False
        for i, line in enumerate(lines):
            body = line.rstrip("\n")
            match = pattern.match(body)
            if match:
                found = True
                ending = line[len(body) :]
                lines[i] = match.group(1) + (" down" if server in drained else "") + ";" + ending
        if not found:
            missing.append(server)
    return "".join(lines), missing


def install(path, text):
    write_atomically(path, text)
    os.chown(path, 0, 0)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            servers=dict(type="list", elements="str"),
            state=dict(type="str", choices=["drained", "active", "recorded"], required=True),
            upstreams_file=dict(type="str", default="conf.d/baobab-upstreams.conf"),
            state_file=dict(type="path", default="/etc/nginx/baobab-drained-servers"),
            config_dir=dict(type="path", default="/etc/nginx"),
            staging_dir=dict(type="path", default="/var/lib/baobab-webstack/nginx-drain-staging"),
            nginx=dict(type="path", default="/usr/sbin/nginx"),
            reload=dict(type="bool", default=True),
        ),
        required_if=[("state", "drained", ["servers"]), ("state", "active", ["servers"])],
        supports_check_mode=True,
    )
    p = module.params
    recorded = p["state"] == "recorded"
    servers = p["servers"] or []
    bad = [s for s in servers if not SERVER_RE.match(s or "")]
    if (not servers and not recorded) or bad:
        module.fail_json(
            msg="servers must list upstream server addresses such as 10.0.0.11:80 (got %s)" % (bad or servers)
        )
    if os.path.isabs(p["upstreams_file"]) or ".." in p["upstreams_file"].split("/"):
        module.fail_json(msg="upstreams_file must be a path inside config_dir (got %s)" % p["upstreams_file"])
    config_dir = os.path.normpath(p["config_dir"])
    staging = os.path.normpath(p["staging_dir"])
    if staging in ("/", config_dir) or config_dir.startswith(staging + os.sep):
        module.fail_json(msg="staging_dir %s would overwrite the live configuration" % staging)

    if not os.path.isdir(config_dir):
        module.fail_json(msg="config_dir %s does not exist: is nginx installed here?" % config_dir)
    # held until the process exits: two drains of one load balancer must not
    # both read the same list of drained servers and each write its own
    lock = os.open(config_dir, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)

    before = sorted(set((read_text(p["state_file"]) or "").split()))
    if recorded:
        after = before
    elif p["state"] == "drained":
        after = sorted(set(before) | set(servers))
    else:
        after = sorted(set(before) - set(servers))
    result = dict(
        changed=after != before,
        drained=after,
        diff=dict(before="\n".join(before) + "\n", after="\n".join(after) + "\n", before_header=p["state_file"]),
    )
    if not result["changed"] and not recorded:
        module.exit_json(**result)

    live_file = os.path.join(config_dir, p["upstreams_file"])
    live = read_text(live_file)
    if live is None:
        if recorded:
            module.exit_json(**result)
        module.fail_json(msg="%s does not exist: no upstreams to drain from" % live_file, **result)
    if recorded:
        # every server of the file, marked down exactly when the list names it
        # (a listed server that no upstream has any more is left out)
        text, _missing = mark(live, set(after), sorted(set(SERVER_NAME_RE.findall(live))))
        result["changed"] = text != live
        result["diff"] = dict(before=live, after=text, before_header=live_file, after_header=live_file)
        if not result["changed"]:
            module.exit_json(**result)
    else:
        text, missing = mark(live, set(after), servers)
        if missing:
            module.fail_json(
                msg="%s is not a server of any upstream in %s (servers are named as in nginx_upstreams, address:port)."
                % (", ".join(missing), live_file),
                **result,
            )
    if module.check_mode:
        module.exit_json(**result)

    # the whole configuration, copied: nginx resolves relative includes
    # against the directory of the file given to -c
    if os.path.lexists(staging):
        shutil.rmtree(staging)
    shutil.copytree(config_dir, staging, symlinks=True)
    write_atomically(os.path.join(staging, p["upstreams_file"]), text)
    rc, out, err = module.run_command([p["nginx"], "-t", "-q", "-c", os.path.join(staging, "nginx.conf")])
    if rc != 0:
        said = (err or out).strip().replace(staging + "/", config_dir + "/")
        refused = dict(result)
        refused["changed"] = False
        module.fail_json(
            msg="nginx -t rejected the upstreams with %s %s; nginx keeps serving the previous configuration. "
            "nginx said: %s" % (", ".join(servers) or "the recorded servers", p["state"], said),
            **refused
        )
    previous_state = read_text(p["state_file"])
    install(live_file, text)
    if not recorded:
        install(p["state_file"], "".join(s + "\n" for s in after))
    if p["reload"]:
        rc, out, err = module.run_command(["systemctl", "reload", "nginx"])
        if rc != 0:
            # nginx still serves the previous upstreams: put the files back,
            # so that they say what it serves and a retry reloads again
            install(live_file, live)
            if not recorded and previous_state is None:
                os.unlink(p["state_file"])
            elif not recorded:
                install(p["state_file"], previous_state)
            result["changed"] = False
            result["drained"] = before
            module.fail_json(
                msg="systemctl reload nginx failed (exit %s), so %s stay as they were (the previous upstreams "
                "file is back in place). systemctl said: %s"
                % (rc, ", ".join(servers) or "the servers", (err or out).strip()),
                **result
            )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
