# -*- coding: utf-8 -*-
# Copyright: baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed command said, in one line, for a deployment's message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: failure_text
short_description: The words of a failed task's result, in one line
description:
  - Returns what explains a failure best, as one line of text (runs of white space folded
    into one space). That is the trimmed standard error of a command; when it is empty,
    the last O(limit) characters of its non-empty standard output lines joined with spaces;
    when both are empty, the result's C(msg).
  - Returns an empty string for a result without any of these (a task that was skipped or
    never ran).
options:
  _input:
    description: A registered task result.
    type: dict
    required: true
  limit:
    description: How many characters of standard output to keep (its end).
    type: int
    default: 400
author: baobab.webstack contributors
"""

EXAMPLES = r"""
- name: Stop the deployment naming what the migration said
  ansible.builtin.fail:
    msg: "The migration failed: {{ migration | baobab.webstack.failure_text }}"
"""

RETURN = r"""
_value:
  description: The failure's text, possibly empty.
  type: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402


def _one_line(text):
    return " ".join(str(text).split())


def failure_text(result, limit=400):
    if result is None:
        return ""
    if not isinstance(result, dict):
        raise AnsibleFilterError("failure_text expects a registered task result (a mapping)")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise AnsibleFilterError("failure_text: limit must be a positive integer")
    stderr = _one_line(result.get("stderr") or "")
    if stderr:
        return stderr
    lines = result.get("stdout_lines")
    if lines is None:
        lines = str(result.get("stdout") or "").splitlines()
    stdout = _one_line(" ".join(str(line) for line in lines if str(line).strip()))
    if stdout:
        return stdout[-limit:]
    return _one_line(result.get("msg") or "")


class FilterModule:
    def filters(self):
        return {"failure_text": failure_text}
