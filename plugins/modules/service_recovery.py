#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: service_recovery
short_description: Make a systemd service come back after a crash, and stop a crash loop
description:
  - Writes a drop-in for a systemd service (C(/etc/systemd/system/<unit>.d/<name>.conf)) that sets
    its restart policy (C(Restart=), C(RestartSec=)), the crash-loop guard
    (C(StartLimitIntervalSec=), C(StartLimitBurst=)) and optionally its OOM score,
    then reloads systemd's configuration when the file changed.
  - The restart settings apply to the running service as soon as systemd reloaded; the OOM score
    applies at the service's next start.
  - With the default C(Restart=on-failure), a process killed by a signal or exiting non-zero is
    started again; C(systemctl stop) and a clean exit leave the service stopped. After
    O(start_limit_burst) starts within O(start_limit_interval_sec) seconds, systemd gives up and the
    unit ends C(failed) (a crash loop that the monitoring role reports); C(systemctl reset-failed <unit>)
    lets it start again.
version_added: 0.2.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  unit:
    description:
      - The service, with its C(.service) suffix. A template instance (C(postgresql@15-main.service))
        gets its own drop-in.
    type: str
    required: true
  state:
    description: Whether the drop-in must exist.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: File name of the drop-in, without C(.conf). Drop-ins apply in lexical order.
    type: str
    default: 40-webstack-recovery
  restart:
    description: When systemd starts the service again after its process ended (C(Restart=)).
    type: str
    choices: ['no', on-success, on-failure, on-abnormal, on-watchdog, on-abort, always]
    default: on-failure
  restart_sec:
    description: Seconds to wait before a restart (C(RestartSec=)), 0 to 3600.
    type: int
    default: 2
  start_limit_interval_sec:
    description: Window of the crash-loop guard in seconds (C(StartLimitIntervalSec=)), 1 to 86400.
    type: int
    default: 60
  start_limit_burst:
    description: Starts allowed within the window before the unit ends C(failed) (C(StartLimitBurst=)), 1 to 1000.
    type: int
    default: 5
  oom_score_adjust:
    description:
      - C(OOMScoreAdjust=) of the service's processes, -1000 (never killed) to 1000. Left unset when omitted.
      - Lowering it needs C(CAP_SYS_RESOURCE); in a container without it systemd ignores the setting.
    type: int
  systemd_dir:
    description: Directory of the local units. Only tests change it.
    type: path
    default: /etc/systemd/system
  daemon_reload:
    description: Run C(systemctl daemon-reload) when the drop-in changed.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reports whether the drop-in would change, writes nothing.
    support: full
  diff_mode:
    description: Shows the drop-in before and after.
    support: full
seealso:
  - name: systemd.service
    description: Restart= and RestartSec=.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html
  - name: systemd.unit
    description: StartLimitIntervalSec= and StartLimitBurst=.
    link: https://www.freedesktop.org/software/systemd/man/latest/systemd.unit.html
"""

EXAMPLES = r"""
- name: Bring nginx back after a crash
  baobab.webstack.service_recovery:
    unit: nginx.service

- name: Restart PostgreSQL after a crash, keep the postmaster away from the OOM killer
  baobab.webstack.service_recovery:
    unit: postgresql@16-main.service
    oom_score_adjust: -900
"""

RETURN = r"""
path:
  description: Path of the drop-in.
  returned: always
  type: str
  sample: /etc/systemd/system/nginx.service.d/40-webstack-recovery.conf
content:
  description: Content of the drop-in (empty when O(state=absent)).
  returned: always
  type: str
"""

import os  # noqa: E402
import re  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._files import read_text, write_atomically  # noqa: E402

UNIT_RE = re.compile(r"^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.service$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")

RANGES = {
    "restart_sec": (0, 3600),
    "start_limit_interval_sec": (1, 86400),
    "start_limit_burst": (1, 1000),
    "oom_score_adjust": (-1000, 1000),
}


def check_params(params):
    """Problems with the parameters, each naming the option (empty when all is well)."""
    problems = []
    if not UNIT_RE.match(params["unit"]) or len(params["unit"]) > 255:
        problems.append("unit: %r is not a systemd service name (e.g. nginx.service)" % params["unit"])
    if not NAME_RE.match(params["name"]):
        problems.append("name: %r may only hold letters, digits, '_', '.' and '-'" % params["name"])
    for option, (low, high) in RANGES.items():
        value = params.get(option)
        if value is not None and not low <= value <= high:
            problems.append("%s: %s is outside %s..%s" % (option, value, low, high))
    return problems


def render(params):
    """The drop-in's text for the parameters."""
    lines = [
        "# Managed by Ansible (baobab.webstack.service_recovery): systemd starts",
        "# the service again when it dies, and gives up (unit failed) after",
        "# %d starts within %d s." % (params["start_limit_burst"], params["start_limit_interval_sec"]),
        "[Unit]",
        "StartLimitIntervalSec=%d" % params["start_limit_interval_sec"],
        "StartLimitBurst=%d" % params["start_limit_burst"],
        "",
        "[Service]",
        "Restart=%s" % params["restart"],
        "RestartSec=%d" % params["restart_sec"],
    ]
    if params.get("oom_score_adjust") is not None:
        lines.append("OOMScoreAdjust=%d" % params["oom_score_adjust"])
    return "\n".join(lines) + "\n"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            unit=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            name=dict(type="str", default="40-webstack-recovery"),
            restart=dict(
                type="str",
                choices=["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"],
                default="on-failure",
            ),
            restart_sec=dict(type="int", default=2),
            start_limit_interval_sec=dict(type="int", default=60),
            start_limit_burst=dict(type="int", default=5),
            oom_score_adjust=dict(type="int"),
            systemd_dir=dict(type="path", default="/etc/systemd/system"),
            daemon_reload=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = check_params(params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    path = os.path.join(params["systemd_dir"], params["unit"] + ".d", params["name"] + ".conf")
    before = read_text(path)
    after = render(params) if params["state"] == "present" else None
    changed = before != after
    result = dict(
        changed=changed,
        path=path,
        content=after or "",
        diff=dict(before=before or "", after=after or "", before_header=path, after_header=path),
    )
    if not changed or module.check_mode:
        module.exit_json(**result)

    try:
        if after is None:
            os.unlink(path)
        else:
            write_atomically(path, after, prefix=".recovery-")
    except OSError as exc:
        module.fail_json(msg="Could not write %s: %s" % (path, exc), **result)

    if params["daemon_reload"]:
        systemctl = module.get_bin_path("systemctl", required=True)
        rc, out, err = module.run_command([systemctl, "daemon-reload"])
        if rc != 0:
            module.fail_json(msg="systemctl daemon-reload failed (rc %d): %s" % (rc, (err or out).strip()), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
