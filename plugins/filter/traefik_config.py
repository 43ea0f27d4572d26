# -*- coding: utf-8 -*-
# Copyright: baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that list the problems of a Traefik configuration before it is written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: traefik_static_errors
short_description: Problems of a Traefik v3 static configuration
description:
  - Checks the structure of a static configuration (entry points, certificate resolvers,
    providers, metrics, API, logs) and returns the list of problems, empty when none.
  - The filter C(traefik_dynamic_errors) does the same for a file provider's dynamic
    configuration, including references between routers, services and middlewares.
options:
  _input:
    description: The configuration as a mapping.
    type: dict
    required: true
  labels:
    description: Top-level section name to role variable name, used in the messages.
    type: dict
author: baobab.webstack contributors
"""

EXAMPLES = r"""
- name: Stop on a broken configuration
  ansible.builtin.assert:
    that: (config | baobab.webstack.traefik_static_errors) | length == 0
"""

RETURN = r"""
_value:
  description: One message per problem, each naming the variable and the path.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.baobab.webstack.plugins.module_utils._traefik_config import (  # noqa: E402
    validate_dynamic,
    validate_static,
)


def traefik_static_errors(config, labels=None):
    if labels is not None and not isinstance(labels, dict):
        raise AnsibleFilterError("traefik_static_errors: labels must be a mapping")
    return validate_static(config, labels)


def traefik_dynamic_errors(config, static=None, labels=None):
    if labels is not None and not isinstance(labels, dict):
        raise AnsibleFilterError("traefik_dynamic_errors: labels must be a mapping")
    return validate_dynamic(config, static, labels)


class FilterModule:
    def filters(self):
        return {
            "traefik_static_errors": traefik_static_errors,
            "traefik_dynamic_errors": traefik_dynamic_errors,
        }
