#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: unit_files
short_description: Install several systemd unit files and reload systemd once, in one call
description:
  - Writes each unit file whose content differs (atomically, owned by root, mode C(0644)) and runs
    C(systemctl daemon-reload) once when any of them changed. Unchanged files are not touched.
  - Replaces a C(template) task per unit plus a reload task, with one round trip for all the units
    of a role. The content is rendered on the controller, for example with the
    C(ansible.builtin.template) lookup.
version_added: 0.3.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  files:
    description: The unit files.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the unit file, in O(systemd_dir).
        type: path
        required: true
      content:
        description: The file's content.
        type: str
        required: true
  systemd_dir:
    description: The only directory the files may be written to. Only tests change it.
    type: path
    default: /etc/systemd/system
  daemon_reload:
    description: Run C(systemctl daemon-reload) when a file changed.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reports which files would change, writes nothing.
    support: full
  diff_mode:
    description: Shows each changed file before and after.
    support: full
"""

EXAMPLES = r"""
- name: Install the worker and scheduler units
  baobab.webstack.unit_files:
    files:
      - path: /etc/systemd/system/app-worker@.service
        content: "{{ lookup('ansible.builtin.template', 'worker@.service.j2') }}"
      - path: /etc/systemd/system/app-scheduler.timer
        content: "{{ lookup('ansible.builtin.template', 'scheduler.timer.j2') }}"
  register: units

- name: Restart the workers when their unit changed
  ansible.builtin.systemd_service:
    name: app-worker@1.service
    state: restarted
  when: "'/etc/systemd/system/app-worker@.service' in units.changed_paths"
"""

RETURN = r"""
changed_paths:
  description: The files that were (or, in check mode, would be) written.
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/app-worker@.service]
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._files import read_text, write_atomically  # noqa: E402


def _attributes_differ(path):
    st = os.stat(path)
    return st.st_uid != 0 or st.st_gid != 0 or (st.st_mode & 0o7777) != 0o644


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(path=dict(type="path", required=True), content=dict(type="str", required=True)),
            ),
            systemd_dir=dict(type="path", default="/etc/systemd/system"),
            daemon_reload=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    base = os.path.normpath(module.params["systemd_dir"])
    seen = set()
    for entry in module.params["files"]:
        path = os.path.normpath(entry["path"])
        if os.path.dirname(path) != base:
            module.fail_json(msg="files: %s is not a file directly in %s" % (entry["path"], base))
        if path in seen:
            module.fail_json(msg="files: %s is given twice" % path)
        seen.add(path)

    changed, diffs = [], []
    for entry in module.params["files"]:
        path = os.path.normpath(entry["path"])
        before = read_text(path)
        if before == entry["content"] and not _attributes_differ(path):
            continue
        changed.append(path)
        diffs.append(dict(before=before or "", after=entry["content"], before_header=path, after_header=path))
        if not module.check_mode:
            try:
                write_atomically(path, entry["content"], prefix=".unit-")
                os.chown(path, 0, 0)
            except OSError as exc:
                module.fail_json(msg="writing %s failed: %s" % (path, exc), changed_paths=changed)

    if changed and module.params["daemon_reload"] and not module.check_mode:
        rc, out, err = module.run_command(["systemctl", "daemon-reload"])
        if rc != 0:
            module.fail_json(
                msg="systemctl daemon-reload failed (exit %s): %s" % (rc, (err or out).strip()), changed_paths=changed
            )
    module.exit_json(changed=bool(changed), changed_paths=changed, diff=diffs)


if __name__ == "__main__":
    main()
