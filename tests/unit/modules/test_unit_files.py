"""unit_files run as a real module (a JSON arguments file) against a
temporary unit directory: what it writes, what it leaves alone, what it
refuses, what it removes, and the systemd-analyze check that keeps a unit
systemd refuses from being written. daemon_reload is off here (no systemd
on the controller); the molecule scenarios run it with the reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the module sets root ownership")


def run(unit_dir, files, check_mode=False, diff=False, **over):
    args = {
        "files": files,
        "systemd_dir": str(unit_dir),
        "daemon_reload": False,
        **over,
    }
    return run_module("unit_files", args, unit_dir.parent, check_mode=check_mode, diff=diff)


@pytest.fixture
def unit_dir(tmp_path):
    d = tmp_path / "system"
    d.mkdir()
    return d


def units(d):
    return [
        {"path": str(d / "app-worker@.service"), "content": "[Service]\nExecStart=/bin/true\n"},
        {"path": str(d / "app-scheduler.timer"), "content": "[Timer]\nOnCalendar=minutely\n"},
    ]


def test_new_units_are_written_root_0644_and_a_rerun_changes_nothing(unit_dir):
    out = run(unit_dir, units(unit_dir))
    assert out["changed"] and len(out["changed_paths"]) == 2, out
    for entry in units(unit_dir):
        path = Path(entry["path"])
        assert path.read_text() == entry["content"]
        st = path.stat()
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o644)
    again = run(unit_dir, units(unit_dir))
    assert not again["changed"] and again["changed_paths"] == [], again


def test_only_the_changed_unit_is_written(unit_dir):
    run(unit_dir, units(unit_dir))
    timer = unit_dir / "app-scheduler.timer"
    before = timer.stat().st_mtime_ns
    files = units(unit_dir)
    files[0]["content"] += "Restart=on-failure\n"
    out = run(unit_dir, files, diff=True)
    assert out["changed_paths"] == [files[0]["path"]], out
    assert timer.stat().st_mtime_ns == before
    assert out["diff"][0]["after"].endswith("Restart=on-failure\n")


def test_a_wrong_mode_is_put_right(unit_dir):
    run(unit_dir, units(unit_dir))
    (unit_dir / "app-scheduler.timer").chmod(0o666)
    out = run(unit_dir, units(unit_dir))
    assert out["changed_paths"] == [str(unit_dir / "app-scheduler.timer")], out
    assert (unit_dir / "app-scheduler.timer").stat().st_mode & 0o777 == 0o644


def test_check_mode_writes_nothing(unit_dir):
    out = run(unit_dir, units(unit_dir), check_mode=True)
    assert out["changed"] and len(out["changed_paths"]) == 2, out
    assert list(unit_dir.iterdir()) == []


@pytest.mark.parametrize(
    "path, message",
    [
        ("/etc/passwd", "is not a file directly in"),
        ("{d}/sub/app.service", "is not a file directly in"),
        ("{d}/../escape.service", "is not a file directly in"),
        ("{d}/app-worker@.service", "is given twice"),
    ],
)
def test_a_path_outside_the_unit_directory_or_twice_is_refused(unit_dir, path, message):
    files = [*units(unit_dir), {"path": path.format(d=unit_dir), "content": "x\n"}]
    out = run(unit_dir, files)
    assert out["failed"] and message in out["msg"], out
    assert list(unit_dir.iterdir()) == []


HAS_ANALYZE = Path("/usr/bin/systemd-analyze").exists() or Path("/bin/systemd-analyze").exists()
JOB = "[Unit]\nDescription=job\n[Service]\nType=oneshot\nExecStart=/bin/true\n"
TIMER = "[Unit]\nDescription=job\n[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n"


@pytest.mark.skipif(not HAS_ANALYZE, reason="systemd-analyze is not installed here")
def test_verify_accepts_good_units_and_writes_them(unit_dir):
    files = [
        {"path": str(unit_dir / "webstack-job.service"), "content": JOB},
        {"path": str(unit_dir / "webstack-job.timer"), "content": TIMER},
    ]
    out = run(unit_dir, files, verify=True)
    assert out["changed"] and not out.get("failed") and len(out["changed_paths"]) == 2, out


@pytest.mark.skipif(not HAS_ANALYZE, reason="systemd-analyze is not installed here")
@pytest.mark.parametrize(
    "bad, said",
    [
        (TIMER.replace("daily", "not-a-date"), "webstack-job.timer"),
        (JOB.replace("/bin/true", "/nonexistent/bin/job"), "/nonexistent/bin/job"),
    ],
)
def test_verify_refuses_a_unit_systemd_rejects_and_writes_none(unit_dir, bad, said):
    good = {"path": str(unit_dir / "webstack-job.service"), "content": JOB}
    old_timer = unit_dir / "webstack-job.timer"
    old_timer.write_text(TIMER)
    name = "webstack-job.timer" if "Timer" in bad else "webstack-other.service"
    files = [good, {"path": str(unit_dir / name), "content": bad}]
    check = run(unit_dir, files, check_mode=True, verify=True)
    assert check["changed"] and not check.get("failed"), check
    out = run(unit_dir, files, verify=True)
    assert out["failed"] and "systemd-analyze verify refused the units" in out["msg"], out
    assert said in out["msg"] and "none was written" in out["msg"], out
    # the scratch directory is not what the message points at
    assert "webstack-units-" not in out["msg"], out
    assert not (unit_dir / "webstack-job.service").exists()
    assert old_timer.read_text() == TIMER
    assert not (unit_dir / "webstack-other.service").exists()


def test_absent_units_are_removed_in_the_same_call_and_a_rerun_changes_nothing(unit_dir):
    run(unit_dir, units(unit_dir))
    stale = unit_dir / "webstack-old.timer"
    stale.write_text(TIMER)
    keep = units(unit_dir)[:1]
    absent = [str(stale), str(unit_dir / "never-there.service")]
    check = run(unit_dir, keep, check_mode=True, absent=absent)
    assert check["changed_paths"] == [str(stale)] and stale.exists(), check
    out = run(unit_dir, keep, absent=absent)
    assert out["changed"] and out["changed_paths"] == [str(stale)], out
    assert not stale.exists() and (unit_dir / "app-worker@.service").exists()
    again = run(unit_dir, keep, absent=absent)
    assert not again["changed"], again


def test_an_absent_path_outside_the_unit_directory_is_refused(unit_dir, tmp_path):
    victim = tmp_path / "victim.service"
    victim.write_text("keep\n")
    out = run(unit_dir, [], absent=[str(victim)])
    assert out["failed"] and "absent: " in out["msg"] and "is not a file directly in" in out["msg"], out
    assert victim.read_text() == "keep\n"
