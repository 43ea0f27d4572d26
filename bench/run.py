#!/usr/bin/env python3
"""Benchmark of the monolith: what a converge costs, what the Ansible-side
levers change, and what the tuned stack serves compared with the
distribution's stock nginx + PHP-FPM configuration.

    python3 bench/run.py            full run (about 20-25 minutes on 2 cores)
    python3 bench/run.py --smoke    tiny run (one small tier, 2-second wrk runs)

Run as root from the repository with the project's virtualenv (bench/run.sh
does both). Every container, network and image it makes is named bench-*;
they are removed at the end (--keep leaves the containers up). Results go to
bench/results/<timestamp>.{json,md,png} and bench/results/latest.*; see
bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import report  # noqa: E402  (bench/report.py, next to this file)

CACHE = ROOT / ".cache" / "bench"
INVENTORY = BENCH / "inventory"
IMAGE = "baobab-webstack/debian:12"
NETWORK = "bench-net"
MONOLITH = "bench-monolith"
FLOOR = "bench-floor"
STOCK = "bench-stock"
CLIENT = "bench-client"
STOCK_IMAGE = "bench-webstack/stock:latest"
# One warm package cache shared by every container of the benchmark (they
# use apt one after the other, never at the same time).
APT_VOLUMES = {
    "bench-apt-archives-12": "/var/cache/apt/archives",
    "bench-apt-lists-12": "/var/lib/apt/lists",
}
# extra ansible-playbook arguments (the smoke run points the inventory's
# host at its own container)
EXTRA_ARGS: list = []


def use_prefix(prefix):
    """Name every container, network, volume and image after a prefix, so
    that a smoke run and a full run never share anything."""
    global NETWORK, MONOLITH, FLOOR, STOCK, CLIENT, STOCK_IMAGE, APT_VOLUMES
    NETWORK, MONOLITH, FLOOR = f"{prefix}-net", f"{prefix}-monolith", f"{prefix}-floor"
    STOCK, CLIENT, STOCK_IMAGE = f"{prefix}-stock", f"{prefix}-client", f"{prefix}-webstack/stock:latest"
    APT_VOLUMES = {
        f"{prefix}-apt-archives-12": "/var/cache/apt/archives",
        f"{prefix}-apt-lists-12": "/var/lib/apt/lists",
    }
    EXTRA_ARGS[:] = [] if MONOLITH == "bench-monolith" else ["-e", f"ansible_host={MONOLITH}"]


ROUTES = {
    "up": "/up",
    "postgis_near": "/api/places/near?lat=14.6928&lng=-17.4467&km=2500",
}
SEED_PLACES = [
    ("Abidjan", 5.3600, -4.0083),
    ("Bamako", 12.6392, -8.0029),
    ("Conakry", 9.6412, -13.5784),
    ("Banjul", 13.4549, -16.5790),
    ("Nouakchott", 18.0735, -15.9582),
    ("Brussels", 50.8503, 4.3517),
]
WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, check=True, timeout=1800, env=None, input_text=None):
    """Run a command; return CompletedProcess with text output."""
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, input=input_text, check=False)
    if check and res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return res


def dexec(name, script, check=True, timeout=1800):
    return run(["docker", "exec", name, "sh", "-c", script], check=check, timeout=timeout)


# --------------------------------------------------------------------------
# containers


def remove(name):
    run(["docker", "rm", "-f", name], check=False)


def systemd_container(name, image=IMAGE, cpuset=None):
    """A systemd container made like molecule/_shared/create.yml makes them,
    with the benchmark's shared apt cache."""
    remove(name)
    cmd = ["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK]
    cmd += ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN"]
    cmd += ["--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined"]
    cmd += ["--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]
    cmd += ["--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp"]  # noqa: S108 (in the container)
    cmd += ["--label", "owner=bench"]
    for vol, path in APT_VOLUMES.items():
        cmd += ["-v", f"{vol}:{path}"]
    if cpuset:
        cmd += ["--cpuset-cpus", cpuset]
    run([*cmd, image, "/lib/systemd/systemd"])
    for _ in range(60):
        state = dexec(name, "systemctl is-system-running --wait 2>/dev/null", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(2)
    raise RuntimeError(f"{name}: systemd did not finish booting")


def client_container(cpuset=None):
    """The load generator: a plain container on the benchmark network with
    Debian's wrk."""
    remove(CLIENT)
    cmd = ["docker", "run", "-d", "--name", CLIENT, "--network", NETWORK, "--label", "owner=bench"]
    for vol, path in APT_VOLUMES.items():
        cmd += ["-v", f"{vol}:{path}"]
    if cpuset:
        cmd += ["--cpuset-cpus", cpuset]
    run([*cmd, IMAGE, "sleep", "infinity"])
    dexec(CLIENT, "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk curl >/dev/null")
    run(["docker", "exec", "-i", CLIENT, "sh", "-c", "cat >/tmp/report.lua"], input_text=WRK_LUA)


def deb_count(name):
    out = dexec(name, "ls /var/cache/apt/archives | grep -c '\\.deb$' || true").stdout.strip()
    return int(out or 0)


def dpkg_set(name):
    out = dexec(name, "dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\\n'").stdout
    pkgs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("ii"):
            pkgs[parts[1]] = parts[2]
    return pkgs


# --------------------------------------------------------------------------
# ansible


TASK_LINE = re.compile(r"^(?P<name>.+?) -+ (?P<s>\d+(?:\.\d+)?)s$")
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>ok=.*)$")


def parse_profile(output):
    """Per-task and per-role times from the profile_tasks / profile_roles
    summaries, and the PLAY RECAP counts."""
    tasks, roles, recap, changed = [], [], {}, []
    section = None
    current = None
    for raw in output.splitlines():
        line = raw.rstrip()
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            current = line.split("[", 1)[1].rsplit("]", 1)[0]
        elif line.startswith("changed: ") and current and current not in changed:
            changed.append(current)
        if line.startswith("TASKS RECAP"):
            section = tasks
            continue
        if line.startswith("ROLES RECAP"):
            section = roles
            continue
        if line.startswith("PLAY RECAP"):
            section = None
            continue
        m = RECAP_LINE.match(line)
        if m and section is None:
            recap = {k: int(v) for k, v in (kv.split("=") for kv in m.group("counts").split())}
            continue
        m = TASK_LINE.match(line)
        if m and section is not None and m.group("name").strip() != "total":
            section.append({"name": m.group("name").strip(), "seconds": float(m.group("s"))})
    tasks.sort(key=lambda t: -t["seconds"])
    roles.sort(key=lambda t: -t["seconds"])
    return tasks, roles, recap, changed


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update(
        PATH=f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_roles,ansible.posix.profile_tasks",
        PROFILE_TASKS_TASK_OUTPUT_LIMIT="10000",
        PROFILE_TASKS_SUMMARY_ONLY="true",
        PROFILE_ROLES_SUMMARY_ONLY="true",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
    )
    env.update(extra or {})
    return env


def playbook(label, playbook_path, env=None, args=(), logs=None):
    """Run ansible-playbook on the benchmark inventory; time it and parse
    the profile of its tasks and roles."""
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(INVENTORY), str(playbook_path)]
    cmd += [*EXTRA_ARGS, *args]
    start = time.monotonic()
    res = run(cmd, check=False, env=ansible_env(env), timeout=3600)
    seconds = time.monotonic() - start
    output = res.stdout + res.stderr
    if logs:
        (logs / f"{label}.log").write_text(output)
    tasks, roles, recap, changed = parse_profile(output)
    result = {
        "seconds": round(seconds, 2),
        "rc": res.returncode,
        "recap": recap,
        "tasks_count": recap.get("ok", 0) + recap.get("skipped", 0) + recap.get("failed", 0),
        "roles": roles,
        "top_tasks": tasks[:15],
        "changed_tasks": changed[:40],
        "gather_facts_seconds": round(sum(t["seconds"] for t in tasks if t["name"] == "Gathering Facts"), 2),
        "gather_facts_count": sum(1 for t in tasks if t["name"] == "Gathering Facts"),
    }
    if res.returncode != 0:
        failed = [ln for ln in output.splitlines() if ln.startswith(("fatal:", "ERROR!", "[ERROR]"))]
        result["error"] = (failed[-1] if failed else output.strip().splitlines()[-1] if output.strip() else "")[:400]
    log(f"{label}: {seconds:.1f} s rc={res.returncode} {recap}")
    return result


def configured_gathering():
    """The `gathering` setting of the repository's ansible.cfg (Ansible's
    default is implicit)."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "ansible.cfg")
    return parser.get("defaults", "gathering", fallback="implicit").strip().lower()


def mitogen_strategy():
    """The strategy plugin directory of the virtualenv's Mitogen (it is in
    requirements.txt, README "Mitogen"), or the reason there is none."""
    try:
        import ansible_mitogen
    except ImportError as exc:
        return None, f"Mitogen is not importable from this virtualenv: {exc}"
    return Path(ansible_mitogen.__file__).parent / "plugins" / "strategy", None


def mitogen_version():
    from importlib import metadata

    try:
        return f"mitogen=={metadata.version('mitogen')}"
    except metadata.PackageNotFoundError:
        return "mitogen"


def setup_time(subset, repeat):
    """Median wall time of one ad-hoc fact gathering with a given subset."""
    env = ansible_env()
    env.pop("ANSIBLE_CALLBACKS_ENABLED")
    times = []
    for _ in range(repeat):
        start = time.monotonic()
        res = run(
            [
                str(ROOT / ".venv" / "bin" / "ansible"),
                "-i",
                str(INVENTORY),
                "bench-monolith",
                *EXTRA_ARGS,
                "-m",
                "ansible.builtin.setup",
                "-a",
                f"gather_subset={subset}",
            ],
            check=False,
            env=env,
        )
        times.append(time.monotonic() - start)
        if res.returncode != 0:
            raise RuntimeError((res.stdout + res.stderr).strip()[-400:])
    times.sort()
    return times[len(times) // 2]


def levers(playbook_path, baseline, logs, smoke, all_levers=False):
    """Idempotent re-runs with one Ansible-side lever changed at a time."""
    out = []

    def lever(name, description, env, args=(), note=""):
        res = playbook(f"lever-{name}", playbook_path, env=env, args=args, logs=logs)
        entry = {
            "name": name,
            "description": description,
            # recorded relative to the checkout: no machine's path in a report
            "env": {k: v.replace(str(ROOT), "<checkout>") if isinstance(v, str) else v for k, v in env.items()},
            "args": list(args),
            "seconds": res["seconds"],
            "rc": res["rc"],
            "changed": res["recap"].get("changed"),
            "gather_facts_seconds": res["gather_facts_seconds"],
            "speedup_vs_baseline": round(baseline["seconds"] / res["seconds"], 3) if res["seconds"] else None,
            "safe": res["rc"] == 0 and res["recap"].get("changed") == 0,
            "note": note,
        }
        if "error" in res:
            entry["error"] = res["error"]
        out.append(entry)
        return entry

    lever(
        "pipelining_off",
        "ansible.cfg without pipelining (ANSIBLE_PIPELINING=False); the baseline has it on",
        {"ANSIBLE_PIPELINING": "False"},
    )
    if smoke:
        return out
    facts_dir = CACHE / "facts"
    shutil.rmtree(facts_dir, ignore_errors=True)
    cache_env = {
        "ANSIBLE_GATHERING": "smart",
        "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(facts_dir),
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "3600",
    }
    if configured_gathering() == "smart":
        # ansible.cfg gathers once per host and run already: the lever is the
        # way back, once per play (the figure from before it was adopted)
        lever(
            "gathering_implicit",
            "facts gathered again by every play (ANSIBLE_GATHERING=implicit); ansible.cfg has gathering = smart",
            {"ANSIBLE_GATHERING": "implicit"},
        )
        # the first run with the jsonfile cache fills it
        playbook("lever-fact-cache-fill", playbook_path, env=cache_env, logs=logs)
    else:
        # with the cache empty at the start, this run shows smart gathering
        # within one run (each host gathered once), and it fills the cache
        lever(
            "gathering_smart",
            "gather facts once per host and run (ANSIBLE_GATHERING=smart; jsonfile cache empty at the start)",
            cache_env,
        )
    lever(
        "fact_cache_jsonfile",
        "smart gathering + jsonfile fact cache kept across runs (next run, cache warm)",
        cache_env,
        note="facts can be up to the cache timeout (1 h) old",
    )
    if all_levers:
        lever(
            "strategy_free",
            "free strategy (ANSIBLE_STRATEGY=free)",
            {"ANSIBLE_STRATEGY": "free"},
            note="one host: free and linear schedule the same tasks",
        )
    else:
        out.append(
            {
                "name": "strategy_free",
                "description": "free strategy (ANSIBLE_STRATEGY=free)",
                "skipped": True,
                "error": "not run by default (--all-levers runs it): the monolith is one host, and the free "
                "strategy only lets several hosts run ahead of each other",
            }
        )
    strategy_dir, error = mitogen_strategy()
    if strategy_dir is None:
        out.append({"name": "mitogen", "description": f"{mitogen_version()} strategy", "skipped": True, "error": error})
    else:
        lever(
            "mitogen",
            f"{mitogen_version()}: strategy mitogen_linear, connection docker"
            " (Mitogen replaces only the short transport names)",
            {"ANSIBLE_STRATEGY_PLUGINS": str(strategy_dir), "ANSIBLE_STRATEGY": "mitogen_linear"},
            args=("-e", "ansible_connection=docker"),
        )
    return out


def deployments(logs, strategy_dir):
    """What users run most, timed on the converged monolith: playbooks/deploy.yml
    of a new release, the same release again (redeploy of the live one) and
    playbooks/rollback.yml, with the plain strategy and with Mitogen."""
    deploy_play = ROOT / "playbooks" / "deploy.yml"
    rollback_play = ROOT / "playbooks" / "rollback.yml"
    strategies = [("plain", {}, ())]
    if strategy_dir is not None:
        strategies.append(
            (
                "mitogen",
                {"ANSIBLE_STRATEGY_PLUGINS": str(strategy_dir), "ANSIBLE_STRATEGY": "mitogen_linear"},
                ("-e", "ansible_connection=docker"),
            )
        )
    out = []
    for name, env, args in strategies:
        artifact = CACHE / f"app-{name}.tar.gz"
        run(["bash", str(ROOT / "tests" / "fixtures" / "build-laravel-artifact.sh"), str(artifact), f"bench-{name}"])
        release = f"bench-{name}-{run(['sha256sum', str(artifact)]).stdout[:12]}"
        release_args = (*args, "-e", f"laravel_release_id={release}", "-e", f"laravel_artifact={artifact}")
        steps = [
            (
                "deploy",
                "a new release (unpack, caches, migrate, switch, reload, health check)",
                deploy_play,
                release_args,
            ),
            ("redeploy", "the live release again", deploy_play, release_args),
            ("rollback", "back to the previous release", rollback_play, args),
        ]
        for step, description, play_path, step_args in steps:
            res = playbook(f"{step}-{name}", play_path, env=env, args=step_args, logs=logs)
            entry = {
                "strategy": name,
                "step": step,
                "description": description,
                "playbook": str(play_path.relative_to(ROOT)),
                "seconds": res["seconds"],
                "rc": res["rc"],
                "changed": res["recap"].get("changed"),
                "tasks_count": res["tasks_count"],
                "top_tasks": res["top_tasks"][:8],
            }
            if "error" in res:
                entry["error"] = res["error"]
            out.append(entry)
    return out


def gather_subset_probe(baseline, repeat):
    """gather_subset is a play keyword (ansible-core 2.19 has no
    ANSIBLE_GATHER_SUBSET setting any more): measure one full and one min gathering ad hoc and
    scale by the number of gatherings in the run."""
    full = setup_time("all", repeat)
    minimal = setup_time("min", repeat)
    count = baseline["gather_facts_count"]
    return {
        "name": "gather_subset_min",
        "description": "ad-hoc setup with gather_subset=min vs the default (all), scaled by the gatherings per run",
        "setup_all_seconds": round(full, 3),
        "setup_min_seconds": round(minimal, 3),
        "gatherings_per_run": count,
        "estimated_saving_seconds": round(max(full - minimal, 0) * count, 2),
        "safe": False,
        "note": "not settable from ansible.cfg or the environment; php_fpm and the preflight read "
        "memtotal_mb, which only the hardware subset gathers",
    }


# --------------------------------------------------------------------------
# serving


def curl_ok(client, url):
    res = dexec(client, f"curl -sk -o /dev/null -w '%{{http_code}}' '{url}'", check=False)
    return res.stdout.strip()


def seed_places(host):
    for name, lat, lng in SEED_PLACES:
        body = json.dumps({"name": name, "lat": lat, "lng": lng})
        dexec(
            CLIENT,
            f"curl -sk -o /dev/null -H 'Accept: application/json' -H 'Content-Type: application/json' "
            f"--data '{body}' https://{host}/api/places",
        )


def wrk(host, route, concurrency, seconds, scheme="https"):
    # explicit port: the image has no /etc/services for wrk to look "https" up in
    url = f"{scheme}://{host}:{443 if scheme == 'https' else 80}{ROUTES[route]}"
    res = dexec(
        CLIENT,
        f"wrk -t1 -c{concurrency} -d{seconds}s --timeout 10s -s /tmp/report.lua '{url}'",
        timeout=seconds + 120,
    )
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith('{"requests"'))
    data = json.loads(line)
    secs = data["duration_us"] / 1e6
    errors = sum(data["errors"].values())
    return {
        "route": route,
        "url_path": ROUTES[route],
        "concurrency": concurrency,
        "seconds": round(secs, 2),
        "requests": data["requests"],
        "errors": errors,
        "rps": round(data["requests"] / secs, 1) if secs else 0.0,
        "p50_ms": round(data["latency_us"]["p50"] / 1000, 2),
        "p95_ms": round(data["latency_us"]["p95"] / 1000, 2),
        "p99_ms": round(data["latency_us"]["p99"] / 1000, 2),
        "max_ms": round(data["latency_us"]["max"] / 1000, 2),
    }


def php_version(name):
    return dexec(name, "ls /etc/php | sort -V | tail -1").stdout.strip()


def stack_config(name):
    """What the serving side runs with: OPcache and pool settings as PHP-FPM
    sees them, and nginx's worker settings."""
    ver = php_version(name)
    opc = dexec(
        name,
        f"php-fpm{ver} -i 2>/dev/null | grep -E '^opcache\\.(enable|memory_consumption|validate_timestamps|jit) =>' "
        "| sed 's/ => [^=]*=> / /'",
        check=False,
    ).stdout.split("\n")
    pools = dexec(
        name,
        f"grep -hE '^\\s*(\\[|pm(\\.max_children|\\.start_servers|\\.max_requests)? *=|listen *=)' "
        f"/etc/php/{ver}/fpm/pool.d/*.conf",
        check=False,
    ).stdout.split("\n")
    nginx = dexec(
        name,
        "nginx -T 2>/dev/null | grep -E '^\\s*(worker_processes|worker_connections|keepalive_timeout"
        "|ssl_session_cache|open_file_cache|fastcgi_keep_conn|access_log|gzip) ' | sed 's/^ *//' | sort -u",
        check=False,
    ).stdout.split("\n")
    return {
        "php": ver,
        "opcache": [ln.strip() for ln in opc if ln.strip()],
        "fpm_pools": [ln.strip() for ln in pools if ln.strip()],
        "nginx": [ln.strip() for ln in nginx if ln.strip()][:20],
    }


