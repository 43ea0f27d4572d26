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
  - With O(verify), the changed files are checked together with C(systemd-analyze verify) first;
    when systemd refuses one, none is written.
  - O(absent) removes units in the same call (a disabled job's timer, say), with the same single reload.
version_added: 0.3.0
author:
  - baobab.webstack maintainers (@baobab)
options:
  files:
    description: The unit files.
    type: list
    elements: dict
    suboptions:
      path:
        description: Absolute path of the unit file, in O(systemd_dir).
        type: path
        required: true
      content:
        description: The file's content.
        type: str
        required: true
    default: []
  absent:
    description: Unit files to remove when present, in O(systemd_dir).
    type: list
    elements: path
    default: []
  verify:
    description:
      - Check the changed files with C(systemd-analyze verify) before any is written, in a scratch
        directory under their own names (so a timer is checked beside its service).
      - systemd also checks that each C(ExecStart=) command exists and is executable on the host.
      - Not in check mode, like the C(validate) of M(ansible.builtin.template), since the commands may be
        installed by tasks that check mode skips.
    type: bool
    default: false
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
  description: The files that were (or, in check mode, would be) written or removed.
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/app-worker@.service]
"""

import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._files import read_text, write_atomically  # noqa: E402


def _attributes_differ(path):
    st = os.stat(path)
    return st.st_uid != 0 or st.st_gid != 0 or (st.st_mode & 0o7777) != 0o644


def verify(module, entries):
    """systemd-analyze verify on copies of ``entries`` (path, content) under
    their own names; None when systemd accepts them, else its words with the
    scratch paths replaced by the real ones."""
    scratch = tempfile.mkdtemp(prefix="webstack-units-")
    try:
        copies = []
        for path, content in entries:
            copy = os.path.join(scratch, os.path.basename(path))
            with open(copy, "w", encoding="utf-8") as handle:
                handle.write(content)
            copies.append(copy)
        rc, out, err = module.run_command(["systemd-analyze", "verify", "--man=no", *copies])
        if rc == 0:
            return None
        said = (err or out).strip()
        for path, _content in entries:
            said = said.replace(os.path.join(scratch, os.path.basename(path)), path)
        return "exit %s: %s" % (rc, said.replace(scratch + "/", ""))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(path=dict(type="path", required=True), content=dict(type="str", required=True)),
            ),
            absent=dict(type="list", elements="path", default=[]),
            verify=dict(type="bool", default=False),
            systemd_dir=dict(type="path", default="/etc/systemd/system"),
            daemon_reload=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    base = os.path.normpath(module.params["systemd_dir"])
    seen = set()
    for what, path in [("files", e["path"]) for e in module.params["files"]] + [
        ("absent", p) for p in module.params["absent"]
    ]:
        norm = os.path.normpath(path)
        if os.path.dirname(norm) != base:
            module.fail_json(msg="%s: %s is not a file directly in %s" % (what, path, base))
        if norm in seen:
            module.fail_json(msg="%s: %s is given twice" % (what, norm))
        seen.add(norm)

    writes, diffs = [], []
    for entry in module.params["files"]:
        path = os.path.normpath(entry["path"])
        before = read_text(path)
        if before == entry["content"] and not _attributes_differ(path):
            continue
        writes.append((path, entry["content"]))
        diffs.append(dict(before=before or "", after=entry["content"], before_header=path, after_header=path))
    removals = [os.path.normpath(p) for p in module.params["absent"] if os.path.lexists(p)]
    for path in removals:
        diffs.append(dict(before=read_text(path) or "", after="", before_header=path, after_header="(absent)"))
    changed = [path for path, _content in writes] + removals

    # like the template module's validate, not in check mode: the commands
    # the units start may be installed by tasks that check mode skips
    if writes and module.params["verify"] and not module.check_mode:
        refused = verify(module, writes)
        if refused:
            module.fail_json(
                msg="systemd-analyze verify refused the units (%s); none was written. systemd said %s"
                % (", ".join(os.path.basename(p) for p, _c in writes), refused),
                changed_paths=[],
            )
    if not module.check_mode:
        done = []
        for path, content in writes:
            try:
                write_atomically(path, content, prefix=".unit-")
                os.chown(path, 0, 0)
            except OSError as exc:
                module.fail_json(msg="writing %s failed: %s" % (path, exc), changed_paths=done)
            done.append(path)
        for path in removals:
            try:
                os.unlink(path)
            except OSError as exc:
                module.fail_json(msg="removing %s failed: %s" % (path, exc), changed_paths=done)
            done.append(path)

    if changed and module.params["daemon_reload"] and not module.check_mode:
        rc, out, err = module.run_command(["systemctl", "daemon-reload"])
        if rc != 0:
            module.fail_json(
                msg="systemctl daemon-reload failed (exit %s): %s" % (rc, (err or out).strip()), changed_paths=changed
            )
    module.exit_json(changed=bool(changed), changed_paths=changed, diff=diffs)


if __name__ == "__main__":
    main()
