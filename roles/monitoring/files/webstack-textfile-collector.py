"""Writes webstack metrics for node exporter's textfile collector.

Reads its settings from the JSON file named on the command line and writes
<textfile_dir>/webstack.prom atomically:

- webstack_backup_last_success_timestamp_seconds{backup} and
  webstack_backup_last_failure_timestamp_seconds{backup}, from
  <backup_dir>/<job>.last-success and <job>.last-failure (the Unix time inside
  the file, or its modification time); webstack_backup_configured{backup} and
  webstack_backup_configured_timestamp_seconds{backup} (the modification time
  of the timer unit) for each job whose timer matches backup_timer_glob; and
  webstack_backup_max_age_seconds{backup} for every job seen either way;
- webstack_systemd_unit_failed{unit} and webstack_systemd_unit_restarts_total{unit}
  (systemd's NRestarts) for the units matching the watched_units globs;
- webstack_queue_workers_active / webstack_queue_workers_expected, from the
  systemd units that match the worker pattern;
- webstack_php_fpm_up and the pool counters of the PHP-FPM status page;
- webstack_http_requests_total{log,code} and the histogram
  webstack_http_request_duration_seconds{log}, from the web server's access
  logs (the status after the quoted request line, the duration from an
  `rt=<seconds>` field as in the nginx role's log format). Only lines written
  since the previous run are read (offsets in the state file); the counters
  are kept there too, so they only grow, as Prometheus counters must.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request


def esc(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _stamp(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return float(handle.read().strip())
    except ValueError:
        return os.stat(path).st_mtime


def _stamps(directory, suffix):
    found = {}
    if not os.path.isdir(directory):
        return found
    for name in sorted(os.listdir(directory)):
        if not name.endswith(suffix):
            continue
        try:
            found[name[: -len(suffix)]] = _stamp(os.path.join(directory, name))
        except OSError:
            continue
    return found


def configured_jobs(pattern):
    """{job: timer mtime} for the timer units matching the glob; the job is
    the part of the file name the `*` stands for."""
    if not pattern:
        return {}
    prefix, _star, suffix = os.path.basename(pattern).partition("*")
    jobs = {}
    for path in sorted(glob.glob(pattern)):
        name = os.path.basename(path)
        job = name[len(prefix) : len(name) - len(suffix)] if suffix else name[len(prefix) :]
        try:
            jobs[job] = os.stat(path).st_mtime
        except OSError:
            continue
    return jobs


def backups(cfg, out):
    directory = cfg["backup_dir"]
    successes = _stamps(directory, ".last-success")
    failures = _stamps(directory, ".last-failure")
    configured = configured_jobs(cfg.get("backup_timer_glob", ""))
    out.append("# HELP webstack_backup_last_success_timestamp_seconds Unix time of the last successful backup.")
    out.append("# TYPE webstack_backup_last_success_timestamp_seconds gauge")
    for job, stamp in successes.items():
        out.append(f'webstack_backup_last_success_timestamp_seconds{{backup="{esc(job)}"}} {stamp:.0f}')
    out.append("# HELP webstack_backup_last_failure_timestamp_seconds Unix time of the last failed backup job run.")
    out.append("# TYPE webstack_backup_last_failure_timestamp_seconds gauge")
    for job, stamp in failures.items():
        out.append(f'webstack_backup_last_failure_timestamp_seconds{{backup="{esc(job)}"}} {stamp:.0f}')
    out.append("# HELP webstack_backup_configured Backup jobs whose timer unit is installed.")
    out.append("# TYPE webstack_backup_configured gauge")
    for job in configured:
        out.append(f'webstack_backup_configured{{backup="{esc(job)}"}} 1')
    out.append("# HELP webstack_backup_configured_timestamp_seconds When the job's timer unit was written.")
    out.append("# TYPE webstack_backup_configured_timestamp_seconds gauge")
    for job, stamp in configured.items():
        out.append(f'webstack_backup_configured_timestamp_seconds{{backup="{esc(job)}"}} {stamp:.0f}')
    out.append("# HELP webstack_backup_max_age_seconds Age after which a backup counts as missed.")
    out.append("# TYPE webstack_backup_max_age_seconds gauge")
    for job in sorted(set(successes) | set(failures) | set(configured)):
        age = cfg["backup_max_age_overrides"].get(job, cfg["backup_max_age_seconds"])
        out.append(f'webstack_backup_max_age_seconds{{backup="{esc(job)}"}} {int(age)}')


def parse_unit_properties(text):
    """`systemctl show` output for several units: blocks of KEY=value lines
    separated by blank lines -> [{key: value}]."""
    units, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                units.append(current)
            current = {}
            continue
        key, _sep, value = line.partition("=")
        current[key] = value
    if current:
        units.append(current)
    return units


def systemd_units(cfg, out):
    patterns = cfg.get("watched_units") or []
    out.append("# HELP webstack_systemd_unit_failed Whether the watched unit is in the failed state.")
    out.append("# TYPE webstack_systemd_unit_failed gauge")
    if not patterns:
        return
    listed = subprocess.run(
        ["systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager", *patterns],
        capture_output=True,
        text=True,
        check=False,
    )
    names = sorted({line.split()[0] for line in listed.stdout.splitlines() if line.split()})
    units = []
    if names:
        shown = subprocess.run(
            ["systemctl", "show", "--no-pager", "-p", "Id,ActiveState,NRestarts", *names],
            capture_output=True,
            text=True,
            check=False,
        )
        units = [u for u in parse_unit_properties(shown.stdout) if u.get("Id")]
    for unit in units:
        failed = 1 if unit.get("ActiveState") == "failed" else 0
        out.append(f'webstack_systemd_unit_failed{{unit="{esc(unit["Id"])}"}} {failed}')
    out.append("# HELP webstack_systemd_unit_restarts_total Automatic restarts of the watched unit (NRestarts).")
    out.append("# TYPE webstack_systemd_unit_restarts_total counter")
    for unit in units:
        restarts = unit.get("NRestarts", "")
        if restarts.isdigit():
            out.append(f'webstack_systemd_unit_restarts_total{{unit="{esc(unit["Id"])}"}} {restarts}')


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


ACCESS_LINE = re.compile(r'"[^"]*" (?P<status>[1-5][0-9][0-9]) ')
REQUEST_TIME = re.compile(r" rt=(?P<rt>[0-9]+(?:\.[0-9]+)?)")
# seconds; the last bucket is +Inf
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _read_new_lines(path, seen):
    """Lines appended since the last run; a rotated or truncated file is read
    from its start. A file seen for the first time is read from its end (its
    history is not a burst of new traffic)."""
    st = os.stat(path)
    entry = seen.get(path)
    if entry is None:
        seen[path] = {"inode": st.st_ino, "offset": st.st_size}
        return []
    offset = entry["offset"] if entry["inode"] == st.st_ino and entry["offset"] <= st.st_size else 0
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1  # a line still being written waits for the next run
    seen[path] = {"inode": st.st_ino, "offset": offset + end}
    return data[:end].decode("utf-8", "replace").splitlines()


def access_logs(cfg, out):
    patterns = cfg.get("access_logs") or []
    state_path = cfg.get("state_file")
    if not patterns or not state_path:
        return
    try:
        with open(state_path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        state = {}
    seen = state.setdefault("files", {})
    requests = state.setdefault("requests", {})
    durations = state.setdefault("durations", {})
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            log = os.path.basename(path).removesuffix(".log").removesuffix(".access")
            for line in _read_new_lines(path, seen):
                match = ACCESS_LINE.search(line)
                if not match:
                    continue
                by_code = requests.setdefault(log, {})
                code = match.group("status")
                by_code[code] = by_code.get(code, 0) + 1
                timed = REQUEST_TIME.search(line)
                if timed:
                    hist = durations.setdefault(log, {"buckets": [0] * len(DURATION_BUCKETS), "sum": 0.0, "count": 0})
                    seconds = float(timed.group("rt"))
                    for index, bound in enumerate(DURATION_BUCKETS):
                        if seconds <= bound:
                            hist["buckets"][index] += 1
                    hist["sum"] += seconds
                    hist["count"] += 1
    out.append("# HELP webstack_http_requests_total Requests in the web server's access logs, by status code.")
    out.append("# TYPE webstack_http_requests_total counter")
    for log, by_code in sorted(requests.items()):
        for code, count in sorted(by_code.items()):
            out.append(f'webstack_http_requests_total{{log="{esc(log)}",code="{code}"}} {count}')
    out.append("# HELP webstack_http_request_duration_seconds Request durations from the access logs.")
    out.append("# TYPE webstack_http_request_duration_seconds histogram")
    for log, hist in sorted(durations.items()):
        name = esc(log)
        for bound, count in zip(DURATION_BUCKETS, hist["buckets"]):
            out.append(f'webstack_http_request_duration_seconds_bucket{{log="{name}",le="{bound}"}} {count}')
        out.append(f'webstack_http_request_duration_seconds_bucket{{log="{name}",le="+Inf"}} {hist["count"]}')
        out.append(f'webstack_http_request_duration_seconds_sum{{log="{name}"}} {hist["sum"]:.3f}')
        out.append(f'webstack_http_request_duration_seconds_count{{log="{name}"}} {hist["count"]}')
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(state_path), prefix=".state.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(tmp, state_path)


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        cfg = json.load(handle)
    out = []
    backups(cfg, out)
    workers(cfg, out)
    systemd_units(cfg, out)
    php_fpm(cfg, out)
    access_logs(cfg, out)
    directory = cfg["textfile_dir"]
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".webstack.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(directory, "webstack.prom"))


if __name__ == "__main__":
    main()