STOCK_SITE = """# Laravel's usual server block on Debian's stock nginx and PHP-FPM
# (default www pool, default OPcache): the benchmark's stock baseline.
server {{
    listen 80 default_server;
    listen 443 ssl default_server;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    server_name _;
    root /srv/app/current/public;
    index index.php index.html;

    location / {{
        try_files $uri $uri/ /index.php?$query_string;
    }}

    location ~ \\.php$ {{
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:/run/php/php{ver}-fpm.sock;
    }}
}}
"""


def build_stock(cpuset):
    """The same converged host (same packages, same release, same
    PostgreSQL and Redis with the same data) with nginx and PHP-FPM put back
    to the distribution's configuration, taken from the floor container
    (same packages, installed by apt and never configured)."""
    ver = php_version(MONOLITH)
    tuned_site = dexec(MONOLITH, "nginx -T 2>/dev/null").stdout
    cert = re.search(r"^\s*ssl_certificate\s+(\S+);", tuned_site, re.M).group(1)
    key = re.search(r"^\s*ssl_certificate_key\s+(\S+);", tuned_site, re.M).group(1)
    run(["docker", "rmi", "-f", STOCK_IMAGE], check=False)
    run(["docker", "commit", "-m", "bench stock baseline", MONOLITH, STOCK_IMAGE])
    systemd_container(STOCK, image=STOCK_IMAGE, cpuset=cpuset)
    dexec(STOCK, f"systemctl stop nginx php{ver}-fpm")
    # the certificate may live under /etc/nginx: keep it aside
    dexec(STOCK, f"mkdir -p /etc/bench-tls && cp '{cert}' /etc/bench-tls/cert.pem && cp '{key}' /etc/bench-tls/key.pem")
    dexec(STOCK, "rm -rf /etc/nginx /etc/php")
    for path in ("/etc/nginx", "/etc/php"):
        tar = subprocess.run(["docker", "cp", f"{FLOOR}:{path}", "-"], capture_output=True, check=True).stdout
        subprocess.run(["docker", "cp", "-", f"{STOCK}:/etc"], input=tar, capture_output=True, check=True)
    # drop-ins the roles add to the nginx / PHP-FPM units
    dexec(
        STOCK,
        f"rm -rf /etc/systemd/system/nginx.service.d /etc/systemd/system/php{ver}-fpm.service.d"
        " && systemctl daemon-reload",
    )
    # Laravel's default database configuration: a new PostgreSQL connection
    # per request, straight to the server (no pooler), cached again
    dexec(
        STOCK,
        "systemctl disable --now pgbouncer 2>/dev/null || true;"
        " sed -i -e 's#^DB_HOST=.*#DB_HOST=127.0.0.1#' -e 's#^DB_PORT=.*#DB_PORT=5432#' /srv/app/shared/.env"
        " && cd /srv/app/current && runuser -u app -- php artisan config:cache >/dev/null",
    )
    site = STOCK_SITE.format(cert="/etc/bench-tls/cert.pem", key="/etc/bench-tls/key.pem", ver=ver)
    run(["docker", "exec", "-i", STOCK, "sh", "-c", "cat >/etc/nginx/sites-available/default"], input_text=site)
    dexec(STOCK, f"nginx -t 2>&1 && php-fpm{ver} -t 2>&1 && systemctl restart php{ver}-fpm nginx")


