"""The monolith scenario's tests use the helpers shared with the laravel
scenario (molecule/_shared/webstack_testlib.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import (  # noqa: F401
    EPHEMERAL,
    INVENTORY,
    PROJECT,
    ROOT,
    Load,
    build,
    check_postgis_distance,
    deploy,
    http,
    live_release,
    playbook,
    recap,
    run_job,
    wait_for_heartbeat,
    with_failing_health,
    with_failing_migration,
)

CONTAINER = "monolith-deb12"
BASE = "https://127.0.0.1"


def https(host, method, path, body=None):
    """Call the site over TLS from the host itself (self-signed certificate)."""
    return http(host, method, path, body, base=BASE)
