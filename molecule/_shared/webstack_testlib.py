"""Helpers shared by the scenarios that deploy the sample Laravel application
(laravel, monolith): HTTP calls made from inside a test host, ansible-playbook
runs against the scenario's inventory, release artifacts and their broken
variants, and a load generator that runs inside a container during a
rollout.

A scenario's tests/helpers.py puts this directory on sys.path."""

import io
import json
import math
import os
import re
import subprocess
import tarfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent
PROJECT = SHARED.parents[1]
BUILDER = PROJECT / "tests" / "fixtures" / "build-laravel-artifact.sh"
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
ROOT = "/srv/app"


def http(host, method, path, body=None, base="http://127.0.0.1"):
    """Call nginx on the host itself; return (status, headers, body)."""
    cmd = ["curl", "-sk", "-D", "/dev/stderr", "-o", "-", "-X", method, "-H", "Accept: application/json"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
    cmd.append(f"{base}{path}")
    res = host.run(" ".join(f"'{c}'" for c in cmd))
    assert res.rc == 0, res.stderr
    head = res.stderr.splitlines()
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers, res.stdout


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres on the mean Earth sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def check_postgis_distance(call):
    """Store Abidjan and query places near Dakar through the API; call is
    http() bound to a host: call(method, path, body) -> (status, headers, body)."""
    status, _, body = call("POST", "/api/places", {"name": "Abidjan", "lat": 5.3600, "lng": -4.0083})
    assert status == 201, body
    status, _, body = call("GET", "/api/places/near?lat=14.6928&lng=-17.4467&km=2500", None)
    assert status == 200, body
    found = [p for p in json.loads(body)["places"] if p["name"] == "Abidjan"]
    assert found, body
    # great-circle distance computed here (about 1,798 km); PostGIS measures
    # on the WGS84 spheroid, so allow 0.5 %
    expected = haversine_m(14.6928, -17.4467, 5.3600, -4.0083)
    assert abs(found[0]["distance_m"] - expected) < expected * 0.005, (found, expected)
    # ST_DWithin filters: Abidjan is not within 1,000 km of Dakar
    _, _, body = call("GET", "/api/places/near?lat=14.6928&lng=-17.4467&km=1000", None)
    assert all(p["name"] != "Abidjan" for p in json.loads(body)["places"]), body


def run_job(call, payload, wait_s=40):
    """Dispatch a job through the API and wait for a worker to process it;
    return the job as the API shows it."""
    status, _, body = call("POST", "/api/jobs", {"payload": payload})
    assert status == 202, body
    job = json.loads(body)["id"]
    for _ in range(wait_s):
        data = json.loads(call("GET", f"/api/jobs/{job}", None)[2])
        if data["processed_at"]:
            break
        time.sleep(1)
    assert data["processed_at"], data
    assert data["result"] == payload[::-1], data
    return data


def heartbeats(host):
    """(count, last epoch) of the scheduler's heartbeat rows."""
    out = host.run(
        "runuser -u postgres -- psql -tA -d app -c "
        '"select count(*), coalesce(max(extract(epoch from ran_at))::bigint, 0) from heartbeats"'
    )
    assert out.rc == 0, out.stderr
    count, last = out.stdout.strip().split("|")
    return int(count), int(last)


def wait_for_heartbeat(host):
    """Wait for the scheduler timer (every minute boundary) to record a new
    heartbeat; return its epoch."""
    count, _ = heartbeats(host)
    for _ in range(45):
        time.sleep(2)
        new_count, last = heartbeats(host)
        if new_count > count:
            return last
    raise AssertionError("no heartbeat recorded by the scheduler within 90 s")


HEARTBEAT_WINDOW = (
    "select count(*), count(distinct date_trunc('minute', ran_at)), "
    "coalesce(extract(epoch from now() - max(ran_at))::int, -1) "
    "from heartbeats where ran_at > now() - interval '3 minutes'"
)


def heartbeat_window(host):
    """(rows, distinct minutes, seconds since the last row) of the
    scheduler's heartbeats of the last three minutes."""
    out = host.run(f'runuser -u postgres -- psql -tA -d app -c "{HEARTBEAT_WINDOW}"')
    assert out.rc == 0, out.stderr
    rows, distinct, age = (int(v) for v in out.stdout.strip().split("|"))
    return rows, distinct, age


def scheduler_ticks_once_a_minute(host):
    """The scheduler records one heartbeat a minute, no more: read from the
    rows of the last three minutes when it has been running that long (no
    wait), otherwise by waiting for the next tick."""
    rows, distinct, age = heartbeat_window(host)
    if rows < 2:
        wait_for_heartbeat(host)
        time.sleep(5)
        rows, distinct, age = heartbeat_window(host)
    assert 0 <= age < 75, f"last heartbeat {age} s ago"
    assert rows == distinct, f"{rows} heartbeats in {distinct} minutes: more than one scheduler runs"


def live_release(host, root=ROOT):
    return host.file(f"{root}/current").linked_to.rsplit("/", 1)[-1]


def playbook(path, *args, inventory=None, **env):
    """Run ansible-playbook on the scenario's inventory; return (rc, output)."""
    run_env = dict(os.environ)
    run_env.update(
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / ".cache" / "collections"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_FORCE_COLOR="0",
        MOLECULE_EPHEMERAL_DIRECTORY=str(EPHEMERAL),
        **env,
    )
    cfg = EPHEMERAL / "ansible.cfg"
    if cfg.is_file():
        run_env["ANSIBLE_CONFIG"] = str(cfg)
    started = time.monotonic()
    res = subprocess.run(
        ["ansible-playbook", "-i", inventory or INVENTORY, str(path), *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    output = res.stdout + res.stderr
    _keep_log(path, args, res.returncode, time.monotonic() - started, output)
    return res.returncode, output


def mitogen_args():
    """Environment and arguments of a run under Mitogen's mitogen_linear
    strategy, from the virtualenv's mitogen package (README, "Mitogen").
    Mitogen takes over the short transport names only, hence `docker`
    instead of the inventory's community.docker.docker."""
    import ansible_mitogen

    strategies = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    env = {"ANSIBLE_STRATEGY_PLUGINS": str(strategies), "ANSIBLE_STRATEGY": "mitogen_linear"}
    return env, ["-e", "ansible_connection=docker"]


PLAYBOOK_LOGS = PROJECT / "build" / "test-logs" / "playbooks"


def _keep_log(path, args, rc, seconds, output):
    """Each run's output under build/test-logs/playbooks (scenario, number,
    playbook), with its exit code and duration: what a failed or slow test
    ran, readable after the scenario's containers are gone."""
    scenario = os.environ.get("MOLECULE_SCENARIO_NAME", "local")
    PLAYBOOK_LOGS.mkdir(parents=True, exist_ok=True)
    number = len(list(PLAYBOOK_LOGS.glob(f"{scenario}-*"))) + 1
    log = PLAYBOOK_LOGS / f"{scenario}-{number:03d}-{Path(path).stem}.log"
    # extra vars given as JSON may hold the tests' fake secrets: not copied
    shown = " ".join("<json>" if a.lstrip().startswith("{") else a for a in args)
    log.write_text(f"$ ansible-playbook {Path(path).name} {shown}\nrc={rc} seconds={seconds:.1f}\n\n{output}")


def refused_run(path, extra, needles, *args, target=None, secrets=()):
    """Run a playbook with bad extra vars (a dict, passed as JSON) and check
    it is refused: a non-zero exit, every needle in the output, no secret in
    it, and, with `target`, a recap of that host with `changed=0` and one
    failure (nothing changed before the refusal). Returns the output."""
    limit = ["--limit", target] if target else []
    rc, output = playbook(path, *limit, "-e", json.dumps(extra), *args)
    assert rc != 0, output[-4000:]
    missing = [needle for needle in needles if needle not in output]
    assert not missing, (missing, output[-4000:])
    leaked = [n for n, secret in enumerate(secrets) if secret in output]
    assert not leaked, f"secret(s) {leaked} printed"
    if target:
        last = output.split("PLAY RECAP")[-1]
        assert re.search(rf"{re.escape(target)}\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1", last), last
    return output


def tcp_probe(client, target, port, timeout=3):
    """True when `client` (a testinfra host) completes a TCP handshake with
    target:port."""
    code = (
        f"import socket,sys; s=socket.socket(); s.settimeout({timeout}); "
        f"sys.exit(0 if s.connect_ex(('{target}', {port})) == 0 else 1)"
    )
    return client.run(f'python3 -c "{code}"').rc == 0


def deploy(release, artifact, *args):
    """Run playbooks/deploy.yml for a release, as a CI job does."""
    return playbook(
        PROJECT / "playbooks" / "deploy.yml",
        "-e",
        f"laravel_release_id={release}",
        "-e",
        f"laravel_artifact={artifact}",
        *args,
    )


def recap(output):
    """The PLAY RECAP lines of an ansible-playbook output, by host."""
    lines = {}
    for line in output.splitlines():
        if "unreachable=" in line and ":" in line:
            name, counts = line.split(":", 1)
            lines[name.strip()] = dict(item.split("=") for item in counts.split())
    return lines


def build(version, out, no_vendor=False):
    """Build the sample application's release artifact."""
    args = [str(BUILDER), str(out), version] + (["--no-vendor"] if no_vendor else [])
    subprocess.run(args, check=True, capture_output=True)
    return out


def patched(src, out, add=None, edit=None):
    """Copy an artifact, adding files ({path: bytes}) and editing others
    ({path: function(bytes) -> bytes})."""
    add, edit = add or {}, edit or {}
    with tarfile.open(src, "r:gz") as tin, tarfile.open(out, "w:gz") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read() if member.isfile() else None
            name = member.name[2:] if member.name.startswith("./") else member.name
            if name in edit:
                data = edit[name](data)
                member.size = len(data)
            tout.addfile(member, io.BytesIO(data) if data is not None else None)
        for name, data in add.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size, info.mode = len(data), 0o644
            tout.addfile(info, io.BytesIO(data))
    return out


def with_failing_migration(src, out):
    """An artifact whose new migration raises."""
    code = (
        b"<?php\n\nuse Illuminate\\Database\\Migrations\\Migration;\n\n"
        b"return new class extends Migration {\n"
        b"    public function up()\n    {\n"
        b"        throw new RuntimeException('deliberately broken migration');\n    }\n};\n"
    )
    return patched(src, out, add={"database/migrations/2099_01_01_000000_broken.php": code})


def with_failing_health(src, out):
    """An artifact whose /up always answers 503 (a release that boots and
    caches its config but is broken at run time)."""

    def break_health(php):
        marker = b"$healthy = ! array_filter("
        assert marker in php
        return php.replace(marker, b"$checks['database'] = 'error: deliberately broken';\n        " + marker)

    return patched(src, out, edit={"app/Http/Controllers/HealthController.php": break_health})


class Load:
    """Continuous HTTP load generated inside a container (loadgen.py runs
    there with the container's python3): start it, do something, stop it
    and read the report."""

    SCRIPT = SHARED / "loadgen.py"
    REMOTE = "/usr/local/lib/webstack-loadgen.py"

    def __init__(self, container, base, paths, concurrency=4, name="loadgen", post=None, post_concurrency=2):
        self.container = container
        self.stop_file = f"/tmp/{name}.stop"
        self.args = ["--base", base, "--concurrency", str(concurrency), "--stop-file", self.stop_file]
        for path in paths:
            self.args += ["--path", path]
        if post:
            self.args += ["--post", post, "--post-concurrency", str(post_concurrency)]
        self.proc = None
        self.report = None

    def __enter__(self):
        subprocess.run(["docker", "cp", str(self.SCRIPT), f"{self.container}:{self.REMOTE}"], check=True)
        subprocess.run(["docker", "exec", self.container, "rm", "-f", self.stop_file], check=True)
        self.proc = subprocess.Popen(
            ["docker", "exec", self.container, "python3", self.REMOTE, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # the first line says the load is flowing
        line = self.proc.stdout.readline()
        assert line.startswith("started"), line + self.proc.stderr.read()
        return self

    def __exit__(self, *exc):
        time.sleep(2)
        subprocess.run(["docker", "exec", self.container, "touch", self.stop_file], check=True)
        out, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err
        self.report = json.loads(out)
        shown = {k: v for k, v in self.report.items() if k not in ("timeline", "jobs_accepted")}
        shown["jobs_accepted"] = len(self.report["jobs_accepted"])
        print(json.dumps(shown, indent=1))
        return False