def serving(stacks, concurrencies, seconds, scheme="https"):
    """wrk from the client container against each stack and route,
    interleaved per (route, concurrency) so slow drifts of the machine's
    load hit both stacks alike; the stack not measured is paused."""
    runs = []
    for host in stacks.values():
        # warm up PHP-FPM children and OPcache
        run(["docker", "unpause", host], check=False)
        for route in ROUTES:
            wrk(host, route, max(concurrencies), 2, scheme)
        if len(stacks) > 1:
            run(["docker", "pause", host], check=False)
    for route in ROUTES:
        for conc in concurrencies:
            for stack, host in stacks.items():
                run(["docker", "unpause", host], check=False)
                result = wrk(host, route, conc, seconds, scheme)
                result["stack"] = stack
                runs.append(result)
                log(
                    f"wrk {stack} {route} c={conc}: {result['rps']} req/s "
                    f"p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms"
                )
                if len(stacks) > 1:
                    run(["docker", "pause", host], check=False)
    for host in stacks.values():
        run(["docker", "unpause", host], check=False)
    ratios = []
    if "tuned" in stacks and "stock" in stacks:
        for route in ROUTES:
            for conc in concurrencies:
                t = next(r for r in runs if r["stack"] == "tuned" and r["route"] == route and r["concurrency"] == conc)
                s = next(r for r in runs if r["stack"] == "stock" and r["route"] == route and r["concurrency"] == conc)
                ratios.append(
                    {
                        "route": route,
                        "concurrency": conc,
                        "rps_ratio": round(t["rps"] / s["rps"], 3) if s["rps"] else None,
                        "p99_ratio": round(t["p99_ms"] / s["p99_ms"], 3) if s["p99_ms"] else None,
                    }
                )
    return runs, ratios


