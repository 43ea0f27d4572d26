"""Unit tests of the monitoring role's textfile collector: backup stamps,
configured jobs found by their timer units, and the systemd unit metrics
(systemctl is replaced by a stub on PATH)."""

import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "roles" / "monitoring" / "files" / "webstack-textfile-collector.py"


@pytest.fixture(scope="module")
def collector():
    spec = importlib.util.spec_from_file_location("webstack_textfile_collector", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cfg(tmp_path, **extra):
    cfg = {
        "backup_dir": str(tmp_path / "status"),
        "backup_timer_glob": str(tmp_path / "timers" / "webstack-backup-*.timer"),
        "backup_max_age_seconds": 100,
        "backup_max_age_overrides": {"db": 50},
    }
    cfg.update(extra)
    return cfg


def test_backup_stamps_configured_jobs_and_max_ages(collector, tmp_path):
    (tmp_path / "status").mkdir()
    (tmp_path / "timers").mkdir()
    (tmp_path / "status" / "db.last-success").write_text("1700000000\n")
    (tmp_path / "status" / "db.last-failure").write_text("1700000100\n")
    (tmp_path / "status" / "files.last-success").write_text("garbage")
    os.utime(tmp_path / "status" / "files.last-success", (1600000000, 1600000000))
    timer = tmp_path / "timers" / "webstack-backup-never.timer"
    timer.write_text("[Timer]\n")
    os.utime(timer, (1650000000, 1650000000))
    (tmp_path / "timers" / "webstack-backup-db.timer").write_text("[Timer]\n")
    out = []
    collector.backups(_cfg(tmp_path), out)
    text = "\n".join(out)
    assert 'webstack_backup_last_success_timestamp_seconds{backup="db"} 1700000000' in text
    assert 'webstack_backup_last_success_timestamp_seconds{backup="files"} 1600000000' in text
    assert 'webstack_backup_last_failure_timestamp_seconds{backup="db"} 1700000100' in text
    assert 'webstack_backup_configured{backup="never"} 1' in text
    assert 'webstack_backup_configured{backup="db"} 1' in text
    assert 'webstack_backup_configured{backup="files"}' not in text
    assert 'webstack_backup_configured_timestamp_seconds{backup="never"} 1650000000' in text
    assert 'webstack_backup_max_age_seconds{backup="db"} 50' in text
    assert 'webstack_backup_max_age_seconds{backup="never"} 100' in text
    assert 'webstack_backup_max_age_seconds{backup="files"} 100' in text


def test_missing_directories_export_no_series(collector, tmp_path):
    out = []
    collector.backups(_cfg(tmp_path), out)
    assert not [line for line in out if not line.startswith("#")]


def test_parse_unit_properties(collector):
    text = "Id=a.service\nActiveState=failed\nNRestarts=5\n\nId=b.service\nActiveState=active\nNRestarts=0\n"
    assert collector.parse_unit_properties(text) == [
        {"Id": "a.service", "ActiveState": "failed", "NRestarts": "5"},
        {"Id": "b.service", "ActiveState": "active", "NRestarts": "0"},
    ]


def test_systemd_units_through_systemctl(collector, tmp_path, monkeypatch):
    stub = tmp_path / "systemctl"
    stub.write_text(
        "#!/bin/sh\n"
        'echo "$@" >> "$(dirname "$0")/calls"\n'
        'case "$1" in\n'
        "  list-units) printf 'nginx.service loaded failed failed nginx\\n"
        "php8.2-fpm.service loaded active running PHP\\n' ;;\n"
        "  show) printf 'Id=nginx.service\\nActiveState=failed\\nNRestarts=5\\n\\n"
        "Id=php8.2-fpm.service\\nActiveState=active\\nNRestarts=0\\n' ;;\n"
        "esac\n"
    )
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = []
    collector.systemd_units({"watched_units": ["nginx.service", "php*-fpm.service"]}, out)
    text = "\n".join(out)
    assert 'webstack_systemd_unit_failed{unit="nginx.service"} 1' in text
    assert 'webstack_systemd_unit_failed{unit="php8.2-fpm.service"} 0' in text
    assert 'webstack_systemd_unit_restarts_total{unit="nginx.service"} 5' in text
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0].startswith("list-units --all --plain --no-legend") and calls[0].endswith("php*-fpm.service")
    # one show call for every unit
    assert len(calls) == 2 and calls[1].endswith("nginx.service php8.2-fpm.service")


def test_no_watched_units_runs_no_systemctl(collector):
    out = []
    collector.systemd_units({"watched_units": []}, out)
    assert all(line.startswith("#") for line in out)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
