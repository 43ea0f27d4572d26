"""Writes webstack metrics for node exporter's textfile collector.

Reads its settings from the JSON file named on the command line and writes
<textfile_dir>/webstack.prom atomically:

- webstack_backup_last_success_timestamp_seconds{backup} and
  webstack_backup_max_age_seconds{backup}, from <backup_dir>/<job>.last-success
  (the Unix time inside the file, or its modification time);
- webstack_queue_workers_active / webstack_queue_workers_expected, from the
  systemd units that match the worker pattern;
- webstack_php_fpm_up and the pool counters of the PHP-FPM status page.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request


def esc(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def backups(cfg, out):
    directory = cfg["backup_dir"]
    out.append("# HELP webstack_backup_last_success_timestamp_seconds Unix time of the last successful backup.")
    out.append("# TYPE webstack_backup_last_success_timestamp_seconds gauge")
    ages = []
    names = sorted(n for n in os.listdir(directory) if n.endswith(".last-success")) if os.path.isdir(directory) else []
    for name in names:
        job = name[: -len(".last-success")]
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                stamp = float(handle.read().strip())
        except (OSError, ValueError):
            stamp = os.stat(path).st_mtime
        out.append(f'webstack_backup_last_success_timestamp_seconds{{backup="{esc(job)}"}} {stamp:.0f}')
        ages.append((job, cfg["backup_max_age_overrides"].get(job, cfg["backup_max_age_seconds"])))
    out.append("# HELP webstack_backup_max_age_seconds Age after which a backup counts as missed.")
    out.append("# TYPE webstack_backup_max_age_seconds gauge")
    for job, age in ages:
        out.append(f'webstack_backup_max_age_seconds{{backup="{esc(job)}"}} {int(age)}')


def workers(cfg, out):
    result = subprocess.run(
        [
            "systemctl",
            "list-units",
            "--state=active",
            "--plain",
            "--no-legend",
            "--type=service",
            cfg["worker_unit_pattern"],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    active = len([line for line in result.stdout.splitlines() if line.strip()])
    out.append("# HELP webstack_queue_workers_active Active queue worker units.")
    out.append("# TYPE webstack_queue_workers_active gauge")
    out.append(f"webstack_queue_workers_active {active}")
    out.append("# HELP webstack_queue_workers_expected Queue worker units that should run here.")
    out.append("# TYPE webstack_queue_workers_expected gauge")
    out.append(f"webstack_queue_workers_expected {int(cfg['worker_units_expected'])}")


def php_fpm(cfg, out):
    url = cfg.get("php_fpm_status_url")
    if not url:
        return
    status = {}
    try:
        with urllib.request.urlopen(url + "?json", timeout=5) as response:  # noqa: S310 - private listener
            status = json.loads(response.read())
        up = 1
    except (OSError, ValueError):
        up = 0
    out.append("# HELP webstack_php_fpm_up Whether the PHP-FPM status page answered.")
    out.append("# TYPE webstack_php_fpm_up gauge")
    out.append(f"webstack_php_fpm_up {up}")
    fields = {
        "active processes": "active_processes",
        "idle processes": "idle_processes",
        "listen queue": "listen_queue",
        "max children reached": "max_children_reached",
        "slow requests": "slow_requests",
        "accepted conn": "accepted_connections",
    }
    pool = esc(status.get("pool", ""))
    for key, metric in fields.items():
        if key in status:
            out.append(f"# TYPE webstack_php_fpm_{metric} gauge")
            out.append(f'webstack_php_fpm_{metric}{{pool="{pool}"}} {status[key]}')


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        cfg = json.load(handle)
    out = []
    backups(cfg, out)
    workers(cfg, out)
    php_fpm(cfg, out)
    directory = cfg["textfile_dir"]
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".webstack.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(directory, "webstack.prom"))


if __name__ == "__main__":
    main()