# --------------------------------------------------------------------------


def oom_kills(name):
    """The kernel's OOM kill count of a container's memory cgroup: the
    oom_kill line of memory.events (cgroup v2, systemd or cgroupfs driver)
    or of memory.oom_control (cgroup v1); None when neither is found."""
    cid = run(["docker", "inspect", "-f", "{{.Id}}", name]).stdout.strip()
    for path in (
        Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/memory.events"),
        Path(f"/sys/fs/cgroup/docker/{cid}/memory.events"),
        Path(f"/sys/fs/cgroup/memory/docker/{cid}/memory.oom_control"),
        Path(f"/sys/fs/cgroup/memory/system.slice/docker-{cid}.scope/memory.oom_control"),
    ):
        if path.exists():
            fields = dict(line.split()[:2] for line in path.read_text().splitlines() if len(line.split()) >= 2)
            return int(fields.get("oom_kill", 0))
    return None


def constrained(host, seconds, cpus="1", memory="2g"):
    """The tuned stack inside a small box's limits (KoproGo's 1 vCPU / 2 GB):
    32 connections on each route for the whole run; any error response or
    OOM kill is reported."""
    run(["docker", "update", "--cpus", cpus, "--memory", memory, "--memory-swap", memory, host])
    before = oom_kills(host)
    runs = [wrk(host, route, 32, seconds) for route in ROUTES]
    after = oom_kills(host)
    for r in runs:
        r["stack"] = "tuned"
        log(f"constrained {r['route']} c=32: {r['rps']} req/s, {r['errors']} errors, p99 {r['p99_ms']} ms")
    return {
        "limits": {"cpus": cpus, "memory": memory},
        "seconds": seconds,
        "runs": runs,
        "oom_kills": None if before is None or after is None else after - before,
    }


