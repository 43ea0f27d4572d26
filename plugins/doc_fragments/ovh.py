# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Authentication and transport options shared by every OVHcloud module.
    DOCUMENTATION = r"""
options:
  endpoint:
    description:
      - OVHcloud API endpoint (region of the account).
      - Falls back to the E(OVH_ENDPOINT) environment variable.
    type: str
    choices: [ovh-eu, ovh-ca, ovh-us]
    default: ovh-eu
  application_key:
    description:
      - Application key of the API application.
      - Falls back to the E(OVH_APPLICATION_KEY) environment variable.
    type: str
  application_secret:
    description:
      - Application secret of the API application.
      - Falls back to the E(OVH_APPLICATION_SECRET) environment variable.
    type: str
  consumer_key:
    description:
      - Consumer key authorising the application on the account.
      - Falls back to the E(OVH_CONSUMER_KEY) environment variable.
    type: str
  api_url:
    description:
      - Base URL of the API, for example C(https://eu.api.ovh.com/1.0).
      - Overrides the URL that O(endpoint) selects; used for private gateways and local test servers.
      - Falls back to the E(OVH_API_URL) environment variable.
    type: str
  api_timeout:
    description:
      - Timeout in seconds of one HTTP request.
    type: int
    default: 60
  api_retries:
    description:
      - How many times a request is retried, with exponential backoff.
      - HTTP 429 and a connection refused before the request was sent are retried for every request. HTTP 500, 502,
        503, 504 and network failures (timeouts, resets) are retried only for reads and idempotent writes (C(GET),
        C(PUT)).
      - A create (C(POST)) or delete whose outcome is unknown is never sent again. The module looks the resource up
        by its key (name, region...); a created resource is adopted (with a warning), a deleted one is confirmed
        gone; otherwise the task fails naming the call and its HTTP status.
      - An error answer that is not JSON (an HTML page from a gateway) is reported with its HTTP status and a short
        excerpt.
    type: int
    default: 5
requirements:
  - ovh (Python library, on the host that runs the module)
notes:
  - Every request is signed with the application secret and consumer key by the official C(ovh) client library.
  - Options are checked (empty names, ranges, ports, CIDRs) before the first request is sent.
"""

    # The Public Cloud project the resource lives in.
    CLOUD = r"""
options:
  service_name:
    description:
      - ID of the Public Cloud project.
      - Falls back to the E(OVH_CLOUD_PROJECT_SERVICE) environment variable.
    type: str
    required: true
"""

    # Waiting for asynchronous resources.
    WAIT = r"""
options:
  wait:
    description:
      - Wait until the resource is ready (or gone) before returning.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds, before failing.
      - Falls back to the E(OVH_WAIT_TIMEOUT) environment variable.
    type: int
    default: 900
  poll_interval:
    description:
      - Seconds between two status checks while waiting.
      - Falls back to the E(OVH_POLL_INTERVAL) environment variable.
    type: float
    default: 5.0
"""

    # Membership of the action group that module_defaults can address.
    ACTIONGROUP = r"""
attributes:
  action_group:
    description: Use C(group/baobab.webstack.ovh) in C(module_defaults) to set defaults (credentials, endpoint...)
      for this module and the other OVHcloud modules.
    support: full
    membership:
      - baobab.webstack.ovh
"""
