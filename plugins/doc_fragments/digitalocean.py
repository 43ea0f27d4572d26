# -*- coding: utf-8 -*-
# Copyright: (c) baobab.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - DigitalOcean personal access token (sent as a bearer token).
      - Falls back to the E(DIGITALOCEAN_TOKEN) then E(DO_API_TOKEN) environment variables.
      - Set it once for every module with C(module_defaults) and C(group/baobab.webstack.digitalocean).
    type: str
    aliases: [oauth_token]
  api_url:
    description:
      - Base URL of the API, including the version.
      - Falls back to the E(DIGITALOCEAN_API_URL) environment variable. Tests point it at a local server.
    type: str
    default: https://api.digitalocean.com/v2
  request_timeout:
    description:
      - Seconds to wait for one HTTP response.
    type: int
    default: 30
  max_retries:
    description:
      - How many times a call is retried after HTTP 429, a 5xx status or no response at all.
      - HTTP 429 and a connection refused before the request was sent are retried for every call. A 5xx status or a
        network failure (a timeout, a reset) is retried only for reads and idempotent writes (C(GET), C(PUT),
        C(PATCH)).
      - A create (C(POST)) or delete whose outcome is unknown is never sent again. The module looks the resource up
        by its key (name, region, fingerprint...); a created resource is adopted (with a warning), a deleted one is
        confirmed gone; otherwise the task fails naming the call and its HTTP status.
      - A 429 waits for C(Retry-After) (or until C(ratelimit-reset)); other retries back off exponentially.
    type: int
    default: 5
  wait:
    description:
      - Wait until asynchronous work (actions, new resources) is finished before returning.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for asynchronous work before failing.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two polls while waiting.
    type: float
    default: 5.0
notes:
  - All HTTP, retry, pagination and polling logic is shared by the DigitalOcean modules of this collection.
  - Options are checked (empty names, ranges, required combinations) before the first request is sent.
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Check mode reports what would change and never sends a write request.
  diff_mode:
    support: full
    description: Returns the resource before and after the change.
  action_group:
    description: Use C(group/baobab.webstack.digitalocean) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - baobab.webstack.digitalocean
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: This module never changes anything.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to compare.
  action_group:
    description: Use C(group/baobab.webstack.digitalocean) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - baobab.webstack.digitalocean
"""
