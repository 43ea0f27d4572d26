"""Attacks on a service's crash recovery, shared by the role scenarios: kill
the main process with SIGKILL and wait for systemd to bring it back, stop it
and check it stays stopped, kill it in a loop and check systemd gives up.

Each function takes a testinfra host, the unit name and a shell probe that
exits 0 when the service answers (curl, pg_isready, redis-cli ping ...)."""

import os
import time
from pathlib import Path

# Each measured recovery is appended here (git-ignored), for the reliability
# figures of the README.
TIMES = Path(__file__).resolve().parents[2] / "build" / "recovery-times.tsv"
RECOVERY_DROP_IN = "40-webstack-recovery.conf"


def unit_props(host, unit, *names):
    out = host.run(f"systemctl show {unit} " + " ".join(f"-p {n}" for n in names))
    assert out.rc == 0, out.stderr
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def main_pid(host, unit):
    return int(unit_props(host, unit, "MainPID")["MainPID"])


def wait_until(predicate, timeout, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def answers(host, probe):
    return host.run(probe).rc == 0


def restore(host, unit, probe):
    """Back to a running, answering service after an attack, whatever it left."""
    host.run(f"systemctl reset-failed {unit}; systemctl start {unit}")
    assert wait_until(lambda: answers(host, probe), 30), f"{unit} did not come back after the test"


def kill_main(host, unit):
    """SIGKILL to the unit's main process; returns the killed PID."""
    pid = main_pid(host, unit)
    assert pid > 0, f"{unit} has no main process"
    assert host.run(f"kill -9 {pid}").rc == 0
    return pid


def recovers_from_kill(host, unit, probe, within=30):
    """Seconds from SIGKILL of the main process to the probe answering again
    with a new main process; fails when that takes longer than `within`."""
    killed = kill_main(host, unit)
    start = time.monotonic()
    ok = wait_until(lambda: main_pid(host, unit) not in (0, killed) and answers(host, probe), within)
    elapsed = time.monotonic() - start
    state = unit_props(host, unit, "ActiveState", "Result", "NRestarts")
    assert ok, f"{unit} did not come back within {within} s of kill -9 (state {state})"
    TIMES.parent.mkdir(exist_ok=True)
    with TIMES.open("a", encoding="utf-8") as out:
        scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "?")
        out.write(f"{scenario}\t{host.backend.get_hostname()}\t{unit}\t{elapsed:.1f}\n")
    return elapsed


def stays_stopped(host, unit, probe, wait=8):
    """`systemctl stop` still stops the service for good."""
    try:
        assert host.run(f"systemctl stop {unit}").rc == 0
        time.sleep(wait)
        state = unit_props(host, unit, "ActiveState")["ActiveState"]
        assert state in ("inactive", "failed"), f"{unit} is {state} after systemctl stop"
        assert not answers(host, probe), f"{unit} answers after systemctl stop"
    finally:
        restore(host, unit, probe)


def crash_loop_ends_failed(host, unit, probe, kills=6, within=60, restore_after=True):
    """Killed `kills` times within `within` seconds, the unit ends failed
    instead of spinning. With `restore_after` false the unit is left failed,
    for a test of what brings it back."""
    start = time.monotonic()
    try:
        for _ in range(kills):
            if unit_props(host, unit, "ActiveState")["ActiveState"] == "failed":
                break
            pid = main_pid(host, unit)
            if pid:
                host.run(f"kill -9 {pid}")
            wait_until(
                lambda pid=pid: (
                    main_pid(host, unit) not in (0, pid)
                    or unit_props(host, unit, "ActiveState")["ActiveState"] == "failed"
                ),
                20,
            )
        assert time.monotonic() - start < within, "the kills took longer than the start-limit window"
        assert wait_until(lambda: unit_props(host, unit, "ActiveState")["ActiveState"] == "failed", 15), (
            f"{unit} still restarting after {kills} kills: {unit_props(host, unit, 'ActiveState', 'NRestarts')}"
        )
        # and stays failed: systemd gave up, nothing restarts it behind our back
        time.sleep(5)
        final = unit_props(host, unit, "ActiveState", "MainPID")
        assert final == {"ActiveState": "failed", "MainPID": "0"}, final
        assert not answers(host, probe)
    finally:
        if restore_after:
            restore(host, unit, probe)
