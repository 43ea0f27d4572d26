"""The laravel scenario's tests use the helpers shared with the monolith
scenario (molecule/_shared/webstack_testlib.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))

from webstack_testlib import (  # noqa: F401
    EPHEMERAL,
    INVENTORY,
    ROOT,
    build,
    check_postgis_distance,
    http,
    live_release,
    mitogen_args,
    patched,
    playbook,
    recap,
    run_job,
    scheduler_ticks_once_a_minute,
    wait_for_heartbeat,
    with_failing_migration,
)