def machine_facts():
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        k, v = line.split(":", 1)
        mem[k] = int(v.split()[0])
    docker = run(["docker", "version", "-f", "{{.Server.Version}}"], check=False).stdout.strip()
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    return {
        "nproc": os.cpu_count(),
        "mem_total_kb": mem["MemTotal"],
        "mem_total_gb": round(mem["MemTotal"] / 1024 / 1024, 1),
        "loadavg_start": [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]],
        "kernel": platform.release(),
        "docker": docker,
        "cpu_model": next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")),
            "",
        ),
    }


def versions():
    core = run([str(ROOT / ".venv" / "bin" / "ansible"), "--version"], check=False).stdout.splitlines()
    return {
        "ansible_core": core[0].split("core ")[-1].strip(" ]") if core else "",
        "python": platform.python_version(),
        "image": IMAGE,
    }


def prepare_artifact():
    CACHE.mkdir(parents=True, exist_ok=True)
    art = CACHE / "app.tar.gz"
    run(["bash", str(ROOT / "tests" / "fixtures" / "build-laravel-artifact.sh"), str(art), "bench"])
    digest = run(["sha256sum", str(art)]).stdout[:12]
    (CACHE / "app.release").write_text(digest + "\n")


def cleanup(keep):
    run(["docker", "unpause", STOCK], check=False)
    run(["docker", "unpause", MONOLITH], check=False)
    if keep:
        return
    for name in (CLIENT, STOCK, FLOOR, MONOLITH):
        remove(name)
    run(["docker", "rmi", "-f", STOCK_IMAGE], check=False)
    run(["docker", "network", "rm", NETWORK], check=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny run: the cache tier only, 2-second wrk runs")
    ap.add_argument("--out", type=Path, default=BENCH / "results", help="directory of the results")
    ap.add_argument("--all-levers", action="store_true", help="also time the free strategy (one more re-run)")
    ap.add_argument("--keep", action="store_true", help="leave the bench-* containers running")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 10, smoke 2)")
    ap.add_argument("--concurrency", default=None, help="comma-separated wrk connections (default 1,8,32; smoke 1)")
    opts = ap.parse_args(argv)

    if os.geteuid() != 0:
        sys.exit("run as root (the benchmark drives docker and systemd containers)")
    if run(["docker", "info"], check=False).returncode != 0:
        sys.exit("no Docker engine answers: run scripts/ensure-docker.sh first")

    smoke = opts.smoke
    if smoke:
        use_prefix("bench-smoke")
    seconds = opts.duration or (2 if smoke else 10)
    concurrencies = [int(c) for c in (opts.concurrency or ("1" if smoke else "1,8,32")).split(",")]
    play = ROOT / "playbooks" / ("cache.yml" if smoke else "site.yml")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    logs = CACHE / "logs" / stamp
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = {
        "schema": 1,
        "mode": "smoke" if smoke else "full",
        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "versions": versions(),
        "reference": report.REFERENCE,
    }
    log(f"mode {result['mode']}; load {result['machine']['loadavg_start']}; logs in {logs}")
    pin_server = "0" if (os.cpu_count() or 1) >= 2 else None
    pin_client = "1" if pin_server else None
    try:
        run(["docker", "network", "create", NETWORK], check=False)
        for vol in APT_VOLUMES:
            run(["docker", "volume", "create", vol])
        prepare_artifact()

        # ---- converge cost ------------------------------------------------
        systemd_container(FLOOR)
        systemd_container(MONOLITH)
        before = dpkg_set(MONOLITH)
        # fresh package lists for both (the roles' cache_valid_time then
        # skips the update), and the packages of the previous run in the
        # cache, so that the converge and the floor both find it warm
        dexec(FLOOR, "apt-get update -qq")
        known = CACHE / ("packages-smoke.txt" if smoke else "packages.txt")
        if known.is_file():
            dexec(
                FLOOR,
                "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only --no-install-recommends "
                + " ".join(known.read_text().split()),
                check=False,
            )
        debs_before = deb_count(MONOLITH)
        log(f"cold converge of {play.relative_to(ROOT)} on {MONOLITH}")
        cold = playbook("cold", play, logs=logs)
        if cold["rc"] != 0:
            raise RuntimeError(f"the cold converge failed: {cold.get('error')}; see {logs}/cold.log")
        debs_after = deb_count(MONOLITH)
        after = dpkg_set(MONOLITH)
        new = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        manual = sorted(set(dexec(MONOLITH, "apt-mark showmanual").stdout.split()) & set(new))
        known.write_text("\n".join(new) + "\n")
        floor_start = time.monotonic()
        dexec(
            FLOOR,
            "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
            + " ".join(f"{p}={after[p]}" for p in new)
            + " >/dev/null",
            timeout=3600,
        )
        floor_seconds = time.monotonic() - floor_start
        floor_set = dpkg_set(FLOOR)
        missing = sorted(set(new) - set(floor_set))
        debs_after_floor = deb_count(FLOOR)
        log(f"floor: {floor_seconds:.1f} s for {len(new)} packages")

        idem = playbook("idempotent", play, logs=logs)
        second = None
        if idem["recap"].get("changed"):
            # the first re-run still changed something: keep it as a finding
            # and time the next one, which must change nothing
            second = idem
            idem = playbook("idempotent-2", play, logs=logs)
        converge = {
            "playbook": str(play.relative_to(ROOT)),
            "cold": cold,
            "idempotent": idem,
            "floor": {
                "seconds": round(floor_seconds, 2),
                "command": "apt-get install -y --no-install-recommends <packages>=<versions>",
                "packages": len(new),
                "package_source": "dpkg-query -W on the converged container minus the fresh one "
                "(every package the converge added)",
                "manual_packages": manual,
                "packages_removed_by_converge": removed,
                "missing_after_floor": missing,
            },
            "second_run": None
            if second is None
            else {
                "seconds": second["seconds"],
                "changed": second["recap"].get("changed"),
                "changed_tasks": second["changed_tasks"],
            },
            "ratio_cold_over_floor": round(cold["seconds"] / floor_seconds, 2) if floor_seconds else None,
            "apt_cache": {
                "mode": "warm, shared (one archives and one lists volume for every bench container), "
                "lists refreshed just before",
                "debs_in_cache_before": debs_before,
                "debs_added_during_converge": debs_after - debs_before,
                "debs_added_during_floor": debs_after_floor - debs_after,
            },
        }
        result["converge"] = converge

        # ---- Ansible-side levers (idempotent re-runs) ----------------------
        result["levers"] = {
            "baseline": {
                "description": f"ansible.cfg as committed (pipelining on, linear, {configured_gathering()} gathering)",
                "seconds": idem["seconds"],
                "gather_facts_seconds": idem["gather_facts_seconds"],
                "gather_facts_count": idem["gather_facts_count"],
            },
            "runs": levers(play, idem, logs, smoke, opts.all_levers),
        }
        if not smoke:
            result["deployments"] = deployments(logs, mitogen_strategy()[0])
            try:
                result["levers"]["runs"].append(gather_subset_probe(idem, 3))
            except RuntimeError as exc:
                result["levers"]["runs"].append(
                    {
                        "name": "gather_subset_min",
                        "description": "ad-hoc setup with gather_subset=min vs all",
                        "skipped": True,
                        "error": str(exc),
                    }
                )

        # ---- serving cost --------------------------------------------------
        client_container(pin_client)
        if pin_server:
            run(["docker", "update", "--cpuset-cpus", pin_server, MONOLITH])
        if smoke:
            # the cache tier serves no HTTP: a static page of Debian's nginx
            # on the floor container exercises the load generator end to end
            dexec(FLOOR, "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx")
            ROUTES.clear()
            ROUTES["static"] = "/"
            runs, ratios = serving({"smoke-static": FLOOR}, concurrencies, seconds, scheme="http")
            configs = {}
        else:
            status = curl_ok(CLIENT, f"https://{MONOLITH}/up")
            if status != "200":
                raise RuntimeError(f"tuned /up answers {status}")
            seed_places(MONOLITH)
            build_stock(pin_server)
            for host in (MONOLITH, STOCK):
                for route, path in ROUTES.items():
                    status = curl_ok(CLIENT, f"https://{host}{path}")
                    if status != "200":
                        raise RuntimeError(f"{host} {route} answers {status}")
            configs = {"tuned": stack_config(MONOLITH), "stock": stack_config(STOCK)}
            stacks = {"tuned": MONOLITH, "stock": STOCK}
            runs, ratios = serving(stacks, concurrencies, seconds)
            run(["docker", "pause", STOCK], check=False)
            run(["docker", "unpause", MONOLITH], check=False)
            result["constrained"] = constrained(MONOLITH, seconds * 3)
        result["serving"] = {
            "client": f"wrk 1 thread in the container {CLIENT} on the docker network {NETWORK}"
            + (f", pinned to CPU {pin_client}; servers pinned to CPU {pin_server}" if pin_server else ""),
            "protocol": "http" if smoke else "https (self-signed certificate, keep-alive)",
            "duration_s": seconds,
            "concurrency": concurrencies,
            "routes": dict(ROUTES),
            "runs": runs,
            "ratios": ratios,
            "config": configs,
        }
    finally:
        cleanup(opts.keep)

    result["machine"]["loadavg_end"] = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    result["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    result["duration_s"] = round(time.monotonic() - started, 1)
    problems = report.validate(result)
    result["problems"] = problems
    paths = report.write(result, opts.out, stamp)
    log(f"done in {result['duration_s']} s: " + ", ".join(str(p) for p in paths))
    if problems:
        # the figures are written all the same, so a run is never lost
        log("the report does not validate: " + "; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
